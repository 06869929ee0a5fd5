"""ReLU against Leaky ReLU over stored runs: the seed article's table from our runs, and its test over seeds.

All functions take the snapshots DataFrame of `results.snapshots_frame` (columns activation, alpha, seed,
epoch, train/test loss and accuracy). Differences follow the seed article: "ReLU relative to LReLU",
100 · (ReLU − LReLU) / LReLU, in percent, for runs of the same seed (paired: same initial weights).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .results import history_frame, snapshots_frame
from .seed_article import METRICS
from .seed_article import seed_table as seed_article_table
from .stats import mean_ci, paired_t_test, relative_difference

if TYPE_CHECKING:
    from .results import ResultsStore
    from .study import Plan, Study

LOWER_IS_BETTER = {"train_loss", "test_loss"}


def paired_metrics(snapshots: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """ReLU and Leaky ReLU(α) metrics side by side, one row per (seed, epoch) where both runs reached it."""
    if snapshots.empty:
        raise ValueError("no stored snapshots: the study has not been run (see the chapter's command)")
    relu = snapshots[snapshots.activation == "relu"]
    leaky = snapshots[(snapshots.activation == "leaky_relu") & np.isclose(snapshots.alpha, alpha)]
    if relu.empty or leaky.empty:
        raise ValueError(f"need stored runs of both relu and leaky_relu with alpha={alpha}")
    cols = ["seed", "epoch", *METRICS]
    return relu[cols].merge(leaky[cols], on=["seed", "epoch"], suffixes=("_relu", "_leaky")).sort_values(
        ["epoch", "seed"], ignore_index=True
    )


def relative_differences(snapshots: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per (seed, epoch): the four "ReLU relative to LReLU" differences in percent."""
    paired = paired_metrics(snapshots, alpha)
    out = paired[["seed", "epoch"]].copy()
    for m in METRICS:
        out[m] = relative_difference(paired[f"{m}_relu"], paired[f"{m}_leaky"])
    return out


def replication_table(snapshots: pd.DataFrame, alpha: float, seed: int) -> pd.DataFrame:
    """The seed article's table from one of our seeds: rows = epochs, columns = metrics (%)."""
    diffs = relative_differences(snapshots, alpha)
    one = diffs[diffs.seed == seed]
    if one.empty:
        raise ValueError(f"seed must be one of the stored seeds {sorted(int(s) for s in diffs.seed.unique())}; got {seed!r}")
    return one.drop(columns="seed").set_index("epoch")


def side_by_side(ours: pd.DataFrame, article: pd.DataFrame) -> pd.DataFrame:
    """Two tables of the article's format side by side: columns (metric, "ours" | "article")."""
    columns = {}
    for m in METRICS:
        columns[(m.replace("_", " "), "ours")] = ours[m]
        columns[(m.replace("_", " "), "article")] = article[m].reindex(ours.index)
    return pd.DataFrame(columns, index=ours.index)


def verdicts_for_reading(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The verdict table, narrowed for a page: the interval in one column, rounded numbers, short labels."""
    return pd.DataFrame({
        "epoch": verdicts.epoch,
        "metric": verdicts.metric.str.replace("_", " "),
        "mean (%)": verdicts["mean"].map(lambda v: f"{v:+.3f}"),
        "95 % CI (%)": [f"[{lo:+.3f}, {hi:+.3f}]" for lo, hi in zip(verdicts.ci_low, verdicts.ci_high)],
        "paired p": verdicts.p_value.map(lambda v: f"{v:.3f}"),
        "favours": verdicts.better,
        "verdict": verdicts.verdict.str.replace("distinguishable from seed noise", "distinguishable"),
    })


def seed_noise_verdicts(snapshots: pd.DataFrame, alpha: float, confidence: float = 0.95) -> pd.DataFrame:
    """Per (epoch, metric): mean difference over seeds, its CI, the paired t-test p-value, and a verdict.

    The verdict is "distinguishable from seed noise" when the CI excludes 0, else "within seed noise"; with one
    seed there is no interval and the verdict says so. `better` says which activation the mean favours.
    """
    diffs = relative_differences(snapshots, alpha)
    paired = paired_metrics(snapshots, alpha)
    rows = []
    for (epoch, group), m in itertools.product(diffs.groupby("epoch"), METRICS):
        est = mean_ci(group[m], confidence)
        pairs = paired[paired.epoch == epoch]
        p = paired_t_test(pairs[f"{m}_relu"], pairs[f"{m}_leaky"]) if len(pairs) >= 2 else np.nan
        relu_better = (est.mean < 0) if m in LOWER_IS_BETTER else (est.mean > 0)
        if est.n < 2:
            verdict = "one seed: no interval"
        else:
            verdict = "distinguishable from seed noise" if est.excludes(0.0) else "within seed noise"
        rows.append(dict(epoch=epoch, metric=m, n_seeds=est.n, mean=est.mean, ci_low=est.low, ci_high=est.high,
                         p_value=p, better="ReLU" if relu_better else "Leaky ReLU", verdict=verdict))
    return pd.DataFrame(rows)


def seed_to_seed_spread(snapshots: pd.DataFrame, activation: str = "relu", alpha: float | None = None) -> pd.DataFrame:
    """Per (epoch, metric): relative differences (%) between every pair of seeds of the same activation.

    The yardstick for the ReLU-vs-Leaky gap: how far apart two runs of the *same* model land by luck alone.
    """
    runs = snapshots[snapshots.activation == activation]
    if alpha is not None:
        runs = runs[np.isclose(runs.alpha, alpha)]
    rows = []
    for epoch, group in runs.groupby("epoch"):
        by_seed = group.set_index("seed")
        for a, b in itertools.combinations(sorted(by_seed.index), 2):
            for m in METRICS:
                rows.append(dict(epoch=epoch, metric=m, seeds=f"{a} vs {b}",
                                 difference=float(relative_difference(by_seed.at[a, m], by_seed.at[b, m]))))
    return pd.DataFrame(rows, columns=["epoch", "metric", "seeds", "difference"])


# --- a study's stored results, for the chapter -------------------------------------------------------------------


@dataclasses.dataclass
class StudyResults:
    """What a study has stored: its runs' records (those with at least one snapshot) and what is missing."""

    plan: "Plan"
    records: list[dict]

    @property
    def missing(self) -> list[str]:
        """Runs not yet trained to their target epoch, as 'key (status, epochs done/target)'."""
        return [f"{r.key} ({r.status}, {r.epochs_done}/{r.target} epochs)" for r in self.plan.runs
                if r.status != "done"]

    @property
    def complete(self) -> bool:
        return not self.missing

    def snapshots(self) -> pd.DataFrame:
        return snapshots_frame(self.records)

    def history(self) -> pd.DataFrame:
        return history_frame(self.records)

    def missing_message(self, command: str) -> str:
        """A reader-facing note of which runs are missing and the command that trains them ('' if none)."""
        if self.complete:
            return ""
        lines = [f"{len(self.missing)} of {len(self.plan.runs)} runs of study {self.plan.study.name!r} are not "
                 f"stored up to epoch {max(r.target for r in self.plan.runs)}; the results below use what is "
                 "stored. Missing or partial:"]
        lines += [f"  - {m}" for m in self.missing]
        lines.append(f"Train them (resuming where they stopped) with:\n  {command}")
        return "\n".join(lines)


def gather(study: "Study", store: "ResultsStore | None" = None, *, train: bool = False,
           until_epoch: int | None = None, progress: bool = True) -> StudyResults:
    """The stored runs of `study`; with `train=True`, first train what is missing (resuming partial runs)."""
    from .results import ResultsStore
    from .study import plan, run_study

    store = store or ResultsStore()
    if train:
        run_study(study, store, until_epoch=until_epoch, progress=progress)
    the_plan = plan(study, store, until_epoch=until_epoch)
    records = [store.get(r.key) for r in the_plan.runs if r.epochs_done > 0]
    return StudyResults(the_plan, [r for r in records if r and r["snapshots"]])


def scale_summary(results: StudyResults) -> dict:
    """The scale a study was actually run at, from its stored records: data, seeds, epochs, hardware, time."""
    records = results.records
    if not records:
        return {"runs_stored": 0, "runs_planned": len(results.plan.runs)}
    data = records[0]["data"]
    segments = [s for r in records for s in r["segments"]]
    done = [r["epochs_done"] for r in records]
    epochs = sum(done)
    wall = sum(s["wall_s"] for s in segments)
    return {
        "runs_stored": len(records),
        "runs_planned": len(results.plan.runs),
        "seeds": sorted({r["config"]["seed"] for r in records}),
        "n_train": data["n_train"],
        "n_test": data["n_test"],
        "train_is_sample": bool(data["is_sample"]),
        "data": data["description"],
        "epochs_done_min": min(done),
        "epochs_done_max": max(done),
        "epochs_trained": epochs,
        "wall_hours": wall / 3600,
        "s_per_epoch": wall / epochs if epochs else float("nan"),
        "backends": sorted({s["backend"] for s in segments}),
        "devices": sorted({s["device"] for s in segments}),
        "cpus": sorted({s["hardware"]["cpu"] for s in segments}),
        "batch_size": records[0]["config"]["batch_size"],
    }


def overfitting_summary(history: pd.DataFrame) -> pd.DataFrame:
    """Per model, mean over seeds: the epoch of lowest test loss, loss and accuracy there and at the last epoch."""
    rows = []
    tested = history.dropna(subset=["test_loss"])
    for (activation, seed), runs in tested.groupby(["activation", "seed"]):
        runs = runs.sort_values("epoch")
        best = runs.loc[runs.test_loss.idxmin()]
        last = runs.iloc[-1]
        train_last = history[(history.activation == activation) & (history.seed == seed)].sort_values("epoch").iloc[-1]
        rows.append(dict(activation=activation, seed=seed, best_epoch=int(best.epoch), best_test_loss=best.test_loss,
                         best_test_accuracy=best.test_accuracy, last_epoch=int(last.epoch),
                         last_test_loss=last.test_loss, last_test_accuracy=last.test_accuracy,
                         last_train_loss=train_last.train_loss))
    per_run = pd.DataFrame(rows)
    if per_run.empty:
        return per_run
    return per_run.groupby("activation").agg(
        runs=("seed", "count"), best_epoch_mean=("best_epoch", "mean"), best_test_loss=("best_test_loss", "mean"),
        best_test_accuracy=("best_test_accuracy", "mean"), last_epoch=("last_epoch", "max"),
        last_test_loss=("last_test_loss", "mean"), last_test_accuracy=("last_test_accuracy", "mean"),
        last_train_loss=("last_train_loss", "mean"))


def verdict_sentence(verdicts: pd.DataFrame) -> str:
    """One sentence for the reader: how many cells of the table survive seed noise, and which."""
    distinct = verdicts[verdicts.verdict == "distinguishable from seed noise"]
    n, seeds = len(verdicts), int(verdicts.n_seeds.min()) if len(verdicts) else 0
    if distinct.empty:
        return f"none of the {n} cells of the table is distinguishable from seed noise with {seeds} seeds"
    cells = "; ".join(f"{r.metric.replace('_', ' ')} at epoch {r.epoch}, {r.better} better by {abs(r['mean']):.2f} %"
                      for _, r in distinct.iterrows())
    return f"{len(distinct)} of the {n} cells of the table are distinguishable from seed noise with {seeds} seeds ({cells})"


def alpha_spread(sweep_snapshots: pd.DataFrame, metric: str = "test_accuracy") -> dict:
    """At the last common epoch of a sweep: the range of Leaky ReLU's mean `metric` over α < 1, and the mean
    range over seeds within one α (the seed noise the α ranking must beat)."""
    at = sweep_snapshots[sweep_snapshots.epoch == sweep_snapshots.epoch.max()]
    leaky = at[(at.activation == "leaky_relu") & (at.alpha < 1)]
    if leaky.empty:
        return {}
    means = leaky.groupby("alpha")[metric].mean()
    within = leaky.groupby("alpha")[metric].agg(lambda v: v.max() - v.min())
    return {"epoch": int(at.epoch.max()), "n_alphas": int(means.size), "alpha_range": float(means.max() - means.min()),
            "seed_range": float(within.mean()), "best_alpha": float(means.idxmax())}


# --- the numbers the chapter's prose quotes ------------------------------------------------------------------------

MISSING = "— (runs missing)"
"""What the prose shows for a number whose runs are not stored yet."""


def has_pairs(snapshots: pd.DataFrame, alpha: float) -> bool:
    """Whether at least one seed has both a ReLU and a Leaky ReLU(α) snapshot at the same epoch."""
    try:
        return not paired_metrics(snapshots, alpha).empty
    except ValueError:
        return False


def prose_numbers(results: StudyResults, sweep_snapshots: pd.DataFrame, alpha: float, replication_seed: int) -> dict:
    """Every number the chapter's text quotes, formatted; `MISSING` where the stored runs cannot give it.

    Formatting here (not in the text) lets the chapter build and say what is missing on a fresh clone.
    """
    out = {}
    scale = scale_summary(results)
    out["cnn_runs_stored"] = str(scale["runs_stored"])
    out["cnn_runs_planned"] = str(scale["runs_planned"])
    if scale["runs_stored"]:
        out.update(
            cnn_n_seeds=str(len(scale["seeds"])), cnn_n_train=f"{scale['n_train']:,}",
            cnn_n_test=f"{scale['n_test']:,}",
            cnn_train_kind=("a sample of the 60,000-image MNIST training set" if scale["train_is_sample"]
                            else "the training set"),
            cnn_epochs_done=str(scale["epochs_done_min"]), cnn_epochs_trained=f"{scale['epochs_trained']:,}",
            cnn_wall_hours=f"{scale['wall_hours']:.1f}", cnn_s_per_epoch=f"{scale['s_per_epoch']:.1f}",
            cnn_hardware=(f"{', '.join(scale['devices'])} ({', '.join(scale['cpus'])}), Keras backend "
                          f"{', '.join(scale['backends'])}"),
        )
    snapshots = results.snapshots()
    if has_pairs(snapshots, alpha):
        ours = replication_table(snapshots, alpha, replication_seed)
        article = seed_article_table().reindex(ours.index)
        comparable = article.notna()
        agree = ((ours > 0) == (article > 0)) & comparable
        out["cnn_sign_agreement"] = f"{int(agree.values.sum())} of {int(comparable.values.sum())}"
        verdicts = seed_noise_verdicts(snapshots, alpha)
        distinct = verdicts[verdicts.verdict == "distinguishable from seed noise"]
        out["cnn_cells"] = str(len(verdicts))
        out["cnn_distinct_cells"] = str(len(distinct))
        # Each cell is its own test at the 5 % level: this many would come out "distinguishable" by chance alone.
        out["cnn_expected_by_chance"] = f"{0.05 * len(verdicts):.1f}"
        out["cnn_verdict_sentence"] = verdict_sentence(verdicts)
        spread = seed_to_seed_spread(snapshots, "relu")
        if not spread.empty:
            noise = spread.assign(size=spread.difference.abs()).groupby(["epoch", "metric"])["size"].median()
            gap = verdicts.set_index(["epoch", "metric"])["mean"].abs()
            below = (gap < noise.reindex(gap.index)).sum()
            out["cnn_gap_below_noise"] = f"{int(below)} of {len(gap)}"
        overfit = overfitting_summary(results.history())
        if {"relu", "leaky_relu"} <= set(overfit.index):
            r, lk = overfit.loc["relu"], overfit.loc["leaky_relu"]
            out.update(
                cnn_best_epoch_relu=f"{r.best_epoch_mean:.0f}", cnn_best_epoch_leaky=f"{lk.best_epoch_mean:.0f}",
                cnn_last_epoch=f"{int(r.last_epoch)}", cnn_last_train_loss_relu=f"{r.last_train_loss:.1e}",
                cnn_loss_rise_relu=f"{r.last_test_loss / r.best_test_loss:.1f}",
                cnn_loss_rise_leaky=f"{lk.last_test_loss / lk.best_test_loss:.1f}",
                cnn_acc_change_relu=f"{100 * (r.last_test_accuracy - r.best_test_accuracy):+.2f}",
            )
    if not sweep_snapshots.empty:
        at = sweep_snapshots[sweep_snapshots.epoch == sweep_snapshots.epoch.max()]
        by_alpha = at[at.activation == "leaky_relu"].groupby("alpha").test_accuracy.mean()
        relu = at[at.activation == "relu"].test_accuracy
        out["sweep_epoch"] = str(int(at.epoch.max()))
        if not by_alpha.empty:
            out["sweep_best_alpha"] = f"{by_alpha.idxmax():g}"
            out["sweep_best_acc"] = f"{by_alpha.max():.4f}"
        if not relu.empty:
            out["sweep_relu_acc"] = f"{relu.mean():.4f}"
        if 1.0 in by_alpha.index:
            out["sweep_linear_acc"] = f"{by_alpha[1.0]:.4f}"
        spread_alpha = alpha_spread(sweep_snapshots)
        if spread_alpha:
            out.update(sweep_n_alphas=str(spread_alpha["n_alphas"]),
                       sweep_alpha_range=f"{100 * spread_alpha['alpha_range']:.2f}",
                       sweep_seed_range=f"{100 * spread_alpha['seed_range']:.2f}")
    return {key: out.get(key, MISSING) for key in PROSE_KEYS}


PROSE_KEYS = (
    "cnn_runs_stored", "cnn_runs_planned", "cnn_n_seeds", "cnn_n_train", "cnn_n_test", "cnn_train_kind",
    "cnn_epochs_done", "cnn_epochs_trained", "cnn_wall_hours", "cnn_s_per_epoch", "cnn_hardware",
    "cnn_sign_agreement", "cnn_cells", "cnn_distinct_cells", "cnn_expected_by_chance", "cnn_verdict_sentence", "cnn_gap_below_noise",
    "cnn_best_epoch_relu", "cnn_best_epoch_leaky", "cnn_last_epoch", "cnn_last_train_loss_relu",
    "cnn_loss_rise_relu", "cnn_loss_rise_leaky", "cnn_acc_change_relu", "sweep_epoch", "sweep_best_alpha",
    "sweep_best_acc", "sweep_relu_acc", "sweep_linear_acc", "sweep_n_alphas", "sweep_alpha_range",
    "sweep_seed_range",
)

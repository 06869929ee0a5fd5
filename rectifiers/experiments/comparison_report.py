"""Chapter 4 for readers: the numbers its prose quotes and its tables, in readers' words and honest precision.

Everything here formats what `comparison`, `comparison_curves` and `comparison_cost` compute; a number whose runs
are not stored yet reads `MISSING`, so that the chapter builds (and says what is missing) on a fresh clone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .comparison import (NOT_COMPARABLE, StudyResults, has_pairs, near_zero_cells, replication_table,
                         seed_noise_verdicts, seed_to_seed_spread)
from .comparison_cost import cost_sentence, cost_verdict, epoch_cost
from .comparison_curves import loss_spikes, spike_counts
from ..engine.stored_studies import runs_scale
from ..names import label
from ..prose import MISSING  # what the prose shows for a number whose runs are not stored yet
from ..stats import readable
from .seed_article import EPOCHS, METRICS
from .seed_article import seed_table as seed_article_table


METRIC_WORDS = {"train_accuracy": "train accuracy", "train_loss": "train loss", "test_accuracy": "test accuracy",
                "test_loss": "test loss"}
NEAR_ZERO_MARK = " †"


def and_list(items) -> str:
    """'1', '1 and 10', '1, 10 and 100'."""
    items = [str(i) for i in items]
    return " and ".join(items) if len(items) < 3 else f"{', '.join(items[:-1])} and {items[-1]}"


# --- the scale actually used ---------------------------------------------------------------------------------------


def scale_summary(results: StudyResults) -> dict:
    """The scale a study was actually run at, from its stored records (`stored_studies.runs_scale`), with what its
    plan adds: runs planned, the epoch planned, runs complete; `n_train`, `n_test` are the data's."""
    records = results.records
    if not records:
        return {"runs_stored": 0, "runs_planned": len(results.plan.runs)}
    data = records[0]["data"]
    planned = max(r.config.last_epoch for r in results.plan.runs)
    return {
        **runs_scale(records),
        "runs_stored": len(records),
        "runs_planned": len(results.plan.runs),
        "n_train": data["n_train"],
        "n_test": data["n_test"],
        "train_is_sample": bool(data["is_sample"]),
        "epochs_planned": planned,
        "runs_complete": sum(r["epochs_done"] >= planned for r in records),
    }


FULL_TRAINING_SET = {"mnist": 60_000, "fashion_mnist": 60_000}


def scale_sentence(scale: dict) -> str:
    """One sentence on the scale used, from the records: images, seeds, epochs, hardware, wall time."""
    if not scale.get("runs_stored"):
        return MISSING
    full = FULL_TRAINING_SET.get(scale["dataset"])
    images = (f"{scale['n_train']:,} of the {full:,} training images" if full and scale["n_train"] < full
              else f"all {scale['n_train']:,} training images")
    cores = f"{scale['cores'][0]} CPU cores" if len(scale["cores"]) == 1 else "CPU cores"
    where = (f"{cores} ({', '.join(scale['cpus'])})" if [d.lower() for d in scale["devices"]] == ["cpu"]
             else ", ".join(scale["devices"]))
    reached = (f"epoch {scale['epochs_done_min']:,}" if scale["epochs_done_min"] == scale["epochs_done_max"]
               else f"epochs {scale['epochs_done_min']:,}–{scale['epochs_done_max']:,}")
    return (f"{scale['runs_stored']} runs ({len(scale['seeds'])} seeds per activation) on {images}, trained to "
            f"{reached} of {scale['epochs_planned']:,}: {scale['epochs_trained']:,} epochs in "
            f"{scale['wall_hours']:.1f} hours on {where} with Keras' {', '.join(scale['backends'])} backend")


def rows_sentence(snapshots: pd.DataFrame, alpha: float, scale: dict) -> str:
    """Which of the article's rows our tables have, and when the missing ones appear."""
    if not has_pairs(snapshots, alpha):
        return MISSING
    stored = sorted(set(snapshots.epoch))
    have = [e for e in EPOCHS if e in stored]
    missing = [e for e in EPOCHS if e not in stored]
    judged = set(seed_noise_verdicts(snapshots, alpha).epoch)
    waiting = [e for e in have if e not in judged]
    if not missing:
        sentence = f"All {len(EPOCHS)} of the article's rows ({and_list(f'{e:,}' for e in EPOCHS)} epochs) are here"
    else:
        sentence = (f"The tables have the article's rows for {and_list(f'{e:,}' for e in have)} epochs; the "
                    f"{and_list(f'{e:,}' for e in missing)}-epoch row appears when the runs reach it (they are "
                    f"stored up to epoch {scale['epochs_done_min']:,} of {scale['epochs_planned']:,})")
    if waiting:
        sentence += (f"; the seed-noise verdicts for {and_list(f'{e:,}' for e in waiting)} epochs wait until every "
                     f"seed has reached them (only {scale['runs_complete']} of {scale['runs_stored']} runs have "
                     f"so far)")
    return sentence


# --- tables ----------------------------------------------------------------------------------------------------------


def seed_article_for_reading() -> pd.DataFrame:
    """The article's own table as it printed it: "ReLU relative to LReLU", 4 decimals, readers' column names."""
    table = seed_article_table()
    return pd.DataFrame({METRIC_WORDS[m]: [f"{readable(v, 3, sign=True)} %" for v in table[m]] for m in METRICS},
                        index=pd.Index([f"{e:,}" for e in table.index], name="epochs"))


def averages_for_reading(averages: pd.DataFrame) -> pd.DataFrame:
    """`seed_article.averages_check()` for a page: readers' metric names, the article's own precision."""
    table = averages.rename(index=METRIC_WORDS, columns={"claimed (%)": "the article's average",
                                                         "mean of the table (%)": "mean of its table"})
    table.index.name = None
    return table.map(lambda v: f"{v:+.4g} %")


def replication_for_reading(snapshots: pd.DataFrame, alpha: float, seed: int) -> pd.DataFrame:
    """The article's table from our seed `seed` beside the article's, as text; † marks a near-zero denominator."""
    ours = replication_table(snapshots, alpha, seed)
    near = near_zero_cells(snapshots, alpha, seed)
    article = seed_article_table().reindex(ours.index)
    columns = {}
    for m in METRICS:
        shown = ["undefined" if pd.isna(v) else f"{readable(v, 3, sign=True)} %" for v in ours[m]]  # a loss of 0
        columns[(METRIC_WORDS[m], "ours")] = [s + (NEAR_ZERO_MARK if flag else "") for s, flag in zip(shown, near[m])]
        columns[(METRIC_WORDS[m], "article")] = ["—" if pd.isna(v) else f"{readable(v, 3, sign=True)} %"
                                                 for v in article[m]]
    table = pd.DataFrame(columns, index=pd.Index([f"{e:,}" for e in ours.index], name="epochs"))
    return table


def _shown(value: float, unit: str) -> str:
    """A gap as readers see it: "+0.12 %", or a ratio to 2 decimals near 1 and 2 significant digits far from it."""
    if unit == "%":
        return f"{readable(value, 3, sign=True)} %"
    return f"×{value:.2f}" if 0.1 <= value < 10 else f"×{value:.2g}"


def verdicts_for_reading(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The verdict table for a page: readers' words, the interval in one column, the precision five seeds give."""
    def interval(row):
        if not np.isfinite(row.shown_low):
            return "—"
        return f"{_shown(row.shown_low, row.unit)} to {_shown(row.shown_high, row.unit)}"

    return pd.DataFrame({
        "epochs": verdicts.epoch.map(lambda e: f"{e:,}"),
        "metric": verdicts.metric.map(METRIC_WORDS),
        "ReLU vs Leaky ReLU": ["—" if not np.isfinite(v) else _shown(v, u) for v, u in zip(verdicts.shown, verdicts.unit)],
        "95 % CI": [interval(r) for r in verdicts.itertuples()],
        "paired p": verdicts.p_value.map(lambda p: "—" if not np.isfinite(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")),
        "Holm p": verdicts.get("p_holm", verdicts.p_value).map(
            lambda p: "—" if not np.isfinite(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")),
        "favours": verdicts.better,
        "verdict": verdicts.verdict.str.replace("distinguishable from seed noise", "distinguishable"),
    })


def overfitting_summary(history: pd.DataFrame) -> pd.DataFrame:
    """Per model, mean over seeds: the epoch of lowest test loss, loss and accuracy there and at the last epoch;
    the last training loss as the median over seeds."""
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
        last_train_loss=("last_train_loss", "median"))  # median: one seed's loss spike must not set the level


def overfitting_for_reading(history: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """`overfitting_summary` in readers' words: whole epochs, losses to 3 digits, accuracies in %."""
    summary = overfitting_summary(history)
    order = [a for a in ("relu", "leaky_relu") if a in summary.index]
    s = summary.loc[order]
    columns = {
        "runs": s.runs.astype(int),
        "lowest test loss at epoch (mean)": s.best_epoch_mean.map(lambda v: f"{v:.0f}"),
        "lowest test loss": s.best_test_loss.map(lambda v: f"{v:.3f}"),
        "test accuracy there": s.best_test_accuracy.map(lambda v: f"{100 * v:.2f} %"),
        "last epoch": s.last_epoch.astype(int),
        "test loss at the last epoch": s.last_test_loss.map(lambda v: f"{v:.3f}"),
        "test accuracy at the last epoch": s.last_test_accuracy.map(lambda v: f"{100 * v:.2f} %"),
    }
    names = [label(a, alpha if a == "leaky_relu" else None) for a in order]
    return pd.DataFrame({k: v.to_numpy() for k, v in columns.items()}, index=pd.Index(names, name="model"))


def spikes_for_reading(spikes: pd.DataFrame) -> pd.DataFrame:
    """One row per loss spike: which run, when, and by how much the training loss grew."""
    return pd.DataFrame({
        "model": [label(a, None if pd.isna(al) else al) for a, al in zip(spikes.activation, spikes.alpha)],
        "seed": spikes.seed.astype(int),
        "epoch": spikes.epoch.astype(int),
        "training loss before": spikes.loss_before.map(lambda v: f"{v:.1e}"),
        "after": spikes.loss_after.map(lambda v: f"{v:.1e}"),
        "grew by": spikes.growth.map(lambda v: f"×{readable(v, 2)}"),  # ×2.6 × 10⁹, not ×2,598,963,692
    })


def spikes_sentence(history: pd.DataFrame, spikes: pd.DataFrame, alpha: float) -> str:
    """How many runs of each model had a loss spike, and where."""
    counts = spike_counts(history, spikes)
    if counts.empty:
        return MISSING
    parts = []
    for row in counts.itertuples():
        name = label(row.activation, None if row.alpha is None or pd.isna(row.alpha) else row.alpha)
        mine = spikes[spikes.activation == row.activation]
        if len(mine) <= 3:  # a few: name each
            where = "; ".join(f"seed {s.seed} at epoch {s.epoch}" for s in mine.itertuples())
        else:  # many: how many per run, and when the first came
            per_run = mine.groupby("seed").size()
            where = (f"{len(mine)} spikes, {per_run.min()}–{per_run.max()} per run that had one, the first at "
                     f"epochs {mine.groupby('seed').epoch.min().min()}–{mine.groupby('seed').epoch.min().max()}")
        parts.append(f"{row.runs_with_spike} of {row.runs} {name} runs" + (f" ({where})" if where else ""))
    return " and ".join(parts)


def verdict_sentence(verdicts: pd.DataFrame) -> str:
    """One sentence for the reader: how many cells of the table survive seed noise, and which."""
    unjudged = verdicts[verdicts.verdict.str.startswith(NOT_COMPARABLE)]
    verdicts = verdicts.drop(unjudged.index)
    distinct = verdicts[verdicts.verdict == "distinguishable from seed noise"]
    n, seeds = len(verdicts), int(verdicts.n_seeds.min()) if len(verdicts) else 0
    aside = "".join(f"; {METRIC_WORDS[r.metric]} at epoch {r.epoch:,} has no verdict: a loss of "
                    f"{r.verdict.split(': ', 1)[1]}, and a ratio to 0 does not exist" for r in unjudged.itertuples())
    loose = verdicts[verdicts.get("ci_excludes_zero", False) & (verdicts.verdict != "distinguishable from seed noise")] \
        if "ci_excludes_zero" in verdicts else verdicts.iloc[:0]
    before = ("" if loose.empty else f" (before the correction, {len(loose)} interval{'s' if len(loose) > 1 else ''} "
              "excluded no gap: " + "; ".join(_cell_words(r) for _, r in loose.iterrows()) + ")")
    if distinct.empty:
        return (f"none of the {n} judged cells of the table is distinguishable from seed noise with {seeds} seeds "
                f"after Holm's correction for the {n} cells{before}{aside}")
    cells = "; ".join(_cell_words(r) for _, r in distinct.iterrows())
    verb = "is" if len(distinct) == 1 else "are"
    return (f"{len(distinct)} of the {n} judged cells of the table {verb} distinguishable from seed noise with {seeds} "
            f"seeds after Holm's correction for the {n} cells ({cells}){before}{aside}")


def _cell_words(row) -> str:
    where = f"{METRIC_WORDS[row.metric]} at epoch {row.epoch:,}"
    if row.unit == "%":
        return f"{where}: {row.better} better by {abs(row.shown):.2f} %"
    lower = min(row.shown, 1 / row.shown)
    return f"{where}: {row.better}'s loss {lower:.2g}× the other's"


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


def prose_numbers(results: StudyResults, sweep_snapshots: pd.DataFrame, alpha: float, replication_seed: int) -> dict:
    """Every number the chapter's text quotes, formatted; `MISSING` where the stored runs cannot give it."""
    out = {}
    scale = scale_summary(results)
    out["cnn_runs_stored"] = str(scale["runs_stored"])
    out["cnn_runs_planned"] = str(scale["runs_planned"])
    out["cnn_scale_sentence"] = scale_sentence(scale)
    if scale["runs_stored"]:
        out.update(
            cnn_n_seeds=str(len(scale["seeds"])), cnn_n_train=f"{scale['n_train']:,}",
            cnn_n_test=f"{scale['n_test']:,}",
            cnn_train_kind=("a sample of the 60,000-image MNIST training set" if scale["train_is_sample"]
                            else "the training set"),
            cnn_epochs_done=f"{scale['epochs_done_min']:,}", cnn_epochs_planned=f"{scale['epochs_planned']:,}",
            cnn_epochs_trained=f"{scale['epochs_trained']:,}",
            cnn_wall_hours=f"{scale['wall_hours']:.1f}", cnn_s_per_epoch=f"{scale['s_per_epoch']:.1f}",
        )
    snapshots, history = results.snapshots(), results.history()
    out["cnn_rows_sentence"] = rows_sentence(snapshots, alpha, scale)
    if has_pairs(snapshots, alpha, replication_seed):
        _comparison_numbers(out, snapshots, history, alpha, replication_seed)
    if has_pairs(snapshots, alpha):
        out["cnn_long_run_sentence"] = long_run_sentence(snapshots)
    if not sweep_snapshots.empty:
        _sweep_numbers(out, sweep_snapshots)
    return {key: out.get(key, MISSING) for key in PROSE_KEYS}


def _comparison_numbers(out: dict, snapshots, history, alpha: float, replication_seed: int) -> None:
    ours = replication_table(snapshots, alpha, replication_seed)
    article = seed_article_table().reindex(ours.index)
    comparable = article.notna()
    agree = ((ours > 0) == (article > 0)) & comparable
    out["cnn_sign_agreement"] = f"{int(agree.values.sum())} of {int(comparable.values.sum())}"
    near = near_zero_cells(snapshots, alpha, replication_seed)
    n_near = int(near.values.sum())
    out["cnn_near_zero_cells"] = f"{n_near} cell{'' if n_near == 1 else 's'}"
    verdicts = seed_noise_verdicts(snapshots, alpha)
    out["cnn_verdict_sentence"] = verdict_sentence(verdicts)
    verdicts = verdicts[~verdicts.verdict.str.startswith(NOT_COMPARABLE)]  # the cells with a verdict
    distinct = verdicts[verdicts.verdict == "distinguishable from seed noise"]
    out["cnn_cells"] = str(len(verdicts))
    out["cnn_distinct_cells"] = str(len(distinct))
    # Were each cell its own test at the 5 % level, this many would come out "distinguishable" by chance alone.
    out["cnn_expected_by_chance"] = f"{0.05 * len(verdicts):.1f}"
    spread = seed_to_seed_spread(snapshots, "relu")
    if not spread.empty:
        noise = spread.assign(size=spread.difference.abs()).groupby(["epoch", "metric"])["size"].median()
        gap = verdicts.set_index(["epoch", "metric"])["mean"].abs()
        below = (gap < noise.reindex(gap.index)).sum()
        out["cnn_gap_below_noise"] = f"{int(below)} of {len(gap)}"
    spikes = loss_spikes(history)
    out["cnn_spike_sentence"] = spikes_sentence(history, spikes, alpha)
    out["cnn_spikes"] = str(len(spikes))
    try:
        cost = epoch_cost(history, alpha)
        out["cnn_cost_sentence"], out["cnn_cost_verdict"] = cost_sentence(cost), cost_verdict(cost)
    except ValueError:  # no timed pair of runs
        pass
    overfit = overfitting_summary(history)
    if {"relu", "leaky_relu"} <= set(overfit.index):
        r, lk = overfit.loc["relu"], overfit.loc["leaky_relu"]
        out.update(
            cnn_best_epoch_relu=f"{r.best_epoch_mean:.0f}", cnn_best_epoch_leaky=f"{lk.best_epoch_mean:.0f}",
            cnn_last_epoch=f"{int(r.last_epoch):,}", cnn_last_train_loss_relu=(f"about {r.last_train_loss:.1e}" if r.last_train_loss > 0 else
                                      "exactly 0 in float32 (every training image gets probability 1)"),
            cnn_loss_rise_relu=f"{r.last_test_loss / r.best_test_loss:.1f}",
            cnn_loss_rise_leaky=f"{lk.last_test_loss / lk.best_test_loss:.1f}",
            cnn_acc_change_relu=f"{100 * (r.last_test_accuracy - r.best_test_accuracy):+.2f}",
        )


def long_run_sentence(snapshots: pd.DataFrame, start: int = 100, end: int = 1000) -> str:
    """What the seeds trained from epoch `start` to `end` show over those epochs, per activation (mean over
    those seeds, each seed's runs paired): test accuracy and test loss at both epochs, and how many seeds got there.
    """
    both = snapshots[snapshots.epoch.isin([start, end])]
    reached = both[both.epoch == end].groupby("seed").activation.nunique()
    seeds = sorted(reached[reached == 2].index)
    if not seeds:
        return MISSING
    runs = both[both.seed.isin(seeds)]
    parts = []
    for activation in ("relu", "leaky_relu"):
        mine = runs[runs.activation == activation].groupby("epoch")[["test_accuracy", "test_loss"]].mean()
        parts.append(f"{label(activation, None)}'s test accuracy went from {100 * mine.test_accuracy[start]:.2f} % to "
                     f"{100 * mine.test_accuracy[end]:.2f} % and its test loss from {mine.test_loss[start]:.3f} to "
                     f"{mine.test_loss[end]:.3f}")
    n, total = len(seeds), snapshots.seed.nunique()
    if n == total:
        return (f"In all {n} seeds (means over them), {parts[0]}, while {parts[1]}; the seed-noise verdicts above "
                f"include the {end:,}-epoch row")
    which = (f"the {n} seeds trained to epoch {end:,} so far (seeds {and_list(seeds)}; means over them)" if n > 1
             else f"the one seed trained to epoch {end:,} so far (seed {seeds[0]})")
    return (f"In {which}, {parts[0]}, while {parts[1]}. The seed-noise verdict for the {end:,}-epoch row waits until "
            f"all {total} seeds have reached it: over {n} of them its interval would not mean what the other rows' do")


def _sweep_numbers(out: dict, sweep_snapshots) -> None:
    at = sweep_snapshots[sweep_snapshots.epoch == sweep_snapshots.epoch.max()]
    by_alpha = at[at.activation == "leaky_relu"].groupby("alpha").test_accuracy.mean()
    relu = at[at.activation == "relu"].test_accuracy
    out["sweep_epoch"] = str(int(at.epoch.max()))
    if not by_alpha.empty:
        out["sweep_best_alpha"] = f"{by_alpha.idxmax():g}"
        out["sweep_best_acc"] = f"{100 * by_alpha.max():.2f} %"
    if not relu.empty:
        out["sweep_relu_acc"] = f"{100 * relu.mean():.2f} %"
    if 1.0 in by_alpha.index:
        out["sweep_linear_acc"] = f"{100 * by_alpha[1.0]:.2f} %"
    if not relu.empty and not by_alpha.empty:
        out["sweep_verdict"] = sweep_verdict(at)
    spread_alpha = alpha_spread(sweep_snapshots)
    if spread_alpha:
        out.update(sweep_n_alphas=str(spread_alpha["n_alphas"]),
                   sweep_alpha_range=f"{100 * spread_alpha['alpha_range']:.2f}",
                   sweep_seed_range=f"{100 * spread_alpha['seed_range']:.2f}")


def sweep_verdict(at) -> str:
    """The α sweep at one epoch, judged by the book's decision procedure: every slope against ReLU, paired by seed,
    Holm over the slopes (one seed sitting on a loss spike cannot make a winner)."""
    import pandas as pd

    from .. import decision

    names = at.activation.map({"relu": "ReLU"}).fillna(at.alpha.map(lambda a: f"Leaky ReLU α={a:g}"))
    runs = pd.DataFrame({"setting": names, "seed": at.seed, "metric": at.test_accuracy, "failed": False})
    order = ["ReLU", *[f"Leaky ReLU α={a:g}" for a in sorted(at[at.activation == "leaky_relu"].alpha.unique())]]
    judged = decision.decide(runs, decision.Endpoints(failure="diverged", metric="test accuracy"), order=order)
    seeds = int(judged.comparisons.seeds.min())
    return (f"judged by the book's decision procedure over {seeds} paired seeds, with Holm's correction for "
            f"{len(order) - 1} slopes: {judged.verdict}")


def glue_numbers(numbers: dict) -> None:
    """Record every prose number with `myst_nb.glue` (not displayed), for the chapter's and the intro's text."""
    from myst_nb import glue

    for key, text in numbers.items():
        glue(key, text, display=False)


PROSE_KEYS = (
    "cnn_runs_stored", "cnn_runs_planned", "cnn_scale_sentence", "cnn_n_seeds", "cnn_n_train", "cnn_n_test",
    "cnn_train_kind", "cnn_epochs_done", "cnn_epochs_planned", "cnn_epochs_trained", "cnn_wall_hours",
    "cnn_s_per_epoch", "cnn_rows_sentence", "cnn_sign_agreement", "cnn_near_zero_cells", "cnn_cells",
    "cnn_distinct_cells", "cnn_expected_by_chance", "cnn_verdict_sentence", "cnn_gap_below_noise",
    "cnn_spike_sentence", "cnn_spikes", "cnn_cost_sentence", "cnn_cost_verdict", "cnn_long_run_sentence",
    "cnn_best_epoch_relu", "cnn_best_epoch_leaky", "cnn_last_epoch", "cnn_last_train_loss_relu",
    "cnn_loss_rise_relu", "cnn_loss_rise_leaky", "cnn_acc_change_relu", "sweep_epoch", "sweep_best_alpha",
    "sweep_best_acc", "sweep_relu_acc", "sweep_linear_acc", "sweep_n_alphas", "sweep_alpha_range",
    "sweep_seed_range", "sweep_verdict",
)

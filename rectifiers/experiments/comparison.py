"""ReLU against Leaky ReLU over stored runs: the seed article's table from our runs, and its test over seeds.

All functions take the snapshots DataFrame of `results.snapshots_frame` (columns activation, alpha, seed,
epoch, train/test loss and accuracy). The article's table uses "ReLU relative to LReLU",
100 · (ReLU − LReLU) / LReLU, in percent, for runs of the same seed (paired: same initial weights).

That measure is kept for the article's table, but it is ill-conditioned for losses: after a few dozen epochs a
training loss is 1e-7–1e-2, and the ratio of two such numbers swings by orders of magnitude. Verdicts and
figures therefore measure losses by the log of their ratio, ln(ReLU / LReLU) (`MEASURES`), which treats
"twice as large" and "half as large" alike; accuracies, far from zero, keep the article's relative difference.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..engine import history_frame, snapshots_frame
from .seed_article import METRICS
from .. import decision
from ..stats import mean_ci, paired_t_test, relative_difference

if TYPE_CHECKING:
    from ..engine import ResultsStore
    from ..engine import Plan, Study

LOWER_IS_BETTER = {"train_loss", "test_loss"}

MEASURES = {"train_accuracy": "relative", "train_loss": "log_ratio", "test_accuracy": "relative",
            "test_loss": "log_ratio"}
"""How verdicts and figures measure each metric's gap: "relative" = 100 · (ReLU − LReLU) / LReLU in %,
"log_ratio" = ln(ReLU / LReLU) (shown to readers as the ratio ReLU ÷ LReLU)."""

NEAR_ZERO_LOSS = 0.01
"""A loss below this is "near zero" for a relative difference: a cross-entropy of 0.01 means the model gives the
right class about 99 % probability on average, so the loss is mostly memorisation residue and a relative
difference of two such numbers is ill-conditioned."""


def _with_alpha(snapshots: pd.DataFrame, activation: str, alpha: float | None) -> pd.DataFrame:
    """The rows of one model; alpha None for ReLU (the store records no α for it)."""
    rows = snapshots[snapshots.activation == activation]
    if alpha is None or rows.empty:
        return rows
    return rows[np.isclose(pd.to_numeric(rows.alpha, errors="coerce").astype(float), alpha)]


def paired_metrics(snapshots: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """ReLU and Leaky ReLU(α) metrics side by side, one row per (seed, epoch) where both runs reached it."""
    if snapshots.empty:
        raise ValueError("no stored snapshots: the study has not been run (see the chapter's command)")
    relu = _with_alpha(snapshots, "relu", None)
    leaky = _with_alpha(snapshots, "leaky_relu", alpha)
    missing = [name for name, rows in (("relu", relu), (f"leaky_relu with alpha={alpha}", leaky)) if rows.empty]
    if missing:
        raise ValueError(f"need stored runs of both relu and leaky_relu with alpha={alpha}; "
                         f"none of {' and '.join(missing)}")
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


def paired_differences(snapshots: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per (seed, epoch): each metric's gap in its well-conditioned measure (`MEASURES`)."""
    paired = paired_metrics(snapshots, alpha)
    out = paired[["seed", "epoch"]].copy()
    for m in METRICS:
        out[m] = measure(m, paired[f"{m}_relu"], paired[f"{m}_leaky"])
    return out


def measure(metric: str, value, reference):
    """The gap of `value` against `reference` in `metric`'s measure: relative % or ln ratio."""
    if MEASURES[metric] == "log_ratio":
        value, reference = np.asarray(value, dtype=float), np.asarray(reference, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(value / reference)
    return relative_difference(value, reference)


def replication_table(snapshots: pd.DataFrame, alpha: float, seed: int) -> pd.DataFrame:
    """The seed article's table from one of our seeds: rows = epochs, columns = metrics (%)."""
    diffs = relative_differences(snapshots, alpha)
    one = diffs[diffs.seed == seed]
    if one.empty:
        raise ValueError(f"seed must be one of the stored seeds {sorted(int(s) for s in diffs.seed.unique())}; got {seed!r}")
    return one.drop(columns="seed").set_index("epoch")


def near_zero_cells(snapshots: pd.DataFrame, alpha: float, seed: int, threshold: float = NEAR_ZERO_LOSS) -> pd.DataFrame:
    """Same shape as `replication_table`: True where the cell divides by a loss below `threshold`."""
    paired = paired_metrics(snapshots, alpha)
    one = paired[paired.seed == seed].set_index("epoch")
    return pd.DataFrame({m: (one[f"{m}_leaky"] < threshold) if m in LOWER_IS_BETTER else False for m in METRICS},
                        index=one.index)


def side_by_side(ours: pd.DataFrame, article: pd.DataFrame) -> pd.DataFrame:
    """Two tables of the article's format side by side: columns (metric, "ours" | "article")."""
    columns = {}
    for m in METRICS:
        columns[(m.replace("_", " "), "ours")] = ours[m]
        columns[(m.replace("_", " "), "article")] = article[m].reindex(ours.index)
    return pd.DataFrame(columns, index=ours.index)


NOT_COMPARABLE = "no ratio"
"""The verdict of a loss cell where some run's loss is exactly 0, so that a seed's ratio does not exist."""


def seed_noise_verdicts(snapshots: pd.DataFrame, alpha: float, confidence: float = 0.95) -> pd.DataFrame:
    """Per (epoch, metric): mean gap over seeds in the metric's measure, its CI, the paired t-test, a verdict.

    `mean`, `ci_low`, `ci_high` are in the measure of `MEASURES` (relative % or ln ratio); `unit` says which,
    and `shown`, `shown_low`, `shown_high` are the same numbers in readers' units (% or a ratio ReLU ÷ LReLU).
    The table's judged cells are one family (the book's decision procedure, `rectifiers.decision`): the verdict is
    "distinguishable from seed noise" when the cell's paired t-test survives Holm's correction over all of them
    (`p_holm` ≤ 0.05), else "within seed noise"; `ci_excludes_zero` says whether the uncorrected 95 % interval
    excludes 0. With one seed there is no interval and the verdict says so. `better` says which activation the mean favours
    ("neither" for a gap of exactly 0). A loss cell where some run's loss is exactly 0 has no ratio for that seed:
    it is kept, without numbers, its verdict `NOT_COMPARABLE` with how many runs had a loss of 0.
    Epochs that fewer seeds have reached than the others are left out (`verdict_epochs` says which are in).
    """
    diffs = paired_differences(snapshots, alpha)
    paired = paired_metrics(snapshots, alpha)
    # An epoch only some seeds have reached would be judged on fewer seeds than the rest of the table.
    seeds_at = diffs.groupby("epoch").seed.nunique()
    diffs = diffs[diffs.epoch.isin(seeds_at[seeds_at == seeds_at.max()].index)]
    rows = []
    for (epoch, group), m in itertools.product(diffs.groupby("epoch"), METRICS):
        values = group[m][np.isfinite(group[m])]
        pairs = paired[paired.epoch == epoch]
        if len(values) < len(group):  # a ratio with a loss of exactly 0 (float32 underflow): no gap for that seed
            zeros = int((pairs[f"{m}_relu"] == 0).sum() + (pairs[f"{m}_leaky"] == 0).sum())
            rows.append(dict(epoch=epoch, metric=m, n_seeds=len(values), mean=np.nan, ci_low=np.nan, ci_high=np.nan,
                             unit="ratio" if MEASURES[m] == "log_ratio" else "%", shown=np.nan, shown_low=np.nan,
                             shown_high=np.nan, p_value=np.nan, better="—",
                             verdict=f"{NOT_COMPARABLE}: exactly 0 in {zeros} of {2 * len(pairs)} runs"))
            continue
        est = mean_ci(values, confidence)
        p = paired_t_test(measure(m, pairs[f"{m}_relu"], pairs[f"{m}_leaky"]), np.zeros(len(pairs))) \
            if len(pairs) >= 2 else np.nan
        relu_better = (est.mean < 0) if m in LOWER_IS_BETTER else (est.mean > 0)
        verdict = "one seed: no interval" if est.n < 2 else "within seed noise"  # Holm decides below
        ratio = MEASURES[m] == "log_ratio"
        show = np.exp if ratio else (lambda v: v)
        rows.append(dict(epoch=epoch, metric=m, n_seeds=est.n, mean=est.mean, ci_low=est.low, ci_high=est.high,
                         unit="ratio" if ratio else "%", shown=show(est.mean), shown_low=show(est.low),
                         shown_high=show(est.high), p_value=p,
                         better="neither" if est.mean == 0 else ("ReLU" if relu_better else "Leaky ReLU"),
                         verdict=verdict, ci_excludes_zero=bool(est.n >= 2 and est.excludes(0.0))))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_holm"] = decision.holm(out.p_value.where(out.verdict == "within seed noise"))
    out.loc[out.p_holm <= decision.LEVEL, "verdict"] = "distinguishable from seed noise"
    return out


def seed_to_seed_spread(snapshots: pd.DataFrame, activation: str = "relu", alpha: float | None = None) -> pd.DataFrame:
    """Per (epoch, metric): the gap (in `MEASURES`) between every pair of seeds of the same activation.

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
                                 difference=float(measure(m, by_seed.at[a, m], by_seed.at[b, m]))))
    return pd.DataFrame(rows, columns=["epoch", "metric", "seeds", "difference"])


# --- a study's stored results, for the chapter -------------------------------------------------------------------


@dataclasses.dataclass
class StudyResults:
    """What a study has stored: its runs' records (those with at least one snapshot), what is missing, and which
    stored files could not be used."""

    plan: "Plan"
    records: list[dict]

    @property
    def missing(self) -> list[str]:
        """Runs not yet trained to their target epoch, as 'key (status, epochs done/target)'."""
        return [f"{r.key} ({r.status}, {r.epochs_done}/{r.target} epochs)" for r in self.plan.runs
                if r.status not in ("done", "blocked")]

    @property
    def unusable(self) -> list[str]:
        """The study's stored files the store refused (a record that breaks the schema, e.g. no snapshots or a NaN
        metric), each as 'path: what is wrong', the path relative to the repository when it is inside it."""
        return [_repository_relative(r.problem) for r in self.plan.runs if r.status == "blocked"]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.unusable

    def snapshots(self) -> pd.DataFrame:
        return snapshots_frame(self.records)

    def history(self) -> pd.DataFrame:
        return history_frame(self.records)

    def missing_message(self, command: str) -> str:
        """A reader-facing note of the stored files left out and why, the runs missing and the command that trains
        them ('' if the study is complete)."""
        if self.complete:
            return ""
        name, lines = self.plan.study.name, []
        if self.unusable:
            lines.append(f"{len(self.unusable)} stored file(s) of study {name!r} could not be used; the results below "
                         "leave their runs out:")
            lines += [f"  - {u}" for u in self.unusable]
            lines.append("Move each such file aside (or repair it); the command below then trains its run again.")
        if self.missing:
            lines.append(f"{len(self.missing)} of {len(self.plan.runs)} runs of study {name!r} are not stored up to "
                         f"epoch {max(r.target for r in self.plan.runs)}; the results below use what is stored. "
                         "Missing or partial:")
            lines += [f"  - {m}" for m in self.missing]
        lines.append(f"Train them (resuming where they stopped) with:\n  {command}")
        return "\n".join(lines)

    def training_command(self, studies_dir: str | os.PathLike = "studies") -> str:
        """The command that trains exactly this study's missing runs, for `missing_message`.

        The smallest study file in `studies_dir` whose runs include every missing one; if none does, the YAML of
        a study file to save first (the notebook's own grid), then the command that runs it.
        """
        missing = {r.key for r in self.plan.runs if r.status != "done"}
        until = f" --until-epoch {self.plan.until_epoch}" if self.plan.until_epoch else ""
        matches = []
        for path in sorted(Path(studies_dir).glob("*.yaml")):
            keys = _study_keys(path, self.plan)
            if keys is not None and missing <= keys:
                matches.append((len(keys), path))
        if matches:
            path = min(matches)[1]
            return f"python -m rectifiers study {Path(studies_dir).name}/{path.name}{until}"
        target = f"{Path(studies_dir).name}/{self.plan.study.name}.yaml"
        return (f"python -m rectifiers study {target}{until}\n"
                f"  where {target} is this study (no study file has these runs: save it first):\n"
                + textwrap.indent(study_yaml(self.plan.study), "    ").rstrip())


def _repository_relative(text: str) -> str:
    """`text` with the repository's absolute path removed, so that no machine path reaches a page."""
    from ..engine.study import REPOSITORY

    return text.replace(f"{REPOSITORY}{os.sep}", "")


def _study_keys(path: Path, the_plan: "Plan") -> set[str] | None:
    """Run keys of the study file at `path` on the data the plan loaded; None if unreadable or other data."""
    from ..engine import load_study
    from ..engine import run_key

    try:
        study = load_study(path)
        configs = study.configs()
    except (OSError, ValueError):
        return None
    planned = {r.config.dataset: r.config for r in the_plan.runs}
    keys = set()
    for c in configs:
        mine = planned.get(c.dataset)
        if mine is None or (c.n_train, c.n_test, c.data_seed) != (mine.n_train, mine.n_test, mine.data_seed):
            continue  # the plan's data would not be this config's data
        keys.add(run_key(c, the_plan.data[c.dataset]))
    return keys


def study_yaml(study: "Study") -> str:
    """A study as the YAML of a study file (`study.load_study` reads it back to the same runs)."""
    import yaml

    values = {"name": study.name, "description": study.description or "Written by Chapter 4 for its missing runs.",
              "datasets": list(study.datasets), "activations": list(study.activations),
              "alphas": list(study.alphas), "seeds": list(study.seeds)}
    values.update({k: list(v) if isinstance(v, tuple) else v for k, v in study.settings.items()})
    return yaml.safe_dump(values, sort_keys=False, allow_unicode=True, default_flow_style=None)


def gather(study: "Study", store: "ResultsStore | None" = None, *, train: bool = False,
           until_epoch: int | None = None, progress: bool = True) -> StudyResults:
    """The stored runs of `study`; with `train=True`, first train what is missing (resuming partial runs)."""
    from ..engine import ResultsStore
    from ..engine import plan, run_study

    store = store or ResultsStore()
    if train:
        run_study(study, store, until_epoch=until_epoch, progress=progress)
    the_plan = plan(study, store, until_epoch=until_epoch)
    records = [store.get(r.key) for r in the_plan.runs if r.epochs_done > 0]
    return StudyResults(the_plan, [r for r in records if r and r["snapshots"]])


def gather_pairs(path: str, store: "ResultsStore | None" = None) -> tuple["Study", StudyResults]:
    """The stored runs of the study file `path` (repository-relative), or FileNotFoundError naming what is missing and
    the command that trains it when no seed has its ReLU / Leaky ReLU pair (an empty store, a store without it)."""
    from ..engine import load_study
    from ..engine.study import REPOSITORY

    study = load_study(REPOSITORY / path)
    results = gather(study, store)
    if not has_pairs(results.snapshots(), study.alphas[0]):
        root = store.root if store is not None else "results"
        raise FileNotFoundError(f"{path}: " + results.missing_message(
            f"python -m rectifiers study {path} --results {root}"))
    return study, results


def has_pairs(snapshots: pd.DataFrame, alpha: float, seed: int | None = None) -> bool:
    """Whether at least one seed (or `seed`, the one the replication table shows) has both a ReLU and a Leaky
    ReLU(α) snapshot at the same epoch: a run left out (unusable or missing) can leave a seed without its pair."""
    try:
        paired = paired_metrics(snapshots, alpha)
    except ValueError:
        return False
    return not (paired if seed is None else paired[paired.seed == seed]).empty


def guide_evidence(store=None) -> list[dict]:
    """Chapter 4: the seed article's CNN at its normal learning rate, ReLU vs Leaky ReLU α = 0.01 over seeds, judged
    by the decision procedure on the test accuracy at the last epoch every seed reached."""
    from .. import decision_numbers

    path = "studies/mnist_seed_replication.yaml"
    study, results = gather_pairs(path, store)
    alpha = study.alphas[0]
    snapshots = results.snapshots()
    reached = snapshots.groupby(["activation", "seed"]).epoch.max().min()
    last = snapshots[snapshots.epoch == reached]
    names = {"relu": "ReLU", "leaky_relu": f"Leaky ReLU α={alpha:g}"}
    runs = pd.DataFrame({"setting": last.activation.map(names), "seed": last.seed, "metric": last.test_accuracy,
                         "failed": ~last.test_accuracy.astype(float).map(lambda v: v == v and v > 0)})
    endpoints = decision.Endpoints(failure="diverged", metric="test accuracy", remedy="check the training setup")
    judged = decision.decide(runs, endpoints, order=list(names.values()))
    seeds = int(judged.comparisons.seeds.iloc[0])
    evidence = f"after {int(reached):,} epochs, {seeds} paired seeds: {judged.sentence()}"
    return [dict(situation="a standard CNN at a normal learning rate (the seed article's network, Adam 0.001, MNIST)",
                 recommendation=judged.verdict, category=judged.category, evidence=evidence, seeds=seeds,
                 numbers=decision_numbers.numbers(judged, endpoints),
                 section="ch4-seeds", studies=[path])]

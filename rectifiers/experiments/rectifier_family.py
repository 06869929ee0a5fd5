"""Chapter 6: the rectifier family against ReLU on MNIST and on harder data (Fashion-MNIST), over paired seeds.

The chapter's studies are YAML files (`STUDIES`); each dataset has two, because a study crosses every sloped
activation with every α and PReLU needs one initial slope only. Their ReLU runs are shared (same keys).
Every comparison is paired: for each seed, a variant's run and the ReLU run start from the same initial weights
(PReLU's slopes are extra weights) and see the images in the same order, so the seed-to-seed noise common to
both cancels in their difference. Differences get Student t intervals over seeds; with seven variants compared
to ReLU, a Bonferroni interval (confidence 1 − 0.05/7) says which differences survive the multiple comparison.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..engine import history_frame, snapshots_frame
from ..engine.study import REPOSITORY, study_from_dict
from ..engine.yaml_files import read_yaml
from ..names import label
from .. import decision
from ..stats import mean_ci, paired_t_test, ratio_ci

STUDIES = {
    "fashion_mnist": ("studies/ch6_fashion.yaml", "studies/ch6_fashion_prelu.yaml"),
    "mnist": ("studies/ch6_mnist_family.yaml", "studies/ch6_mnist_prelu.yaml"),
}
"""The chapter's study files per dataset, relative to the repository."""

READ_EPOCH = {"fashion_mnist": None, "mnist": 10}
"""The epoch each dataset's comparison reads (None: the last snapshot epoch). The MNIST studies share their
snapshot epochs (1, 10, 100, 1,000) with the replication, so that their runs are shared; the chapter trains and
reads them at epoch 10."""

DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "mnist1d": "MNIST-1D"}
CONFIDENCE = 0.95
LEAKY = "leaky_relu"
OTHERS = ("prelu", "elu", "gelu", "swish")


def variant(activation: str, alpha) -> str:
    """The reader's name of one compared model, e.g. "Leaky ReLU (α=0.1)", "GELU"."""
    sloped = activation in ("leaky_relu", "prelu") and alpha is not None and not pd.isna(alpha)
    if activation == "prelu" and sloped:
        return f"PReLU (slope starting at {float(alpha):g})"
    return label(activation, float(alpha) if sloped else None)


def chapter_studies(dataset: str, registry: dict | None = None, **overrides) -> list:
    """The chapter's studies of `dataset` as written in `registry` (default `STUDIES`; Chapter 8 passes its networks'),
    with settings overridden (the train-mode test shrinks them): `activations` keeps those listed (ReLU always),
    `alphas` replaces Leaky ReLU's slopes, any other name replaces that setting."""
    registry = STUDIES if registry is None else registry
    if dataset not in registry:
        what = "dataset" if registry is STUDIES else "network"
        raise ValueError(f"{what} must be one of {', '.join(map(repr, registry))}; got {dataset!r}")
    wanted = overrides.pop("activations", None)
    alphas = overrides.pop("alphas", None)
    studies = []
    paths = registry[dataset]
    for path in paths:
        values = read_yaml(REPOSITORY / path, what="study file")
        if wanted is not None:
            values["activations"] = [a for a in values["activations"] if a == "relu" or a in wanted]
            if set(values["activations"]) <= {"relu"} and path != paths[0]:
                continue  # this file's only other activation was not asked for
        if alphas is not None and LEAKY in values["activations"]:
            values["alphas"] = list(alphas)
        values.update(overrides)
        studies.append(study_from_dict(values, source=path))
    return studies


@dataclasses.dataclass
class FamilyResults:
    """One dataset's stored runs of the chapter: records, the study results they came from, the epoch read."""

    dataset: str
    parts: list  # comparison.StudyResults, one per study file
    epoch: int

    @property
    def records(self) -> list[dict]:
        seen, out = set(), []
        for part in self.parts:
            for r in part.records:
                if r["key"] not in seen:
                    seen.add(r["key"])
                    out.append(r)
        return out

    def snapshots(self) -> pd.DataFrame:
        return family_snapshots(self.records)

    def history(self) -> pd.DataFrame:
        return family_history(self.records)

    def missing_message(self) -> str:
        """What is missing or unusable, and the command per study that trains it ('' when complete)."""
        return "\n".join(m for part in self.parts if (m := part.missing_message(part.training_command())))


def gather_family(dataset: str, store=None, *, train: bool = False, studies=None, read_epoch: int | None = None,
                  progress: bool = False, registry: dict | None = None) -> FamilyResults:
    """The chapter's runs of `dataset` (a key of `registry`, default `STUDIES`) from `store` (trained first with
    `train=True`), read at `read_epoch` (default `READ_EPOCH`, else the last snapshot); runs whose last snapshot is
    later are trained only that far."""
    from .comparison import gather

    studies = studies or chapter_studies(dataset, registry)
    last = min(s.configs()[0].last_epoch for s in studies)
    epoch = min(read_epoch or READ_EPOCH.get(dataset) or last, last)
    until = epoch if epoch < last else None
    parts = [gather(s, store, train=train, until_epoch=until, progress=progress) for s in studies]
    return FamilyResults(dataset, parts, epoch)


def family_snapshots(records: list[dict]) -> pd.DataFrame:
    """The snapshots of `records`, each row named by its variant (`variant`)."""
    return _with_variant(snapshots_frame(records))


def at_last_epoch(records: list[dict]) -> pd.DataFrame:
    """Every run of `records` at their last snapshot epoch (`at_epoch`), each row named by its variant."""
    snapshots = family_snapshots(records)
    return at_epoch(snapshots, int(snapshots.epoch.max()))


def family_history(records: list[dict]) -> pd.DataFrame:
    """The per-epoch history of `records`, each row named by its variant (`variant`)."""
    return _with_variant(history_frame(records))


def _with_variant(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    frame = frame.copy()
    frame["variant"] = [variant(a, al) for a, al in zip(frame.activation, frame.alpha)]
    return frame


def variant_order(frame: pd.DataFrame) -> list[str]:
    """ReLU first, then Leaky ReLU by slope, then the rest of the family in the book's order."""
    order = {"relu": 0, "leaky_relu": 1, "prelu": 2, "elu": 3, "gelu": 4, "swish": 5}
    rows = frame[["variant", "activation", "alpha"]].drop_duplicates("variant")
    rows = rows.assign(rank=rows.activation.map(order).fillna(9),
                       slope=pd.to_numeric(rows.alpha, errors="coerce").fillna(0.0))
    return list(rows.sort_values(["rank", "slope"]).variant)


def at_epoch(snapshots: pd.DataFrame, epoch: int) -> pd.DataFrame:
    """One row per (variant, seed): test accuracy and loss at `epoch`."""
    rows = snapshots[snapshots.epoch == epoch]
    if rows.empty:
        raise ValueError(f"no stored snapshot at epoch {epoch}; epochs stored: {sorted(snapshots.epoch.unique())}")
    return rows[["variant", "activation", "alpha", "seed", "test_accuracy", "test_loss", "train_accuracy",
                 "train_loss"]].reset_index(drop=True)


def differences_from_relu(final: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per variant: its paired test-accuracy gap to ReLU (percentage points) and test-loss ratio to ReLU, over the
    seeds that have both runs, with t intervals at `confidence` and Bonferroni intervals for all the comparisons.

    `verdict` (the book's decision procedure, `decide_final`: paired tests, Holm over every variant): "better than
    ReLU" / "worse than ReLU", else "within seed noise"; `survives_correction`: the same, true when not within noise;
    `p_holm`: the Holm-adjusted p of the accuracy test. The Bonferroni intervals are drawn, not judged.
    """
    relu = final[final.activation == "relu"].set_index("seed")
    others = [v for v in variant_order(final) if v != variant("relu", None)]
    if relu.empty or not others:
        raise ValueError("need stored ReLU runs and at least one other variant at the same epoch")
    corrected = 1 - (1 - confidence) / len(others)
    rows = []
    for name in others:
        runs = final[final.variant == name].set_index("seed")
        seeds = sorted(set(runs.index) & set(relu.index))
        if len(seeds) < 2:
            continue
        gap = 100 * (runs.loc[seeds, "test_accuracy"] - relu.loc[seeds, "test_accuracy"])
        est, wide = mean_ci(gap, confidence), mean_ci(gap, corrected)
        loss = ratio_ci(runs.loc[seeds, "test_loss"], relu.loc[seeds, "test_loss"], confidence)
        rows.append(dict(variant=name, activation=runs.activation.iloc[0], n_seeds=len(seeds),
                         acc_gap_pp=est.mean, acc_low=est.low, acc_high=est.high,
                         acc_low_corrected=wide.low, acc_high_corrected=wide.high,
                         p_value=paired_t_test(runs.loc[seeds, "test_accuracy"], relu.loc[seeds, "test_accuracy"]),
                         loss_ratio=loss.mean, loss_low=loss.low, loss_high=loss.high,
                         uncorrected_excludes_zero=bool(est.excludes(0.0)),
                         relu_accuracy=float(relu.loc[seeds, "test_accuracy"].mean()),
                         accuracy=float(runs.loc[seeds, "test_accuracy"].mean())))
    if not rows:
        raise ValueError("no variant has runs paired with ReLU's on two seeds or more")
    out = pd.DataFrame(rows)
    judged = decide_final(final).comparisons.set_index("alternative")
    out["p_holm"] = [float(judged.loc[v, "p_metric_holm"]) for v in out.variant]
    out["verdict"] = ["better than ReLU" if judged.loc[v, "better"] else "worse than ReLU" if judged.loc[v, "worse"]
                      else "within seed noise" for v in out.variant]
    out["survives_correction"] = out.verdict != "within seed noise"
    out.attrs.update(confidence=confidence, corrected=corrected, comparisons=len(others))
    return out


ENDPOINTS = decision.Endpoints(failure="diverged (no final test accuracy)", metric="test accuracy",
                               remedy="check the training setup")
"""Chapter 6's endpoints: test accuracy at the epoch read; a run fails only by diverging."""

COST_ENDPOINTS = decision.COST_ENDPOINTS


def decide_final(final: pd.DataFrame, among=None) -> decision.Decision:
    """The decision procedure on one dataset's runs at the epoch read (`at_epoch`): every variant against ReLU."""
    runs = final.assign(setting=final.variant, metric=final.test_accuracy,
                        failed=~np.isfinite(final.test_accuracy.astype(float)))
    return decision.decide(runs, ENDPOINTS, baseline=variant("relu", None), order=variant_order(final), among=among)


def decide_cost(history: pd.DataFrame, among=None) -> decision.Decision:
    """The decision procedure on cost: each run's median training seconds per epoch (epochs 2 on), on a log scale."""
    timed = history.dropna(subset=["fit_s"])
    timed = timed[timed.epoch > 1]
    per_run = timed.groupby(["variant", "activation", "alpha", "seed"], dropna=False).fit_s.median().reset_index()
    runs = per_run.assign(setting=per_run.variant, metric=np.log(per_run.fit_s), failed=False)
    return decision.decide(runs, COST_ENDPOINTS, baseline=variant("relu", None), order=variant_order(per_run),
                           among=among)


def epoch_costs(history: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per variant: the paired ratio of its median training seconds per epoch to ReLU's, geometric mean over seeds
    with a t interval on the log scale (`stats.ratio_ci`), and its Bonferroni interval for all the comparisons.
    A session's first epoch (which compiles the model) is left out."""
    timed = history.dropna(subset=["fit_s"])
    timed = timed[timed.epoch > 1]
    per_run = timed.groupby(["variant", "activation", "alpha", "seed"], dropna=False).fit_s.median().reset_index()
    relu = per_run[per_run.activation == "relu"].set_index("seed").fit_s
    others = [v for v in variant_order(per_run) if v != variant("relu", None)]
    corrected = 1 - (1 - confidence) / max(len(others), 1)
    rows = []
    for name in others:
        runs = per_run[per_run.variant == name].set_index("seed").fit_s
        seeds = sorted(set(runs.index) & set(relu.index))
        if len(seeds) < 2:
            continue
        est, wide = (ratio_ci(runs.loc[seeds], relu.loc[seeds], c) for c in (confidence, corrected))
        rows.append(dict(variant=name, n_seeds=len(seeds), relu_s=float(relu.loc[seeds].median()),
                         variant_s=float(runs.loc[seeds].median()), ratio=est.mean, low=est.low, high=est.high,
                         low_corrected=wide.low, high_corrected=wide.high))
    return pd.DataFrame(rows)


def verdict_counts(diffs: pd.DataFrame) -> dict:
    """How many variants the decision procedure finds better, worse or within noise (Holm), and how many 95 %
    intervals exclude 0 before any correction (`uncorrected`)."""
    return {"better": int((diffs.verdict == "better than ReLU").sum()),
            "worse": int((diffs.verdict == "worse than ReLU").sum()),
            "within": int((diffs.verdict == "within seed noise").sum()),
            "uncorrected": int(diffs.uncorrected_excludes_zero.sum()), "comparisons": len(diffs)}


def side_by_side(by_dataset: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The accuracy gaps to ReLU of both datasets in one table: does the verdict change on harder data?"""
    parts = {}
    for dataset, diffs in by_dataset.items():
        d = diffs.set_index("variant")
        sign = lambda v: f"{v + 0.0:+.2f}".replace("-", "−")  # noqa: E731
        parts[DATASET_NAMES.get(dataset, dataset)] = pd.DataFrame({
            "gap (pp)": [sign(v) for v in d.acc_gap_pp],
            "95 % CI": [f"{sign(lo)} to {sign(hi)}" for lo, hi in zip(d.acc_low, d.acc_high)],
            "verdict (Holm)": d.verdict,
        }, index=d.index)
    order = list(dict.fromkeys(v for d in by_dataset.values() for v in d.variant))
    return pd.concat(parts, axis=1).reindex(order)


def changed_verdicts(by_dataset: dict[str, pd.DataFrame]) -> list[str]:
    """The variants whose verdict differs between the two datasets."""
    a, b = (d.set_index("variant").verdict for d in by_dataset.values())
    common = a.index.intersection(b.index)
    return [v for v in common if a[v] != b[v]]

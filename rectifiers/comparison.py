"""ReLU against Leaky ReLU over stored runs: the seed article's table from our runs, and its test over seeds.

All functions take the snapshots DataFrame of `results.snapshots_frame` (columns activation, alpha, seed,
epoch, train/test loss and accuracy). Differences follow the seed article: "ReLU relative to LReLU",
100 · (ReLU − LReLU) / LReLU, in percent, for runs of the same seed (paired: same initial weights).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .seed_article import METRICS
from .stats import mean_ci, paired_t_test, relative_difference

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

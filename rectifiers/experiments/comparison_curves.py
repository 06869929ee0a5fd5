"""Learning curves over seeds: means only where every seed was measured, and loss spikes found, not averaged away.

Both take the history DataFrame of `results.history_frame` (one row per run and epoch; test metrics are null at
epochs where the test set was not evaluated).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SPIKE_FACTOR = 10.0
"""A training loss that grows by more than this factor from one epoch to the next is a loss spike."""

SPIKE_FLOOR = 1e-3
"""…if it grows to at least this. A memorised training set leaves losses of 1e-11 to 1e-7 (or exactly 0 in float32),
whose ratios from epoch to epoch are rounding noise: in the replication's 1,000-epoch runs, 237 tenfold jumps ended
below 1e-4 and the 42 others above 0.01, so the floor lies in an empty stretch."""

_MODEL = ["activation", "alpha"]


def _models(history: pd.DataFrame):
    """(activation, alpha or None, rows) per model; ReLU's α is null in the store, so group it by hand."""
    for activation in sorted(history.activation.unique(), key=lambda a: (a != "relu", a)):
        rows = history[history.activation == activation]
        alphas = pd.to_numeric(rows.alpha, errors="coerce")
        if alphas.isna().all():
            yield activation, None, rows
            continue
        for alpha in sorted(alphas.dropna().unique()):
            yield activation, float(alpha), rows[np.isclose(alphas, alpha)]


def mean_over_seeds(history: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per model and epoch: the mean of `metric` over seeds, only at epochs where every seed has a value.

    A seed evaluated more often than the others (e.g. every epoch instead of every 5) must not make the "mean" at
    the extra epochs that one seed alone. Columns: activation, alpha, epoch, mean, n_seeds.
    """
    if metric not in history.columns:
        raise ValueError(f"metric must be one of the history's columns {list(history.columns)}; got {metric!r}")
    frames = []
    for activation, alpha, rows in _models(history):
        table = rows.pivot_table(index="epoch", columns="seed", values=metric, aggfunc="first")
        table = table.reindex(columns=sorted(rows.seed.unique())).dropna()  # every seed measured
        frames.append(pd.DataFrame({"activation": activation, "alpha": alpha, "epoch": table.index,
                                    "mean": table.mean(axis=1).to_numpy(), "n_seeds": table.shape[1]}))
    if not frames:
        return pd.DataFrame(columns=["activation", "alpha", "epoch", "mean", "n_seeds"])
    return pd.concat(frames, ignore_index=True)


def loss_spikes(history: pd.DataFrame, factor: float = SPIKE_FACTOR, floor: float = SPIKE_FLOOR) -> pd.DataFrame:
    """Every epoch at which a run's training loss grew more than `factor`-fold over the epoch before, to `floor` or
    more.

    Columns: activation, alpha, seed, epoch, loss_before, loss_after, growth. Adam can throw a network that has
    memorised its training set far off its minimum in one epoch; such an event is a result to count and show.
    """
    rows = []
    for activation, alpha, model in _models(history):
        for seed, run in model.groupby("seed"):
            run = run.dropna(subset=["train_loss"]).sort_values("epoch")
            epoch, loss = run.epoch.to_numpy(), run.train_loss.to_numpy(dtype=float)
            consecutive = np.diff(epoch) == 1
            with np.errstate(divide="ignore", invalid="ignore"):
                growth = loss[1:] / loss[:-1]
            for i in np.flatnonzero(consecutive & (growth > factor) & (loss[1:] >= floor)):
                rows.append(dict(activation=activation, alpha=alpha, seed=int(seed), epoch=int(epoch[i + 1]),
                                 loss_before=float(loss[i]), loss_after=float(loss[i + 1]), growth=float(growth[i])))
    return pd.DataFrame(rows, columns=["activation", "alpha", "seed", "epoch", "loss_before", "loss_after", "growth"])


def spike_counts(history: pd.DataFrame, spikes: pd.DataFrame) -> pd.DataFrame:
    """Per model: runs, runs with at least one loss spike, spikes in all, and the epochs trained."""
    rows = []
    for activation, alpha, model in _models(history):
        mine = spikes[(spikes.activation == activation)
                      & (spikes.alpha.isna() if alpha is None else np.isclose(spikes.alpha.astype(float), alpha))]
        rows.append(dict(activation=activation, alpha=alpha, runs=int(model.seed.nunique()),
                         runs_with_spike=int(mine.seed.nunique()), spikes=len(mine),
                         last_epoch=int(model.epoch.max())))
    return pd.DataFrame(rows, columns=["activation", "alpha", "runs", "runs_with_spike", "spikes", "last_epoch"])

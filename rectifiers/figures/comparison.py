"""Figures of the CNN comparison chapter: learning curves, snapshots with an epoch slider, differences vs noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..activations import SLOPED
from ..experiments.comparison import MEASURES
from ..experiments.comparison_curves import loss_spikes, mean_over_seeds
from .common import colour, epoch_slider, finish, label
from ..experiments.seed_article import EPOCHS, METRICS, TABLE

METRIC_TITLES = {
    "train_loss": "train loss",
    "test_loss": "test loss",
    "train_accuracy": "train accuracy",
    "test_accuracy": "test accuracy",
}
_GRID = (("train_loss", 1, 1), ("test_loss", 1, 2), ("train_accuracy", 2, 1), ("test_accuracy", 2, 2))


def _faint(hex_colour: str, opacity: float = 0.25) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{opacity})"


def _runs(frame: pd.DataFrame):
    """(activation, alpha or None, rows) for each model in a frame: ReLU first, then each slope in order."""
    order = sorted(frame.activation.unique(), key=lambda a: (a != "relu", a))
    for activation in order:
        rows = frame[frame.activation == activation]
        if activation in SLOPED:
            for alpha in sorted(rows.alpha.dropna().unique()):
                yield activation, float(alpha), rows[np.isclose(rows.alpha, alpha)]
        else:
            yield activation, None, rows


CURVE_POINTS_PER_DECADE = 100
"""The learning curves keep about this many epochs per decade of their log axis (every epoch up to about 40), and
every snapshot and spike epoch: 1,000 epochs of ten runs drawn point by point would weigh 400 KB on the page."""


def _drawn_epochs(epochs, keep=()) -> np.ndarray:
    """The epochs a learning curve draws: log-spaced ones (`CURVE_POINTS_PER_DECADE`), the first and last, and `keep`."""
    epochs = np.unique(np.asarray(epochs, dtype=int))
    if len(epochs) == 0:
        return epochs
    last = int(epochs.max())
    grid = np.round(np.logspace(0, np.log10(last), max(2, int(CURVE_POINTS_PER_DECADE * np.log10(max(last, 10))))))
    wanted = set(grid.astype(int)) | {int(epochs.min()), last} | {int(k) for k in keep}
    return epochs[np.isin(epochs, list(wanted))]


def learning_curves(history: pd.DataFrame, *, title: str = "Learning curves: every seed faint, mean bold") -> go.Figure:
    """Train/test loss and accuracy per epoch (log-scaled epochs) for each model; one faint line per seed, the
    mean over seeds only at epochs where every seed was measured, and each loss spike marked on its seed's line.
    Lines are drawn at `_drawn_epochs` (every epoch early on, log-spaced later, every snapshot and spike epoch)."""
    spikes = loss_spikes(history)
    history = history[history.epoch.isin(_drawn_epochs(history.epoch, [*EPOCHS, *spikes.epoch, *(spikes.epoch - 1)]))]
    fig = make_subplots(rows=2, cols=2, subplot_titles=[METRIC_TITLES[m] for m, _, _ in _GRID],
                        horizontal_spacing=0.1, vertical_spacing=0.14)
    for activation, alpha, group in _runs(history):
        name = label(activation, alpha)
        for metric, row, col in _GRID:
            data = group.dropna(subset=[metric])
            for seed, runs in data.groupby("seed"):
                fig.add_trace(go.Scatter(x=runs.epoch, y=runs[metric], mode="lines", legendgroup=name,
                                         line=dict(color=_faint(colour(activation)), width=1), showlegend=False,
                                         hovertemplate=f"{name}, seed {seed}<br>epoch %{{x}}: %{{y:.4g}}<extra></extra>"),
                              row=row, col=col)
            mean = mean_over_seeds(group, metric)
            fig.add_trace(go.Scatter(x=mean.epoch, y=mean["mean"], mode="lines", name=name, legendgroup=name,
                                     line=dict(color=colour(activation), width=2.5),
                                     showlegend=(metric == "train_loss")), row=row, col=col)
        mine = spikes[(spikes.activation == activation)
                      & (spikes.alpha.isna() if alpha is None else np.isclose(spikes.alpha.astype(float), alpha))]
        if not mine.empty:
            fig.add_trace(go.Scatter(x=mine.epoch, y=mine.loss_after, mode="markers", legendgroup=name,
                                     name=f"{name}: loss spike (×10 or more in one epoch)",
                                     marker=dict(color=colour(activation), symbol="triangle-up", size=11,
                                                 line=dict(color="black", width=1)),
                                     customdata=np.stack([mine.seed, mine.growth], axis=1),
                                     hovertemplate=(f"{name}, seed %{{customdata[0]}}: loss ×%{{customdata[1]:,.0f}} "
                                                    "at epoch %{x}<extra></extra>")), row=1, col=1)
    fig.update_xaxes(type="log", title_text="epoch (log scale)")
    fig.update_yaxes(type="log", row=1)
    fig.update_yaxes(title_text="cross-entropy (log scale)", row=1, col=1)
    fig.update_yaxes(title_text="fraction correct", row=2, col=1)
    return finish(fig, title=title, x="epoch (log scale)", y="cross-entropy (log scale)", height=700)


def snapshots_by_epoch(snapshots: pd.DataFrame, *, title: str = "Every seed at the chosen epoch") -> go.Figure:
    """Each metric per model at one snapshot epoch, one dot per seed and the mean; a slider picks the epoch."""
    epochs = sorted(snapshots.epoch.unique())
    models = list(_runs(snapshots))
    fig = make_subplots(rows=1, cols=4, subplot_titles=[METRIC_TITLES[m] for m in METRICS], horizontal_spacing=0.07)
    visible_sets = []
    for e_index, epoch in enumerate(epochs):
        for activation, alpha, group in models:
            at = group[group.epoch == epoch]
            name = label(activation, alpha)
            for col, metric in enumerate(METRICS, start=1):
                fig.add_trace(go.Box(y=at[metric], name=name, boxpoints="all", jitter=0.4, pointpos=0,
                                     marker=dict(color=colour(activation), size=7), line=dict(color=colour(activation)),
                                     fillcolor=_faint(colour(activation), 0.15), boxmean=True,
                                     visible=(e_index == len(epochs) - 1), showlegend=False,
                                     hovertemplate=f"{name}<br>%{{y:.4f}}<extra>epoch {epoch}</extra>"),
                              row=1, col=col)
                visible_sets.append(e_index)
    epoch_slider(fig, epochs, visible_sets, lambda epoch: f"{title} — epoch {epoch}", pad=40)
    fig.update_yaxes(tickformat=".4f")
    return finish(fig, title=f"{title} — epoch {epochs[-1]}", x="", y="value at the snapshot epoch", height=500)


def differences_vs_noise(verdicts: pd.DataFrame, spread: pd.DataFrame, *,
                         title: str = "ReLU against Leaky ReLU, and seed-to-seed noise") -> go.Figure:
    """Per metric: mean gap over seeds with its 95 % CI, the seed article's single runs, and the gap between two
    ReLU seeds (grey). Accuracies in the article's unit (% of the Leaky ReLU value); losses as the ratio
    ReLU ÷ Leaky ReLU on a log axis, because relative differences of losses near zero are ill-conditioned."""
    # 2 × 2 panels (accuracy | loss, train over test): four titles in one row ran into each other at 1280 px.
    titles = [METRIC_TITLES[m] + (" (log axis)" if MEASURES[m] == "log_ratio" else "") for m in METRICS]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.16, vertical_spacing=0.2)
    for k, metric in enumerate(METRICS):
        row, col = divmod(k, 2)
        row, col = row + 1, col + 1
        ratio = MEASURES[metric] == "log_ratio"
        show = np.exp if ratio else (lambda v: np.asarray(v, dtype=float))
        v = verdicts[verdicts.metric == metric].sort_values("epoch")
        x = [str(e) for e in v.epoch]
        noise = spread[spread.metric == metric]
        if not noise.empty:
            fig.add_trace(go.Box(x=[str(e) for e in noise.epoch], y=show(noise.difference), name="ReLU seed vs ReLU seed",
                                 marker=dict(color="#aaaaaa", size=4), line=dict(color="#aaaaaa"),
                                 boxpoints="all", pointpos=0, legendgroup="noise", showlegend=(k == 0)),
                          row=row, col=col)
        mean, low, high = show(v["mean"]), show(v.ci_low), show(v.ci_high)
        fig.add_trace(go.Scatter(x=x, y=mean, mode="markers", name="our mean over seeds, 95 % CI",
                                 marker=dict(color="black", size=9, symbol="diamond"), legendgroup="ours",
                                 error_y=dict(type="data", symmetric=False, array=high - mean, arrayminus=mean - low),
                                 showlegend=(k == 0)), row=row, col=col)
        article = [(str(e), cells[METRICS.index(metric)]) for e, cells in TABLE.items() if str(e) in set(x)]
        if ratio:  # the article's relative difference r (%) is the ratio 1 + r / 100
            article = [(e, 1 + r / 100) for e, r in article]
        if article:
            fig.add_trace(go.Scatter(x=[a for a, _ in article], y=[b for _, b in article], mode="markers",
                                     name="seed article (one run)", legendgroup="article", showlegend=(k == 0),
                                     marker=dict(color="black", size=10, symbol="x")), row=row, col=col)  # no activation's colour
        fig.add_hline(y=1 if ratio else 0, line=dict(color="#555555", width=1, dash="dot"), row=row, col=col)
        if ratio:
            fig.update_yaxes(type="log", row=row, col=col)
        else:
            shown = np.concatenate([show(noise.difference), mean, [b for _, b in article]])
            low_r, high_r = robust_range(shown)
            fig.update_yaxes(range=[low_r, high_r], row=row, col=col)
    fig.update_xaxes(type="category")
    fig.update_xaxes(title_text="epochs", row=2)
    fig.update_layout(boxmode="overlay")
    # What the axes show is said in the chapter's text, not in a note under the plot that narrow screens clip.
    finish(fig, title=title, x="epochs", y="accuracy: ReLU relative to Leaky ReLU (%)", height=680)
    fig.update_xaxes(title_text=None, row=1)
    fig.update_yaxes(title_text="accuracy: ReLU relative to Leaky ReLU (%)", col=1)
    fig.update_yaxes(title_text="loss: ReLU ÷ Leaky ReLU", col=2)
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.1, yanchor="top"),
                      margin=dict(b=90))
    return fig


def robust_range(values, low_q: float = 5, high_q: float = 95, pad: float = 0.15) -> tuple[float, float]:
    """An axis range covering the `low_q`–`high_q` percentiles of the finite values and 0, padded."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return -1.0, 1.0
    low, high = min(np.percentile(x, low_q), 0.0), max(np.percentile(x, high_q), 0.0)
    span = (high - low) or 1.0
    return low - pad * span, high + pad * span


def alpha_sweep(snapshots: pd.DataFrame, metric: str = "test_accuracy", *,
                title: str = "Leaky ReLU's slope α against ReLU") -> go.Figure:
    """A metric against α (log axis) for Leaky ReLU, one dot per seed and the mean, ReLU's mean as a band;
    a slider picks the snapshot epoch."""
    epochs = sorted(snapshots.epoch.unique())
    fig = go.Figure()
    owners = []
    for i, epoch in enumerate(epochs):
        at = snapshots[snapshots.epoch == epoch]
        leaky = at[at.activation == "leaky_relu"]
        relu = at[at.activation == "relu"][metric]
        show = i == len(epochs) - 1
        if not relu.empty:
            lo, hi = float(relu.min()), float(relu.max())
            alphas = sorted(leaky.alpha.unique()) or [0.01, 1.0]
            fig.add_trace(go.Scatter(x=[alphas[0], alphas[-1], alphas[-1], alphas[0]], y=[lo, lo, hi, hi],
                                     fill="toself", mode="none", fillcolor=_faint(colour("relu"), 0.2),
                                     name="ReLU, range over seeds", visible=show, hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=[alphas[0], alphas[-1]], y=[relu.mean()] * 2, mode="lines",
                                     line=dict(color=colour("relu"), dash="dash"), name="ReLU, mean", visible=show))
            owners += [i, i]
        fig.add_trace(go.Scatter(x=leaky.alpha, y=leaky[metric], mode="markers", name="Leaky ReLU, each seed",
                                 marker=dict(color=_faint(colour("leaky_relu"), 0.5), size=7), visible=show))
        mean = leaky.groupby("alpha")[metric].mean()
        fig.add_trace(go.Scatter(x=mean.index, y=mean.values, mode="lines+markers", name="Leaky ReLU, mean",
                                 line=dict(color=colour("leaky_relu"), width=2.5), visible=show))
        owners += [i, i]
    steps = [dict(method="update", label=str(e), args=[{"visible": [o == i for o in owners]}])
             for i, e in enumerate(epochs)]
    fig.update_layout(sliders=[dict(active=len(epochs) - 1, steps=steps, currentvalue=dict(prefix="epoch: "),
                                    pad=dict(t=50))])
    fig.update_xaxes(type="log")
    return finish(fig, title=title, x="negative slope α (log scale)", y=METRIC_TITLES[metric])

"""Figures of the dying-ReLU chapter: born-dead probabilities, dead units during training, dead channels,
accuracy against width, and what its live explorers (`rectifiers.widgets.dying`) draw. Every figure returns a plotly
figure finished by `common.finish`."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..experiments.dying import BornDead, DyingRun, born_dead_monte_carlo, born_dead_theory, two_sided_bounds, wilson_interval
from .common import dropdown_menu, finish, layer_words, setting_colour, table  # noqa: F401 - table: the chapter's tables

DASHES = {0.0: "solid", 0.01: "solid", 0.1: "dash", 0.3: "dot"}
"""Line style per slope: ReLU blue and Leaky ReLU red everywhere; the slope of a leaky unit sets the dash."""

WIDTH_BLUES = ("#08306b", "#2171b5", "#6baed6", "#9ecae1", "#c6dbef")
"""Shades of the ReLU blue, one per network width, darkest for the narrowest."""


def setting_label(activation: str, alpha: float, init: str = "symmetric") -> str:
    """'ReLU', 'ReLU, RAI', 'Leaky ReLU (α=0.01)', …"""
    name = "ReLU" if activation == "relu" else f"Leaky ReLU (α={alpha:g})"
    extra = {"symmetric": "", "symmetric_bias": ", symmetric + biases", "rai": ", RAI"}[init]
    return name + extra


def _colour(activation: str, alpha: float | None = None, init: str | None = None) -> str:
    return setting_colour(activation, alpha if activation == "leaky_relu" else None, init)


def _dash(activation: str, alpha: float) -> str:
    return "solid" if activation == "relu" else DASHES.get(alpha, "dashdot")


def _error_bars(record: BornDead, depths):
    low, high = record.interval()
    idx = np.asarray(depths) - 1
    p = record.probability[idx]
    return dict(type="data", array=high[idx] - p, arrayminus=p - low[idx], visible=True, thickness=1)


# --- Born dead -----------------------------------------------------------------------------------------------------


def born_dead_figure(one_ray: list[BornDead], two_sided: list[BornDead], leaky: BornDead | None = None) -> go.Figure:
    """Measured P(born dead) against depth for each width, with the theory, on [0, 1] and on [-1, 1]."""
    fig = go.Figure()
    for i, record in enumerate(one_ray):
        colour = WIDTH_BLUES[i % len(WIDTH_BLUES)]
        depths = record.depths
        fig.add_trace(
            go.Scatter(
                x=depths, y=born_dead_theory(record.width, depths), mode="lines", line=dict(color=colour, width=1.5),
                name=f"width {record.width}: theory 1−(1−2^−{record.width})^L", legendgroup=str(record.width),
            )
        )
        shown = _marker_depths(record.depth)
        fig.add_trace(
            go.Scatter(
                x=shown, y=record.probability[shown - 1], mode="markers", error_y=_error_bars(record, shown),
                marker=dict(color=colour, symbol="circle", size=7), legendgroup=str(record.width),
                name=f"width {record.width}: measured on [0, 1]",
            )
        )
    for i, record in enumerate(two_sided):
        colour = WIDTH_BLUES[i % len(WIDTH_BLUES)]
        shown = _marker_depths(record.depth)
        fig.add_trace(
            go.Scatter(
                x=shown, y=record.probability[shown - 1], mode="markers", error_y=_error_bars(record, shown),
                marker=dict(color=colour, symbol="diamond-open", size=8, line=dict(width=1.5)),
                legendgroup=str(record.width), name=f"width {record.width}: measured on [−1, 1]",
            )
        )
    if leaky is not None:
        shown = _marker_depths(leaky.depth)
        fig.add_trace(
            go.Scatter(
                x=shown, y=leaky.probability[shown - 1], mode="markers+lines", error_y=_error_bars(leaky, shown),
                marker=dict(color=_colour("leaky_relu", leaky.alpha), symbol="square", size=6),
                line=dict(color=_colour("leaky_relu", leaky.alpha)),
                name=f"Leaky ReLU (α={leaky.alpha:g}), width {leaky.width}: measured on {leaky.domain}",
            )
        )
    n = one_ray[0].n_networks if one_ray else leaky.n_networks
    fig.update_yaxes(range=[-0.03, 1.03])
    return finish(
        fig,
        title=f"Born dead: zero biases, {n:,} networks per point (95 % Wilson intervals)",
        x="depth L (hidden layers)",
        y="P(output constant on the domain)",
        height=520,
    )


def _marker_depths(depth: int) -> np.ndarray:
    """Depths at which to draw markers: all of them for short curves, about 16 for long ones."""
    step = max(1, depth // 16)
    return np.unique(np.r_[np.arange(1, depth + 1, step), depth])


def born_dead_heatmap(records: list[BornDead], domain: str = "[-1,1]") -> go.Figure:
    """Heat map of measured P(born dead) over depth × width, with a menu of activation / initialisation.

    A menu, not a slider: the settings are not ordered, and six long names along a slider showed three of six
    labels at 1280 px."""
    chosen = [r for r in records if r.domain == domain]
    if not chosen:
        raise ValueError(f"no born-dead records on domain {domain!r}; domains present: {sorted({r.domain for r in records})}")
    settings = list(dict.fromkeys((r.activation, r.alpha, r.init) for r in chosen))
    fig = go.Figure()
    for k, (activation, alpha, init) in enumerate(settings):
        rows = sorted((r for r in chosen if (r.activation, r.alpha, r.init) == (activation, alpha, init)), key=lambda r: r.width)
        z = np.array([r.probability for r in rows])
        low = np.array([r.interval()[0] for r in rows])
        high = np.array([r.interval()[1] for r in rows])
        depths = rows[0].depths
        fig.add_trace(
            go.Heatmap(
                z=z, x=depths, y=[str(r.width) for r in rows], zmin=0, zmax=1, colorscale="Blues",
                colorbar=dict(title="P(dead)"), visible=k == 0, name=setting_label(activation, alpha, init),
                customdata=np.dstack([low, high]),
                hovertemplate=(
                    "depth %{x}, width %{y}<br>P(dead) = %{z:.3f} "
                    "[%{customdata[0]:.3f}, %{customdata[1]:.3f}]<extra></extra>"
                ),
            )
        )
    finish(fig, title=f"Born dead on {domain}: share of {chosen[0].n_networks:,} random networks whose output is "
           "constant", x="depth (hidden layers)", y="width (units per layer)", height=580)
    dropdown_menu(fig, [setting_label(*s) for s in settings], range(len(settings)), "network")
    return fig


def initialisation_figure(records: list[BornDead], width: int = 4, domain: str = "[-1,1]") -> go.Figure:
    """P(born dead) against depth at one width: symmetric init, symmetric with biases, RAI, and Leaky ReLU."""
    chosen = [r for r in records if r.width == width and r.domain == domain]
    if not chosen:
        raise ValueError(f"no born-dead records of width {width} on {domain!r}")
    styles = {"symmetric": "solid", "symmetric_bias": "dash", "rai": "dot"}
    fig = go.Figure()
    for r in chosen:
        low, high = r.interval()
        colour = _colour(r.activation, r.alpha, r.init)
        label = setting_label(r.activation, r.alpha, r.init)
        fig.add_trace(
            go.Scatter(
                x=np.r_[r.depths, r.depths[::-1]], y=np.r_[high, low[::-1]], fill="toself", line=dict(width=0),
                fillcolor=colour, opacity=0.15, hoverinfo="skip", showlegend=False, legendgroup=label,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=r.depths, y=r.probability, mode="lines", name=label, legendgroup=label,
                line=dict(color=colour, dash=styles[r.init] if r.activation == "relu" else _dash(r.activation, r.alpha)),
            )
        )
    fig.update_yaxes(range=[-0.03, 1.03])
    return finish(
        fig,
        title=f"Initialisation and slope: width {width}, domain {domain}, {chosen[0].n_networks:,} networks each",
        x="depth (hidden layers)",
        y="P(output constant on the domain)",
    )


# --- Killed in training --------------------------------------------------------------------------------------------


def dead_fraction_by_epoch(runs: list[DyingRun], architecture: str) -> go.Figure:
    """Dead fraction (all probed units) and test accuracy per epoch, one line per activation; slider over learning rate."""
    chosen = [r for r in runs if r.architecture == architecture]
    if not chosen:
        raise ValueError(f"no runs of architecture {architecture!r}; present: {sorted({r.architecture for r in runs})}")
    rates = sorted({r.learning_rate for r in chosen})
    fig = make_subplots(rows=1, cols=2, subplot_titles=("dead units (share of all hidden units)", "test accuracy"))
    visibility = []
    for k, lr in enumerate(rates):
        for r in (r for r in chosen if r.learning_rate == lr):
            epochs = np.arange(r.epochs + 1)
            dead = [r.total_dead_fraction(e) for e in epochs]
            per_layer = [
                "<br>".join(f"{layer_words(name)}: {f:.2f}" for name, f in zip(r.layers, r.dead_fraction[e]))
                for e in epochs
            ]
            line = dict(color=_colour(r.activation, r.alpha), dash=_dash(r.activation, r.alpha))
            fig.add_trace(
                go.Scatter(
                    x=epochs, y=dead, mode="lines+markers", line=line, name=r.label, legendgroup=r.label,
                    visible=k == 0, text=per_layer, hovertemplate="epoch %{x}: %{y:.2f} dead<br>%{text}<extra></extra>",
                ),
                row=1, col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=epochs[1:], y=r.test_accuracy, mode="lines+markers", line=line, name=r.label,
                    legendgroup=r.label, showlegend=False, visible=k == 0,
                ),
                row=1, col=2,
            )
            visibility += [k, k]
    fig.update_layout(sliders=[_learning_rate_slider(rates, visibility)])
    fig.update_yaxes(range=[-0.03, 1.03])
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    first = chosen[0]
    name = "seed CNN" if architecture == "seed_cnn" else f"MLP {first.mlp_depth}×{first.mlp_width}"
    return finish(
        fig,
        title=f"{name}, {first.n_train:,} MNIST images: dead units after each epoch",
        x="epoch (0 = initialisation)",
        y="share of hidden units dead",
        height=500,
    )


def _learning_rate_slider(rates, visibility) -> dict:
    """A slider over learning rates: step k shows the traces whose entry in `visibility` is k."""
    steps = [
        dict(method="update", label=f"{lr:g}", args=[{"visible": [v == k for v in visibility]}])
        for k, lr in enumerate(rates)
    ]
    return dict(active=0, steps=steps, currentvalue=dict(prefix="Adam learning rate: "), pad=dict(t=50))


def accuracy_against_dead(runs: list[DyingRun]) -> go.Figure:
    """Final test accuracy against the final share of dead units, for every run of the sweep."""
    fig = go.Figure()
    symbols = {"mlp": "circle", "seed_cnn": "square"}
    for architecture in dict.fromkeys(r.architecture for r in runs):
        for label in dict.fromkeys(r.label for r in runs):
            chosen = [r for r in runs if r.architecture == architecture and r.label == label]
            if not chosen:
                continue
            first = chosen[0]
            fig.add_trace(
                go.Scatter(
                    x=[r.total_dead_fraction() for r in chosen], y=[r.test_accuracy[-1] for r in chosen],
                    mode="markers", name=f"{'seed CNN' if architecture == 'seed_cnn' else 'MLP'}, {label}",
                    marker=dict(
                        color=_colour(first.activation, first.alpha), symbol=symbols[architecture], size=10,
                    ),
                    text=[f"learning rate {r.learning_rate:g}" for r in chosen],
                    hovertemplate="%{text}<br>dead %{x:.2f}, accuracy %{y:.3f}<extra></extra>",
                )
            )
    return finish(
        fig,
        title="Final test accuracy next to the share of dead units (every run of the sweep)",
        x="share of hidden units dead after training",
        y="test accuracy (fraction)",
    )


def dead_channels_figure(runs: list[DyingRun], alpha: float = 0.01) -> go.Figure:
    """Per convolutional channel of the trained seed CNN: share of (image, position) pairs with a positive
    pre-activation, ReLU against Leaky ReLU(α); channels at 0 are dead. Slider over learning rate."""
    chosen = [
        r for r in runs if r.architecture == "seed_cnn" and (r.activation == "relu" or math.isclose(r.alpha, alpha))
    ]
    if not chosen:
        raise ValueError(f"no seed_cnn runs with ReLU or Leaky ReLU (α={alpha:g})")
    rates = sorted({r.learning_rate for r in chosen})
    layers = chosen[0].layers
    titles = [f"{layer_words(name)} ({len(chosen[0].active_fraction[i])} channels)" for i, name in enumerate(layers)]
    fig = make_subplots(rows=1, cols=len(layers), subplot_titles=titles)
    visibility = []
    for k, lr in enumerate(rates):
        for r in (r for r in chosen if r.learning_rate == lr):
            for i, name in enumerate(r.layers):
                active = np.array(r.active_fraction[i])
                dead = np.array(r.dead_masks[-1][i], dtype=bool)
                fig.add_trace(
                    go.Bar(
                        x=np.arange(len(active)), y=active, name=f"{r.label}: {dead.sum()} of {len(dead)} dead in {layer_words(name)}",  # noqa: E501
                        marker_color=_colour(r.activation, r.alpha), opacity=0.75, visible=k == 0,
                        hovertemplate="channel %{x}: positive on %{y:.3f} of positions<extra></extra>",
                    ),
                    row=1, col=i + 1,
                )
                visibility.append(k)
    fig.update_layout(barmode="group", sliders=[_learning_rate_slider(rates, visibility)])
    fig.update_xaxes(title_text="channel", row=1, col=2)
    return finish(
        fig,
        title=f"Trained seed CNN: how often each channel is positive, over all {chosen[0].n_train:,} training images",
        x="channel",
        y="share of (image, position) with pre-activation > 0",
        height=480,
    )


def accuracy_against_width(runs: list[DyingRun]) -> go.Figure:
    """Test accuracy against MLP width for each activation: every seed as a dot, the mean with a 95 % t-interval."""
    from scipy import stats

    fig = go.Figure()
    for label in dict.fromkeys(r.label for r in runs):
        chosen = [r for r in runs if r.label == label]
        first = chosen[0]
        widths = sorted({r.mlp_width for r in chosen})
        means, halves = [], []
        for w in widths:
            acc = np.array([r.test_accuracy[-1] for r in chosen if r.mlp_width == w])
            means.append(acc.mean())
            halves.append(stats.t.ppf(0.975, len(acc) - 1) * acc.std(ddof=1) / math.sqrt(len(acc)) if len(acc) > 1 else 0.0)
        colour = _colour(first.activation, first.alpha)
        fig.add_trace(
            go.Scatter(
                x=[r.mlp_width for r in chosen], y=[r.test_accuracy[-1] for r in chosen], mode="markers",
                marker=dict(color=colour, size=6, opacity=0.4), name=f"{label}: each seed", legendgroup=label,
                text=[f"seed {r.seed}" for r in chosen], hovertemplate="width %{x}, %{text}: %{y:.3f}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=widths, y=means, error_y=dict(type="data", array=halves), mode="lines+markers",
                line=dict(color=colour, dash=_dash(first.activation, first.alpha)), name=f"{label}: mean, 95 % CI",
                legendgroup=label,
            )
        )
    fig.update_xaxes(type="log", tickvals=sorted({r.mlp_width for r in runs}))
    first = runs[0]
    return finish(
        fig,
        title=f"Fewer units needed? MLPs of depth {first.mlp_depth}, {first.epochs} epochs on {first.n_train:,} images",
        x="units per hidden layer (log scale)",
        y="test accuracy (fraction)",
    )


def preactivation_histogram(values: dict[str, np.ndarray]) -> go.Figure:
    """Histograms of some units' pre-activations over a dataset (one trace per labelled unit)."""
    fig = go.Figure()
    # The units are ReLU units: shades of ReLU's blue, no other activation's colour.
    palette = WIDTH_BLUES[2::-2] + WIDTH_BLUES[3:]
    for i, (label, v) in enumerate(values.items()):
        fig.add_trace(go.Histogram(x=np.asarray(v), name=label, opacity=0.6, nbinsx=60,
                                   marker_color=palette[i % len(palette)]))
    fig.add_vline(x=0, line=dict(color="black", width=1, dash="dash"))
    fig.update_layout(barmode="overlay")
    return finish(
        fig,
        title="A dead unit and a live one: pre-activations over every training image",
        x="pre-activation w·x + b",
        y="images",
    )


# --- What the live explorers draw (rectifiers.widgets.dying) ---------------------------------------------------------


def born_dead_explorer_figure(depth: int, width: int, alpha: float, domain: str, *, n_networks: int, seed: int) -> go.Figure:
    """One born-dead Monte Carlo (α = 0 means ReLU) drawn against depth, with the theory for ReLU."""
    activation = "relu" if alpha == 0 else "leaky_relu"
    r = born_dead_monte_carlo(
        width, depth, activation=activation, alpha=alpha, domain=domain, n_networks=n_networks, seed=seed
    )
    low, high = r.interval()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.r_[r.depths, r.depths[::-1]], y=np.r_[high, low[::-1]], fill="toself", line=dict(width=0),
            fillcolor=_colour(activation, alpha), opacity=0.2, hoverinfo="skip", name="95 % Wilson interval",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=r.depths, y=r.probability, mode="lines+markers", line=dict(color=_colour(activation, alpha)), name="measured"
        )
    )
    if activation == "relu":
        fig.add_trace(
            go.Scatter(
                x=r.depths, y=born_dead_theory(width, r.depths), mode="lines", line=dict(color="black", dash="dash"),
                name="theory on [0, 1] (upper bound on [−1, 1])",
            )
        )
    fig.update_yaxes(range=[-0.03, 1.03])
    at = r.at(depth)
    return finish(
        fig,
        title=(
            f"{setting_label(activation, alpha)}, width {width}, on {domain}: P(dead at depth {depth}) = "
            f"{at['p']:.3f} [{at['low']:.3f}, {at['high']:.3f}]"
        ),
        x="depth (hidden layers)",
        y="P(born dead)",
    )


def training_run_figure(run: DyingRun) -> go.Figure:
    """Share of each layer's units dead after every epoch of one run."""
    fig = go.Figure()
    for i, name in enumerate(run.layers):
        fig.add_trace(
            go.Scatter(
                x=np.arange(run.epochs + 1), y=[f[i] for f in run.dead_fraction], mode="lines+markers", name=layer_words(name),
                line=dict(color=_colour(run.activation, run.alpha), width=1 + i), opacity=0.4 + 0.6 * (i + 1) / len(run.layers),
            )
        )
    fig.update_yaxes(range=[-0.03, 1.03])
    fig.update_xaxes(tickmode="linear", tick0=0, dtick=1)  # whole epochs only
    return finish(
        fig,
        title=(
            f"{run.label}, Adam {run.learning_rate:.3g}: test accuracy {run.test_accuracy[-1]:.3f}, "
            f"{sum(run.revived())} units revived"
        ),
        x="epoch (0 = initialisation)",
        y="share of the layer's units dead",
    )

"""Figures of Chapter 2: saturation, vanishing and exploding gradients (all plotly, finished by `common.finish`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import functools

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from .. import activations
from ..experiments.gradients import GradientProfile, TrainingTrace, grid_profile
from .common import colour, finish, label, setting_colour, slope_colour, table  # noqa: F401 - table: the chapter's tables

INITIALIZER_DASH = {"he": "solid", "he_leaky": "dot", "glorot": "dash", "lecun": "dashdot", "scaled_normal": "longdash"}
INITIALIZER_NAMES = {"he": "He", "he_leaky": "He (leaky)", "glorot": "Glorot", "lecun": "LeCun", "scaled_normal": "scaled"}
LOG_NORM = "weight-gradient norm ‖∂L/∂W‖ (log scale)"
MARKERS = {"relu": "circle", "leaky_relu": "x", "sigmoid": "square", "tanh": "diamond"}


def _dash(profile: GradientProfile) -> str:
    return "dashdot" if profile.init_scale != 1 else INITIALIZER_DASH.get(profile.initializer, "solid")


def _float32(make_figure):
    """Store a figure's numbers as float32: the page embeds every figure, and float64 doubles its weight."""

    @functools.wraps(make_figure)
    def wrapper(*args, **kwargs):
        fig = make_figure(*args, **kwargs)
        for trace in fig.data:
            for key in ("x", "y", "customdata"):
                values = getattr(trace, key, None)
                if values is not None and np.asarray(values).dtype.kind in "fiu":
                    # plotly skips an assignment whose values compare equal, so clear the property first.
                    setattr(trace, key, None)
                    setattr(trace, key, np.asarray(values, dtype=np.float32))
        return fig

    return wrapper


def _subtitle(fig: go.Figure, text: str) -> go.Figure:
    """A second, smaller title line (the book's pages are narrow: details go here, not in long titles)."""
    fig.update_layout(title_text=f"{fig.layout.title.text}<br><sup>{text}</sup>", margin=dict(t=85))
    return fig


def _ordinal(n: float) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _rgba(hex_colour: str, opacity: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{opacity})"


def _band(fig, x, low, high, colour_hex, group, **where):
    """A shaded band between `low` and `high` (no legend entry)."""
    x = list(x)
    fig.add_scatter(
        x=x + x[::-1], y=list(high) + list(low)[::-1], fill="toself", fillcolor=_rgba(colour_hex, 0.15), mode="lines",
        line=dict(width=0), hoverinfo="skip", showlegend=False, legendgroup=group, **where,
    )


def profile_name(profile: GradientProfile) -> str:
    """Legend text for a profile: activation, slope, initialisation and scale."""
    alpha = profile.alpha if profile.activation in activations.SLOPED else None
    text = f"{label(profile.activation, alpha)}, {INITIALIZER_NAMES[profile.initializer]}"
    return text if profile.init_scale == 1 else f"{text} × {profile.init_scale:g}"


@_float32
def derivative_figure(names=("sigmoid", "tanh", "relu", "leaky_relu"), alpha: float = 0.01, *, x_range=(-8.0, 8.0),
                      threshold: float = 0.1) -> go.Figure:
    """Each activation's derivative (autodiff through Keras), with sigmoid's ceiling of 1/4 marked."""
    x = np.linspace(*x_range, 401)
    fig = go.Figure()
    for name in names:
        fig.add_scatter(x=x, y=activations.derivative(name, x, alpha), name=label(name, alpha if name in
                        activations.SLOPED else None), line=dict(color=setting_colour(name, alpha), width=2))
    fig.add_hline(y=0.25, line=dict(color=colour("sigmoid"), dash="dot"), annotation_text="σ′ ≤ 1/4",
                  annotation_position="top left")
    fig.add_hline(y=0.25 * threshold, line=dict(color="grey", dash="dash", width=1),
                  annotation_text=f"sigmoid saturated: σ′ < {0.25 * threshold:g}", annotation_position="top right")
    return finish(fig, title="Derivatives: where each activation passes gradient, and how much", x="pre-activation x",
                  y="derivative f′(x)")


@_float32
def chain_bound_figure(measured: Mapping[str, np.ndarray], bound: np.ndarray) -> go.Figure:
    """Measured |d x_L / d x_0| through L sigmoid units, against the bound 4^-L (log scale)."""
    depth = np.arange(1, len(bound) + 1)
    fig = go.Figure()
    fig.add_scatter(x=depth, y=bound, name="bound (1/4)^L", line=dict(color="black", dash="dash", width=2))
    shades = sample_colorscale("Greens", np.linspace(0.45, 0.95, max(len(measured), 2)))
    for (name, values), shade in zip(measured.items(), shades):
        fig.add_scatter(x=depth, y=np.abs(values), name=name, mode="lines+markers", line=dict(color=shade),
                        marker=dict(size=5))
    fig.update_yaxes(type="log", exponentformat="power")
    return finish(fig, title="A chain of sigmoid units shrinks the gradient at least 4-fold per unit",
                  x="number of sigmoid units L", y="|d x_L / d x_0| (log scale)")


@_float32
def gradient_profile_figure(profiles: Sequence[GradientProfile], *, title: str, names: Sequence[str] | None = None,
                            height: int = 480) -> go.Figure:
    """Gradient norm against hidden-layer index: geometric mean over seeds (line) and min–max (band), log y."""
    fig = go.Figure()
    for i, profile in enumerate(profiles):
        name = names[i] if names else profile_name(profile)
        layers = np.arange(1, profile.depth + 1)
        c = setting_colour(profile.activation, profile.alpha)  # Leaky ReLU α = 0.5 is not α = 0.01's red
        _band(fig, layers, profile.low(), profile.high(), c, name)
        fig.add_scatter(
            x=layers, y=profile.centre(), name=name, legendgroup=name, mode="lines+markers",
            line=dict(color=c, dash=_dash(profile), width=2),
            marker=dict(size=6, symbol=MARKERS.get(profile.activation, "circle")),
            hovertemplate="layer %{x}: %{y:.3g}<extra>" + name + "</extra>",
        )
    fig.update_yaxes(type="log", exponentformat="power")
    seeds = len(profiles[0].seeds) if profiles else 0
    finish(fig, title=title, x="hidden layer (1 = next to the input)", y=LOG_NORM, height=height)
    return _subtitle(fig, f"line: geometric mean of {seeds} seeds; band: their min–max")


@_float32
def training_gradient_figure(traces: Mapping[str, Sequence[TrainingTrace]], *, alpha: float | None = None) -> go.Figure:
    """First and last hidden layer's gradient norm over the first training steps, per activation (band: seeds)."""
    # Each panel its own log range: shared, the sigmoid's 10⁻¹² in the first layer flattened every other curve of
    # the last layer into one line at the top.
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("first hidden layer (next to the input)", "last hidden layer"))
    for name, runs in traces.items():
        steps = runs[0].steps
        norms = np.array([run.array("gradient_norms") for run in runs])  # (seeds, records, layers)
        text = label(name, alpha if name in activations.SLOPED else None)
        for col, layer in ((1, 0), (2, -1)):
            values = norms[:, :, layer]
            _band(fig, steps, values.min(axis=0), values.max(axis=0), setting_colour(name, alpha), text, row=1, col=col)
            fig.add_scatter(x=steps, y=np.exp(np.log(values).mean(axis=0)), name=text, legendgroup=text,
                            showlegend=col == 1, line=dict(color=setting_colour(name, alpha), width=2), row=1, col=col)
    fig.update_yaxes(type="log", exponentformat="power")
    seeds = len(next(iter(traces.values()))) if traces else 0
    finish(fig, title="Gradient norms during the first SGD steps", x="SGD step", y=LOG_NORM)
    fig.update_xaxes(title_text="SGD step")
    return _subtitle(fig, f"measured on a fixed batch; line: geometric mean of {seeds} seeds; band: min–max")


LAYER_SCALE = "Viridis"


@_float32
def saturation_figure(traces: Mapping[str, TrainingTrace], *, alpha: float | None = None) -> go.Figure:
    """Glorot & Bengio's view: each hidden layer's mean activation (line) and 2nd–98th percentiles (band) in training."""
    names = list(traces)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[
        label(n, alpha if n in activations.SLOPED else None) for n in names])
    for col, name in enumerate(names, start=1):
        trace = traces[name]
        mean, pct = trace.array("mean"), trace.array("percentiles")
        levels = trace.statistics[0].levels
        shades = sample_colorscale(LAYER_SCALE, np.linspace(0, 0.85, max(mean.shape[1], 2)))
        for layer in range(mean.shape[1]):
            shade = shades[layer]
            rgb = shade[shade.index("(") + 1 : shade.index(")")]
            fig.add_scatter(x=trace.epochs + trace.epochs[::-1], y=list(pct[:, layer, -1]) + list(pct[::-1, layer, 0]),
                            fill="toself", mode="lines", fillcolor=f"rgba({rgb},0.12)", line=dict(width=0), hoverinfo="skip",
                            showlegend=False, row=1, col=col)
            fig.add_scatter(x=trace.epochs, y=mean[:, layer], name=f"layer {layer + 1}", legendgroup=f"layer {layer + 1}",
                            showlegend=col == 1, line=dict(color=shade, width=2), row=1, col=col)
    finish(fig, title="Activation values of each hidden layer in training", x="epoch", y="activation value",
           height=450)
    fig.update_xaxes(title_text="epoch")
    return _subtitle(fig, f"line: mean; band: {_ordinal(levels[0])} to {_ordinal(levels[-1])} percentile "
                     "(on a fixed batch)")


@_float32
def saturated_fraction_figure(traces: Mapping[str, TrainingTrace], *, alpha: float | None = None) -> go.Figure:
    """Share of hidden-unit values on the flat side during training: saturated (solid) and zero-gradient (dotted)."""
    fig = go.Figure()
    threshold = None
    for name, trace in traces.items():
        text = label(name, alpha if name in activations.SLOPED else None)
        threshold = trace.statistics[0].threshold
        fig.add_scatter(x=trace.epochs, y=trace.array("saturated").mean(axis=1), name=f"{text}: f′ < {threshold:g} × peak",
                        line=dict(color=setting_colour(name, alpha), width=2))
        fig.add_scatter(x=trace.epochs, y=trace.array("zero_gradient").mean(axis=1), name=f"{text}: f′ = 0",
                        line=dict(color=setting_colour(name, alpha), width=2, dash="dot"))
    fig.update_yaxes(tickformat=".0%", range=[-0.02, 1.02])
    finish(fig, title="Unit values on the flat side of their activation", x="epoch", y="share of (unit, image) pairs")
    return _subtitle(fig, "all hidden layers, on a fixed batch; solid: derivative under a tenth of its peak; "
                     "dotted: exactly 0")


def _alpha_colour(alpha: float, alphas: Sequence[float]) -> str:
    return slope_colour(alpha)


def _alpha_name(alpha: float) -> str:
    return "α = 0 (ReLU)" if alpha == 0 else f"α = {alpha:g}"


@_float32
def gradient_grid_figure(grid: Mapping, *, depths: Sequence[int] | None = None, active_scale: float = 1.0) -> go.Figure:
    """Static explorer of a stored grid: one panel per depth, one line per α, a plotly slider over init scale.

    `depths` picks the panels among the grid's depths (default: all of them).
    """
    alphas, scales = grid["alphas"], grid["init_scales"]
    depths = list(grid["depths"]) if depths is None else [d for d in depths if d in grid["depths"]]
    if not depths:
        raise ValueError(f"depths must include at least one of the grid's depths {grid['depths']}")
    start = scales.index(active_scale) if active_scale in scales else 0
    fig = make_subplots(rows=1, cols=len(depths), shared_yaxes=True,
                        subplot_titles=[f"L = {d}" for d in depths], horizontal_spacing=0.03)
    owner = []  # init-scale index of each trace
    for s, scale in enumerate(scales):
        for col, depth in enumerate(depths, start=1):
            for alpha in alphas:
                profile = grid_profile(grid, depth, alpha, scale)
                fig.add_scatter(
                    x=np.arange(1, depth + 1), y=profile.centre(), name=_alpha_name(alpha), legendgroup=f"{alpha}",
                    showlegend=col == 1, visible=s == start, mode="lines+markers", marker=dict(size=4),
                    line=dict(color=_alpha_colour(alpha, alphas), width=2),
                    customdata=np.stack([profile.low(), profile.high()], axis=1),
                    hovertemplate="layer %{x}: %{y:.3g} (seeds %{customdata[0]:.2g}–%{customdata[1]:.2g})",
                    row=1, col=col,
                )
                owner.append(s)
    steps = [dict(method="restyle", label=f"{scale:g}", args=[{"visible": [o == s for o in owner]}])
             for s, scale in enumerate(scales)]
    fig.update_yaxes(type="log", exponentformat="power")
    n = len(grid["seeds"])
    finish(fig, title="Leaky ReLU: gradient norm per layer at initialisation", x="hidden layer", y=LOG_NORM, height=540)
    _subtitle(fig, f"L hidden layers; He's initialisation × init scale; geometric mean of {n} seeds (hover: range)")
    fig.update_layout(
        sliders=[dict(active=start, currentvalue=dict(prefix="init scale (× He's standard deviation) = "),
                      pad=dict(t=60), steps=steps)],
        margin=dict(b=130, t=85),
    )
    return fig


@_float32
def depth_scaling_figure(grid: Mapping, *, alpha: float) -> go.Figure:
    """First hidden layer's gradient norm against network depth, one line per init scale (band: seeds), log y."""
    depths, scales = grid["depths"], grid["init_scales"]
    # Purple (too small) to green (too large), He's own scale in black: not the activations' blue and red.
    shades = sample_colorscale("PRGn", np.linspace(0, 1, max(len(scales), 2)))
    shades = ["rgb(0,0,0)" if s == 1 else c for s, c in zip(scales, shades)]
    fig = go.Figure()
    for scale, shade in zip(scales, shades):
        norms = np.array([grid_profile(grid, d, alpha, scale).norms[:, 0] for d in depths])  # (depths, seeds)
        name = f"init scale {scale:g}" + (" (He)" if scale == 1 else "")
        rgb = shade[shade.index("(") + 1 : shade.index(")")]
        fig.add_scatter(x=depths + depths[::-1], y=list(norms.max(axis=1)) + list(norms.min(axis=1))[::-1],
                        fill="toself", mode="lines", fillcolor=f"rgba({rgb},0.15)", line=dict(width=0), hoverinfo="skip",
                        showlegend=False)
        fig.add_scatter(x=depths, y=np.exp(np.log(norms).mean(axis=1)), name=name, mode="lines+markers",
                        line=dict(color=shade, width=3 if scale == 1 else 2))
    fig.update_yaxes(type="log", exponentformat="power")
    finish(fig, title=f"First-layer gradient at initialisation vs depth ({_alpha_name(alpha)})",
           x="number of hidden layers", y="first hidden layer's ‖∂L/∂W‖ (log scale)")
    return _subtitle(fig, f"He's initialisation × init scale; line: geometric mean of {len(grid['seeds'])} seeds; "
                     "band: min–max")


@_float32
def long_saturation_figure(traces: Sequence[TrainingTrace], seeds: Sequence[int]) -> go.Figure:
    """Long sigmoid runs: each hidden layer's mean activation (top) and the loss (bottom), one line per seed."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.08)
    depth = traces[0].array("mean").shape[1]
    shades = sample_colorscale(LAYER_SCALE, np.linspace(0, 0.85, max(depth, 2)))
    dashes = ["solid", "dot", "dash", "dashdot", "longdash"]
    for k, (trace, seed) in enumerate(zip(traces, seeds)):
        mean = trace.array("mean")
        for layer in range(depth):
            fig.add_scatter(x=trace.steps, y=mean[:, layer], name=f"layer {layer + 1}", legendgroup=f"layer {layer + 1}",
                            showlegend=k == 0, line=dict(color=shades[layer], width=2, dash=dashes[k % len(dashes)]),
                            hovertemplate=f"seed {seed}, layer {layer + 1}, step %{{x}}: %{{y:.3f}}<extra></extra>",
                            row=1, col=1)
        fig.add_scatter(x=trace.steps, y=trace.loss, name=f"loss, seed {seed}", line=dict(color="black", width=1.5,
                        dash=dashes[k % len(dashes)]), row=2, col=1)
    fig.add_hline(y=float(np.log(10)), line=dict(color="grey", dash="dot"), annotation_text="ln 10: guessing",
                  annotation_position="top right", row=2, col=1)
    finish(fig, title="Sigmoid network, long runs", x="SGD step", y="mean activation value", height=620)
    _subtitle(fig, "top: mean activation of each hidden layer; bottom: loss on a fixed batch; line style: seed")
    fig.update_xaxes(title_text=None, row=1, col=1)
    fig.update_xaxes(title_text="SGD step (minibatches of 10)", row=2, col=1)
    fig.update_yaxes(title_text="cross-entropy (nats)", row=2, col=1)
    return fig

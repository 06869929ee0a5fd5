"""Shared look of the book's plotly figures: one colour per activation, titled axes, a legend."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import activations
from ..activations import DEFAULT_ALPHA, LABELS
from ..names import label  # noqa: F401 - the figures' legends
from ..validation import check_finite, check_int

COLOURS = {
    "relu": "#1f77b4",
    "leaky_relu": "#d62728",
    "prelu": "#8e0152",
    "sigmoid": "#2ca02c",
    "tanh": "#9467bd",
    "elu": "#393b79",
    "selu": "#e377c2",
    "gelu": "#7f7f7f",
    "swish": "#bcbd22",
    "mish": "#17becf",
}
"""One colour per activation in every chapter: ReLU blue, Leaky ReLU (at the book's α = 0.01) red. PReLU and ELU
stay clear of the oranges and browns of Leaky ReLU's other slopes (`SLOPE_COLOURS`)."""

SLOPE_COLOURS = {
    0.001: "#fdb863",
    0.01: COLOURS["leaky_relu"],
    0.03: "#e6550d",
    0.05: "#f1a340",
    0.1: "#e7ba00",
    0.18: "#c51b7d",
    0.2: "#a6761d",
    0.25: "#bf812d",
    0.3: "#7f3b08",
    0.5: "#01665e",
    1.0: "#000000",
}
"""Leaky ReLU's colour per slope, the same on every page (α = 0.3 is dark brown in Chapters 2, 3, 4, 5 and 6)."""

RAI_COLOUR = "#00a087"
"""ReLU with RAI initialisation (Chapters 3 and 5): its own colour, not another activation's."""


def colour(activation: str) -> str:
    """The book's colour for an activation name."""
    return COLOURS[activation]


def slope_colour(alpha: float) -> str:
    """Leaky ReLU's colour at slope `alpha` (0 is ReLU's blue): fixed per slope across the book, so that a slope
    never changes colour with the other slopes drawn beside it. A slope the book does not use gets a shade of the
    orange-brown ramp by its logarithm."""
    from plotly.colors import sample_colorscale

    alpha = float(alpha)
    if alpha == 0:
        return colour("relu")
    for known, hex_colour in SLOPE_COLOURS.items():
        if np.isclose(alpha, known):
            return hex_colour
    position = float(np.clip((np.log10(alpha) + 3) / 3, 0, 1))
    return sample_colorscale("YlOrBr", [0.35 + 0.6 * position])[0]


def setting_colour(activation: str, alpha: float | None = None, init: str | None = None) -> str:
    """The one colour of a setting anywhere in the book: an activation, Leaky ReLU at its slope, ReLU with RAI."""
    if activation == "relu" and init == "rai":
        return RAI_COLOUR
    if activation == "leaky_relu" and alpha is not None:
        return slope_colour(alpha)
    return colour(activation)


def layer_words(name: str) -> str:
    """A Keras layer name as the text names it: 'dense_3' -> 'hidden layer 3', 'conv2d_1' -> 'convolution 2'."""
    import re

    found = re.fullmatch(r"(dense|conv2d|act)(?:_(\d+))?", name)
    if not found:
        return name
    kind, number = found.groups()
    index = int(number or 0) + (kind == "conv2d")  # Keras counts convolutions from conv2d (no suffix)
    return f"{'convolution' if kind == 'conv2d' else 'hidden layer'} {index}"


def finish(fig: go.Figure, *, title: str, x: str, y: str, height: int = 450) -> go.Figure:
    """Give a figure the book's title, axis labels (with units), legend and size."""
    fig.update_layout(
        title=dict(text=title),
        xaxis_title=x,
        yaxis_title=y,
        height=height,
        template="plotly_white",
        legend=dict(title=None),
        margin=dict(l=60, r=20, t=60, b=50),
    )
    return fig


# --- Chapter 1: activation functions ----------------------------------------------------------------------

DERIVATIVE_DASH = "dash"
"""Derivatives are drawn dashed, in their activation's colour."""

COINCIDING_DASH = "dot"
"""A curve identical to one drawn before it (PReLU at Keras' initial slope 0 is ReLU) is drawn dotted and wider,
so the one below shows between its dots."""


def steps_slider(labels, visibility, prefix, layouts=None) -> list[dict]:
    """A slider under the plot whose step k shows the traces with visibility k (and applies `layouts[k]`, e.g. that
    step's axis range); none when there is one step (nothing to move)."""
    if len(labels) < 2:
        return []
    layouts = layouts or [{} for _ in labels]
    steps = [dict(method="update", label=text, args=[{"visible": [v == k for v in visibility]}, layouts[k]])
             for k, text in enumerate(labels)]
    # Below the legend (which sits under the axes), so that neither hides the other.
    # Inset from both edges, so that the first and last labels are not cut off; the book moves the slider below
    # the legend once both are drawn (rectifiers.book_plotly).
    return [dict(active=0, steps=steps, currentvalue=dict(prefix=prefix), y=-0.42, yanchor="top", pad=dict(t=0),
                 x=0.06, len=0.88)]


def dropdown_menu(fig: go.Figure, labels, shown_for, name: str) -> None:
    """A menu above the plot, named `name`, whose item k shows the traces whose `shown_for` entry is k: for choices
    without an order (a slider suggests one), or with labels too long for a slider on a phone."""
    buttons = [dict(method="update", label=text, args=[{"visible": [v == k for v in shown_for]}])
               for k, text in enumerate(labels)]
    fig.update_layout(margin=dict(t=110), updatemenus=[dict(
        type="dropdown", active=0, buttons=buttons, x=0, xanchor="left", y=1.02, yanchor="bottom", showactive=True)])
    fig.add_annotation(text=f"{name}:", xref="paper", yref="paper", x=0, xanchor="right", y=1.04, yanchor="bottom",
                       showarrow=False, xshift=-4)


def epoch_slider(fig: go.Figure, epochs, shown_for, title, *, pad: int) -> None:
    """A slider over `epochs` that shows the traces whose `shown_for` entry is that epoch's index and retitles the
    figure `title(epoch)`; it starts at the last epoch (whose traces the caller made visible)."""
    steps = [dict(method="update", label=str(epoch),
                  args=[{"visible": [s == i for s in shown_for]}, {"title.text": title(epoch)}])
             for i, epoch in enumerate(epochs)]
    fig.update_layout(sliders=[dict(active=len(epochs) - 1, steps=steps, currentvalue=dict(prefix="epoch: "),
                                    pad=dict(t=pad))])


def _grid(x_range, n_points):

    if len(x_range) != 2:
        raise ValueError(f"x_range must be two numbers [low, high]; got {x_range!r}")
    low, high = (check_finite(f"x_range[{i}]", v) for i, v in enumerate(x_range))
    if not low < high:
        raise ValueError(f"x_range must be increasing [low, high]; got {list(x_range)!r}")
    n_points = check_int("n_points", n_points, low=3)
    # Always include x = 0 exactly, where the kinked activations' derivatives follow autodiff's convention.
    return np.union1d(np.linspace(low, high, n_points), [0.0] if low < 0 < high else [])


def _function_and_derivative_axes(title: str, x_range, height: int = 420):
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("f(x)", "f′(x), by autodiff"))
    finish(fig, title=title, x="input x", y="output f(x)", height=height)
    fig.update_xaxes(title_text="input x", range=list(x_range))
    fig.update_yaxes(title_text="derivative f′(x)", row=1, col=2)
    return fig


def activation_figure(
    names,
    alpha: float = 0.01,
    *,
    x_range=(-4.0, 4.0),
    n_points: int = 401,
    slopes: dict | None = None,
    title: str | None = None,
) -> go.Figure:
    """Activations (solid) and their autodiff derivatives (dashed) side by side.

    `slopes` overrides `alpha` per activation, e.g. {"prelu": 0.25} to draw PReLU at He et al.'s initial slope.
    An activation whose function and derivative equal those of one drawn before it is drawn dotted, and its
    legend entry names the one it coincides with: otherwise the reader would see one line for two.
    """

    x = _grid(x_range, n_points)
    slopes = slopes or {}
    f32 = lambda values: np.asarray(values, dtype=np.float32)  # noqa: E731 - half the page weight of float64
    fig = _function_and_derivative_axes(title or "Activation functions and their derivatives", x_range)
    drawn = []  # (label, f, f′) of the activations drawn so far
    for name in names:
        a = slopes.get(name, alpha)
        name_label = label(name, a if name in activations.SLOPED else None)
        f, df = activations.activation(name, x, a), activations.derivative(name, x, a)
        same = next((other for other, g, dg in drawn if np.array_equal(f, g) and np.array_equal(df, dg)), None)
        drawn.append((name_label, f, df))
        style = dict(color=colour(name), width=2)
        legend = name_label
        if same:  # PReLU's slope is its initial one: it coincides at initialisation, not after training
            legend += f": {'at initialisation, ' if name == 'prelu' else ''}same curve as {same}"
            style = dict(style, width=3.5)
        fig.add_scatter(
            x=f32(x), y=f32(f), name=legend, legendgroup=name,
            line=dict(style, dash=COINCIDING_DASH) if same else style, row=1, col=1,
        )
        fig.add_scatter(
            x=f32(x),
            y=f32(df),
            name=f"{name_label} f′",
            legendgroup=name,
            showlegend=False,
            line=dict(style, dash=COINCIDING_DASH if same else DERIVATIVE_DASH),
            row=1,
            col=2,
        )
    small = [slopes.get(n, alpha) for n in names if n in activations.SLOPED and 0 < slopes.get(n, alpha) < 0.1]
    if small:
        _magnify_negative_derivatives(fig, x, max(small))
    # Legend under the panels: on the right it took a third of the width from the curves.
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.22, yanchor="top"),
                      margin=dict(b=110), height=fig.layout.height + 60)
    return fig


def _magnify_negative_derivatives(fig: go.Figure, x, slope: float) -> None:
    """An inset over the derivative panel's empty upper left: f′ for x < 0 magnified to a scale where a slope of
    0.01 is visibly not ReLU's 0 (on the full panel they lie 3 pixels apart)."""
    domain = fig.layout.xaxis2.domain
    width = domain[1] - domain[0]
    fig.update_layout(
        xaxis3=dict(domain=[domain[0] + 0.06 * width, domain[0] + 0.44 * width], anchor="y3", range=[min(x), 0],
                    showgrid=False, tickfont=dict(size=9), nticks=3),
        yaxis3=dict(domain=[0.42, 0.88], anchor="x3", range=[-0.4 * slope, 2 * slope], tickfont=dict(size=9),
                    nticks=4, showline=True, linecolor="#999", mirror=True, zeroline=True),
    )
    fig.add_annotation(text="x < 0, magnified", xref="x3 domain", yref="y3 domain", x=0.5, y=1.0,
                       yanchor="bottom", showarrow=False, font=dict(size=10))
    negative = np.asarray(x) < 0
    for trace in [t for t in fig.data if t.xaxis == "x2"]:
        fig.add_scatter(x=np.asarray(trace.x)[negative], y=np.asarray(trace.y)[negative], xaxis="x3", yaxis="y3",
                        line=trace.line, legendgroup=trace.legendgroup, showlegend=False, name=f"{trace.name}, x < 0",
                        hoverinfo="skip")


def alpha_slider_figure(alphas, *, x_range=(-4.0, 4.0), n_points: int = 201, active: float | None = None) -> go.Figure:
    """Leaky ReLU and its derivative with a plotly slider over `alphas`: works in a static page, no kernel.

    Each slider step restyles the y data of the two Leaky ReLU traces (0: f, 1: f′) with values computed here;
    ReLU stays as a fixed reference. `active` picks the step shown first (default: the first α).
    """

    if isinstance(alphas, (str, bytes)) or len(alphas) == 0:
        raise ValueError(f"alphas must be a non-empty list of slopes >= 0; got {alphas!r}")
    alphas = [check_finite(f"alphas[{i}]", a, low=0.0) for i, a in enumerate(alphas)]
    start = alphas.index(active) if active in alphas else 0
    x = _grid(x_range, n_points)
    curves = [(activations.activation("leaky_relu", x, a), activations.derivative("leaky_relu", x, a)) for a in alphas]

    fig = _function_and_derivative_axes("Leaky ReLU as its slope α varies", x_range, height=480)
    red = dict(color=colour("leaky_relu"), width=3)
    blue = dict(color=colour("relu"), width=1.5, dash="dot")
    fig.add_scatter(x=x, y=np.round(curves[start][0], 5), name="Leaky ReLU", legendgroup="leaky", line=red, row=1, col=1)
    fig.add_scatter(
        x=x, y=np.round(curves[start][1], 5), name="Leaky ReLU f′", legendgroup="leaky", showlegend=False,
        line=dict(red, dash=DERIVATIVE_DASH), row=1, col=2,
    )
    fig.add_scatter(x=x, y=activations.activation("relu", x), name="ReLU (α = 0)", legendgroup="relu", line=blue, row=1, col=1)
    fig.add_scatter(
        x=x, y=activations.derivative("relu", x), name="ReLU f′", legendgroup="relu", showlegend=False,
        line=blue, row=1, col=2,
    )
    low, high = min(x_range), max(x_range)
    fig.update_yaxes(range=[max(alphas) * low - 0.3, high + 0.3], row=1, col=1)
    fig.update_yaxes(range=[-0.05, 1.1], row=1, col=2)
    steps = [
        dict(
            method="restyle",
            label=f"{a:g}",
            # Rounded to 5 decimals: the page carries every step's curves as text.
            args=[{"y": [np.round(f, 5).tolist(), np.round(d, 5).tolist()]}, [0, 1]],
        )
        for a, (f, d) in zip(alphas, curves)
    ]
    fig.update_layout(
        sliders=[dict(active=start, currentvalue=dict(prefix="α = "), pad=dict(t=50), steps=steps)],
        margin=dict(b=110),
    )
    return fig


def timing_figure(timings, names=("relu", "leaky_relu")) -> go.Figure:
    """Time per forward + backward call of each activation, every repeat shown (a `timing.Timings`)."""
    fig = go.Figure()
    for name in names:
        fig.add_box(
            y=timings.times[name] * 1e3,
            name=label(name, timings.alpha if name in ("leaky_relu", "prelu") else None),
            marker_color=colour(name),
            boxpoints="all",
            jitter=0.4,
            pointpos=0,
        )
    floats = f"{timings.size / 2**20:g} Mi" if timings.size % 2**20 == 0 else f"{timings.size:,}"
    return finish(
        fig,
        title=f"Forward + backward on {floats} float32 values, {timings.repeats} interleaved repeats",
        x="activation",
        y="time per call (ms)",
    )


INITIALISERS = {"glorot": "Glorot", "he_leaky": "He for leaky units", "he": "He"}
"""Reader-facing names of the weight initialisations (rectifiers.models)."""

COLUMN_WORDS = {
    "min_mean": "lowest mean",
    "min_step": "lowest at step",
    "escape_step": "doubled again by step",
    "end_mean": "mean at the end",
    "accuracy_mean": "test accuracy, mean",
    "accuracy_min": "lowest",
    "accuracy_max": "highest",
    "dead_mean": "dead at the end, mean",
}
"""Column names a package function uses, in the reader's words."""


def _reader_words(value):
    """Activation keys and initialiser names as the text names them ('leaky_relu' -> 'Leaky ReLU')."""
    if not isinstance(value, str):
        return value
    if value in LABELS:
        return LABELS[value]
    head, _, tail = value.partition(" ")
    return f"{INITIALISERS[head]} {tail}".strip() if head in INITIALISERS else value


def table(frame, digits: int = 3):
    """A DataFrame styled for the book: readers' names, `digits` significant figures, yes/no, "—" for missing.

    Activation keys and initialiser names become their reader-facing names (index and cells), columns named by a
    package function are renamed with `COLUMN_WORDS`, integers stay integers and a minus sign is a minus sign.
    """
    import numbers

    import pandas as pd

    frame = frame.rename(columns=COLUMN_WORDS).rename(index=_reader_words)
    frame.index.name = COLUMN_WORDS.get(frame.index.name, frame.index.name)
    frame = frame.map(_reader_words) if hasattr(frame, "map") else frame.applymap(_reader_words)

    def fmt(value):
        if value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool) and pd.isna(value)):
            return "—"
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "no"
        if isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1):
            return f"{int(value):,}".replace("-", "−")
        if isinstance(value, numbers.Real):
            return f"{value + 0.0:.{digits}g}".replace("-", "−")  # + 0.0: no "−0"
        return value

    return frame.style.format(fmt)

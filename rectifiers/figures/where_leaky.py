"""Figures of Chapter 5, "Where Leaky ReLU wins, and where it does not": failure rates against the learning rate,
collapse of deep and narrow networks against depth, the spread of trained networks' outputs, and the slope α.

Every rate is drawn with its 95 % Wilson interval; every slider switches between precomputed traces, so the figures
work in the static book.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..experiments.deep_narrow import COLLAPSE_SPREAD, RAI, setting_rank
from ..experiments.learning_rates import OPTIMIZER_NAMES, SETTING_ORDER, SHORT_MODELS, TRAINED_TO_THE_END, model_name
from .common import COLOURS, RAI_COLOUR, dropdown_menu, finish, slope_colour, steps_slider
from .common import table  # noqa: F401 - the chapter's tables



def setting_colour(name: str) -> str:
    """The book's colour of a Chapter 5 setting (`common.setting_colour`'s palette): ReLU, each slope, PReLU, RAI."""
    if name == "ReLU":
        return COLOURS["relu"]
    if name == RAI:
        return RAI_COLOUR
    if name.startswith("PReLU"):
        return COLOURS["prelu"]
    return slope_colour(float(name.split("=")[1]))


def _ordered(names) -> list[str]:
    rank = {s: i for i, s in enumerate(SETTING_ORDER)}
    return sorted(set(names), key=lambda s: rank.get(s, len(rank)))


def _offset(i: int, n: int) -> float:
    """A small multiplicative shift on a log axis so that error bars of several settings do not hide each other."""
    return 10 ** (0.025 * (i - (n - 1) / 2))


def _rate_axes(rates) -> dict:
    """Layout of the three learning-rate axes for one block: its rates as ticks, a little room on either side."""
    span = [math.log10(rates[0]) - 0.25, math.log10(rates[-1]) + 0.25]
    return {f"{axis}.{key}": value for axis in ("xaxis", "xaxis2", "xaxis3")
            for key, value in (("range", span), ("tickvals", rates), ("ticktext", [f"{r:g}" for r in rates]))}


def learning_rate_figure(summary: pd.DataFrame) -> go.Figure:
    """Failure rate (Wilson 95 % CI), dead-unit share and accuracy of the runs that trained, against the learning
    rate; one line per activation setting; the slider picks the model and optimiser."""
    blocks = list(dict.fromkeys(zip(summary.model, summary.optimizer)))
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08,
                        subplot_titles=("failed (share)", "dead units (share)", "test accuracy"))
    visibility = []
    for k, (model, optimizer) in enumerate(blocks):
        block = summary[(summary.model == model) & (summary.optimizer == optimizer)]
        names = _ordered(block.setting)
        for i, name in enumerate(names):
            cells = block[block.setting == name].sort_values("learning_rate")
            x = cells.learning_rate * _offset(i, len(names))
            line = dict(color=setting_colour(name))
            hover = [f"{name}, lr {r.learning_rate:g}: {r.failed} of {r.runs} failed "
                     f"(95 % CI {100 * r.failure_low:.0f}–{100 * r.failure_high:.0f} %)" for r in cells.itertuples()]
            fig.add_trace(go.Scatter(
                x=x, y=cells.failure_rate, mode="lines+markers", line=line, name=name, legendgroup=name,
                visible=k == 0, text=hover, hovertemplate="%{text}<extra></extra>",
                error_y=dict(type="data", symmetric=False, array=cells.failure_high - cells.failure_rate,
                             arrayminus=cells.failure_rate - cells.failure_low)), row=1, col=1)
            fig.add_trace(go.Scatter(x=x, y=cells.dead_mean, mode="lines+markers", line=line, name=name,
                                     legendgroup=name, showlegend=False, visible=k == 0), row=1, col=2)
            fig.add_trace(go.Scatter(
                x=x, y=cells.accuracy, mode="lines+markers", line=line, name=name, legendgroup=name,
                showlegend=False, visible=k == 0, text=[f"{n} runs trained" for n in cells.trained],
                hovertemplate="lr %{x:.3g}: %{y:.3f} (%{text})<extra></extra>",
                error_y=dict(type="data", symmetric=False, array=cells.accuracy_high - cells.accuracy,
                             arrayminus=cells.accuracy - cells.accuracy_low)), row=1, col=3)
            visibility += [k, k, k]
    labels = [f"{SHORT_MODELS[m]} {OPTIMIZER_NAMES[o].replace('plain ', '')}" + ("" if TRAINED_TO_THE_END.get((m, o), True)
                                                                        else ", early") for m, o in blocks]
    axes = [_rate_axes(sorted(summary[(summary.model == m) & (summary.optimizer == o)].learning_rate.unique()))
            for m, o in blocks]
    fig.update_layout(sliders=steps_slider(labels, visibility, "model, optimiser: ", axes))
    fig.update_xaxes(type="log")
    fig.update_layout(axes[0])
    fig.update_xaxes(title_text="learning rate (log scale)", row=1, col=2)
    fig.update_yaxes(range=[-0.05, 1.05], row=1, col=1)
    fig.update_yaxes(range=[-0.05, 1.05], row=1, col=2)
    seeds = "–".join(str(n) for n in sorted({int(summary.runs.min()), int(summary.runs.max())}))
    fig = finish(fig, title=f"Failures, dead units, accuracy ({seeds} seeds per point)",
                 x="", y="share of runs; accuracy (95 % CI)", height=600)
    fig.update_xaxes(title_text="learning rate (log scale)", row=1, col=2)

    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0), margin=dict(b=190))
    return fig


def learning_curve_figure(curve: pd.DataFrame) -> go.Figure:
    """Test accuracy after every epoch (`learning_rates.curve_summary`): per setting the median over the runs that
    did not fail (line; their range in the hover, no band: the page carries seven cells); the slider picks the cell
    (model, optimiser and learning rate) from a menu: the cells have no order a slider could follow."""
    return _curve_figure(curve, ("model", "optimizer", "learning_rate"),
                         lambda m, o, lr: f"{SHORT_MODELS[m]} {OPTIMIZER_NAMES[o].replace('plain ', '')} {lr:g}",
                         "cell: ", "Test accuracy per epoch, runs that did not fail (median)",
                         bands=False, menu=True)


def deep_curve_figure(curve: pd.DataFrame) -> go.Figure:
    """Test accuracy after every epoch of the deep and narrow networks that learned
    (`deep_narrow_trained.curve_summary`): per setting the median (line) and range (band); the slider picks the
    shape."""
    return _curve_figure(curve, ("depth", "width"), lambda depth, width: f"{depth}×{width}", "depth × width: ",
                         "Test accuracy per epoch, networks that learned (median)", bands=False)


def _curve_figure(curve: pd.DataFrame, by, label, prefix: str, title: str, bands: bool = True,
                  menu: bool = False) -> go.Figure:
    """One median line per setting and cell, with the range as a band when `bands` (without: a third of the traces,
    for a page that carries many cells), medians and bands in float32 (three decimals are shown); a slider picks the
    cell, or a menu when `menu` (cells without an order)."""
    cells = list(dict.fromkeys(zip(*(curve[c] for c in by))))
    fig, visibility = go.Figure(), []
    for k, cell in enumerate(cells):
        block = curve[np.logical_and.reduce([curve[c] == v for c, v in zip(by, cell)])]
        for name in _ordered(block.setting):
            rows = block[block.setting == name].sort_values("epoch")
            colour = setting_colour(name)
            healthy = f"{int(rows.healthy.min())} of {int(rows.runs.iloc[0])} runs"
            if bands:
                fig.add_trace(go.Scatter(x=rows.epoch, y=rows.high.to_numpy(dtype=np.float32), mode="lines", line=dict(width=0, color=colour),
                                         legendgroup=name, showlegend=False, hoverinfo="skip", visible=k == 0))
                fig.add_trace(go.Scatter(x=rows.epoch, y=rows.low.to_numpy(dtype=np.float32), mode="lines", line=dict(width=0, color=colour),
                                         fill="tonexty", opacity=0.2, legendgroup=name, showlegend=False,
                                         hoverinfo="skip", visible=k == 0))
                visibility += [k, k]
            if {"low", "high"} <= set(rows.columns):  # the range in the hover, band or not
                hover = dict(text=[f"{r.low:.3f}–{r.high:.3f}, {r.healthy}" for r in rows.itertuples()],
                             hovertemplate=f"{name}, epoch %{{x}}: median %{{y:.3f}} (range %{{text}} runs)<extra></extra>")
            else:
                hover = dict(hovertemplate=f"{name}, epoch %{{x}}: median %{{y:.3f}}<extra></extra>")
            fig.add_trace(go.Scatter(
                x=rows.epoch, y=rows["median"].to_numpy(dtype=np.float32), mode="lines+markers",
                line=dict(color=colour), marker=dict(size=4), name=f"{name} ({healthy})", legendgroup=name,
                visible=k == 0, **hover))
            visibility.append(k)
    labels = [label(*cell) for cell in cells]
    fig = finish(fig, title=title, x="epoch", y="test accuracy", height=560)
    if menu and len(labels) > 1:
        dropdown_menu(fig, labels, visibility, prefix.rstrip(": "))
    else:
        fig.update_layout(sliders=steps_slider(labels, visibility, prefix))
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0), margin=dict(b=190))
    return fig


def collapse_figure(summary: pd.DataFrame) -> go.Figure:
    """Share of trained networks that collapsed (Wilson 95 % CI) against depth, one line per setting, with the share
    collapsed at initialisation (ReLU and ReLU with RAI, dotted) and Chapter 3's born-dead theory (grey); the slider
    picks the width."""
    widths = sorted(summary.width.unique())
    fig = go.Figure()
    visibility = []
    for k, width in enumerate(widths):
        block = summary[summary.width == width]
        names = sorted(block.setting.unique(), key=setting_rank)
        for i, name in enumerate(names):
            cells = block[block.setting == name].sort_values("depth")
            x = cells.depth * _offset(i, len(names))
            fig.add_trace(go.Scatter(
                x=x, y=cells.collapse_rate, mode="lines+markers", name=f"{name}: collapsed after training",
                line=dict(color=setting_colour(name)), visible=k == 0,
                text=[f"{r.collapsed} of {r.runs}" for r in cells.itertuples()],
                hovertemplate="depth %{x:.0f}: %{text} collapsed<extra></extra>",
                error_y=dict(type="data", symmetric=False, array=cells.collapse_high - cells.collapse_rate,
                             arrayminus=cells.collapse_rate - cells.collapse_low)))
            visibility.append(k)
        born = [name for name in ("ReLU", RAI) if name in names]
        for name in born:
            cells = block[block.setting == name].sort_values("depth")
            fig.add_trace(go.Scatter(x=cells.depth, y=cells.born_rate, mode="lines+markers", visible=k == 0,
                                     name=f"{name}: collapsed at initialisation",
                                     line=dict(color=setting_colour(name), dash="dot")))
        depths = np.arange(1, int(summary.depth.max()) + 1)
        fig.add_trace(go.Scatter(x=depths, y=1 - (1 - 2.0 ** -width) ** depths, mode="lines", visible=k == 0,
                                 name="theory: ReLU dead at one input (Chapter 3)", line=dict(color="black", dash="dash")))
        visibility += [k] * (len(born) + 1)
    fig.update_layout(sliders=steps_slider([f"{w}" for w in widths], visibility, "units per layer: "))
    fig.update_xaxes(type="log", tickvals=sorted(summary.depth.unique()))
    fig.update_yaxes(range=[-0.05, 1.05])
    seeds = int(summary.runs.max())
    fig = finish(fig, title=f"Deep narrow MLPs: output constant ({seeds} seeds per point)",
                 x="hidden layers (log scale)", y="share of networks (95 % Wilson CI)", height=500)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, x=0))
    return fig


SPREAD_FLOOR = 1e-12
"""Where an exactly constant output (spread 0) is drawn on the log axis."""


def spread_figure(runs: pd.DataFrame) -> go.Figure:
    """Every trained network's logit spread (log scale; exactly 0 drawn at `SPREAD_FLOOR`), by setting, with the
    collapse threshold: the two groups and the gap the threshold sits in."""
    fig = go.Figure()
    finite = runs[np.isfinite(runs.spread_end)]
    names = sorted(finite.setting.unique(), key=setting_rank)
    for name in names:
        cells = finite[finite.setting == name]
        y = np.maximum(cells.spread_end.to_numpy(), SPREAD_FLOOR).astype(np.float32)  # three digits are shown
        fig.add_trace(go.Box(y=y, name=name, boxpoints="all", jitter=0.5, pointpos=0, marker=dict(size=4),
                             line=dict(color=setting_colour(name)), fillcolor="rgba(0,0,0,0)",
                             # (width, depth, seed) as small integers, not a sentence per point: page weight
                             customdata=cells[["width", "depth", "seed"]].to_numpy(dtype=np.int16),
                             hovertemplate="width %{customdata[0]}, depth %{customdata[1]}, seed %{customdata[2]}: "
                                           "%{y:.3g}<extra></extra>"))
    fig.add_hline(y=COLLAPSE_SPREAD, line=dict(color="black", dash="dash"),
                  annotation_text=f"collapse threshold {COLLAPSE_SPREAD:g}", annotation_position="top left")
    fig.update_yaxes(type="log")
    return finish(fig, title=f"Logit spread of every trained network (0 drawn at {SPREAD_FLOOR:g})",
                  x="activation", y="largest std of a logit over the images (log scale)", height=460)


def alpha_figure(lr_alpha: pd.DataFrame, deep: pd.DataFrame) -> go.Figure:
    """Experiment 4: failure (learning rate) or collapse (deep and narrow) rate against the slope α (0 = ReLU),
    one line per situation where ReLU failed at least once, with Wilson 95 % CIs."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("high learning rate: runs that failed", "deep and narrow: networks collapsed"))
    for (model, optimizer, lr), cells in lr_alpha.groupby(["model", "optimizer", "learning_rate"], sort=False):
        cells = cells.sort_values("alpha")
        fig.add_trace(go.Scatter(
            x=[f"{a:g}" for a in cells.alpha], y=cells.failure_rate, mode="lines+markers",
            name=f"{model_name(model, optimizer)}, {OPTIMIZER_NAMES[optimizer]}, lr {lr:g}",
            error_y=dict(type="data", symmetric=False, array=cells.failure_high - cells.failure_rate,
                         arrayminus=cells.failure_rate - cells.failure_low)), row=1, col=1)
    for (width, depth), cells in deep.groupby(["width", "depth"], sort=False):
        if cells[cells.setting == "ReLU"].collapsed.sum() == 0:
            continue
        cells = cells[(cells.setting == "ReLU") | cells.setting.str.startswith("Leaky")]
        alphas = cells.setting.map(lambda s: 0.0 if s == "ReLU" else float(s.split("=")[1]))
        cells = cells.assign(alpha=alphas).sort_values("alpha")
        fig.add_trace(go.Scatter(
            x=[f"{a:g}" for a in cells.alpha], y=cells.collapse_rate, mode="lines+markers", line=dict(dash="dot"),
            name=f"MLP {depth}×{width}",
            error_y=dict(type="data", symmetric=False, array=cells.collapse_high - cells.collapse_rate,
                         arrayminus=cells.collapse_rate - cells.collapse_low)), row=1, col=2)
    fig.update_xaxes(type="category", title_text="negative slope α (0 = ReLU)")
    fig.update_yaxes(range=[-0.05, 1.05])
    fig = finish(fig, title="The slope α where ReLU failed at least once",
                 x="negative slope α (0 = ReLU)", y="share of runs (95 % Wilson CI)", height=500)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", yanchor="top", y=-0.25, x=0))
    return fig

"""Chapter 8's BatchNorm figure: the seed CNN without and with BatchNorm at Chapter 5's high learning rates, side by
side per activation setting: the share of runs that failed (Wilson 95 % CI) and the test accuracy over every seed
(95 % t interval)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..experiments.learning_rates import OPTIMIZER_NAMES, setting_rank, short_setting
from .common import finish, steps_slider

SIDES = (("plain", "without BatchNorm", "#9e9e9e", "circle-open"), ("bn", "with BatchNorm", "#1f3a93", "circle"))
"""(column prefix of `batchnorm_grid.side_by_side`, legend name, colour, marker)."""


def side_by_side_figure(side: pd.DataFrame) -> go.Figure:
    """Per setting, the failed share (top) and the test accuracy over every seed (bottom), the plain CNN's open grey
    markers beside the BatchNorm CNN's filled ones; the slider picks the cell (optimiser and learning rate, the
    highest rate first), so that the five settings have the figure's whole width, even on a phone."""
    if side.empty:
        raise ValueError("no side-by-side row: no optimiser has both its plain and its BatchNorm grid stored")
    cells = list(dict.fromkeys(zip(side.optimizer, side.learning_rate)))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1)
    visibility, labels = [], []
    for k, (optimizer, lr) in enumerate(cells):
        block = side[(side.optimizer == optimizer) & (side.learning_rate == lr)]
        block = block.assign(_rank=block.setting.map(setting_rank)).sort_values("_rank")
        names = [short_setting(s) for s in block.setting]
        for i, (prefix, legend, colour, symbol) in enumerate(SIDES):
            x = [j + (i - 0.5) * 0.25 for j in range(len(block))]
            marker = dict(color=colour, symbol=symbol, size=9)
            rate, accuracy = block[f"{prefix}_rate"], block[f"{prefix}_accuracy"]
            fig.add_trace(go.Scatter(
                x=x, y=rate, mode="markers", marker=marker, name=legend, legendgroup=prefix, showlegend=k == 0,
                visible=k == 0, text=[f"{legend}, {s}: {f} of {n} failed" for s, f, n in
                                      zip(block.setting, block[f"{prefix}_failed"], block[f"{prefix}_runs"])],
                hovertemplate="%{text}<extra></extra>",
                error_y=dict(type="data", symmetric=False, array=block[f"{prefix}_high"] - rate,
                             arrayminus=rate - block[f"{prefix}_low"], color=colour)), row=1, col=1)
            fig.add_trace(go.Scatter(
                x=x, y=accuracy, mode="markers", marker=marker, name=legend, legendgroup=prefix, showlegend=False,
                visible=k == 0, text=[f"{legend}, {s}" for s in block.setting],
                hovertemplate="%{text}: mean test accuracy %{y:.3f}<extra></extra>",
                error_y=dict(type="data", symmetric=False, array=block[f"{prefix}_accuracy_high"] - accuracy,
                             arrayminus=accuracy - block[f"{prefix}_accuracy_low"], color=colour)), row=2, col=1)
            visibility += [k, k]
        labels.append(f"{OPTIMIZER_NAMES[optimizer].replace('plain ', '')} {lr:g}")
    ticks = dict(tickvals=list(range(len(names))), ticktext=names, range=[-0.6, len(names) - 0.4])
    fig.update_xaxes(**ticks, row=1, col=1)
    fig.update_xaxes(**ticks, row=2, col=1)
    seeds = int(side[["plain_runs", "bn_runs"]].to_numpy().max())
    fig = finish(fig, title=f"Seed CNN, without vs with BatchNorm ({seeds} seeds)", x="", y="",
                 height=560)
    fig.update_yaxes(title_text="failed (share, 95 % CI)", range=[-0.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="test accuracy", range=[0, 1.02], row=2, col=1)
    fig.update_layout(sliders=steps_slider(labels, visibility, "optimiser, learning rate: "),
                      legend=dict(orientation="h", yanchor="top", y=-0.08, x=0), margin=dict(b=160))
    return fig

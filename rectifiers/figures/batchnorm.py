"""Chapter 8's BatchNorm figure: the seed CNN without and with BatchNorm at Chapter 5's high learning rates, side by
side per activation setting: the share of runs that failed (Wilson 95 % CI) and the test accuracy over every seed
(95 % t interval)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..experiments.learning_rates import OPTIMIZER_NAMES, setting_rank
from .common import finish

SIDES = (("plain", "without BatchNorm", "#9e9e9e", "circle-open"), ("bn", "with BatchNorm", "#1f3a93", "circle"))
"""(column prefix of `batchnorm_grid.side_by_side`, legend name, colour, marker)."""


def short_setting(name: str) -> str:
    """A setting as a phone-width axis names it: "ReLU", "α=0.1", "PReLU"."""
    return "ReLU" if name == "ReLU" else "PReLU" if name.startswith("PReLU") else name.replace("Leaky ReLU ", "")


def side_by_side_figure(side: pd.DataFrame, optimizer: str) -> go.Figure:
    """One column per learning rate (highest first): failed share (top) and test accuracy over every seed (bottom)
    per setting, the plain CNN's open grey markers beside the BatchNorm CNN's filled ones."""
    block = side[side.optimizer == optimizer]
    if block.empty:
        raise ValueError(f"no side-by-side row for optimizer {optimizer!r}; rows exist for {sorted(set(side.optimizer))}")
    rates = sorted(block.learning_rate.unique(), reverse=True)
    name = OPTIMIZER_NAMES[optimizer].replace("plain ", "")
    fig = make_subplots(rows=2, cols=len(rates), shared_xaxes=True, vertical_spacing=0.1, horizontal_spacing=0.06,
                        subplot_titles=[f"{name} {lr:g}" for lr in rates] + ["" for _ in rates])
    for col, lr in enumerate(rates, start=1):
        cells = block[block.learning_rate == lr]
        cells = cells.assign(_rank=cells.setting.map(setting_rank)).sort_values("_rank")
        labels = [short_setting(s) for s in cells.setting]
        for i, (prefix, legend, colour, symbol) in enumerate(SIDES):
            x = [k + (i - 0.5) * 0.25 for k in range(len(cells))]
            marker = dict(color=colour, symbol=symbol, size=9)
            rate = cells[f"{prefix}_rate"]
            fig.add_trace(go.Scatter(
                x=x, y=rate, mode="markers", marker=marker, name=legend, legendgroup=prefix, showlegend=col == 1,
                text=[f"{legend}, {s}: {k} of {n} failed" for s, k, n in
                      zip(cells.setting, cells[f"{prefix}_failed"], cells[f"{prefix}_runs"])],
                hovertemplate="%{text}<extra></extra>",
                error_y=dict(type="data", symmetric=False, array=cells[f"{prefix}_high"] - rate,
                             arrayminus=rate - cells[f"{prefix}_low"], color=colour)), row=1, col=col)
            accuracy = cells[f"{prefix}_accuracy"]
            fig.add_trace(go.Scatter(
                x=x, y=accuracy, mode="markers", marker=marker, name=legend, legendgroup=prefix, showlegend=False,
                text=[f"{legend}, {s}" for s in cells.setting],
                hovertemplate="%{text}: mean test accuracy %{y:.3f}<extra></extra>",
                error_y=dict(type="data", symmetric=False, array=cells[f"{prefix}_accuracy_high"] - accuracy,
                             arrayminus=accuracy - cells[f"{prefix}_accuracy_low"], color=colour)), row=2, col=col)
        for row in (1, 2):
            fig.update_xaxes(tickvals=list(range(len(labels))), ticktext=labels, range=[-0.6, len(labels) - 0.4],
                             row=row, col=col)
        fig.update_yaxes(range=[-0.05, 1.05], row=1, col=col, showticklabels=col == 1)
        fig.update_yaxes(range=[0, 1.02], row=2, col=col, showticklabels=col == 1)
    fig.update_yaxes(title_text="failed (share)", row=1, col=1)
    fig.update_yaxes(title_text="test accuracy", row=2, col=1)
    seeds = int(block[["plain_runs", "bn_runs"]].to_numpy().max())
    fig = finish(fig, title=f"The seed CNN with {name}, without and with BatchNorm ({seeds} seeds a point)",
                 x="", y="", height=560)
    fig.update_yaxes(title_text="failed (share)", row=1, col=1)
    fig.update_yaxes(title_text="test accuracy", row=2, col=1)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.1, x=0), margin=dict(b=110))
    return fig

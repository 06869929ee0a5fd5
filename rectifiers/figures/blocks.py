"""Chapter 8's deep-and-narrow figure: Chapter 5's narrowest, deepest MLPs without and with residual connections and
LayerNorm, per shape (the slider): the share of networks that collapsed and the share that learned, per block and
setting, with Wilson 95 % intervals."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..experiments.deep_narrow import setting_rank
from ..experiments.deep_narrow_blocks import BLOCK_NAMES, BLOCKS
from ..stats import wilson_interval
from .common import finish, steps_slider
from .where_leaky import setting_colour


def blocks_figure(table: pd.DataFrame) -> go.Figure:
    """`deep_narrow_blocks.summary` drawn: per shape (slider, the deepest and narrowest first), the blocks along the
    x axis and one marker per setting, the collapsed share on top and the learned share below."""
    if table.empty:
        raise ValueError("no stored run of the deep-and-narrow blocks study")
    shapes = sorted(set(zip(table.width, table.depth)), key=lambda s: (s[0], -s[1]))
    blocks = [b for b in BLOCKS if (table.block == b).any()]
    settings = sorted(table.setting.unique(), key=setting_rank)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1)
    visibility, labels = [], []
    for k, (width, depth) in enumerate(shapes):
        cells = table[(table.width == width) & (table.depth == depth)]
        for i, name in enumerate(settings):
            rows = cells[cells.setting == name].set_index("block").reindex(blocks)
            x = [j + (i - (len(settings) - 1) / 2) * 0.18 for j in range(len(blocks))]
            for row, column, what in ((1, "collapsed", "collapsed"), (2, "learned", "learned")):
                found = rows.dropna(subset=[column])
                xs = [x[blocks.index(b)] for b in found.index]
                intervals = [wilson_interval(int(v), int(n)) for v, n in zip(found[column], found.runs)]
                rate = [w.rate for w in intervals]
                fig.add_trace(go.Scatter(
                    x=xs, y=rate, mode="markers", name=name, legendgroup=name, showlegend=(k == 0 and row == 1),
                    visible=k == 0, marker=dict(color=setting_colour(name), size=9),
                    text=[f"{BLOCK_NAMES[b]}, {name}: {int(v)} of {int(n)} {what}"
                          for b, v, n in zip(found.index, found[column], found.runs)],
                    hovertemplate="%{text}<extra></extra>",
                    error_y=dict(type="data", symmetric=False, array=[w.high - w.rate for w in intervals],
                                 arrayminus=[w.rate - w.low for w in intervals], color=setting_colour(name))),
                    row=row, col=1)
                visibility.append(k)
        labels.append(f"{depth}×{width}")
    ticks = dict(tickvals=list(range(len(blocks))), ticktext=[BLOCK_NAMES[b] for b in blocks],
                 range=[-0.6, len(blocks) - 0.4])
    fig.update_xaxes(**ticks, row=1, col=1)
    fig.update_xaxes(**ticks, row=2, col=1)
    seeds = int(table.runs.max())
    fig = finish(fig, title=f"Deep, narrow MLPs with and without blocks ({seeds} seeds)", x="", y="", height=560)
    fig.update_yaxes(title_text="collapsed (share, 95 % CI)", range=[-0.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="learned (share, 95 % CI)", range=[-0.05, 1.05], row=2, col=1)
    fig.update_layout(sliders=steps_slider(labels, visibility, "depth × width: "),
                      legend=dict(orientation="h", yanchor="top", y=-0.08, x=0), margin=dict(b=160))
    return fig

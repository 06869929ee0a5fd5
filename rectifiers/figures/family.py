"""Figures of Chapter 6: the rectifier family against ReLU, per seed, per epoch, ranked, on two datasets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..experiments.rectifier_family import DATASET_NAMES, variant_order
from ..activations import DEFAULT_ALPHA
from .common import COLOURS, epoch_slider, finish, slope_colour

VERDICT_COLOURS = {"better than ReLU": "#2ca02c", "worse than ReLU": "#d62728", "within seed noise": "#7f7f7f"}


def variant_colour(activation: str, alpha) -> str:
    """The book's colour of an activation; Leaky ReLU's slopes other than 0.01 in shades of orange-brown."""
    if activation == "leaky_relu" and alpha is not None and not np.isclose(alpha, DEFAULT_ALPHA):
        return slope_colour(float(alpha))
    return COLOURS[activation]


def _colours(frame: pd.DataFrame) -> dict:
    rows = frame.drop_duplicates("variant")
    return {v: variant_colour(a, None if pd.isna(al) else float(al))
            for v, a, al in zip(rows.variant, rows.activation, rows.alpha)}


def by_activation(final: pd.DataFrame, *, title: str) -> go.Figure:
    """Test accuracy and test loss per variant at one epoch: one dot per seed, a box for the spread, the mean."""
    order, colours = variant_order(final), _colours(final)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=["test accuracy (fraction correct)", "test loss (cross-entropy)"])
    for name in order:
        rows = final[final.variant == name]
        for row, metric in ((1, "test_accuracy"), (2, "test_loss")):
            fig.add_trace(go.Box(y=rows[metric], name=name, boxpoints="all", jitter=0.3,
                                 pointpos=0, boxmean=True, marker=dict(color=colours[name], size=7),
                                 line=dict(color=colours[name]), showlegend=False,
                                 customdata=rows.seed, hovertemplate=f"{name}<br>seed %{{customdata}}: "
                                                                     "%{y:.4f}<extra></extra>"), row=row, col=1)
    fig.update_yaxes(title_text="accuracy", row=1, col=1)
    fig.update_yaxes(title_text="loss", row=2, col=1)
    fig.update_xaxes(tickangle=-35)
    return finish(fig, title=title, x="", y="", height=640)


def epochs_slider(history: pd.DataFrame, *, title: str, label_room: int = 90) -> go.Figure:
    """Test accuracy and loss of every seed per variant after each epoch; a slider picks the epoch, `label_room`
    pixels below the plots (long variant names need more)."""
    rows = history.dropna(subset=["test_accuracy"])
    epochs = sorted(int(e) for e in rows.epoch.unique())
    order, colours = variant_order(rows), _colours(rows)
    fig = make_subplots(rows=1, cols=2, subplot_titles=["test accuracy (fraction correct)", "test loss"],
                        horizontal_spacing=0.1)
    shown_for = []
    for i, epoch in enumerate(epochs):
        at = rows[rows.epoch == epoch]
        for name in order:
            these = at[at.variant == name]
            for col, metric in ((1, "test_accuracy"), (2, "test_loss")):
                # No x: a box stands at its name on the category axis (an x per seed cost ~8 KB a figure).
                # float32: half the bytes of float64 in the page, far finer than the 4 decimals shown.
                fig.add_trace(go.Box(y=these[metric].to_numpy(np.float32), name=name,
                                     marker=dict(color=colours[name]), line=dict(color=colours[name]),
                                     visible=(i == len(epochs) - 1),
                                     hovertemplate=f"{name}<br>%{{y:.4f}}<extra>epoch {epoch}</extra>"), row=1, col=col)
                shown_for.append(i)
    epoch_slider(fig, epochs, shown_for, lambda epoch: f"{title} — after epoch {epoch}", pad=label_room)
    fig.update_xaxes(tickangle=-45)
    fig = finish(fig, title=f"{title} — after epoch {epochs[-1]}", x="", y="", height=470 + label_room)
    # What every box shares is said once, in the template, not in each of its (epochs × variants × 2) traces.
    fig.layout.template.data.box = [go.Box(boxpoints="all", pointpos=0, jitter=0.3, boxmean=True, showlegend=False,
                                           marker=dict(size=6))]
    return fig


def ranking(diffs: pd.DataFrame, *, title: str) -> go.Figure:
    """Each variant's mean test-accuracy gap to ReLU (percentage points) with its 95 % interval (thick) and its
    interval corrected for all the comparisons (thin), sorted, coloured by verdict; 0 = ReLU."""
    d = diffs.sort_values("acc_gap_pp")
    fig = go.Figure()
    for verdict, colour in VERDICT_COLOURS.items():
        rows = d[d.verdict == verdict]
        if rows.empty:
            continue
        fig.add_trace(go.Scatter(
            x=rows.acc_gap_pp, y=rows.variant, mode="markers", name=verdict, marker=dict(color=colour, size=11),
            error_x=dict(type="data", symmetric=False, array=rows.acc_high - rows.acc_gap_pp,
                         arrayminus=rows.acc_gap_pp - rows.acc_low, thickness=3, width=0, color=colour),
            customdata=np.stack([rows.acc_low, rows.acc_high, rows.n_seeds], axis=1),
            hovertemplate="%{y}: %{x:+.2f} pp (95 % CI %{customdata[0]:+.2f} to %{customdata[1]:+.2f}, "
                          "%{customdata[2]} seeds)<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=d.acc_gap_pp, y=d.variant, mode="markers", marker=dict(size=1, color="rgba(0,0,0,0)"),
        error_x=dict(type="data", symmetric=False, array=d.acc_high_corrected - d.acc_gap_pp,
                     arrayminus=d.acc_gap_pp - d.acc_low_corrected, thickness=1, width=6, color="#444"),
        name=f"interval corrected for {diffs.attrs.get('comparisons', len(d))} comparisons", hoverinfo="skip"))
    fig.add_vline(x=0, line=dict(color="#1f77b4", dash="dash"), annotation_text="ReLU",
                  annotation_position="top")
    fig = finish(fig, title=title, x="test accuracy minus ReLU's (percentage points, paired by seed)", y="",
                 height=120 + 45 * len(d))
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, x=0))
    return fig


def datasets_side_by_side(by_dataset: dict[str, pd.DataFrame], *, title: str, same_scale: bool = False) -> go.Figure:
    """The ranking of both datasets in two panels with the same rows: does the verdict change on harder data?
    `same_scale`: one x scale for every panel (the same network trained two ways: how wide the intervals are is the
    point), else each panel its own."""
    names = list(by_dataset)
    order = list(dict.fromkeys(v for d in by_dataset.values() for v in d.variant))  # each in the book's order
    # Up to three panels in a row; four or more in rows of two, so that their titles fit side by side on a phone.
    cols = len(names) if len(names) <= 3 else 2
    grid = -(-len(names) // cols)
    fig = make_subplots(rows=grid, cols=cols, shared_yaxes=True, shared_xaxes="all" if same_scale else False,
                        horizontal_spacing=0.05, subplot_titles=[DATASET_NAMES.get(n, n) for n in names],
                        **(dict(vertical_spacing=0.17) if grid > 1 else {}))
    for at, name in enumerate(names):
        row, col = at // cols + 1, at % cols + 1
        d = by_dataset[name].set_index("variant").reindex(order).dropna(subset=["acc_gap_pp"]).reset_index()
        for verdict, colour in VERDICT_COLOURS.items():
            rows = d[d.verdict == verdict]
            fig.add_trace(go.Scatter(
                x=rows.acc_gap_pp, y=rows.variant, mode="markers", name=verdict, legendgroup=verdict,
                showlegend=(at == 0), marker=dict(color=colour, size=10),
                error_x=dict(type="data", symmetric=False, array=rows.acc_high - rows.acc_gap_pp,
                             arrayminus=rows.acc_gap_pp - rows.acc_low, thickness=3, width=0, color=colour),
                hovertemplate="%{y}: %{x:+.2f} pp<extra>" + DATASET_NAMES.get(name, name) + "</extra>"), row=row, col=col)
        fig.add_vline(x=0, line=dict(color="#1f77b4", dash="dash"), row=row, col=col)
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1])
    height = max(460, 160 + 45 * len(order) * grid)  # room for the axis titles above the legend with few rows
    fig = finish(fig, title=title, x="", y="", height=height)
    # Every panel's axis, the first's included (`finish` blanks it); three panels on a phone leave room for "pp" only
    # (the title says what the points are).
    fig.update_xaxes(title_text="pp vs ReLU" if cols <= 2 else "pp")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-60 / (height - 160), x=0))
    return fig


def cost(costs: pd.DataFrame, *, title: str) -> go.Figure:
    """Training seconds per epoch relative to ReLU, paired by seed: geometric mean with its 95 % interval."""
    d = costs.iloc[::-1]
    fig = go.Figure(go.Scatter(
        x=d.ratio, y=d.variant, mode="markers", marker=dict(size=11, color="#444"), name="ratio to ReLU",
        error_x=dict(type="data", symmetric=False, array=d.high - d.ratio, arrayminus=d.ratio - d.low, thickness=3,
                     width=0),
        hovertemplate="%{y}: %{x:.2f}× ReLU's seconds per epoch<extra></extra>"))
    fig.add_vline(x=1, line=dict(color="#1f77b4", dash="dash"), annotation_text="as fast as ReLU",
                  annotation_position="top")
    fig.update_xaxes(type="log")
    return finish(fig, title=title, x="training seconds per epoch ÷ ReLU's (log scale, paired by seed)", y="",
                  height=120 + 45 * len(d))


def median_curves(histories: dict[str, pd.DataFrame], *, title: str) -> go.Figure:
    """The median over seeds of the test accuracy after every epoch, one line per variant, for each network of
    `histories` (name → `FamilyResults.history()`); a menu picks the network. Only epochs every seed reached."""
    fig, shown_for, names = go.Figure(), [], [n for n, h in histories.items() if h is not None and not h.empty]
    for i, name in enumerate(names):
        rows = histories[name].dropna(subset=["test_accuracy"])
        colours = _colours(rows)
        for v in variant_order(rows):
            these = rows[rows.variant == v]
            median = these.groupby("epoch").agg(acc=("test_accuracy", "median"), seeds=("seed", "nunique"))
            median = median[median.seeds == median.seeds.max()]
            # Page weight (200 epochs × 6 variants × 4 networks): consecutive epochs as a start and a step, not an
            # array repeated in every trace, and the medians as float32, half the bytes of float64.
            epochs = median.index.to_numpy()
            consecutive = len(epochs) and np.array_equal(epochs, np.arange(epochs[0], epochs[0] + len(epochs)))
            x = dict(x0=int(epochs[0]), dx=1) if consecutive else dict(x=epochs)
            fig.add_trace(go.Scatter(**x, y=median.acc.round(4).to_numpy(np.float32), mode="lines", name=v,
                                     visible=(i == 0),
                                     line=dict(color=colours[v], width=2), legendgroup=v,
                                     hovertemplate=f"{v}<br>epoch %{{x}}: %{{y:.4f}}<extra>{name}, median of "
                                                   f"{int(median.seeds.max())} seeds</extra>"))
            shown_for.append(i)
    buttons = [dict(method="update", label=name, args=[{"visible": [s == i for s in shown_for]},
                                                        {"title.text": f"{title}: {name}"}])
               for i, name in enumerate(names)]
    fig = finish(fig, title=f"{title}: {names[0]}" if names else title, x="epoch",
                 y="test accuracy (median over seeds)", height=520)
    if len(names) > 1:
        # the menu on a row of its own under the title, which may wrap on a phone
        fig.update_layout(updatemenus=[dict(buttons=buttons, direction="down", x=0, xanchor="left", y=1.0,
                                            yanchor="bottom", pad=dict(b=6))], margin=dict(t=150),
                          title=dict(y=0.98, yanchor="top"))
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.18, x=0), showlegend=True)
    return fig

"""Chapter 5's GAN figures: generated digits per setting, seed and epoch; sample quality and losses over training.

Settings keep the book's colours: ReLU blue, Leaky ReLU α = 0.01 red, other slopes in `slope_colour`'s shades.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..experiments import gan
from .common import finish, slope_colour

MEANS_WIDTH = 4
STRIP_EPOCHS = 1
"""Epochs drawn in a seed's strip of grids during training (each grid weighs on the page; three regimes share it)."""
PAGE_GREYS = 16
"""Grey levels of a grid as the page draws it (`page_png`): the stored grids have 256."""
GRID_SEEDS = 3
"""Seeds drawn in a regime's grid of last-epoch digits, and whose losses its loss figure offers: every grid is a
picture in the page, and a regime has 8–10 seeds; the explorer at the end of the chapter shows any run."""


def setting_colour(name: str, names) -> str:
    """The book's colour of a discriminator setting ('ReLU', 'Leaky ReLU (α=0.2)', ...)."""
    return slope_colour(_alpha(name))  # `names`: kept for callers; a slope's colour is the same on every page


def _alpha(name: str) -> float:
    return 0.0 if name == "ReLU" else float(name.split("=")[1].rstrip(")"))


def training_figures(records, *, regime: str = "") -> list[go.Figure]:
    """A regime's figures of training, in the chapter's order: the digits at the last epoch (the first `GRID_SEEDS`
    seeds), the first seed's digits in between, sample quality over training (every seed), and the losses (the first
    `GRID_SEEDS` seeds)."""
    seeds = sorted({r["config"]["seed"] for r in records})
    return [sample_grid_figure(records, seeds=seeds[:GRID_SEEDS], regime=regime),
            sample_epochs_figure(records, seed=seeds[0], regime=regime),
            quality_figure(records, regime=regime), loss_figure(records, regime=regime, seeds=seeds[:GRID_SEEDS])]


def sample_grid_figure(records, *, epoch: int | None = None, seeds=None, regime: str = "") -> go.Figure:
    """The 5 × 5 grids of generated digits at one epoch (default: the last): one column per setting, one row per
    seed. The same noise everywhere, so a column compares seeds and a row compares settings. No slider: every grid
    is a picture, and a slider over epochs would carry all of them into the page (the live explorer has them).
    `regime`, when given, starts the title."""
    grids = gan.sample_grids(records)
    names = gan.settings(records)
    epoch = max(e for *_, e in grids) if epoch is None else epoch
    seeds = sorted({seed for _, seed, _ in grids}) if seeds is None else list(seeds)
    return _grid_figure(grids, [(s, n, epoch) for s in seeds for n in names], [_short(n) for n in names],
                        [f"seed {s}" for s in seeds],
                        _titled(f"Generated digits at epoch {epoch}", regime))


def sample_epochs_figure(records, seed: int, *, regime: str = "") -> go.Figure:
    """One seed's grids during training: one row per setting, one column per stored epoch between the first and
    the last, at most `STRIP_EPOCHS` of them, spread over the first half of training past the first epoch's noise
    (the untrained noise and the last epoch's grids, shown by `sample_grid_figure`, would only add weight to the
    page)."""
    grids = gan.sample_grids(records)
    names = gan.settings(records)
    stored = sorted({e for n, s, e in grids if s == seed})
    epochs = [e for e in stored if 0 < e < stored[-1]] or stored
    if len(epochs) > STRIP_EPOCHS:  # past the first epoch's noise, over the first half, where the digits change most
        epochs = epochs[1:]
        epochs = [epochs[round(i)] for i in np.linspace(0, len(epochs) // 2, STRIP_EPOCHS)]
    return _grid_figure(grids, [(seed, n, e) for n in names for e in epochs], [f"epoch {e}" for e in epochs],
                        [_short(n) for n in names], _titled(f"Seed {seed}'s digits during training", regime))


def _grid_figure(grids, cells, column_titles, row_titles, title) -> go.Figure:
    """Images of `grids` at (seed, setting, epoch) `cells`, filled row by row into a titled grid of panels."""
    rows, cols = len(row_titles), len(column_titles)
    fig = make_subplots(rows=rows, cols=cols, column_titles=column_titles, row_titles=row_titles,
                        horizontal_spacing=0.02, vertical_spacing=0.015)
    for i, (seed, name, epoch) in enumerate(cells):
        png = grids.get((name, seed, epoch))
        fig.add_trace(go.Image(source=f"data:image/png;base64,{page_png(png)}" if png else "",
                               name=f"{name}, seed {seed}, epoch {epoch}",
                               hovertemplate=f"{name}, seed {seed}, epoch {epoch}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    finish(fig, title=title, x="", y="", height=170 * rows + 110)
    fig.update_layout(margin=dict(l=10, r=30, t=70, b=10))
    return fig


def _single(values) -> np.ndarray:
    """Values as float32: plotly writes a numpy array into the page as binary, and float32 takes half the bytes of
    float64 with seven significant digits, more than a line or a hover label shows."""
    return np.asarray(values, dtype=np.float32)


PROPER = ("Fréchet",)
"""First words of a title that keep their capital after a regime's name."""


def _titled(title: str, regime: str) -> str:
    if not regime:
        return title
    first = title.split(" ")[0]
    return f"{regime[0].upper()}{regime[1:]}: {title if first in PROPER else title[0].lower() + title[1:]}"


def _short(name: str) -> str:
    return name.replace("Leaky ReLU ", "Leaky ")


def quality_figure(records, *, regime: str = "") -> go.Figure:
    """Fréchet distance, digits covered and label entropy over the snapshot epochs: one thin line per seed, a thick
    one for the mean of each setting; the slider picks the measure."""
    frame = gan.snapshots(records)
    names = gan.settings(records)
    measures = [("test_frechet", "Fréchet distance (judge features; lower is better)"),
                ("test_coverage", "digits covered, of 10"),
                ("test_label_entropy", "entropy of the judge's labels (bits; 3.32 = all ten equally)")]
    fig = go.Figure()
    owner = []
    for m, (column, _) in enumerate(measures):
        for name in names:
            part = frame[frame.setting == name]
            colour = setting_colour(name, names)
            # Every seed's thin line in one trace, runs apart by a gap: one trace per run would weigh a page down.
            x, y, seeds = _runs_apart(part, column)
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=colour, width=1), opacity=0.45,
                                     name=f"{name}, each seed", legendgroup=name, showlegend=False, visible=m == 0,
                                     text=seeds, hovertemplate="%{text}: %{y:.3g} at epoch %{x}<extra>" + name
                                     + "</extra>"))
            owner.append(m)
            mean = part.groupby("epoch")[column].mean()
            fig.add_trace(go.Scatter(x=mean.index, y=_single(mean.values), mode="lines+markers", name=f"{name} (mean)",
                                     legendgroup=name, line=dict(color=colour, width=MEANS_WIDTH), visible=m == 0))
            owner.append(m)
    # The Fréchet distance falls by orders of magnitude in the first epochs: a log axis shows the later epochs.
    steps = [dict(method="update", label=("Fréchet", "digits", "entropy")[m],
                  args=[{"visible": [o == m for o in owner]},
                        {"yaxis.title.text": label, "yaxis.type": "log" if m == 0 else "linear"}])
             for m, (_, label) in enumerate(measures)]
    fig.update_layout(sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="measure: "), pad=dict(t=50))])
    finish(fig, title=_titled("Sample quality over training", regime), x="epoch", y=measures[0][1], height=500)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), margin=dict(t=100))
    fig.update_yaxes(type="log")
    return fig


def _runs_apart(part, column: str) -> tuple[np.ndarray, np.ndarray, list]:
    """x, y and a label per point of every seed's run of `part` in one line, a gap (NaN) between runs."""
    x, y, seeds = [], [], []
    for seed, run in part.groupby("seed"):
        x += [*run.epoch, np.nan]
        y += [*run[column], np.nan]
        seeds += [f"seed {seed}"] * len(run) + [""]
    return _single(x), _single(y), seeds


def loss_figure(records, *, regime: str = "", seeds=None) -> go.Figure:
    """Discriminator and generator losses per epoch (means over the epoch's batches), one panel each; the slider
    picks the seed (of `seeds`; default every seed), the three settings drawn together."""
    frame = gan.losses(records)
    names = gan.settings(records)
    seeds = sorted(frame.seed.unique()) if seeds is None else list(seeds)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("discriminator loss (real + generated)", "generator loss (non-saturating)"))
    owner = []
    for k, seed in enumerate(seeds):
        for name in names:
            run = frame[(frame.seed == seed) & (frame.setting == name)]
            for row, column in ((1, "d_loss"), (2, "g_loss")):
                fig.add_trace(go.Scatter(x=run.epoch, y=_single(run[column]), mode="lines", name=name,
                                         legendgroup=name,
                                         showlegend=row == 1, visible=k == 0,
                                         line=dict(color=setting_colour(name, names), width=2)), row=row, col=1)
                owner.append(k)
    steps = [dict(method="update", label=str(seed), args=[{"visible": [o == k for o in owner]}])
             for k, seed in enumerate(seeds)]
    fig.update_layout(sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="seed: "), pad=dict(t=50))])
    finish(fig, title=_titled("Losses over training", regime), x="", y="", height=600)
    fig.update_xaxes(title_text="epoch", row=2, col=1)
    fig.update_yaxes(title_text="loss (nats)", row=1, col=1)
    fig.update_yaxes(title_text="loss (nats)", row=2, col=1)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.07, x=0), margin=dict(t=110))
    return fig


def paired_figure(records, *, regime: str = "") -> go.Figure:
    """Fréchet distance at the end of training, one line per seed across the settings (paired), failed runs as
    crosses; a diverged run, which has no final distance, is drawn at the regime's worst one, as the verdict counts
    it (`gan.final_values`)."""
    names = gan.settings(records)
    final = gan.final_values(records)
    failed = {(gan.setting(r), r["config"]["seed"]) for r in records if gan.failed(r)}
    diverged = {(gan.setting(r), r["config"]["seed"]) for r in records if r["status"] == "diverged"}
    fig = go.Figure()
    for seed, run in final.iterrows():
        fig.add_trace(go.Scatter(x=[_short(n) for n in names], y=run.reindex(names), mode="lines", showlegend=False,
                                 line=dict(color="#999", width=1), hoverinfo="skip"))
    for name in names:
        part = final[name]
        symbols = ["x" if (name, s) in failed else "circle" for s in part.index]
        text = [f"seed {s}" + (" (diverged: the worst distance)" if (name, s) in diverged else "") for s in part.index]
        fig.add_trace(go.Scatter(x=[_short(name)] * len(part), y=part.values, mode="markers", name=name,
                                 marker=dict(color=setting_colour(name, names), size=11, symbol=symbols),
                                 text=text, hovertemplate="%{text}: %{y:.1f}<extra>" + name + "</extra>"))
    finish(fig, title=_titled("Final Fréchet distance, paired by seed", regime),
           x="discriminator activation (× = failed run)", y="Fréchet distance (judge features; lower is better)",
           height=430)
    return fig


def page_png(png: str) -> str:
    """A stored grid (base64 PNG, 256 grey levels) re-encoded with `PAGE_GREYS` levels for the page: about half the
    bytes, and digits read the same (the stored record keeps its full grid)."""
    import base64
    import io

    from PIL import Image

    levels = np.round(decode_grid(png) / 255 * (PAGE_GREYS - 1)) * (255 / (PAGE_GREYS - 1))
    buffer = io.BytesIO()
    Image.fromarray(levels.astype(np.uint8)).quantize(PAGE_GREYS).save(buffer, "PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_grid(png: str) -> np.ndarray:
    """A stored grid (base64 PNG) as a uint8 array, e.g. to check it or to redraw it."""
    import base64
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png))))

"""Live explorers of Chapter 5's GAN runs: a stored run's digits at any snapshot epoch, or a fresh pair trained now."""

from __future__ import annotations

import ipywidgets as W
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..experiments import gan
from ..figures.common import finish
from ..figures.gan import page_png, setting_colour
from .common import PairTraining, choice_slider, figure_output, live_figure, static_book, static_notice

STYLE = dict(style={"description_width": "initial"})


def run_figure(record: dict, epoch: int, names=None) -> go.Figure:
    """One run: its grid of digits at `epoch` (left) and its losses with that epoch marked (right)."""
    names = names or [gan.setting(record)]
    grids = {row["epoch"]: row["png"] for row in record.get("probes", {}).get("generated_digits", [])}
    if epoch not in grids:
        raise ValueError(f"epoch must be one of the run's grid epochs {sorted(grids)}; got {epoch!r}")
    name, seed = gan.setting(record), record["config"]["seed"]
    history = record["history"]
    snap = {s["epoch"]: s for s in record["snapshots"]}.get(epoch)
    detail = (f"Fréchet {snap['test_frechet']:.1f}, {snap['test_coverage']:.0f} digits" if snap
              else "before training")
    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], subplot_titles=(f"epoch {epoch}: {detail}",
                                                                                  "losses per epoch"))
    fig.add_trace(go.Image(source=f"data:image/png;base64,{page_png(grids[epoch])}", hoverinfo="skip"), row=1, col=1)
    colour = setting_colour(name, names)
    for column, dash in (("train_d_loss", "solid"), ("train_g_loss", "dot")):
        fig.add_trace(go.Scatter(x=history["epoch"], y=history[column], mode="lines+markers", line=dict(color=colour,
                                 dash=dash), name=column.replace("train_", "").replace("_", " ")), row=1, col=2)
    if epoch:
        fig.add_vline(x=epoch, line=dict(color="#777", dash="dash"), row=1, col=2)
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, row=1, col=1)
    finish(fig, title=f"{name}, seed {seed}", x="", y="", height=380)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    fig.update_yaxes(title_text="loss (nats)", row=1, col=2)
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    return fig


def stored_run_explorer(records) -> W.VBox:
    """Dropdowns for the discriminator's activation and the seed, a slider for the epoch: that stored run's digits
    and losses (no training; every grid is in the run's record)."""
    names = gan.settings(records)
    by_run = {(gan.setting(r), r["config"]["seed"]): r for r in records}
    seeds = sorted({seed for _, seed in by_run})
    epochs = sorted({row["epoch"] for r in records for row in r.get("probes", {}).get("generated_digits", [])})
    controls = {
        "name": W.Dropdown(options=names, value=names[0], description="discriminator", **STYLE),
        "seed": W.Dropdown(options=seeds, value=seeds[0], description="seed", **STYLE),
        "epoch": choice_slider(epochs, epochs[-1], "epoch"),
    }
    return live_figure(controls, lambda name, seed, epoch: run_figure(by_run[name, seed], epoch, names))


def fresh_pair_explorer(data, *, epochs=(1, 2), seed: int = 0, setting: str = "Leaky ReLU (α=0.2)",
                        settings=("ReLU", "Leaky ReLU (α=0.01)", "Leaky ReLU (α=0.2)"),
                        regime: str = "standard") -> W.VBox:
    """Train a new pair (on `data`) for the chosen activation, seed and regime (`gan.REGIMES`: its optimiser and
    learning rate) when Train is pressed, with a progress bar and Stop, through the live pair-training loop every
    Train explorer shares (`common.PairTraining`), and draw it. Nothing trains before that, so a book build costs
    nothing. Runs go to a temporary store, never to results/."""
    from ..engine import RunConfig

    shared = {name: {k: v for k, v in gan.study(name).settings.items()
                     if k not in ("epochs", "n_train", "n_test", "keep_weights")} for name in gan.REGIMES}
    controls = {"name": W.Dropdown(options=list(settings), value=setting, description="discriminator", **STYLE),
                "seed": W.BoundedIntText(value=seed, min=0, max=10_000, description="seed", **STYLE),
                "regime": W.Dropdown(options=[(r.name, k) for k, r in gan.REGIMES.items()], value=regime,
                                     description="regime", **STYLE)}
    output = W.Output()
    last = epochs[-1]

    def chosen():
        return controls["name"].value, int(controls["seed"].value), controls["regime"].value

    def plan(request):
        name, seed, regime = request
        activation, alpha = ("relu", 0.01) if name == "ReLU" else ("leaky_relu", float(name.split("=")[1][:-1]))
        config = RunConfig(activation=activation, alpha=alpha, seed=seed, epochs=tuple(epochs),
                           n_train=len(data.y_train), n_test=len(data.y_test), data_seed=data.seed,
                           keep_weights="none", **{**shared[regime], "probe_every": last})
        return [(f"{name}, seed {seed}, {gan.REGIMES[regime].name}", config, data)]

    def draw(note=""):
        for record in training.records.values():
            if record["epochs_done"] >= last:  # the digits are drawn at the last epoch
                output.outputs = (figure_output(run_figure(record, last, list(settings))),)
        if training.stale() and not training.busy():
            (shown,) = training.records
            name, seed, regime = chosen()
            note = (f"Out of date: the figure shows {shown}; press Train for {name}, seed {seed}, "
                    f"{gan.REGIMES[regime].name}.")
        return note

    def summary(records, n_epochs):
        (name,) = records
        return f"Done: {name}, trained for {n_epochs} epoch(s) on {len(data.y_train):,} images (one seed: no verdict)."

    training = PairTraining(chosen, plan, lambda: last, draw, summary, name="rectifiers-gan-train")
    for control in controls.values():
        control.observe(lambda change: training.busy() or not training.records
                        or setattr(training.status, "value", draw()), names="value")
    training.status.value = (f"Press Train to train a pair for {last} epoch(s) on {len(data.y_train):,} images "
                             "(tens of seconds to minutes on a laptop).")
    notice = [static_notice("Training a pair")] if static_book() else []
    box = W.VBox([*notice, W.HBox([*controls.values()]), W.HBox([training.button, training.stop, training.progress]),
                  training.status, output])
    box.output, box.busy, box.button, box.store, box.training = (output, training.status, training.button,
                                                                  training.store, training)
    return box

"""Live (Chapter 5): pick a model, an optimiser, a learning rate and α, press Train, and watch ten (or more) seeds of
ReLU and as many of Leaky ReLU train at that learning rate — how many fail, with the interval that count allows?

The runs train through the engine, like the chapter's studies, on a small MNIST subset and in a temporary store
(`widgets.common.temporary_store`), in a worker thread with a progress bar; Stop ends it after the current
epoch. The MLP's runs train together as one stacked program (`engine/stacked.py`: every seed its own run, from its
own initial weights), so twenty runs take seconds; the seed CNN's train one after another. Seed s of ReLU and seed s
of Leaky ReLU start from the same weights and see the images in the same order.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as W
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..engine import RunConfig, load_run_data, run_key, train, train_group
from ..experiments.learning_rates import MODELS, OPTIMIZER_NAMES
from ..experiments.outcomes import failed
from ..figures.common import colour, finish
from ..names import LABELS, SLOPED
from ..stats import wilson_interval
from ..validation import check_choice, check_int
from .common import (EpochCallback, TrainingStopped, alpha_slider, choice_slider, figure_output, static_book,
                     static_notice, temporary_store, wire_train_buttons)

RATES = {"adam": (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3), "sgd": (0.01, 0.03, 0.1, 0.3, 0.6, 1.0)}
"""Learning rates the slider offers per optimiser, from "all train" to "all fail" in the chapter's studies."""


def seed_configs(model: str, optimizer: str, learning_rate: float, alpha: float, *, epochs: int, n_train: int,
                 n_test: int, seeds: int) -> list[RunConfig]:
    """The runs of one Train press: seeds 0 … seeds-1 of ReLU and of Leaky ReLU (α), the chapter's study settings on
    a smaller subset; the MLP's stacked."""
    shape = dict(depth=4, width=32, initializer="he", stacked=True) if model == "mlp" else {}
    return [RunConfig(dataset="mnist", model=model, activation=activation, alpha=alpha, seed=seed, epochs=(epochs,),
                      n_train=n_train, n_test=n_test, optimizer=optimizer, learning_rate=learning_rate,
                      probes=("dead_units",), probe_every=100, test_every=1, keep_weights="none", **shape)
            for seed in range(seeds) for activation in ("relu", "leaky_relu")]


def train_seeds(configs: list[RunConfig], store, data, on_epoch) -> list[dict]:
    """Train the runs (stacked ones as one group); `on_epoch()` after every epoch of every run."""
    progress = EpochCallback(on_epoch)
    if all(c.stacked for c in configs):
        return train_group(configs, store=store, data=data, progress=progress)
    return [train(c, store=store, data=data, progress=progress) for c in configs]


def _name(record: dict) -> str:
    activation, alpha = record["config"]["activation"], record["config"]["alpha"]
    return LABELS[activation] + (f" α={alpha:g}" if activation in SLOPED else "")


def seeds_figure(records: list[dict], note: str = "") -> go.Figure:
    """Test accuracy per epoch of every run so far, and per activation the share of ended runs that failed
    (`outcomes.failed`) with its 95 % Wilson interval."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38],
                        subplot_titles=("test accuracy per epoch, one line per seed", "runs failed (95 % interval)"))
    shown = set()
    for record in records:
        activation, name = record["config"]["activation"], _name(record)
        history = record["history"]
        fig.add_trace(go.Scatter(x=history["epoch"], y=history["test_accuracy"], mode="lines", name=name,
                                 legendgroup=name, showlegend=name not in shown, opacity=0.6,
                                 line=dict(color=colour(activation), width=1)), row=1, col=1)
        shown.add(name)
    for name in dict.fromkeys(map(_name, records)):
        ended = [r for r in records if r["status"] != "partial" and _name(r) == name]
        if not ended:
            continue
        count = wilson_interval(sum(map(failed, ended)), len(ended))
        fig.add_trace(go.Bar(x=[name], y=[count.rate], marker_color=colour(ended[0]["config"]["activation"]),
                             error_y=dict(type="data", symmetric=False, array=[count.high - count.rate],
                                          arrayminus=[count.rate - count.low]),
                             text=[f"{count.k} of {count.n}"], textposition="outside", showlegend=False),
                      row=1, col=2)
    fig.update_yaxes(range=[0, 1.05])
    fig.update_xaxes(title_text="epoch", row=1, col=1)
    title = "Fresh seeds, trained together" + (f"<br><sub>{html.escape(note)}</sub>" if note else "")
    fig = finish(fig, title=title, x="epoch", y="fraction", height=430)
    if note:  # a two-line title: room above the panels' own titles, which it covered
        fig.update_layout(margin=dict(t=100))
    return fig


def seeds_explorer(*, model: str = "mlp", optimizer: str = "adam", learning_rate: float = 0.1, alpha: float = 0.01,
                   epochs: int = 2, n_train: int = 1000, n_test: int = 500, seeds: int = 10) -> W.VBox:
    """Model, optimiser, learning rate, α and seed-count controls, Train / Stop and a progress bar; the figure shows
    the runs as they train and the failure counts. The box has `.train()` (the button's work, in the caller's
    thread) and its controls."""
    check_choice("model", model, list(MODELS))
    check_choice("optimizer", optimizer, list(RATES))
    if learning_rate not in RATES[optimizer]:
        raise ValueError(f"learning_rate must be one of {', '.join(map(str, RATES[optimizer]))} for {optimizer}; "
                         f"got {learning_rate!r}")
    epochs, seeds = check_int("epochs", epochs, low=1, high=20), check_int("seeds", seeds, low=10, high=50)
    n_train, n_test = check_int("n_train", n_train, low=10), check_int("n_test", n_test, low=10)
    style = {"description_width": "initial"}
    model_control = W.Dropdown(options=[(v, k) for k, v in MODELS.items()], value=model, description="model")
    optimizer_control = W.Dropdown(options=[(v, k) for k, v in OPTIMIZER_NAMES.items()], value=optimizer,
                                   description="optimiser")
    rate_control = choice_slider(RATES[optimizer], learning_rate, "learning rate")
    alpha_control = alpha_slider(alpha)
    seeds_control = W.BoundedIntText(value=seeds, min=10, max=50, description="seeds", style=style,
                                     layout=W.Layout(width="9em"))
    button = W.Button(description="Train", button_style="primary", icon="play")
    stop = W.Button(description="Stop", icon="stop", disabled=True, tooltip="stop after the current epoch")
    progress = W.IntProgress(value=0, min=0, max=2 * seeds * epochs, description="run-epochs", style=style)
    status = W.Label(value=f"Press Train to train {seeds} seeds of ReLU and {seeds} of Leaky ReLU.")
    output = W.Output()
    output.outputs = (figure_output(seeds_figure([], "nothing trained yet")),)
    box = W.VBox()
    store = temporary_store(box)
    state = {"thread": None, "stop": threading.Event()}

    def on_optimizer(change):
        rates, before = RATES[change["new"]], rate_control.value
        rate_control.options = rates
        rate_control.value = before if before in rates else rates[len(rates) // 2]
        if rate_control.value != before:  # said, not done silently
            status.value = (f"Learning rate set to {rate_control.value:g}: {OPTIMIZER_NAMES[change['new']]} offers "
                            f"{', '.join(f'{r:g}' for r in rates)}.")

    optimizer_control.observe(on_optimizer, names="value")

    def run(_=None):
        settings = (model_control.value, optimizer_control.value, float(rate_control.value))
        a, n = float(alpha_control.value), int(seeds_control.value)
        configs = seed_configs(*settings, a, epochs=epochs, n_train=n_train, n_test=n_test, seeds=n)
        data = load_run_data(configs[0])
        keys = [run_key(c, data) for c in configs]
        state["stop"].clear()
        progress.value, progress.max, progress.bar_style = 0, len(configs) * epochs, ""
        how = "stacked" if configs[0].stacked else "one after another"
        what = f"{MODELS[settings[0]]}, {OPTIMIZER_NAMES[settings[1]]} {settings[2]:g}, α={a:g}, {n} seeds each"
        ticks = {"n": 0}

        def records():
            return [r for r in map(store.get, keys) if r is not None]

        def on_epoch():
            ticks["n"] += 1
            progress.value = ticks["n"]
            if ticks["n"] % (len(configs) if configs[0].stacked else epochs) == 0:  # once per epoch of the group
                output.outputs = (figure_output(seeds_figure(records(), what)),)
            if state["stop"].is_set():
                raise TrainingStopped

        status.value = f"Training {len(configs)} runs {how} ({what}) …"
        try:
            done = train_seeds(configs, store, data, on_epoch)
            output.outputs = (figure_output(seeds_figure(done, what)),)
            counts = {}
            for r in done:
                counts.setdefault(_name(r), []).append(failed(r))
            outcome = "; ".join(f"{name}: {wilson_interval(sum(f), len(f)).text()} failed"
                                for name, f in counts.items())
            progress.bar_style = "success"
            status.value = f"Done ({what}): {outcome}."
        except TrainingStopped:
            progress.bar_style = "warning"
            status.value = "Stopped; Train resumes the same runs."
        except BaseException as error:
            progress.bar_style = "danger"
            status.value = f"Training ended early ({type(error).__name__}: {error})."
            raise
        return records()

    wire_train_buttons(button, stop, state, run, name="rectifiers-seeds")
    if static_book():
        button.disabled = True
    notice = [static_notice("Training")] if static_book() else []
    box.children = [*notice, W.HBox([model_control, optimizer_control]), W.HBox([rate_control.shown, alpha_control]),
                    W.HBox([seeds_control, button, stop, progress]), status, output]
    box.train, box.output, box.status, box.progress = run, output, status, progress
    box.model, box.optimizer, box.rate, box.alpha, box.seeds = (model_control, optimizer_control, rate_control,
                                                                alpha_control, seeds_control)
    return box

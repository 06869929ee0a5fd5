"""Live (Chapter 5): pick a model, an optimiser, a learning rate and α, press Train, and watch a fresh ReLU / Leaky
ReLU pair train from the same initial weights — does either fail, and how many units die?

The pair trains through the engine, like the chapter's studies, on a small MNIST subset and in a temporary store
(`widgets.comparison._temporary_store`), in a worker thread with a progress bar; Stop ends it after the current
epoch. One pair is one seed: the chapter's studies say how often; this shows one instance.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as W
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..engine import RunConfig, load_run_data, run_key, train
from ..experiments.learning_rates import MODELS, OPTIMIZER_NAMES, total_dead_fraction
from ..experiments.outcomes import failed
from ..figures.common import colour, finish
from ..validation import check_choice, check_int
from .common import alpha_slider, figure_output, static_book, static_notice, wire_train_buttons
from .comparison import TrainingStopped, _EpochCallback, _temporary_store

RATES = {"adam": (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3), "sgd": (0.01, 0.03, 0.1, 0.3, 0.6, 1.0)}
"""Learning rates the slider offers per optimiser, from "all train" to "all fail" in the chapter's studies."""


def pair_config(model: str, optimizer: str, learning_rate: float, activation: str, alpha: float, *, epochs: int,
                n_train: int, n_test: int, seed: int) -> RunConfig:
    """The config of one run of the pair: the chapter's study settings, on a smaller subset."""
    shape = dict(depth=4, width=32, initializer="he") if model == "mlp" else {}
    return RunConfig(dataset="mnist", model=model, activation=activation, alpha=alpha, seed=seed, epochs=(epochs,),
                     n_train=n_train, n_test=n_test, optimizer=optimizer, learning_rate=learning_rate,
                     probes=("dead_units",), probe_every=100, test_every=1, keep_weights="none", **shape)


def pair_figure(records: dict, note: str = "") -> go.Figure:
    """Test accuracy per epoch and the share of units dead at the end, for each run of the pair trained so far."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.65, 0.35],
                        subplot_titles=("test accuracy per epoch", "units dead at the end"))
    for name, record in records.items():
        history = record["history"]
        activation = record["config"]["activation"]
        fig.add_trace(go.Scatter(x=history["epoch"], y=history["test_accuracy"], mode="lines+markers", name=name,
                                 line=dict(color=colour(activation))), row=1, col=1)
        if record["status"] != "partial":
            dead = total_dead_fraction(record)
            text = ("failed" if failed(record) else "trained") + ("" if dead == dead else ", diverged")
            fig.add_trace(go.Bar(x=[name], y=[dead if dead == dead else 0], marker_color=colour(activation),
                                 showlegend=False, text=[text], textposition="outside"), row=1, col=2)
    fig.update_yaxes(range=[0, 1.05])
    fig.update_xaxes(title_text="epoch", row=1, col=1)
    title = "A fresh pair from the same initial weights" + (f"<br><sub>{html.escape(note)}</sub>" if note else "")
    return finish(fig, title=title, x="epoch", y="fraction", height=430)


def pair_explorer(*, model: str = "mlp", optimizer: str = "adam", learning_rate: float = 0.1, alpha: float = 0.01,
                  epochs: int = 2, n_train: int = 1000, n_test: int = 500, seed: int = 0) -> W.VBox:
    """Model, optimiser, learning rate, α and seed controls, Train / Stop and a progress bar; the figure shows the
    pair as it trains. The box has `.train()` (the button's work, in the caller's thread) and its controls."""
    check_choice("model", model, list(MODELS))
    check_choice("optimizer", optimizer, list(RATES))
    if learning_rate not in RATES[optimizer]:
        raise ValueError(f"learning_rate must be one of {', '.join(map(str, RATES[optimizer]))} for {optimizer}; "
                         f"got {learning_rate!r}")
    epochs, seed = check_int("epochs", epochs, low=1, high=20), check_int("seed", seed, low=0)
    n_train, n_test = check_int("n_train", n_train, low=10), check_int("n_test", n_test, low=10)
    style = {"description_width": "initial"}
    model_control = W.Dropdown(options=[(v, k) for k, v in MODELS.items()], value=model, description="model")
    optimizer_control = W.Dropdown(options=[(v, k) for k, v in OPTIMIZER_NAMES.items()], value=optimizer,
                                   description="optimiser")
    rate_control = W.SelectionSlider(options=RATES[optimizer], value=learning_rate, description="learning rate",
                                     continuous_update=False, style=style)
    alpha_control = alpha_slider(alpha)
    seed_control = W.BoundedIntText(value=seed, min=0, max=10_000, description="seed", style=style,
                                    layout=W.Layout(width="9em"))
    button = W.Button(description="Train", button_style="primary", icon="play")
    stop = W.Button(description="Stop", icon="stop", disabled=True, tooltip="stop after the current epoch")
    progress = W.IntProgress(value=0, min=0, max=2 * epochs, description="epochs trained", style=style)
    status = W.Label(value="Press Train to train ReLU and Leaky ReLU from the same initial weights.")
    output = W.Output()
    output.outputs = (figure_output(pair_figure({}, "nothing trained yet")),)
    box = W.VBox()
    store = _temporary_store(box)
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
        a, s = float(alpha_control.value), int(seed_control.value)
        state["stop"].clear()
        progress.value, progress.bar_style = 0, ""
        records, done = {}, {}
        what = f"{MODELS[settings[0]]}, {OPTIMIZER_NAMES[settings[1]]} {settings[2]:g}, seed {s}"
        try:
            for activation, name in (("relu", "ReLU"), ("leaky_relu", f"Leaky ReLU α={a:g}")):
                config = pair_config(*settings, activation, a, epochs=epochs, n_train=n_train, n_test=n_test, seed=s)
                data = load_run_data(config)
                key = run_key(config, data)

                def show(name=name, key=key):
                    records[name] = store.get(key)
                    done[name] = records[name]["epochs_done"]
                    progress.value = sum(done.values())
                    output.outputs = (figure_output(pair_figure(records, what)),)
                    if state["stop"].is_set():
                        raise TrainingStopped

                status.value = f"Training {name} ({what}) …"
                if store.get(key) is None:
                    train(config, store=store, data=data, progress=_EpochCallback(show))
                show()
            outcome = ", ".join(f"{n}: {'failed' if failed(r) else 'trained'}" for n, r in records.items())
            progress.bar_style = "success"
            status.value = f"Done ({what}, one seed): {outcome}."
        except TrainingStopped:
            progress.bar_style = "warning"
            status.value = "Stopped; Train starts the pair again."
        except BaseException as error:
            progress.bar_style = "danger"
            status.value = f"Training ended early ({type(error).__name__}: {error})."
            raise
        return records

    wire_train_buttons(button, stop, state, run, name="rectifiers-pair")
    if static_book():
        button.disabled = True
    notice = [static_notice("Training")] if static_book() else []
    box.children = [*notice, W.HBox([model_control, optimizer_control]), W.HBox([rate_control, alpha_control]),
                    W.HBox([seed_control, button, stop, progress]), status, output]
    box.train, box.output, box.status, box.progress = run, output, status, progress
    box.model, box.optimizer, box.rate, box.alpha, box.seed = (model_control, optimizer_control, rate_control,
                                                               alpha_control, seed_control)
    return box

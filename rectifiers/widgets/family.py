"""Live: pick two rectifiers and a number of epochs, train a fresh pair from the same initial weights, and watch
their test accuracy grow epoch by epoch.

Trains through the same engine as the chapter's studies, on a small subset and in a temporary store of its own
(see `widgets.comparison`, whose Stop button, progress callback and store this explorer reuses); asking for more
epochs later resumes the runs, and a run trained before is not trained again.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as W
import pandas as pd
import plotly.graph_objects as go

from ..engine import RunConfig, load_run_data, run_key, train
from ..experiments.family import variant
from ..figures.common import finish
from ..figures.family import variant_colour
from ..validation import check_choice, check_int
from .common import figure_output, static_book, static_notice, wire_train_buttons
from .comparison import TrainingStopped, _EpochCallback, _temporary_store

CHOICES = [("ReLU", ("relu", 0.01)), ("Leaky ReLU α=0.01", ("leaky_relu", 0.01)),
           ("Leaky ReLU α=0.1", ("leaky_relu", 0.1)), ("Leaky ReLU α=0.3", ("leaky_relu", 0.3)),
           ("PReLU (starts at 0.01)", ("prelu", 0.01)), ("ELU", ("elu", 0.01)), ("GELU", ("gelu", 0.01)),
           ("Swish / SiLU", ("swish", 0.01))]


def pair_figure(live: dict, *, n_train: int, dataset: str, note: str = "", stored: pd.DataFrame | None = None,
                pair=()) -> go.Figure:
    """Test accuracy per epoch of each live run (one seed each, the same initial weights), over the stored
    study's mean over seeds (dashed) for the activations of `pair`."""
    fig = go.Figure()
    for activation, alpha in pair if stored is not None and not stored.empty else ():
        name = variant(activation, alpha)
        rows = stored[stored.variant == name].dropna(subset=["test_accuracy"])
        if rows.empty:
            continue
        mean = rows.groupby("epoch").agg(acc=("test_accuracy", "mean"), seeds=("seed", "nunique")).reset_index()
        mean = mean[mean.seeds == mean.seeds.max()]  # a "mean" only where every seed was evaluated
        fig.add_trace(go.Scatter(x=mean.epoch, y=mean.acc, mode="lines", line=dict(
            color=variant_colour(activation, alpha), dash="dash", width=1.5),
            name=f"{name}, stored study (mean of {int(mean.seeds.max())} seeds, "
                 f"{int(rows.n_train.iloc[0]):,} images)"))
    for (activation, alpha), history in live.items():
        rows = history.dropna(subset=["test_accuracy"])
        fig.add_trace(go.Scatter(x=rows.epoch, y=rows.test_accuracy, mode="lines+markers",
                                 name=f"{variant(activation, alpha)} (live, 1 seed)",
                                 line=dict(color=variant_colour(activation, alpha), width=3)))
    title = f"Live pair on {n_train:,} {'Fashion-MNIST' if dataset == 'fashion_mnist' else 'MNIST'} images"
    fig = finish(fig, title=title + (f"<br><sub>{html.escape(note)}</sub>" if note else ""), x="epoch",
                 y="test accuracy (fraction correct)")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return fig


def pair_explorer(stored_history: pd.DataFrame | None = None, *, dataset: str = "fashion_mnist", n_train: int = 2000,
                  n_test: int = 1000, epochs: int = 3, max_epochs: int = 20, seed: int = 0) -> W.VBox:
    """Two activation menus, an epochs slider, Train and Stop, a progress bar and the pair's curves over the
    stored study's (`family.FamilyResults.history()`, optional).

    The box has `.train()` (what Train starts, in the caller's thread), `.first`, `.second`, `.epochs`, `.output`,
    `.progress`, `.status` for tests.
    """
    check_choice("dataset", dataset, ("mnist", "fashion_mnist"))
    n_train, n_test = check_int("n_train", n_train, low=10), check_int("n_test", n_test, low=10)
    epochs = check_int("epochs", epochs, low=1, high=check_int("max_epochs", max_epochs, low=1))
    first = W.Dropdown(options=CHOICES, value=CHOICES[0][1], description="first")
    second = W.Dropdown(options=CHOICES, value=CHOICES[6][1], description="second")
    epochs_control = W.IntSlider(value=epochs, min=1, max=max_epochs, description="epochs", continuous_update=False)
    button = W.Button(description="Train", button_style="primary", icon="play")
    stop = W.Button(description="Stop", icon="stop", disabled=True, tooltip="stop after the current epoch")
    progress = W.IntProgress(value=0, min=0, max=2 * epochs, description="epochs trained",
                             style={"description_width": "initial"})
    status, output = W.Label(value=""), W.Output()
    state = {"live": {}, "thread": None, "stop": threading.Event()}
    box = W.VBox()
    store = _temporary_store(box)

    def draw(note):
        pair = list(dict.fromkeys([first.value, second.value]))
        output.outputs = (figure_output(pair_figure(state["live"], n_train=n_train, dataset=dataset, note=note,
                                                    stored=stored_history, pair=pair)),)
        return note

    def run(_=None):
        pair = list(dict.fromkeys([first.value, second.value]))  # the same choice twice trains it once
        n_epochs = int(epochs_control.value)
        state["stop"].clear()
        state["live"] = {}
        progress.max, progress.value, progress.bar_style = len(pair) * n_epochs, 0, ""
        done = {}
        try:
            for activation, alpha in pair:
                config = RunConfig(dataset=dataset, activation=activation, alpha=alpha, seed=seed,
                                   epochs=(max_epochs,), n_train=n_train, n_test=n_test, test_every=1,
                                   keep_weights="none")
                data = load_run_data(config)
                key = run_key(config, data)

                def show(run=(activation, alpha), key=key):
                    record = store.get(key)
                    history = pd.DataFrame(record["history"])
                    state["live"][run] = history[history.epoch <= n_epochs]
                    done[run] = min(record["epochs_done"], n_epochs)
                    progress.value = sum(done.values())
                    status.value = draw(f"{variant(*run)}: epoch {done[run]} of {n_epochs}")
                    if state["stop"].is_set():
                        raise TrainingStopped

                stored = store.get(key)
                if stored is not None and stored["epochs_done"] >= n_epochs:
                    show()
                else:
                    train(config, store=store, data=data, until_epoch=n_epochs, progress=_EpochCallback(show))
            final = {variant(*k): float(v.test_accuracy.dropna().iloc[-1]) for k, v in state["live"].items()}
            progress.bar_style = "success"
            status.value = draw("Done after " + f"{n_epochs} epoch(s): "
                                + ", ".join(f"{k} {v:.4f}" for k, v in final.items()) + " (one seed: no verdict)")
        except TrainingStopped:
            progress.bar_style = "warning"
            status.value = f"Stopped after {progress.value} of {progress.max} epochs; Train resumes the runs."
        except BaseException as error:
            progress.bar_style = "danger"
            status.value = f"Training ended early ({type(error).__name__}: {error}); Train starts it again."
            raise
        return state["live"]

    wire_train_buttons(button, stop, state, run, name="rectifiers-family-train")
    for control in (first, second):
        control.observe(lambda change: state["thread"] is None and draw(status.value), names="value")
    status.value = draw("Live runs need a Python kernel." if static_book()
                        else "Pick two activations and press Train.")
    if static_book():
        button.disabled = True
    notice = [static_notice("Training")] if static_book() else []
    box.children = [*notice, W.HBox([first, second]), epochs_control, W.HBox([button, stop, progress]), status, output]
    box.train, box.first, box.second, box.epochs = run, first, second, epochs_control
    box.output, box.progress, box.status, box.button = output, progress, status, button
    return box

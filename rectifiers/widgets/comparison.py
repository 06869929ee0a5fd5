"""Live: train a small ReLU / Leaky ReLU pair from the notebook and watch its test curve grow beside the study's.

The explorer trains through the same engine as the committed study (`training.train`), on a data subset and in a
results store of its own (a temporary folder kept while the kernel runs), so what it shows is what the study does,
only smaller, and nothing is trained twice: changing only α reuses the ReLU run, and more epochs resume a run.
Training runs in a worker thread, so the kernel stays responsive: a second click while it trains does nothing,
and Stop ends it after the current epoch. It needs a running kernel.
"""

from __future__ import annotations

import html
import shutil
import tempfile
import threading
import weakref

import ipywidgets as W
import pandas as pd
import plotly.graph_objects as go

from ..figures.common import colour, finish, label
from ..engine import ResultsStore
from ..engine import RunConfig, load_run_data, run_key, train
from ..experiments.comparison_curves import mean_over_seeds
from ..validation import check_finite, check_int
from .common import alpha_slider, figure_output, static_book, static_notice, wire_train_buttons

EPOCH_TICKS = [1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000]  # whole epochs on the log axis


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


class TrainingStopped(Exception):
    """Raised inside the engine's per-epoch callback when the reader presses Stop."""


class _EpochCallback:
    """Stands in for the engine's progress bar: calls back after every epoch."""

    def __init__(self, on_epoch):
        self.on_epoch = on_epoch

    def update(self, n=1):
        self.on_epoch()

    def set_postfix(self, *args, **kwargs):
        pass

    def set_description(self, *args, **kwargs):
        pass


def stored_description(stored: pd.DataFrame | None) -> dict:
    """What the stored curves are: Leaky ReLU's α, the training images and the number of seeds (None if unknown)."""
    if stored is None or stored.empty:
        return {}
    leaky = stored[stored.activation == "leaky_relu"]
    alphas = sorted(leaky.alpha.dropna().unique()) if "alpha" in leaky else []
    sizes = sorted(stored.n_train.dropna().unique()) if "n_train" in stored else []
    return {"alpha": float(alphas[0]) if len(alphas) == 1 else None,
            "n_train": int(sizes[0]) if len(sizes) == 1 else None,
            "n_seeds": int(stored.seed.nunique()) if "seed" in stored else None}


def live_curves_figure(live: dict[str, pd.DataFrame], stored: pd.DataFrame | None, alpha: float, *,
                       n_train: int | None = None, note: str = "", stale: bool = False) -> go.Figure:
    """Test accuracy per epoch of the live runs (solid) over the stored study's means (dashed).

    `stale` draws the live curves faded (they were trained with other settings than the sliders now show).
    """
    fig = go.Figure()
    about = stored_description(stored)
    if about:
        what = ", ".join(([f"{about['n_train']:,} images"] if about["n_train"] else [])
                         + ([f"mean of {about['n_seeds']} seeds"] if about["n_seeds"] else ["mean over seeds"]))
        # Only epochs where every seed was evaluated: elsewhere a "mean" would be one seed's curve.
        means = mean_over_seeds(stored[stored.activation.isin(["relu", "leaky_relu"])], "test_accuracy")
        for (activation, stored_alpha), mean in means.groupby(["activation", "alpha"], dropna=False, sort=False):
            fig.add_trace(go.Scatter(
                x=mean.epoch, y=mean["mean"], mode="lines",
                name=f"{label(activation, None if pd.isna(stored_alpha) else stored_alpha)}, stored study ({what})",
                line=dict(color=colour(activation), dash="dash", width=1.5)))
    images = f"{n_train:,} images" if n_train else "live"
    for activation, history in live.items():
        rows = history.dropna(subset=["test_accuracy"])
        fig.add_trace(go.Scatter(x=rows.epoch, y=rows.test_accuracy, mode="lines+markers", opacity=0.35 if stale else 1,
                                 name=f"{label(activation, alpha)}, live run ({images}, 1 seed)",
                                 line=dict(color=colour(activation), width=3)))
    fig.update_xaxes(type="log", tickvals=EPOCH_TICKS)
    title = "Test accuracy per epoch: live runs against the stored study"
    fig = finish(fig, title=title + (f"<br><sub>{html.escape(note)}</sub>" if note else ""),
                 x="epoch (log scale)", y="test accuracy (fraction correct)")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return fig


def _temporary_store(owner) -> ResultsStore:
    """A results store in a temporary folder that is removed with `owner` (or when the kernel exits)."""
    root = tempfile.mkdtemp(prefix="rectifiers-live-")
    weakref.finalize(owner, shutil.rmtree, root, ignore_errors=True)
    return ResultsStore(root)


def training_explorer(stored_history: pd.DataFrame | None = None, *, dataset: str = "mnist", n_train: int = 2000,
                      n_test: int = 1000, alpha: float = 0.01, epochs: int = 5, max_epochs: int = 30,
                      seed: int = 0) -> W.VBox:
    """Sliders for α and epochs, Train and Stop buttons, a progress bar and a per-epoch curve of a paired ReLU /
    Leaky ReLU run (same initial weights) on `n_train` training and `n_test` test images.

    The returned box has `.train()` (what the button starts, run in the caller's thread) and `.output`,
    `.progress`, `.status`, `.alpha`, `.epochs`, `.button`, `.stop`, `.worker` for tests.
    """
    n_train = check_int("n_train", n_train, low=10)
    n_test = check_int("n_test", n_test, low=10)
    epochs = check_int("epochs", epochs, low=1, high=check_int("max_epochs", max_epochs, low=1))
    check_finite("alpha", alpha, low=0.0, high=1.0)
    alpha_control = alpha_slider(alpha)
    epochs_control = W.IntSlider(value=epochs, min=1, max=max_epochs, description="epochs", continuous_update=False,
                                 style={"description_width": "initial"})
    button = W.Button(description="Train", button_style="primary", icon="play")
    stop = W.Button(description="Stop", icon="stop", disabled=True, tooltip="stop after the current epoch")
    progress = W.IntProgress(value=0, min=0, max=2 * epochs, description="epochs trained",
                             style={"description_width": "initial"})
    status = W.Label(value="")
    about = stored_description(stored_history)
    smaller = (f"Live runs train on {n_train:,} images and test on {n_test:,}"
               + (f"; the stored study trained on {about['n_train']:,}" if about.get("n_train") else "")
               + ": fewer images per epoch, so their curves sit below the study's.")
    sizes = W.HTML(f"<small>{html.escape(smaller)}</small>")
    output = W.Output()
    state = {"live": {}, "trained_for": None, "thread": None, "stop": threading.Event()}
    box = W.VBox()
    store = _temporary_store(box)

    def settings():
        return float(alpha_control.value), int(epochs_control.value)

    def draw(note=""):
        a, n_epochs = settings()
        stale = state["trained_for"] is not None and state["trained_for"] != (a, n_epochs)
        if stale and not note:
            done_a, done_epochs = state["trained_for"]
            note = (f"Out of date: the live curves are for α = {done_a:g}, {_epochs(done_epochs)}; "
                    f"press Train for α = {a:g}, {_epochs(n_epochs)}.")
        elif not state["live"] and not note and static_book():
            note = "The stored study's curves only: live runs need a Python kernel."
        elif not state["live"] and not note:
            note = f"Press Train to train ReLU and Leaky ReLU (α = {a:g}) for {_epochs(n_epochs)}."
        shown_alpha = state["trained_for"][0] if state["trained_for"] else a
        output.outputs = (figure_output(live_curves_figure(state["live"], stored_history, shown_alpha,
                                                           n_train=n_train, note=note, stale=stale)),)
        return note

    def on_settings(change=None):
        if state["thread"] is None:  # while training, the figure shows the training in progress
            status.value = draw()

    def run(_=None):
        a, n_epochs = settings()
        state["stop"].clear()
        state["live"], state["trained_for"] = {}, None
        progress.max, progress.value = 2 * n_epochs, 0
        progress.bar_style = ""
        status.value = draw(f"Training ReLU and Leaky ReLU (α = {a:g}) for {_epochs(n_epochs)} …")
        done = {}
        try:
            for activation in ("relu", "leaky_relu"):
                # One snapshot at the last epoch the slider allows: the run's key does not depend on the epochs
                # asked for now, so asking for more epochs later resumes it.
                config = RunConfig(dataset=dataset, activation=activation, alpha=a, seed=seed,
                                   epochs=(max_epochs,), n_train=n_train, n_test=n_test, test_every=1)
                data = load_run_data(config)
                key = run_key(config, data)

                def show(activation=activation, key=key):
                    record = store.get(key)
                    history = pd.DataFrame(record["history"])
                    state["live"][activation] = history[history.epoch <= n_epochs]
                    done[activation] = min(record["epochs_done"], n_epochs)
                    progress.value = sum(done.values())
                    status.value = draw(f"{label(activation, a)}: epoch {done[activation]} of {n_epochs} "
                                        "(Stop ends the training after the current epoch)")
                    if state["stop"].is_set():
                        raise TrainingStopped

                stored = store.get(key)
                if stored is not None and stored["epochs_done"] >= n_epochs:
                    show()  # trained before (ReLU when only α changed): not again
                else:
                    train(config, store=store, data=data, until_epoch=n_epochs, progress=_EpochCallback(show))
            state["trained_for"] = (a, n_epochs)
            final = {k: float(v.test_accuracy.dropna().iloc[-1]) for k, v in state["live"].items()}
            progress.bar_style = "success"
            status.value = (f"Done: test accuracy after {_epochs(n_epochs)} — ReLU {final['relu']:.4f}, "
                            f"Leaky ReLU (α={a:g}) {final['leaky_relu']:.4f} (one seed, {n_train:,} images).")
            draw(f"Trained for α = {a:g}, {_epochs(n_epochs)}.")
        except TrainingStopped:
            progress.bar_style = "warning"
            status.value = (f"Stopped after {progress.value} of {progress.max} epochs; the curves show the epochs "
                            "trained. Train again resumes the runs.")
        except BaseException as error:  # KeyboardInterrupt included: say what happened instead of a stuck bar
            progress.bar_style = "danger"
            status.value = f"Training ended early ({type(error).__name__}: {error}); Train starts it again."
            raise
        return state["live"]

    start = wire_train_buttons(button, stop, state, run, name="rectifiers-train")
    for control in (alpha_control, epochs_control):
        control.observe(on_settings, names="value")
    status.value = draw()
    if static_book():
        button.disabled = True  # nothing could answer it on a static page
    notice = [static_notice("Training")] if static_book() else []
    box.children = [*notice, W.HBox([alpha_control, epochs_control]), W.HBox([button, stop, progress]), status,
                    output, sizes]
    box.train, box.output, box.progress, box.status = run, output, progress, status
    box.alpha, box.epochs, box.button, box.stop, box.start = alpha_control, epochs_control, button, stop, start
    box.worker = lambda: state["thread"]
    return box

"""Live: train a small ReLU / Leaky ReLU pair from the notebook and watch its test curve grow beside the study's.

The explorer trains through the same engine as the committed study (`training.train`), on a data subset and in
a temporary results store, so what it shows is what the study does, only smaller. It needs a running kernel.
"""

from __future__ import annotations

import tempfile

import ipywidgets as W
import pandas as pd
import plotly.graph_objects as go

from .plots import colour, finish, label
from .results import ResultsStore
from .training import RunConfig, train
from .validation import check_finite, check_int
from .widgets import alpha_slider, figure_output


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


def live_curves_figure(live: dict[str, pd.DataFrame], stored: pd.DataFrame | None, alpha: float) -> go.Figure:
    """Test accuracy per epoch of the live runs (solid) over the stored study's means (dashed)."""
    fig = go.Figure()
    if stored is not None and not stored.empty:
        for activation in ("relu", "leaky_relu"):
            runs = stored[stored.activation == activation].dropna(subset=["test_accuracy"])
            if not runs.empty:
                mean = runs.groupby("epoch").test_accuracy.mean()
                fig.add_trace(go.Scatter(x=mean.index, y=mean.values, mode="lines",
                                         name=f"{label(activation, 0.01)}, stored study (mean over seeds)",
                                         line=dict(color=colour(activation), dash="dash", width=1.5)))
    for activation, history in live.items():
        rows = history.dropna(subset=["test_accuracy"])
        fig.add_trace(go.Scatter(x=rows.epoch, y=rows.test_accuracy, mode="lines+markers",
                                 name=f"{label(activation, alpha)}, live run",
                                 line=dict(color=colour(activation), width=3)))
    fig.update_xaxes(type="log")
    return finish(fig, title="Test accuracy per epoch: live runs against the stored study",
                  x="epoch (log scale)", y="test accuracy (fraction correct)")


def training_explorer(stored_history: pd.DataFrame | None = None, *, dataset: str = "mnist", n_train: int = 2000,
                      n_test: int = 1000, alpha: float = 0.01, epochs: int = 5, max_epochs: int = 30,
                      seed: int = 0) -> W.VBox:
    """Sliders for α and epochs, a Train button, a progress bar and a per-epoch curve of a paired ReLU / Leaky
    ReLU run (same initial weights) on `n_train` training and `n_test` test images.

    The returned box has `.train()` (what the button does) and `.output`, `.progress` for tests.
    """
    n_train = check_int("n_train", n_train, low=10)
    n_test = check_int("n_test", n_test, low=10)
    epochs = check_int("epochs", epochs, low=1, high=check_int("max_epochs", max_epochs, low=1))
    check_finite("alpha", alpha, low=0.0, high=1.0)
    alpha_control = alpha_slider(alpha)
    epochs_control = W.IntSlider(value=epochs, min=1, max=max_epochs, description="epochs", continuous_update=False)
    button = W.Button(description="Train", button_style="primary", icon="play")
    progress = W.IntProgress(value=0, min=0, max=2 * epochs, description="epochs trained",
                             style={"description_width": "initial"})
    status = W.Label(value=f"Trains ReLU and Leaky ReLU on {n_train:,} training images, tests on {n_test:,}.")
    output = W.Output()
    output.outputs = (figure_output(live_curves_figure({}, stored_history, alpha)),)

    def run(_=None):
        a, n_epochs = float(alpha_control.value), int(epochs_control.value)
        progress.max, progress.value = 2 * n_epochs, 0
        button.disabled = True
        live: dict[str, pd.DataFrame] = {}
        try:
            with tempfile.TemporaryDirectory(prefix="rectifiers-live-") as root:
                store = ResultsStore(root)
                for activation in ("relu", "leaky_relu"):
                    config = RunConfig(dataset=dataset, activation=activation, alpha=a, seed=seed,
                                       epochs=(n_epochs,), n_train=n_train, n_test=n_test, test_every=1)

                    def redraw(activation=activation):
                        # The engine stores the run after every epoch (checkpoint_every=1): read its history.
                        (record,) = [r for r in store.records() if r["config"]["activation"] == activation]
                        live[activation] = pd.DataFrame(record["history"])
                        progress.value += 1
                        status.value = f"{label(activation, a)}: epoch {record['epochs_done']} of {n_epochs}"
                        output.outputs = (figure_output(live_curves_figure(live, stored_history, a)),)

                    train(config, store=store, progress=_EpochCallback(redraw))
            final = {k: float(v.test_accuracy.dropna().iloc[-1]) for k, v in live.items()}
            status.value = (f"Done: test accuracy after {n_epochs} epochs — ReLU {final['relu']:.4f}, "
                            f"Leaky ReLU (α={a:g}) {final['leaky_relu']:.4f} (one seed, {n_train:,} images).")
        finally:
            button.disabled = False
        return live

    button.on_click(run)
    box = W.VBox([W.HBox([alpha_control, epochs_control]), W.HBox([button, progress]), status, output])
    box.train, box.output, box.progress, box.status = run, output, progress, status
    box.alpha, box.epochs = alpha_control, epochs_control
    return box

"""Live: train a small ReLU / Leaky ReLU pair from the notebook and watch its test curve grow beside the study's.

The explorer trains through the same engine as the committed study (`training.train`), on a data subset and in a
results store of its own (a temporary folder kept while the kernel runs), so what it shows is what the study does,
only smaller, and nothing is trained twice: changing only α reuses the ReLU run, and more epochs resume a run.
Training runs in a worker thread, so the kernel stays responsive: a second click while it trains does nothing,
and Stop ends it after the current epoch. It needs a running kernel.
"""

from __future__ import annotations

import html

import ipywidgets as W
import pandas as pd
import plotly.graph_objects as go

from ..figures.common import colour, finish, label
from ..engine import RunConfig
from ..experiments.comparison_curves import mean_over_seeds
from ..validation import check_finite, check_int
from .common import PairTraining, _epochs, alpha_slider, figure_output, static_book, static_notice

EPOCH_TICKS = [1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000]  # whole epochs on the log axis


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


def training_explorer(stored_history: pd.DataFrame | None = None, *, dataset: str = "mnist", n_train: int = 2000,
                      n_test: int = 1000, alpha: float = 0.01, epochs: int = 5, max_epochs: int = 30,
                      seed: int = 0) -> W.VBox:
    """Sliders for α and epochs, Train and Stop buttons, a progress bar and a per-epoch curve of a paired ReLU /
    Leaky ReLU run (same initial weights) on `n_train` training and `n_test` test images, trained through the live
    pair-training loop every Train explorer shares (`common.PairTraining`).

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
    about = stored_description(stored_history)
    smaller = (f"Live runs train on {n_train:,} images and test on {n_test:,}"
               + (f"; the stored study trained on {about['n_train']:,}" if about.get("n_train") else "")
               + ": fewer images per epoch, so their curves sit below the study's.")
    sizes = W.HTML(f"<small>{html.escape(smaller)}</small>")
    output = W.Output()

    def settings():
        return float(alpha_control.value), int(epochs_control.value)

    def plan(chosen):
        # One snapshot at the last epoch the slider allows: the run's key does not depend on the epochs asked for
        # now, so asking for more epochs later resumes it; ReLU's does not depend on α, so it trains once.
        return [(label(activation, chosen[0]), RunConfig(
            dataset=dataset, activation=activation, alpha=chosen[0], seed=seed, epochs=(max_epochs,),
            n_train=n_train, n_test=n_test, test_every=1), None) for activation in ("relu", "leaky_relu")]

    def live(chosen):
        """The live histories by activation, up to the epochs they were trained for."""
        out = {}
        for name, config, _ in plan(chosen):
            if name in training.records:
                history = pd.DataFrame(training.records[name]["history"])
                out[config.activation] = history[history.epoch <= chosen[1]]
        return out

    def draw(note=""):
        a, n_epochs = settings()
        stale = training.stale()
        if stale and not training.busy():
            done_a, done_epochs = training.trained_for
            note = (f"Out of date: the live curves are for α = {done_a:g}, {_epochs(done_epochs)}; "
                    f"press Train for α = {a:g}, {_epochs(n_epochs)}.")
        elif not training.records and not note and static_book():
            note = "The stored study's curves only: live runs need a Python kernel."
        elif not training.records and not note:
            note = f"Press Train to train ReLU and Leaky ReLU (α = {a:g}) for {_epochs(n_epochs)}."
        shown = training.trained_for or settings()
        output.outputs = (figure_output(live_curves_figure(live(shown), stored_history, shown[0], n_train=n_train,
                                                           note=note, stale=stale)),)
        return note

    def summary(records, n_epochs):
        a = settings()[0]
        final = {k: float(v.test_accuracy.dropna().iloc[-1]) for k, v in live((a, n_epochs)).items()}
        return (f"Done: test accuracy after {_epochs(n_epochs)} — ReLU {final['relu']:.4f}, "
                f"Leaky ReLU (α={a:g}) {final['leaky_relu']:.4f} (one seed, {n_train:,} images).")

    training = PairTraining(settings, plan, lambda: settings()[1], draw, summary, name="rectifiers-train")
    for control in (alpha_control, epochs_control):
        control.observe(lambda change: training.busy() or setattr(training.status, "value", draw()), names="value")
    training.status.value = draw()
    notice = [static_notice("Training")] if static_book() else []
    box = W.VBox([*notice, W.HBox([alpha_control, epochs_control]),
                  W.HBox([training.button, training.stop, training.progress]), training.status, output, sizes])

    def train(_=None):
        training.train()
        return live(training.trained_for or settings())

    box.train, box.output, box.progress, box.status = train, output, training.progress, training.status
    box.alpha, box.epochs, box.button, box.stop, box.start = (alpha_control, epochs_control, training.button,
                                                              training.stop, training.start)
    box.worker = lambda: training.state["thread"]
    return box

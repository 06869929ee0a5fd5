"""Live: pick two rectifiers and a number of epochs, train a fresh pair from the same initial weights, and watch
their test accuracy grow epoch by epoch.

Trains through the same engine as the chapter's studies, on a small subset and in a temporary store of its own
(through the live pair-training loop every Train explorer shares, `widgets.common.PairTraining`); asking for
more epochs later resumes the runs, and a run trained before is not trained again.
"""

from __future__ import annotations

import html

import ipywidgets as W
import pandas as pd
import plotly.graph_objects as go

from ..engine import RunConfig
from ..experiments.rectifier_family import DATASET_NAMES, variant
from ..figures.common import finish
from ..figures.family import variant_colour
from ..validation import check_choice, check_int
from .common import PairTraining, figure_output, static_book, static_notice

CHOICES = [("ReLU", ("relu", 0.01)), ("Leaky ReLU α=0.01", ("leaky_relu", 0.01)),
           ("Leaky ReLU α=0.1", ("leaky_relu", 0.1)), ("Leaky ReLU α=0.3", ("leaky_relu", 0.3)),
           ("PReLU (starts at 0.01)", ("prelu", 0.01)), ("ELU", ("elu", 0.01)), ("GELU", ("gelu", 0.01)),
           ("Swish / SiLU", ("swish", 0.01))]


def pair_figure(live: dict, *, n_train: int, dataset: str, note: str = "", stored: pd.DataFrame | None = None,
                pair=(), stale: bool = False, network: str = "") -> go.Figure:
    """Test accuracy per epoch of each live run (one seed each, the same initial weights), over the stored
    study's mean over seeds (dashed) for the activations of `pair`; `stale` fades live runs trained for other
    settings than the controls show."""
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
        fig.add_trace(go.Scatter(x=rows.epoch, y=rows.test_accuracy, mode="lines+markers", opacity=0.35 if stale else 1,
                                 name=f"{variant(activation, alpha)} (live, 1 seed)",
                                 line=dict(color=variant_colour(activation, alpha), width=3)))
    title = f"Live pair{' of ' + network if network else ''} on {n_train:,} {DATASET_NAMES[dataset]} " + (
        "signals" if dataset == "mnist1d" else "images")
    fig = finish(fig, title=title + (f"<br><sub>{html.escape(note)}</sub>" if note else ""), x="epoch",
                 y="test accuracy (fraction correct)")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return fig


def pair_explorer(stored_history: pd.DataFrame | dict | None = None, *, dataset: str = "fashion_mnist",
                  n_train: int = 2000, n_test: int = 1000, epochs: int = 3, max_epochs: int = 20, seed: int = 0,
                  networks: dict[str, dict] | None = None, choices=None, second: int = 6) -> W.VBox:
    """Two activation menus, an epochs slider, Train and Stop, a progress bar and the pair's curves over the
    stored study's (`family.FamilyResults.history()`, optional). Trains through the shared live loop
    (`common.PairTraining`).

    `networks` (optional) adds a third menu: name → the RunConfig settings of that network (its `model`, batch size,
    learning rate); `stored_history` is then a dict name → that network's stored history. `choices` replaces the
    activation menu's (label, (activation, α)) items; `second` is the second menu's first choice.

    The box has `.train()` (what Train starts, in the caller's thread), `.first`, `.second`, `.epochs`, `.network`,
    `.output`, `.progress`, `.status` for tests.
    """
    check_choice("dataset", dataset, tuple(DATASET_NAMES))
    n_train, n_test = check_int("n_train", n_train, low=10), check_int("n_test", n_test, low=10)
    epochs = check_int("epochs", epochs, low=1, high=check_int("max_epochs", max_epochs, low=1))
    choices = list(choices or CHOICES)
    nets = networks or {"": {}}
    network = W.Dropdown(options=list(nets), value=next(iter(nets)), description="network")
    first = W.Dropdown(options=choices, value=choices[0][1], description="first")
    second = W.Dropdown(options=choices, value=choices[second][1], description="second")
    epochs_control = W.IntSlider(value=epochs, min=1, max=max_epochs, description="epochs", continuous_update=False)
    output = W.Output()

    def settings():
        # the same choice trains once
        return tuple(dict.fromkeys([first.value, second.value])), int(epochs_control.value), network.value

    def plan(chosen):
        # One snapshot at the last epoch the slider allows: asking for more epochs later resumes the runs.
        return [(variant(activation, alpha), RunConfig(
            dataset=dataset, activation=activation, alpha=alpha, seed=seed, epochs=(max_epochs,), n_train=n_train,
            n_test=n_test, test_every=1, keep_weights="none", **nets[chosen[2]]), None)
            for activation, alpha in chosen[0]]

    def summary(records, n_epochs):
        final = {name: float(pd.DataFrame(r["history"]).test_accuracy.dropna().iloc[-1]) for name, r in records.items()}
        return (f"Done after {n_epochs} epoch(s): " + ", ".join(f"{k} {v:.4f}" for k, v in final.items())
                + " (one seed: no verdict)")

    def draw(note=""):
        pair, n_epochs, _ = settings()
        live = {}
        for (activation, alpha) in (training.trained_for or settings())[0]:
            record = training.records.get(variant(activation, alpha))
            if record is not None:
                history = pd.DataFrame(record["history"])
                live[(activation, alpha)] = history[history.epoch <= (training.trained_for or settings())[1]]
        stale = training.stale()
        if stale and not training.busy():
            done_pair, done_epochs, done_network = training.trained_for
            on = (lambda name: f" on the {name}" if name else "")
            note = (f"Out of date: the live curves are for {' and '.join(variant(*r) for r in done_pair)}"
                    f"{on(done_network)}, {done_epochs} epoch(s); press Train for "
                    f"{' and '.join(variant(*r) for r in pair)}{on(network.value)}, {n_epochs} epoch(s).")
        stored = stored_history.get(network.value) if isinstance(stored_history, dict) else stored_history
        output.outputs = (figure_output(pair_figure(live, n_train=n_train, dataset=dataset, note=note,
                                                    stored=stored, pair=list(pair), stale=stale,
                                                    network=network.value)),)
        return note

    training = PairTraining(settings, plan, lambda: settings()[1], draw, summary, name="rectifiers-family-train")
    for control in (network, first, second, epochs_control):
        control.observe(lambda change: training.busy() or setattr(training.status, "value", draw()), names="value")
    training.status.value = draw("Live runs need a Python kernel." if static_book()
                                 else "Pick two activations and press Train.")
    notice = [static_notice("Training")] if static_book() else []
    menus = [network, first, second] if networks else [first, second]
    box = W.VBox([*notice, W.HBox(menus), epochs_control,
                  W.HBox([training.button, training.stop, training.progress]), training.status, output])

    def train():
        records = training.train()
        return {choice: pd.DataFrame(records[variant(*choice)]["history"]) for choice in settings()[0]
                if variant(*choice) in records}

    box.train = train
    box.first, box.second, box.epochs, box.output, box.network = first, second, epochs_control, output, network
    box.progress, box.status, box.button, box.training = training.progress, training.status, training.button, training
    return box


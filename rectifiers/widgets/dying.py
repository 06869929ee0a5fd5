"""Live explorers of the dying-ReLU chapter (Chapter 3): the born-dead Monte Carlo and a small MLP's dead units.

Both redraw through `LatestWins` (a busy line, moves made meanwhile replace each other). The training explorer
trains one network per setting (α = 0 is ReLU), not a ReLU/Leaky ReLU pair, so it is a slider explorer rather
than a Train explorer on `PairTraining`; its runs go to a temporary store, never to results/.
"""

from __future__ import annotations

import ipywidgets as W

from ..experiments.dying import DyingRun
from ..figures.dying import born_dead_explorer_figure, training_run_figure
from ..validation import check_int
from .common import LatestWins, figure_output, live_figure, static_book, static_notice, temporary_store

STYLE = dict(continuous_update=False, style={"description_width": "initial"})


def born_dead_explorer(*, n_networks: int = 2000, seed: int = 0, max_depth: int = 60, max_width: int = 16) -> W.VBox:
    """Sliders for depth, width, α (0 = ReLU) and the domain that re-run the born-dead Monte Carlo and redraw it."""
    n_networks = check_int("n_networks", n_networks, low=10)
    controls = {
        "depth": W.IntSlider(value=10, min=1, max=check_int("max_depth", max_depth, low=1), description="depth", **STYLE),
        "width": W.IntSlider(value=2, min=1, max=check_int("max_width", max_width, low=1), description="width", **STYLE),
        "alpha": W.FloatSlider(value=0.0, min=0.0, max=0.5, step=0.01, description="α (0 = ReLU)", **STYLE),
        "domain": W.ToggleButtons(options=["[0,1]", "[-1,1]"], value="[0,1]", description="domain"),
    }
    return live_figure(controls, lambda **values: born_dead_explorer_figure(n_networks=n_networks, seed=seed, **values))


def training_explorer(data, *, initial: DyingRun | None = None, epochs: int = 3, mlp_depth: int = 4,
                      mlp_width: int = 32, seed: int = 0) -> W.VBox:
    """Sliders for the learning rate and α (0 = ReLU) that train a small MLP on `data` and redraw its dead units
    per epoch. Keep `data` small: every new setting trains (a few seconds; a busy line says so, moves made
    meanwhile replace each other, and a setting already trained is redrawn at once). `initial`, a run of the same
    setup, is drawn first without training (it is what the static book shows)."""
    from ..experiments.dying import run_config, watch_run

    epochs = check_int("epochs", epochs, low=1)
    rate = W.FloatLogSlider(value=initial.learning_rate if initial is not None else 0.03, base=10, min=-4, max=0,
                            step=0.25, description="learning rate", **STYLE)
    alpha = W.FloatSlider(value=initial.alpha if initial is not None else 0.0, min=0.0, max=0.5, step=0.01,
                          description="α (0 = ReLU)", **STYLE)
    output, busy, box = W.Output(), W.HTML(""), W.VBox()
    trained: dict[tuple[float, float], DyingRun] = {}
    if initial is not None:  # what the sliders show at first is this run: drawn, not trained again
        trained[(float(rate.value), float(alpha.value))] = initial
    store = temporary_store(box)  # slider runs never enter the results store

    def train(setting):
        learning_rate, slope = setting
        if setting not in trained:
            activation = "relu" if slope == 0 else "leaky_relu"
            config = run_config(
                "mlp", activation, slope, learning_rate, epochs=epochs, seed=seed, mlp_depth=mlp_depth,
                mlp_width=mlp_width, n_train=len(data.y_train), n_test=len(data.y_test), data_seed=data.seed,
            )
            trained[setting] = watch_run(config, store=store, data=data)
        output.outputs = (figure_output(training_run_figure(trained[setting])),)

    def show_busy(setting):
        busy.value = f"<i>Training for learning rate {setting[0]:.3g}, α {setting[1]:g} …</i>"

    def show_done(setting, error):
        busy.value = "" if error is None else f"<b>Training failed:</b> {error}"

    updates = LatestWins(train, on_busy=show_busy, on_done=show_done)

    def retrain(_=None):
        updates.submit((float(rate.value), float(alpha.value)))

    for w in (rate, alpha):
        w.observe(retrain, names="value")
    train((float(rate.value), float(alpha.value)))
    notice = [static_notice("Moving these sliders (each move trains a network)")] if static_book() else []
    box.children = [*notice, W.HBox([rate, alpha]), busy, output]
    box.output, box.retrain, box.updates, box.busy, box.store = output, retrain, updates, busy, store
    box.rate, box.alpha = rate, alpha
    return box

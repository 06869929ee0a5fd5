"""The live training explorer trains a paired ReLU / Leaky ReLU run through the engine and redraws per epoch."""

import pandas as pd
import pytest

from rectifiers.comparison_widgets import live_curves_figure, training_explorer


@pytest.mark.slow
def test_train_button_trains_both_models_and_draws_every_epoch():
    stored = pd.DataFrame([dict(activation="relu", epoch=e, test_accuracy=0.9 + e / 100) for e in (1, 2, 3)])
    box = training_explorer(stored, n_train=100, n_test=50, epochs=2, alpha=0.1)
    live = box.train()
    assert set(live) == {"relu", "leaky_relu"}
    assert all(list(h.epoch) == [1, 2] and h.test_accuracy.notna().all() for h in live.values())
    assert box.progress.value == box.progress.max == 4
    assert box.status.value.startswith("Done: test accuracy after 2 epochs")
    figure = box.output.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert len(figure["data"]) == 3  # stored ReLU mean + two live runs


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="epochs must be an integer in \\[1, 30\\]"):
        training_explorer(epochs=0)
    with pytest.raises(ValueError, match="n_train"):
        training_explorer(n_train=3)


def test_figure_without_stored_results_still_has_labels():
    fig = live_curves_figure({}, None, 0.01)
    assert fig.layout.xaxis.title.text == "epoch (log scale)" and fig.layout.title.text

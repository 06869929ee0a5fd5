"""The live training explorer trains a paired ReLU / Leaky ReLU run through the engine and redraws per epoch."""

import pandas as pd
import pytest

from rectifiers.widgets.comparison import live_curves_figure, training_explorer


@pytest.mark.slow
def test_train_button_trains_both_models_and_draws_every_epoch():
    stored = pd.DataFrame([dict(activation="relu", alpha=None, seed=0, epoch=e, test_accuracy=0.9 + e / 100)
                           for e in (1, 2, 3)])
    box = training_explorer(stored, n_train=100, n_test=50, epochs=2, alpha=0.1)
    live = box.train()
    assert set(live) == {"relu", "leaky_relu"}
    assert all(list(h.epoch) == [1, 2] and h.test_accuracy.notna().all() for h in live.values())
    assert box.progress.value == box.progress.max == 4
    assert box.status.value.startswith("Done: test accuracy after 2 epochs")
    figure = box.output.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert len(figure["data"]) == 3  # stored ReLU mean + two live runs


def test_stored_mean_uses_only_epochs_every_seed_reached():
    # Seed 0 evaluated every epoch, seed 1 every 5: a mean at epochs 1-4 would be seed 0 alone.
    rows = [dict(activation="relu", alpha=None, seed=0, epoch=e, test_accuracy=0.5 + e / 100) for e in range(1, 11)]
    rows += [dict(activation="relu", alpha=None, seed=1, epoch=e, test_accuracy=0.7) for e in (5, 10)]
    rows += [dict(activation="leaky_relu", alpha=0.01, seed=s, epoch=e, test_accuracy=0.8) for s in (0, 1)
             for e in (5, 10)]
    fig = live_curves_figure({}, pd.DataFrame(rows), 0.01)
    relu, leaky = fig.data
    assert list(relu.x) == [5, 10] and list(relu.y) == pytest.approx([(0.55 + 0.7) / 2, (0.6 + 0.7) / 2])
    assert list(leaky.x) == [5, 10] and "α=0.01" in leaky.name and "mean of 2 seeds" in leaky.name


def test_live_runs_are_labelled_with_the_alpha_they_trained_at_not_the_stored_studys():
    stored = pd.DataFrame([dict(activation=a, alpha=al, seed=0, epoch=1, test_accuracy=0.9)
                           for a, al in (("relu", None), ("leaky_relu", 0.01))])
    live = {name: pd.DataFrame(dict(epoch=[1], test_accuracy=[0.8])) for name in ("relu", "leaky_relu")}
    names = [trace.name for trace in live_curves_figure(live, stored, 0.05).data]
    assert "Leaky ReLU (α=0.05), live run (live, 1 seed)" in names
    assert any(n.startswith("Leaky ReLU (α=0.01), stored study") for n in names)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="epochs must be an integer in \\[1, 30\\]"):
        training_explorer(epochs=0)
    with pytest.raises(ValueError, match="n_train"):
        training_explorer(n_train=3)


def test_figure_without_stored_results_still_has_labels():
    fig = live_curves_figure({}, None, 0.01)
    assert fig.layout.xaxis.title.text == "epoch (log scale)" and fig.layout.title.text


@pytest.mark.slow
def test_train_reuses_relu_when_only_alpha_changed_and_marks_stale_curves(monkeypatch):
    from rectifiers import engine as CW  # the live loop (widgets.common.PairTraining) trains through the engine

    trained = []
    real_train = CW.train
    monkeypatch.setattr(CW, "train", lambda config, **kw: trained.append(config.activation) or real_train(config, **kw))
    box = training_explorer(None, n_train=100, n_test=50, epochs=1, alpha=0.1)
    box.train()
    box.alpha.value = 0.2
    assert box.status.value.startswith("Out of date: the live curves are for α = 0.1, 1 epoch")
    figure = box.output.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert "Out of date" in figure["layout"]["title"]["text"]
    assert all(trace.get("opacity") == 0.35 for trace in figure["data"])  # the old live curves, faded
    box.train()
    assert trained == ["relu", "leaky_relu", "leaky_relu"]  # ReLU does not depend on α: not trained again
    assert box.progress.value == box.progress.max == 2 and box.status.value.startswith("Done")


@pytest.mark.slow
def test_stop_ends_training_after_the_current_epoch_with_a_message(monkeypatch):
    from rectifiers import engine as CW

    box = training_explorer(None, n_train=100, n_test=50, epochs=3, alpha=0.1)
    real_train = CW.train

    def train_then_stop(config, **kw):
        box.stop.click()  # as if the reader pressed Stop during the first epoch
        return real_train(config, **kw)

    monkeypatch.setattr(CW, "train", train_then_stop)
    box.stop.disabled = False
    box.train()
    assert box.status.value.startswith("Stopped after 1 of 6 epochs") and box.progress.bar_style == "warning"


@pytest.mark.slow
def test_a_double_click_trains_once(monkeypatch):
    from rectifiers import engine as CW
    from rectifiers.widgets import common

    trained = []
    real_train = CW.train
    monkeypatch.setattr(common, "has_kernel", lambda: True)  # train in the worker thread, as in JupyterLab
    monkeypatch.setattr(CW, "train", lambda config, **kw: trained.append(config.activation) or real_train(config, **kw))
    box = training_explorer(None, n_train=100, n_test=50, epochs=1, alpha=0.1)
    box.button.click()
    box.button.click()
    assert box.button.disabled and not box.stop.disabled
    worker = box.worker()
    if worker is not None:
        worker.join(120)
    assert trained == ["relu", "leaky_relu"] and box.status.value.startswith("Done")
    assert not box.button.disabled and box.stop.disabled

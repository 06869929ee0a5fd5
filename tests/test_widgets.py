"""Live widgets: the slider redraws the figure in its Output, and the output also draws in a static page."""

from __future__ import annotations

import base64

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import pytest

from rectifiers import activations as A
from rectifiers.widgets import common as widgets

PLOTLY = "application/vnd.plotly.v1+json"


def _array(values) -> np.ndarray:
    """An array from plotly's JSON, which base64-encodes numeric arrays as {"dtype", "bdata"}."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values)


def _figure(output_widget):
    (output,) = output_widget.outputs
    return output["data"][PLOTLY]


def test_alpha_explorer_redraws_when_the_slider_moves():
    box = widgets.alpha_explorer(0.01, x_range=(-2, 2), n_points=21)
    slider = box.children[0]
    assert isinstance(slider, W.FloatSlider) and slider.value == 0.01 and box.output in box.children
    assert _figure(box.output)["layout"]["title"]["text"] == "Leaky ReLU with α = 0.01"
    slider.value = 0.4
    figure = _figure(box.output)
    assert figure["layout"]["title"]["text"] == "Leaky ReLU with α = 0.40"
    leaky = next(trace for trace in figure["data"] if trace["name"] == "Leaky ReLU (α=0.4)")
    np.testing.assert_allclose(_array(leaky["y"]), A.activation("leaky_relu", _array(leaky["x"]), 0.4), rtol=1e-6)


def test_live_figure_binds_several_controls():
    calls = []

    def draw(a, b):
        calls.append((a, b))
        return go.Figure(go.Scatter(x=[0, 1], y=[a, b]), layout=dict(title=dict(text="t")))

    a, b = W.IntSlider(value=1), W.IntSlider(value=2)
    box = widgets.live_figure({"a": a, "b": b}, draw)
    b.value = 5
    assert calls == [(1, 2), (1, 5)]
    assert list(_array(_figure(box.output)["data"][0]["y"])) == [1, 5]
    with pytest.raises(ValueError, match="controls must name at least one widget"):
        widgets.live_figure({}, draw)


def test_figure_output_draws_without_a_kernel():
    output = widgets.figure_output(go.Figure(go.Scatter(y=[1, 2]), layout=dict(title=dict(text="x"))))
    data = output["data"]
    assert output["output_type"] == "display_data" and PLOTLY in data
    assert "Plotly.newPlot" in data["text/html"] and "window.Plotly" in data["text/html"]


def test_alpha_slider_rejects_slopes_outside_its_range():
    with pytest.raises(ValueError, match=r"alpha must be a finite real number in \[0.0, 1.0\]"):
        widgets.alpha_slider(1.5)


def test_latest_wins_computes_the_newest_request_and_drops_the_ones_it_replaced():
    import threading
    import time

    done, busy, release = [], [], threading.Event()

    def work(request):
        if request == 0:
            release.wait(5)  # the first computation is slow: the next requests queue behind it
        done.append(request)

    updates = widgets.LatestWins(work, on_busy=busy.append, background=True, settle_s=0.05)
    updates.submit(0)
    time.sleep(0.2)
    for request in (1, 2, 3, 4, 5):  # five key presses while the first is computing
        updates.submit(request)
    release.set()
    assert updates.wait(10)
    assert done == [0, 5] and busy == [0, 5] and updates.superseded == 4


def test_latest_wins_reports_a_failed_computation_and_keeps_serving():
    outcomes = []

    def work(request):
        if request == "bad":
            raise ValueError("depth must be an integer in [1, 30]; got 0")

    updates = widgets.LatestWins(work, on_done=lambda r, e: outcomes.append((r, e and str(e))), background=True,
                                 settle_s=0)
    updates.submit("bad")
    assert updates.wait(5)
    updates.submit("good")
    assert updates.wait(5)
    assert outcomes == [("bad", "depth must be an integer in [1, 30]; got 0"), ("good", None)]


def test_live_figure_shows_a_busy_line_while_it_redraws_in_the_background():
    seen = []
    slider = W.IntSlider(value=1)
    box = widgets.live_figure({"n": slider}, lambda n: (seen.append(box.busy.value) if n > 1 else None)
                              or go.Figure(layout=dict(title=dict(text=f"n = {n}"))))
    box.updates.background = True
    slider.value = 7
    assert box.updates.wait(10)
    assert seen == ["<i>Computing for n 7 …</i>"] and box.busy.value == ""
    assert _figure(box.output)["layout"]["title"]["text"] == "n = 7"


def test_the_busy_line_names_controls_in_the_readers_words():
    slider = W.FloatSlider(value=1.0, description="init scale")
    seen = []
    box = widgets.live_figure({"init_scale": slider}, lambda init_scale: (seen.append(box.busy.value)
                              if init_scale > 1 else None) or go.Figure())
    box.updates.background = True
    slider.value = 1.5
    assert box.updates.wait(10)
    assert seen == ["<i>Computing for init scale 1.5 …</i>"]


def test_widgets_drawn_for_the_static_book_say_they_need_a_kernel(monkeypatch):
    monkeypatch.delenv(widgets.STATIC_BOOK, raising=False)
    children = widgets.alpha_explorer(0.1).children
    assert not any(isinstance(c, W.HTML) and "static-notice" in c.value for c in children)
    monkeypatch.setenv(widgets.STATIC_BOOK, "1")
    first = widgets.alpha_explorer(0.1).children[0]
    assert isinstance(first, W.HTML) and "rectifiers-static-notice" in first.value
    assert "Runs only in JupyterLab" in first.value


def test_the_live_training_loop_says_what_trains_at_once_and_how_it_ended(monkeypatch):
    from rectifiers import engine
    from rectifiers.engine import RunConfig

    seen = []

    def no_data(config):
        seen.append(training.status.value)  # what the reader reads while the data load
        raise RuntimeError("no data here")

    monkeypatch.setattr(engine, "load_run_data", no_data)
    config = RunConfig(dataset="mnist", activation="relu", seed=0, epochs=(2,), n_train=10, n_test=10)
    training = widgets.PairTraining(lambda: 1, lambda settings: [("ReLU", config, None)], lambda: 1,
                                    lambda note: None, lambda records, n: "done", name="test-train")
    with pytest.raises(RuntimeError):
        training.train()
    assert seen == ["Training ReLU for 1 epoch: loading the data … (a kernel restart would lose this training)"]
    assert training.status.value == "Training ended early (RuntimeError: no data here); Train starts it again."
    assert training.progress.bar_style == "danger" and training.trained_for is None


def test_discrete_sliders_have_a_plain_text_readout_not_one_that_ignores_typing():
    from rectifiers.experiments import gan
    from rectifiers.widgets.common import choice_slider
    from rectifiers.widgets.gan import stored_run_explorer
    from rectifiers.widgets.where_leaky import seeds_explorer

    slider = choice_slider([0.01, 0.1, 1.0], 0.1, "learning rate")
    readout = slider.shown.children[1]
    assert slider.readout is False and slider.shown.children[0] is slider and readout.value == "0.1"
    slider.value = 1.0
    assert readout.value == "1.0"
    with pytest.raises(ValueError, match="learning rate must be one of 0.01, 0.1, 1.0"):
        choice_slider([0.01, 0.1, 1.0], 0.5, "learning rate")

    def sliders(widget):  # every discrete slider drawn in an explorer, with the widget beside it
        for child in getattr(widget, "children", ()):
            if isinstance(child, W.SelectionSlider):
                yield child, widget.children
            yield from sliders(child)

    seeds = seeds_explorer(n_train=100, n_test=50)
    seeds.optimizer.value = "sgd"  # new options: the readout follows
    stored = stored_run_explorer(gan.load_records(gan.study()))
    found = [*sliders(seeds), *sliders(stored)]
    assert len(found) == 2
    for slider, row in found:
        assert slider.readout is False and isinstance(row[1], W.Label) and row[1].value == slider.label

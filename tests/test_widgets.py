"""Live widgets: the slider redraws the figure in its Output, and the output also draws in a static page."""

from __future__ import annotations

import base64

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import pytest

from rectifiers import activations as A
from rectifiers import widgets

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

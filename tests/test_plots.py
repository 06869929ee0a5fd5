"""Figures of Chapter 1: right data, the book's colours, titled axes, a working static α slider."""

from __future__ import annotations

import numpy as np
import pytest

from rectifiers import activations as A
from rectifiers.figures import common as plots
from rectifiers.experiments.timing import Timings


def test_activation_figure_draws_functions_and_autodiff_derivatives():
    fig = plots.activation_figure(["relu", "leaky_relu", "prelu"], 0.05, x_range=(-2, 3), n_points=51, slopes={"prelu": 0.25})
    assert len(fig.data) == 6 + 3  # f and f′ of each, and f′ for x < 0 again in the magnifying inset
    # On the full derivative panel a slope of 0.05 lies a few pixels above ReLU's 0: the inset spans 2.4 slopes.
    inset = [t for t in fig.data if t.xaxis == "x3"]
    assert len(inset) == 3 and all(max(t.x) < 0 for t in inset)
    assert fig.layout.yaxis3.range == (-0.4 * 0.05, 2 * 0.05)
    assert fig.layout.legend.orientation == "h"  # under the panels, not a third of the width beside them
    assert fig.layout.title.text and fig.layout.xaxis.title.text == "input x"
    assert fig.layout.yaxis.title.text == "output f(x)" and fig.layout.yaxis2.title.text == "derivative f′(x)"
    by_name = {trace.name: trace for trace in fig.data}
    relu, leaky, prelu = by_name["ReLU"], by_name["Leaky ReLU (α=0.05)"], by_name["PReLU (α=0.25)"]
    assert 0.0 in relu.x and relu.x[0] == -2 and relu.x[-1] == 3
    assert relu.line.color == plots.COLOURS["relu"] and leaky.line.color == plots.COLOURS["leaky_relu"]
    np.testing.assert_allclose(prelu.y, A.activation("prelu", prelu.x, 0.25), rtol=1e-6)  # float32
    leaky_derivative = by_name["Leaky ReLU (α=0.05) f′"]
    assert leaky_derivative.line.dash == "dash" and leaky_derivative.xaxis == "x2"
    np.testing.assert_allclose(leaky_derivative.y, A.derivative("leaky_relu", leaky.x, 0.05), rtol=1e-6)


def test_prelu_at_keras_initial_slope_is_drawn_visibly_over_relu():
    # Keras' PReLU starts at slope 0: the same curve as ReLU, which a solid line would hide.
    fig = plots.activation_figure(["relu", "leaky_relu", "prelu"], 0.01, n_points=51, slopes={"prelu": 0.0})
    relu, prelu, prelu_derivative = fig.data[0], fig.data[4], fig.data[5]
    np.testing.assert_array_equal(prelu.y, relu.y)
    assert prelu.name == "PReLU (α=0): at initialisation, same curve as ReLU" and prelu.showlegend is not False
    assert prelu.line.dash == prelu_derivative.line.dash == "dot" and prelu.line.width > relu.line.width
    assert relu.line.dash is None and fig.data[2].line.dash is None  # the others stay solid
    distinct = plots.activation_figure(["relu", "prelu"], 0.01, n_points=51, slopes={"prelu": 0.25})
    assert distinct.data[2].name == "PReLU (α=0.25)" and distinct.data[2].line.dash is None


@pytest.mark.parametrize(
    "x_range, message",
    [((3, -3), "x_range must be increasing"), ((0, 1, 2), "x_range must be two numbers"), ((0, np.inf), r"x_range\[1\]")],
)
def test_bad_ranges_are_named(x_range, message):
    with pytest.raises(ValueError, match=message):
        plots.activation_figure(["relu"], x_range=x_range)


def test_alpha_slider_restyles_to_precomputed_curves():
    alphas = [0.0, 0.01, 0.3, 1.0]
    fig = plots.alpha_slider_figure(alphas, x_range=(-3, 3), n_points=31, active=0.3)
    slider = fig.layout.sliders[0]
    assert slider.active == 2 and [step.label for step in slider.steps] == ["0", "0.01", "0.3", "1"]
    x = np.asarray(fig.data[0].x)
    np.testing.assert_allclose(fig.data[0].y, A.activation("leaky_relu", x, 0.3), atol=1e-5)
    for alpha, step in zip(alphas, slider.steps):
        assert step.method == "restyle" and list(step.args[1]) == [0, 1]
        f, d = step.args[0]["y"]
        np.testing.assert_allclose(f, A.activation("leaky_relu", x, alpha), atol=1e-5)  # rounded to 5 decimals
        np.testing.assert_allclose(d, A.derivative("leaky_relu", x, alpha), atol=1e-5)
    # The ReLU reference stays put; the two Leaky ReLU traces are red.
    assert fig.data[2].name.startswith("ReLU") and fig.data[0].line.color == plots.COLOURS["leaky_relu"]


@pytest.mark.parametrize("alphas, message", [([], "non-empty"), ("0.1", "non-empty"), ([0.1, -1.0], r"alphas\[1\] must be")])
def test_alpha_slider_rejects_bad_slopes(alphas, message):
    with pytest.raises(ValueError, match=message):
        plots.alpha_slider_figure(alphas)


def _timings():
    rng = np.random.default_rng(0)
    times = {"relu": rng.uniform(0.01, 0.02, 5), "leaky_relu": rng.uniform(0.01, 0.02, 5)}
    return Timings(times, times, size=4 * 2**20, repeats=5, alpha=0.01, seed=0, wall_s=1.0)


def test_timing_figure_shows_every_repeat_in_ms():
    fig = plots.timing_figure(_timings())
    assert [trace.name for trace in fig.data] == ["ReLU", "Leaky ReLU (α=0.01)"]
    assert fig.data[0].boxpoints == "all" and fig.data[1].marker.color == plots.COLOURS["leaky_relu"]
    np.testing.assert_allclose(fig.data[0].y, _timings().times["relu"] * 1e3)
    assert "4 Mi float32" in fig.layout.title.text and fig.layout.yaxis.title.text == "time per call (ms)"


def test_table_formats_numbers_for_reading():
    import pandas as pd

    html = plots.table(pd.DataFrame({"x": [1.4e-6, -0.5], "ok": [True, False], "n": [3, 4]})).to_html()
    assert "1.4e−06" in html and "−0.5" in html and "yes" in html and "no" in html and ">3<" in html


def test_table_speaks_the_readers_words():
    """No raw pandas in the book: NaN, activation keys, initialiser keys and package column names are translated."""
    import pandas as pd

    frame = pd.DataFrame(
        {"initialisation": ["he_leaky", "he × 1.5"], "escape_step": [4500, None], "min_mean": [6.439954e-13, float("nan")]},
        index=pd.Index(["leaky_relu", "relu"], name="activation"),
    )
    html = plots.table(frame).to_html()
    for raw in ("NaN", "nan", "None", "he_leaky", "leaky_relu", "escape_step", "min_mean", "6.439954e-13", "4500.0"):
        assert raw not in html, raw
    for shown in ("Leaky ReLU", "He for leaky units", "He × 1.5", "doubled again by step", "lowest mean", "4,500",
                  "6.44e−13", "—"):
        assert shown in html, shown


def test_each_slope_has_its_own_colour_and_only_leaky_relu_is_red():
    alphas = [0.0, 0.001, 0.01, 0.03, 0.1, 0.3, 1.0]
    shades = [plots.slope_colour(a) for a in alphas]
    assert shades[0] == plots.colour("relu") and shades[2] == plots.colour("leaky_relu")
    assert len(set(shades)) == len(alphas)
    others = set(shades[1:2] + shades[3:])
    assert not others & {plots.colour("relu"), plots.colour("leaky_relu")}


def test_a_setting_has_one_colour_in_the_whole_book_and_no_two_settings_share_one():
    # α = 0.3 was orange, red and brown on three pages; RAI borrowed Mish's cyan; PReLU sat beside α = 0.3's orange.
    from rectifiers.activations import ACTIVATIONS

    settings = {name: plots.setting_colour(name) for name in ACTIVATIONS}
    settings |= {f"leaky {a:g}": plots.setting_colour("leaky_relu", a) for a in plots.SLOPE_COLOURS}
    settings["ReLU, RAI"] = plots.setting_colour("relu", 0.0, "rai")
    assert settings["leaky 0.01"] == settings["leaky_relu"]  # the book's α: one setting, one name
    del settings["leaky 0.01"]
    assert len(set(settings.values())) == len(settings), settings
    # A slope's colour does not depend on the slopes drawn beside it.
    assert plots.slope_colour(0.3) == plots.slope_colour(0.30000001) == plots.SLOPE_COLOURS[0.3]
    assert plots.slope_colour(0.07) not in settings.values()


def test_layer_names_read_as_words():
    # Chapter 3's legends once read dense_1…dense_4.
    assert plots.layer_words("dense_3") == "hidden layer 3" and plots.layer_words("act_2") == "hidden layer 2"
    assert plots.layer_words("conv2d") == "convolution 1" and plots.layer_words("conv2d_1") == "convolution 2"
    assert plots.layer_words("output") == "output"


def test_the_per_epoch_figures_store_their_values_as_float32():
    """The epoch slider's boxes and the median curves carry one value per seed or per epoch; as float32 they weigh
    half what float64 does in the page, and the figure shows 4 decimals."""
    import json

    import pandas as pd
    import plotly.io as pio

    from rectifiers.figures import family

    history = pd.DataFrame([dict(variant=name, activation=act, alpha=alpha, seed=seed, epoch=epoch,
                                 test_accuracy=0.5 + 0.01 * epoch + 0.001 * seed, test_loss=1.0 / epoch)
                            for name, act, alpha in (("ReLU", "relu", None), ("Leaky ReLU (α=0.1)", "leaky_relu", 0.1))
                            for seed in range(3) for epoch in range(1, 6)])
    for figure in (family.epochs_slider(history, title="t"), family.median_curves({"net": history}, title="t")):
        ys = [trace["y"] for trace in json.loads(pio.to_json(figure))["data"]]
        assert ys and all(y["dtype"] == "f4" for y in ys)
    curve = family.median_curves({"net": history}, title="t").data[0]
    np.testing.assert_allclose(curve.y, [0.501 + 0.01 * e for e in range(1, 6)], atol=1e-6)
    assert (curve.x, curve.x0, curve.dx) == (None, 1, 1)  # consecutive epochs: a start and a step, no array
    gappy = family.median_curves({"net": history[history.epoch != 3]}, title="t").data[0]
    assert list(gappy.x) == [1, 2, 4, 5]
    slider = family.epochs_slider(history, title="t")
    assert slider.data[0].boxpoints is None and slider.layout.template.data.box[0].boxpoints == "all"  # said once

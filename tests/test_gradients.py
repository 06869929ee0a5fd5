"""Gradient and saturation probes, checked on networks whose answer is known by hand."""

from __future__ import annotations

import json
import math

import ipywidgets as W
import keras
import numpy as np
import pytest

from rectifiers.figures import gradients as GP
from rectifiers.experiments import gradient_runs as GR
from rectifiers.experiments import gradients as G
from rectifiers.models import mlp

from conftest import ROOT, chain_model, hand_gradients


def test_linear_chain_gradient_norms_match_the_hand_computation(linear_chain):
    kernels, x, y = linear_chain
    model = chain_model(kernels)
    expected = [np.linalg.norm(g) for g in hand_gradients(x, y, kernels)[:-1]]
    np.testing.assert_allclose(G.weight_gradient_norms(model, x, y), expected, rtol=1e-4)


def test_a_saturated_sigmoid_layer_passes_no_gradient():
    rng = np.random.default_rng(0)
    x = rng.choice([-1.0, 1.0], size=(32, 1)) * np.ones((32, 8))  # pre-activations ±8000 with these weights
    y = rng.integers(0, 2, 32)
    huge = [np.full((8, 4), 1000.0), rng.normal(size=(4, 4)), rng.normal(size=(4, 2))]
    small = [huge[0] * 1e-4, *huge[1:]]  # pre-activations ±0.8: the sigmoid's steep middle
    saturated = chain_model(huge, "sigmoid")
    stats = G.activation_statistics(saturated, x)
    assert stats.saturated[0] == 1.0 and stats.zero_gradient[0] == 1.0
    assert stats.percentiles[0, 0] == 0.0 and stats.percentiles[0, -1] == 1.0
    assert G.weight_gradient_norms(saturated, x, y)[0] == 0.0
    unsaturated = chain_model(small, "sigmoid")
    assert G.weight_gradient_norms(unsaturated, x, y)[0] > 1e-3
    assert G.activation_statistics(unsaturated, x).saturated[0] == 0.0


@pytest.mark.parametrize("activation, alpha, saturated_negative, zero_negative", [
    ("relu", 0.0, True, True), ("leaky_relu", 0.01, True, False), ("leaky_relu", 0.3, False, False),
])
def test_activation_statistics_of_an_identity_layer(activation, alpha, saturated_negative, zero_negative):
    from rectifiers.activations import activation_layer

    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 3)).astype(np.float32)
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(3, kernel_initializer="identity", name="dense_1"),
        activation_layer(activation, alpha, layer_name="act_1"),
        keras.layers.Dense(2, activation="softmax", name="classifier"),
    ])
    stats = G.activation_statistics(model, x)
    a = np.where(x > 0, x, alpha * x)
    assert stats.mean[0] == pytest.approx(a.mean(), rel=1e-5)
    assert stats.std[0] == pytest.approx(a.std(), rel=1e-5)
    np.testing.assert_allclose(stats.percentiles[0], np.percentile(a, G.PERCENTILES), rtol=1e-5, atol=1e-6)
    negative = np.mean(x < 0)
    assert stats.saturated[0] == pytest.approx(negative if saturated_negative else 0.0)
    assert stats.zero_gradient[0] == pytest.approx(negative if zero_negative else 0.0)


def test_relu_chain_derivative_is_the_product_of_weights():
    d = G.chain_derivatives("relu", 6, [0.5, 2.0], weight=1.5)
    np.testing.assert_allclose(d, np.tile(1.5 ** np.arange(1, 7), (2, 1)), rtol=1e-5)
    assert np.all(G.chain_derivatives("relu", 3, [-1.0]) == 0)


def test_sigmoid_chain_matches_the_chain_rule_and_the_bound():
    x0, w, depth = np.array([0.0, 1.0, -3.0, 3.0]), 2.5, 12
    measured = G.chain_derivatives("sigmoid", depth, x0, weight=w)
    x, product, expected = x0.copy(), np.ones_like(x0), []
    for _ in range(depth):
        s = 1 / (1 + np.exp(-w * x))
        product *= w * s * (1 - s)
        expected.append(product.copy())
        x = s
    np.testing.assert_allclose(measured, np.array(expected).T, rtol=1e-3)  # float32 near saturation
    bound = G.sigmoid_chain_bound(depth, w)
    np.testing.assert_allclose(bound, (w / 4) ** np.arange(1, depth + 1))
    assert np.all(np.abs(measured) <= bound * (1 + 1e-6))
    # The bound is nearly reached only near x = 0: a unit in its flat tail loses far more.
    assert abs(measured[0, 0]) == pytest.approx(w / 4, rel=1e-5)
    assert abs(measured[3, 0]) < 1e-2 * bound[0]


@pytest.mark.parametrize("initializer", ["he_leaky", "rai"])
def test_reinitialise_gives_the_weights_mlp_starts_with(initializer):
    model = mlp(3, 8, "leaky_relu", 0.2, initializer="glorot", seed=0)
    G.reinitialise(model, initializer, alpha=0.2, init_scale=1.3, seed=4)
    fresh = mlp(3, 8, "leaky_relu", 0.2, initializer=initializer, init_scale=1.3, seed=4)
    for a, b in zip(model.weights, fresh.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_rai_gives_every_unit_one_positive_entry_drawn_with_its_bias():
    from rectifiers.models import RAI_SIGMA, kernel_initializer, rai_entries

    a, b = mlp(4, 6, "relu", initializer="rai", seed=1), mlp(4, 6, "relu", initializer="rai", seed=1)
    for x, y in zip(a.weights, b.weights):  # a seed fixes the network
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    layer = a.get_layer("dense_2")
    entries = np.concatenate([layer.kernel.numpy(), layer.bias.numpy()[None]])  # (fan_in + 1, units)
    expected = rai_entries(np.random.default_rng(1 * 1000 + 2), 1, 6, 6)[0]
    np.testing.assert_allclose(entries, expected, rtol=1e-6)  # the same draw as Chapter 3's Monte Carlo
    assert np.any(layer.bias.numpy() != 0)  # the biases are drawn, not zero
    draws = rai_entries(np.random.default_rng(0), 4000, 6, 6)
    positive_one = (draws > 0) & (draws <= 1)
    assert positive_one.any(axis=1).all()  # every unit has its Beta(2, 1) entry
    # one entry in seven has mean 2/3; the other six are centred: the column mean is (2/3)/7
    assert draws.mean() == pytest.approx(2 / 21, abs=0.01)
    symmetric = rai_entries(np.random.default_rng(0), 4000, 6, 6, asymmetric=False)
    assert symmetric.mean() == pytest.approx(0, abs=0.01) and symmetric.std() == pytest.approx(RAI_SIGMA / 6**0.5, rel=0.02)
    first = mlp(2, 3, "relu", initializer="rai", seed=0).get_layer("dense_1")
    assert first.kernel.shape == (784, 3)  # the first layer's fan-in is the image
    with pytest.raises(ValueError, match="rai.*layer_initializers"):
        kernel_initializer("rai")
    with pytest.raises(ValueError, match="bias must be 0 with initializer 'rai'"):
        mlp(2, 3, "relu", initializer="rai", bias=0.1)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return rng.random((64, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, 64)


def test_deep_sigmoid_starves_the_first_layer_but_relu_does_not(images):
    x, y = images
    sigmoid = G.gradient_profile(x, y, depth=10, width=32, activation="sigmoid", seeds=[0, 1])
    relu = G.gradient_profile(x, y, depth=10, width=32, activation="relu", seeds=[0, 1])
    assert sigmoid.norms.shape == (2, 10) and sigmoid.initializer == "glorot" and relu.initializer == "he"
    assert not np.array_equal(sigmoid.norms[0], sigmoid.norms[1])  # seeds give different networks
    assert np.all(sigmoid.first_to_last() < 4.0**-5)  # ten sigmoid layers: far below 1
    assert np.all(relu.first_to_last() > 0.1)  # may exceed 1: the first layer's input (784 pixels) is large
    assert sigmoid.centre()[0] < 1e-3 * relu.centre()[0]


def test_too_large_an_initialisation_explodes_with_depth(images):
    x, y = images
    first = [G.gradient_profile(x, y, depth=d, width=32, activation="relu", initializer="he", init_scale=2.0,
                                seeds=[0]).norms[0, 0] for d in (2, 10)]
    assert first[1] > 30 * first[0]  # about 2 per extra layer: 2^8 = 256 for eight more


def test_he_for_leaky_units_keeps_a_linear_network_in_scale(images):
    # Leaky ReLU with α = 1 is the identity: plain He doubles the variance per layer, the leaky formula does not.
    x, y = images
    he, leaky = (G.gradient_profile(x, y, depth=12, width=32, activation="leaky_relu", alpha=1.0, initializer=init,
                                    seeds=[0]).centre() for init in ("he", "he_leaky"))
    assert np.exp(np.mean(np.log(he / leaky))) > 2.0**4


@pytest.fixture(scope="module")
def engine_runs(tmp_path_factory):
    """Tiny engine runs of the chapter's two kinds: gradient traces (2 seeds) and a saturation run with statistics."""
    from rectifiers.data import load_dataset
    from rectifiers.engine import ResultsStore

    store = ResultsStore(tmp_path_factory.mktemp("runs"))
    data = load_dataset("mnist", n_train=64, n_test=16, seed=0)
    shared = dict(depth=3, width=8, epochs=2, n_train=64, n_probe=16, batch_size=8, learning_rate=0.05)
    traces = {a: GR.trained_traces([GR.run_config(a, seed=s, **shared) for s in (0, 1)], store=store, data=data)
              for a in ("relu", "leaky_relu")}
    saturation = GR.trained_traces([GR.run_config("sigmoid", statistics=True, **shared)], store=store, data=data)[0]
    return store, data, traces, saturation


@pytest.mark.slow
def test_traces_are_measured_before_training_and_after_every_epoch(engine_runs):
    from rectifiers.engine import load_model

    store, data, traces, saturation = engine_runs
    first, second = traces["relu"]
    assert first.steps == [0, 8, 16] and first.epochs == [0.0, 1.0, 2.0]  # 64 images in batches of 8
    assert first.array("gradient_norms").shape == (3, 3)
    assert not np.array_equal(first.gradient_norms[0], second.gradient_norms[0])  # seeds: different networks
    # Epoch 0 is the network as `mlp` builds it; the last row is the trained model's own measurement.
    fresh = mlp(3, 8, "relu", initializer="he", seed=0)
    np.testing.assert_allclose(first.gradient_norms[0], G.weight_gradient_norms(fresh, data.x_test, data.y_test), rtol=1e-5)
    trained = load_model(store.get(first.key), store=store)
    np.testing.assert_allclose(first.gradient_norms[-1], G.weight_gradient_norms(trained, data.x_test, data.y_test),
                               rtol=1e-5)
    assert saturation.array("percentiles").shape == (3, 3, len(G.PERCENTILES))
    assert saturation.array("mean")[0] == pytest.approx(G.activation_statistics(
        mlp(3, 8, "sigmoid", initializer="glorot", seed=0), data.x_test).mean, rel=1e-5)


@pytest.mark.parametrize("call, message", [
    (lambda x, y: G.gradient_profile(x, y, depth=0), "depth must be an integer >= 1"),
    (lambda x, y: G.gradient_profile(x, y, depth=2, activation="softsign"), "activation must be one of"),
    (lambda x, y: G.gradient_profile(x, y, depth=2, activation="leaky_relu", alpha=math.nan), "alpha must be a finite"),
    (lambda x, y: G.gradient_profile(x, y, depth=2, alpha=math.inf), "alpha must be a finite"),
    (lambda x, y: G.gradient_profile(x[:0], y[:0], depth=2), "images must hold at least one example"),
    (lambda x, y: G.gradient_profile(x, y[:3], depth=2), "labels must be one integer per image"),
    (lambda x, y: G.gradient_profile(x, y, depth=2, seeds=[]), "seeds must be a non-empty list"),
    (lambda x, y: G.gradient_profile(x, y, depth=2, initializer="orthogonal"), "initializer must be one of"),
    (lambda x, y: G.chain_derivatives("sigmoid", 0, [0.0]), "depth must be an integer >= 1"),
    (lambda x, y: G.chain_derivatives("sigmoid", 3, []), "x0 must hold at least one"),
    (lambda x, y: G.activation_statistics(mlp(1, 2), x[:0]), "images must hold at least one example"),
    (lambda x, y: G.weight_gradient_norms(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]),
                                          x[:, 0, 0, :3], y), "no hidden layers named dense_1"),
])
def test_bad_arguments_fail_with_a_clear_message(images, call, message):
    x, y = images
    with pytest.raises(ValueError, match=message):
        call(x, y)


def synthetic_grid(growth_by_scale, depths=(1, 2, 4, 8), alphas=(0.0, 0.01)):
    """A grid whose first-layer norm is 3 · g^depth for each scale's g, for every seed and α."""
    scales = list(growth_by_scale)
    norms = [[[[[3.0 * growth_by_scale[s] ** d * (1 + 0.1 * seed)] * d for seed in range(2)] for s in scales]
              for _ in alphas] for d in depths]
    return {"depths": list(depths), "alphas": list(alphas), "init_scales": scales, "seeds": [0, 1], "norms": norms,
            "made": {"parameters": {"width": 4}, "wall_time_s": 0.0, "date": "2000-01-01"}}


def test_depth_growth_recovers_a_known_rate():
    grid = synthetic_grid({0.5: 0.5, 1.0: 1.0, 1.5: 1.7})
    growth = G.depth_growth(grid, alpha=0.01)
    assert growth == pytest.approx({0.5: 0.5, 1.0: 1.0, 1.5: 1.7}, rel=1e-9)


def test_grid_round_trip_and_lookup(tmp_path, images):
    x, y = images
    grid = G.gradient_grid(x[:16], y[:16], depths=[1, 3], alphas=[0.0, 0.3], init_scales=[1.0, 2.0], seeds=[0, 1],
                           width=8, data="synthetic")
    assert set(grid["made"]) >= {"parameters", "versions", "date", "wall_time_s", "machine"}
    path = G.save_result(grid, tmp_path / "g.json")
    loaded = G.load_grid(path)
    profile = G.grid_profile(loaded, 3, 0.3, 2.0)
    assert profile.norms.shape == (2, 3) and profile.activation == "leaky_relu"
    direct = G.gradient_profile(x[:16], y[:16], depth=3, width=8, activation="leaky_relu", alpha=0.3,
                                initializer="he", init_scale=2.0, seeds=[0, 1])
    np.testing.assert_allclose(profile.norms, direct.norms, rtol=1e-5)
    with pytest.raises(ValueError, match="not in the grid"):
        G.grid_profile(loaded, 2, 0.3, 2.0)
    broken = json.loads(path.read_text())
    broken["norms"][1][0][0] = [[1.0]]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    with pytest.raises(ValueError, match="do not match"):
        G.load_grid(tmp_path / "broken.json")
    with pytest.raises(FileNotFoundError, match="recompute=True"):
        G.load_grid(tmp_path / "missing.json")


def test_the_stored_grid_is_complete_and_says_how_it_was_made():
    grid = G.load_grid(G.GRID_PATH)
    made = grid["made"]
    assert made["parameters"]["function"] == "rectifiers.experiments.gradients.gradient_grid"
    assert {"tensorflow", "keras", "numpy", "python"} <= set(made["versions"])
    assert 0.0 in grid["alphas"] and 0.01 in grid["alphas"] and 1.0 in grid["init_scales"]
    assert len(grid["seeds"]) >= 3
    growth = G.depth_growth(grid, alpha=0.01)
    assert growth[min(growth)] < 1 < growth[max(growth)]  # too small vanishes, too large explodes


@pytest.mark.slow
def test_the_stored_grid_is_reproduced_by_the_package():
    from rectifiers.data import load_dataset

    grid = G.load_grid(G.GRID_PATH)
    made = grid["made"]["parameters"]
    data = load_dataset("mnist", n_train=2000, n_test=made["n_images"], seed=0)
    depth = sorted(grid["depths"])[1]
    fresh = G.gradient_profile(data.x_test, data.y_test, depth=depth, width=made["width"], activation="leaky_relu",
                               alpha=0.01, initializer="he", init_scale=1.0, seeds=grid["seeds"])
    np.testing.assert_allclose(G.grid_profile(grid, depth, 0.01, 1.0).norms, fresh.norms, rtol=1e-3)


def test_profile_summaries(images):
    x, y = images
    profile = G.gradient_profile(x, y, depth=3, width=8, seeds=[0, 1, 2])
    assert np.all(profile.low() <= profile.centre()) and np.all(profile.centre() <= profile.high())
    summary = G.ratio_summary([1.0, 4.0])
    assert summary == {"mean": pytest.approx(2.0), "min": 1.0, "max": 4.0}
    table = G.profile_table([profile])
    assert table.loc["relu", "first / last"] == pytest.approx(G.ratio_summary(profile.first_to_last())["mean"])


def test_figures_have_titles_axes_and_log_scales(images):
    x, y = images
    profiles = [G.gradient_profile(x, y, depth=3, width=8, activation=a, seeds=[0, 1]) for a in ("sigmoid", "relu")]
    figures = [
        GP.gradient_profile_figure(profiles, title="profiles"),
        GP.chain_bound_figure({"x0 = 0": G.chain_derivatives("sigmoid", 5, [0.0])[0]}, G.sigmoid_chain_bound(5)),
        GP.derivative_figure(),
    ]
    for fig in figures:
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert figures[0].layout.yaxis.type == "log" and figures[1].layout.yaxis.type == "log"
    # ReLU blue, Leaky ReLU red, in every chapter.
    assert {t.line.color for t in figures[0].data if not t.fill} == {GP.colour("sigmoid"), GP.colour("relu")}


def test_grid_figure_slider_shows_one_scale_at_a_time():
    grid = synthetic_grid({0.5: 0.5, 1.0: 1.0, 1.5: 1.7})
    fig = GP.gradient_grid_figure(grid, depths=[2, 8])
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["0.5", "1", "1.5"]
    per_scale = 2 * len(grid["alphas"])  # panels × lines
    for s, step in enumerate(steps):
        visible = step.args[0]["visible"]
        assert sum(visible) == per_scale and all(visible[s * per_scale : (s + 1) * per_scale])
    assert sum(bool(t.visible) for t in fig.data) == per_scale  # He's scale (1) shown first
    depth_fig = GP.depth_scaling_figure(grid, alpha=0.0)
    assert depth_fig.layout.yaxis.type == "log"


@pytest.mark.slow
def test_training_figures(engine_runs):
    _, _, traces, saturation = engine_runs
    fig = GP.training_gradient_figure(traces, alpha=0.01)
    assert fig.layout.title.text and fig.layout.yaxis.type == "log"
    # Each panel its own range: the sigmoid's first layer (10⁻¹²) no longer flattens the last layer's curves.
    assert fig.layout.yaxis2.type == "log" and fig.layout.yaxis2.matches is None
    for fig in (GP.saturation_figure({"sigmoid": saturation}), GP.saturated_fraction_figure({"sigmoid": saturation})):
        assert fig.layout.title.text and fig.layout.xaxis.title.text == "epoch"


def test_live_explorer_remeasures_when_a_slider_moves(images):
    from rectifiers.widgets.gradients import gradient_explorer

    x, y = images
    box = gradient_explorer(x[:16], y[:16], activations=["relu"], depth=2, width=8, seeds=[0], max_depth=4)
    sliders = [c for c in box.children if isinstance(c, W.FloatSlider | W.IntSlider)]
    assert len(sliders) == 3 and {s.style.description_width for s in sliders} == {"8em"}  # tracks aligned
    title = lambda: box.output.outputs[0]["data"]["application/vnd.plotly.v1+json"]["layout"]["title"]["text"]  # noqa: E731
    assert "2 hidden layers" in title()
    box.children[0].value = 3
    assert "3 hidden layers" in title()
    with pytest.raises(ValueError, match="depth must be an integer"):
        gradient_explorer(x, y, depth=0)


def test_saturation_escape_finds_the_plateau_and_the_rise():
    means = [0.5, 0.2, 0.06, 0.05, 0.07, 0.11, 0.3]
    trace = G.TrainingTrace(steps=list(range(0, 700, 100)), epochs=[0.0] * 7, loss=[2.3] * 7,
                            gradient_norms=[np.ones(2)] * 7)
    for m in means:
        trace.statistics.append(G.ActivationStatistics(
            mean=np.array([0.5, m]), std=np.zeros(2), percentiles=np.zeros((2, 1)), levels=(50.0,),
            saturated=np.zeros(2), zero_gradient=np.zeros(2), threshold=0.1))
    assert G.saturation_escape(trace) == {"min_mean": 0.05, "min_step": 300, "escape_step": 500, "end_mean": 0.3}
    assert G.saturation_escape(trace, factor=10)["escape_step"] is None


def test_the_stored_long_sigmoid_runs_are_the_study_they_say():
    records, traces = GR.study_traces(GR.SATURATION_STUDY)
    assert len(traces) == 3 and {t.seed for t in traces} == {0, 1, 2}
    for record, trace in zip(records, traces):
        assert record["status"] == "complete" and record["config"]["activation"] == "sigmoid"
        assert record["config"]["initializer"] == "glorot" and record["config"]["optimizer"] == "sgd"
        assert trace.epochs == [float(e) for e in range(151)] and trace.steps[-1] == 30_000
    top = traces[0].array("mean")[:, -1]
    assert top[0] == pytest.approx(0.5, abs=0.05)  # sigmoid(0) = 0.5 at a symmetric initialisation


def test_a_study_that_is_not_stored_names_the_command_that_trains_it(tmp_path):
    from rectifiers.engine import ResultsStore

    with pytest.raises(FileNotFoundError, match="python -m rectifiers study studies/ch2_saturation_long.yaml"):
        GR.study_traces(store=ResultsStore(tmp_path))


def test_the_static_grid_figure_stays_light():
    """Every figure is embedded in the page: the stored grid's explorer must stay well under the page budget."""
    import plotly.io as pio

    fig = GP.gradient_grid_figure(G.load_grid(G.GRID_PATH), depths=[2, 10, 20, 30])
    assert len(pio.to_json(fig)) < 130_000
    assert all(np.asarray(t.y).dtype == np.float32 for t in fig.data)


def test_depth_30_sigmoid_norms_do_not_underflow_to_zero(images):
    """Squares of float32 gradients below ~1e-23 underflow; the norms are taken in float64 so the first layers of
    a depth-30 sigmoid stack keep their (tiny, non-zero) gradient instead of vanishing from a log plot."""
    x, y = images
    profile = G.gradient_profile(x, y, depth=30, width=128, activation="sigmoid", seeds=[0])
    first = profile.norms[0, :3]
    assert np.all(first > 0) and np.all(first < 1e-12), first


def test_the_explorer_reads_settings_the_stored_grid_holds_and_measures_the_others():
    from rectifiers.widgets.gradients import stored_profile

    grid = {"depths": [2], "alphas": [0.0, 0.1], "init_scales": [1.0], "seeds": [0, 1, 2],
            "made": {"parameters": {"width": 8, "n_images": 16}},
            "norms": [[[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]], [[[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]]]]]}
    leaky = stored_profile(grid, "leaky_relu", 2, 0.1, 1.0, 8, (2, 0), 16)
    assert leaky.norms.tolist() == [[11.0, 12.0], [7.0, 8.0]] and leaky.alpha == 0.1
    assert stored_profile(grid, "relu", 2, 0.1, 1.0, 8, (0,), 16).norms.tolist() == [[1.0, 2.0]]  # α = 0 row
    for other in [("leaky_relu", 2, 0.2, 1.0, 8, (0,), 16), ("leaky_relu", 3, 0.1, 1.0, 8, (0,), 16),
                  ("leaky_relu", 2, 0.1, 1.0, 16, (0,), 16), ("leaky_relu", 2, 0.1, 1.0, 8, (5,), 16),
                  ("leaky_relu", 2, 0.1, 1.0, 8, (0,), 32), ("sigmoid", 2, 0.1, 1.0, 8, (0,), 16)]:
        assert stored_profile(grid, *other) is None, other


@pytest.mark.slow
def test_chapter_2_reads_stored_runs_and_trains_the_others_only_into_a_scratch_store(engine_runs, tmp_path):
    """Chapter 2 with recompute off: a run the store holds is read from it; one it lacks is trained into the
    temporary store the chapter passes, and the store itself is never written (issue 25, item 2)."""
    from rectifiers.data import load_dataset
    from rectifiers.engine import ResultsStore

    store, data, traces, _ = engine_runs
    before = sorted((p.name, p.stat().st_mtime_ns) for p in store.root.rglob("*"))
    scratch = ResultsStore(tmp_path / "scratch")
    shared = dict(depth=3, width=8, epochs=2, n_train=64, n_probe=16, batch_size=8, learning_rate=0.05)
    stored, new = GR.trained_traces([GR.run_config("relu", seed=0, **shared), GR.run_config("relu", seed=5, **shared)],
                                    store=store, train_into=scratch, data=data)
    assert stored.key == traces["relu"][0].key and scratch.get(stored.key) is None  # read, not retrained
    assert scratch.get(new.key) is not None and store.get(new.key) is None
    assert sorted((p.name, p.stat().st_mtime_ns) for p in store.root.rglob("*")) == before
    source = "".join(c.source for c in __import__("nbformat").read(
        ROOT / "notebooks" / "02_saturation_gradients.ipynb", 4).cells if c.cell_type == "code")
    assert source.count("train_into=train_into") == 2 and "train_into = store if recompute else" in source

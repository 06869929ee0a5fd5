"""Dead units on crafted layers, the born-dead theory and Monte Carlo, and the stored-result round trip."""

from __future__ import annotations

import math
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from rectifiers.experiments import dying
from rectifiers.experiments.dying import (
    BornDead,
    DyingRun,
    active_units_chain,
    born_dead_monte_carlo,
    born_dead_theory,
    dead_unit_fraction,
    dead_units,
    incoming_gradient_norms,
    preactivation_layers,
    two_sided_bounds,
    unit_activity,
    wilson_interval,
)

# --- crafted layers whose dead units are known exactly ---------------------------------------------------------


def dense_model(activation: str = "relu") -> keras.Model:
    """Input(3) → Dense(5) → activation → Dense(2); the hidden units are set by hand (see INPUTS)."""
    act = keras.layers.ReLU(name="act") if activation == "relu" else keras.layers.LeakyReLU(negative_slope=0.1, name="act")
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(5, name="hidden"), act, keras.layers.Dense(2, activation="softmax", name="out")]
    )
    kernel = np.array(
        [
            # unit 0: x0 - 1      positive on example 2 only           -> alive
            # unit 1: -1          negative everywhere                   -> dead
            # unit 2: x1          0, 0, 0, 2: zero on three, positive on one -> alive (the edge case)
            # unit 3: 0           exactly zero everywhere               -> dead
            # unit 4: -x2         <= 0 everywhere (x2 >= 0), = 0 on some -> dead
            [1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, -1.0],
        ]
    )
    bias = np.array([-1.0, -1.0, 0.0, 0.0, 0.0])
    model.get_layer("hidden").set_weights([kernel, bias])
    return model


INPUTS = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 3.0], [2.0, 0.0, 1.0], [0.5, 2.0, 0.0]], dtype=np.float32)
DEAD = np.array([False, True, False, True, True])


@pytest.mark.parametrize("batch_size", [1, 2, 3, 500])
def test_dense_dead_units_known_exactly(batch_size):
    model = dense_model()
    assert preactivation_layers(model) == ["hidden"]
    activity = unit_activity(model, INPUTS, batch_size=batch_size)["hidden"]
    np.testing.assert_array_equal(activity.dead, DEAD)
    np.testing.assert_allclose(activity.max_preactivation, [1.0, -1.0, 2.0, 0.0, 0.0])
    np.testing.assert_allclose(activity.active_fraction, [0.25, 0.0, 0.25, 0.0, 0.0])
    assert dead_unit_fraction(model, INPUTS, batch_size=batch_size) == {"hidden": pytest.approx(3 / 5)}


def test_a_unit_dead_on_one_batch_is_not_dead_on_the_dataset():
    # Unit 2 is zero on the first three examples: dead if one looks at that batch only, alive over the dataset.
    model = dense_model()
    assert dead_units(model, INPUTS[:3])["hidden"][2]
    assert not dead_units(model, INPUTS)["hidden"][2]


def test_leaky_relu_uses_the_same_preactivation_definition():
    np.testing.assert_array_equal(dead_units(dense_model("leaky_relu"), INPUTS)["hidden"], DEAD)


def conv_model() -> keras.Model:
    """Input(4, 4, 1) → Conv2D(3, 1×1) → ReLU → Flatten → Dense; channel 0 = pixel, 1 = -pixel, 2 = 0."""
    model = keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            keras.layers.Conv2D(3, 1, name="conv"),
            keras.layers.Activation("relu", name="act"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.get_layer("conv").set_weights([np.array([1.0, -1.0, 0.0]).reshape(1, 1, 1, 3), np.zeros(3)])
    return model


def test_conv_channels_dead_over_every_position_and_image():
    images = np.zeros((5, 4, 4, 1), dtype=np.float32)
    images[3, 2, 1, 0] = 0.5  # one positive pixel, in one image: channel 0 is alive because of it alone
    activity = unit_activity(conv_model(), images, batch_size=2)["conv"]
    np.testing.assert_array_equal(activity.dead, [False, True, True])
    np.testing.assert_allclose(activity.active_fraction, [1 / (5 * 16), 0.0, 0.0])
    assert dead_unit_fraction(conv_model(), images) == {"conv": pytest.approx(2 / 3)}


def test_dead_relu_unit_gets_exactly_zero_gradient_leaky_does_not():
    labels = np.array([0, 1, 0, 1])
    relu = incoming_gradient_norms(dense_model(), INPUTS, labels, "hidden", batch_size=3)
    assert np.all(relu[DEAD] == 0.0) and np.all(relu[~DEAD] > 0)
    leaky = incoming_gradient_norms(dense_model("leaky_relu"), INPUTS, labels, "hidden")
    assert leaky[1] > 0  # the "dead" leaky unit still passes α · upstream gradient


def test_nan_preactivations_are_not_counted_as_dead():
    model = dense_model()
    kernel, bias = model.get_layer("hidden").get_weights()
    bias[1] = np.nan
    model.get_layer("hidden").set_weights([kernel, bias])
    activity = unit_activity(model, INPUTS)["hidden"]
    assert not activity.dead[1] and activity.has_nan[1]
    assert math.isnan(activity.dead_fraction)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="images must have shape"):
        dead_units(dense_model(), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        dead_units(dense_model(), INPUTS, batch_size=0)
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu")])
    with pytest.raises(ValueError, match="no layer followed by a separate activation layer"):
        dead_units(plain, INPUTS)


# --- theory ------------------------------------------------------------------------------------------------------


def test_active_units_chain_is_a_distribution_and_matches_the_closed_form():
    chain = active_units_chain(4, 30)
    np.testing.assert_allclose(chain.sum(axis=1), 1.0)
    np.testing.assert_allclose(chain[:, 0], born_dead_theory(4, np.arange(1, 31)))
    assert born_dead_theory(1, 3) == pytest.approx(1 - 0.5**3)


def test_two_sided_bounds_are_ordered():
    low, high = two_sided_bounds(np.array([2, 4, 10]), np.array([[10], [50]]))
    assert np.all(low <= high) and np.all(low >= 0)
    assert high[1, 0] == pytest.approx(born_dead_theory(2, 50))


def test_wilson_interval_known_values():
    low, high = wilson_interval(0, 10)
    z = 1.959963984540054
    assert low == 0.0 and high == pytest.approx(z * z / (10 + z * z))
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(11, 10)


# --- Monte Carlo --------------------------------------------------------------------------------------------------


def test_monte_carlo_is_reproducible_and_cumulative():
    a = born_dead_monte_carlo(3, 12, n_networks=5000, seed=7)
    b = born_dead_monte_carlo(3, 12, n_networks=5000, seed=7)
    c = born_dead_monte_carlo(3, 12, n_networks=5000, seed=8)
    np.testing.assert_array_equal(a.dead, b.dead)
    assert not np.array_equal(a.dead, c.dead)
    assert np.all(np.diff(a.dead) >= 0)  # a network dead at depth l is dead at every greater depth


def test_one_ray_estimate_agrees_with_theory():
    r = born_dead_monte_carlo(3, 8, domain="[0,1]", n_networks=6000, seed=1)
    low, high = r.interval(confidence=0.999)
    theory = born_dead_theory(3, r.depths)
    assert np.all((low <= theory) & (theory <= high))


def test_two_sided_domain_lies_within_its_bounds():
    r = born_dead_monte_carlo(4, 20, domain="[-1,1]", n_networks=6000, seed=2)
    low, high = r.interval(confidence=0.999)
    lower, upper = two_sided_bounds(4, r.depths)
    assert np.all(high >= lower) and np.all(low <= upper)
    assert r.at(10)["p"] < born_dead_theory(4, 10) - 0.05  # both rays must die: clearly rarer than one


def test_leaky_networks_are_never_born_dead():
    r = born_dead_monte_carlo(2, 40, activation="leaky_relu", alpha=0.01, n_networks=3000)
    assert r.dead[-1] == 0 and r.at(40)["high"] < 0.002


def test_rai_reduces_born_dead_probability():
    symmetric = born_dead_monte_carlo(4, 20, init="symmetric_bias", n_networks=2000, n_inputs=17)
    rai = born_dead_monte_carlo(4, 20, init="rai", n_networks=2000, n_inputs=17)
    assert rai.at(20)["high"] < symmetric.at(20)["low"]


def test_width_one_on_both_signs_is_exact_across_chunks():
    # One unit: layer 1 is alive on exactly one side of 0; each later layer kills that side with probability 1/2.
    r = born_dead_monte_carlo(1, 4, domain="[-1,1]", n_networks=dying._CHUNK + 7, seed=0)
    assert r.dead[0] == 0 and r.n_networks == dying._CHUNK + 7
    low, high = r.interval(confidence=0.999)
    expected = 1 - 0.5 ** (r.depths - 1)
    assert np.all((low <= expected) & (expected <= high))


def test_initialisations_draw_what_they_say():
    rng = np.random.default_rng(0)
    w, b = dying._draw_layer(rng, 2000, 10, 10, "symmetric")
    assert np.all(b == 0) and w.var() == pytest.approx(0.2, rel=0.05)
    w, b = dying._draw_layer(rng, 2000, 10, 10, "rai")
    entries = np.concatenate([w, b], axis=1)  # (networks, fan_in + 1, units)
    in_beta_range = (entries > 0) & (entries <= 1)
    assert np.all(in_beta_range.any(axis=1))  # every unit has its positive entry
    assert entries.mean() > 0.04  # one Beta(2, 1) entry (mean 2/3) in 11: asymmetric


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(width=0), "width must be an integer"),
        (dict(domain="[0,2]"), "domain must be one of"),
        (dict(init="he"), "init must be one of"),
        (dict(activation="tanh"), "activation must be one of"),
        (dict(n_networks=0), "n_networks must be an integer >= 1"),
        (dict(alpha=-0.1), "alpha must be a finite real number"),
    ],
)
def test_monte_carlo_bad_parameters(kwargs, message):
    arguments = dict(width=2, depth=3) | kwargs
    with pytest.raises(ValueError, match=message):
        born_dead_monte_carlo(arguments.pop("width"), arguments.pop("depth"), **arguments)


# --- records ------------------------------------------------------------------------------------------------------


def run_record(masks, fractions=None) -> DyingRun:
    epochs = len(masks) - 1
    fractions = fractions or [[float(np.mean(layer)) for layer in epoch] for epoch in masks]
    return DyingRun(
        "mlp", "relu", 0.0, 0.01, "adam", epochs, 32, 0, 10, 10, 1, 3, ["dense_1"], fractions, masks,
        [[0.1, 0.0, 0.5]], [1.0] * epochs, [0.5] * epochs, [0.5] * epochs,
    )


def test_revived_counts_units_dead_then_alive_later():
    # unit 0 dies at epoch 1 and revives at epoch 3; unit 1 dies and stays dead; unit 2 never dies.
    run = run_record([[[0, 0, 0]], [[1, 1, 0]], [[1, 1, 0]], [[0, 1, 0]]])
    assert run.revived() == [1]
    assert run.total_dead_fraction(0) == 0 and run.total_dead_fraction() == pytest.approx(1 / 3)


def test_born_dead_grid_round_trip(tmp_path):
    born = born_dead_monte_carlo(2, 4, n_networks=50)
    dying.write_born_dead(tmp_path / dying.BORN_DEAD_FILE, {"made_by": "test"}, [born])
    how, (back,) = dying.read_born_dead(tmp_path / dying.BORN_DEAD_FILE)
    assert how == {"made_by": "test"}
    np.testing.assert_array_equal(back.dead, born.dead)
    with pytest.raises(FileNotFoundError, match="recompute=True"):
        dying.read_born_dead(tmp_path / "missing.json")


@pytest.fixture(scope="module")
def tiny_data():
    from rectifiers.data import load_dataset

    return load_dataset("mnist", n_train=64, n_test=32, seed=0)


def tiny_config(**changes):
    settings = dict(epochs=2, mlp_depth=2, mlp_width=8, n_train=64, n_test=32, learning_rate=0.05) | changes
    return dying.run_config("mlp", "relu", 0.0, **settings)


@pytest.mark.slow
def test_an_engine_run_records_dead_units_before_training_and_after_every_epoch(tmp_path, tiny_data):
    from rectifiers.engine import ResultsStore

    store = ResultsStore(tmp_path)
    run = dying.watch_run(tiny_config(), store=store, data=tiny_data)
    assert run.layers == ["dense_1", "dense_2"] and len(run.dead_fraction) == 3 and len(run.test_accuracy) == 2
    assert run.dead_masks[-1][0] == dead_units(run.model, tiny_data.x_train)["dense_1"].astype(int).tolist()
    assert store.get(run.key)["probes"]["dead_units"][0]["epoch"] == 0
    # Read again, nothing trains: the same record, the same view.
    again = dying.watch_run(tiny_config(), store=store, data=tiny_data)
    assert again.dead_masks == run.dead_masks and again.wall_s == run.wall_s


@pytest.mark.slow
def test_a_resumed_run_records_the_same_probes_as_an_uninterrupted_one(tmp_path, tiny_data):
    from rectifiers.engine import ResultsStore, train

    whole = train(tiny_config(), store=ResultsStore(tmp_path / "a"), data=tiny_data, progress=False)
    store = ResultsStore(tmp_path / "b")
    train(tiny_config(), store=store, data=tiny_data, until_epoch=1, progress=False)
    resumed = train(tiny_config(), store=store, data=tiny_data, progress=False)
    assert resumed["probes"] == whole["probes"]


def test_bad_run_settings_are_named():
    with pytest.raises(ValueError, match="architecture must be one of"):
        dying.run_config("resnet")
    with pytest.raises(ValueError, match="learning_rate must be a finite real number"):
        dying.run_config(learning_rate=0.0)


# --- figures and explorers, from the stored results ---------------------------------------------------------------


@pytest.fixture(scope="module")
def stored():
    return dying.load_stored_results("results/dying")


def test_stored_results_record_how_they_were_made(stored):
    how, records = stored["born_dead"]
    assert how["made_by"] == "rectifiers.experiments.dying.born_dead_grid" and how["versions"]["numpy"] and records
    assert "cpu_s" in how and "wall_s" in how
    # The training studies: every run of each study file, complete, each measured before training and after
    # every epoch.
    sweep, widths = stored["training"], stored["width"]
    assert len(sweep) == 16 + 12 and len(widths) == 36
    assert {r.architecture for r in sweep} == {"mlp", "seed_cnn"} and {r.mlp_width for r in widths} == {2, 4, 8, 16, 32, 64}
    assert all(len(r.dead_fraction) == r.epochs + 1 and r.key for r in sweep + widths)


def test_static_sliders_have_one_step_per_setting(stored):
    from rectifiers.figures import dying as dying_plots

    grid = stored["born_dead"][1]
    fig = dying_plots.born_dead_heatmap(grid)
    settings = {(r.activation, r.alpha, r.init) for r in grid}
    # A menu of the unordered settings: six long names along a slider showed three of their labels.
    assert not fig.layout.sliders and len(fig.layout.updatemenus[0].buttons) == len(settings) == len(fig.data)
    assert [t.visible for t in fig.data].count(True) == 1
    sweep = stored["training"]
    fig = dying_plots.dead_fraction_by_epoch(sweep, "seed_cnn")
    rates = {r.learning_rate for r in sweep if r.architecture == "seed_cnn"}
    assert len(fig.layout.sliders[0].steps) == len(rates)
    with pytest.raises(ValueError, match="no runs of architecture 'resnet'"):
        dying_plots.dead_fraction_by_epoch(sweep, "resnet")

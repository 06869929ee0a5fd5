"""Probes on networks whose answers are known by hand, and the probe classes the engine calls."""

from __future__ import annotations

import json
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from rectifiers import probes
from rectifiers.probes.activation_stats import activation_statistics, activation_stats_probe
from rectifiers.probes.dead_units import dead_units_probe
from rectifiers.probes.gradient_norms import gradient_norms_probe, loss_and_gradient_norms, weight_gradient_norms
from rectifiers.activations import activation_layer
from rectifiers.models import mlp, seed_cnn

from conftest import chain_model, hand_gradients


def test_gradient_norms_match_the_hand_computation(linear_chain):
    kernels, x, y = linear_chain
    loss, norms = loss_and_gradient_norms(chain_model(kernels), x, y)
    np.testing.assert_allclose(norms, [np.linalg.norm(g) for g in hand_gradients(x, y, kernels)[:-1]], rtol=1e-4)
    assert norms.dtype == np.float64 and loss > 0


def test_tiny_gradient_norms_do_not_underflow(linear_chain):
    kernels, x, y = linear_chain
    tiny = [kernels[0], kernels[1] * 1e-24, kernels[2]]  # first layer's gradient entries ~1e-25: squares underflow float32
    expected = np.linalg.norm(hand_gradients(x, y, tiny)[0])
    assert 0 < expected < 1e-20
    model = chain_model(tiny)
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy()(y, model(x))
    naive = float(tf.norm(tape.gradient(loss, model.get_layer("dense_1").kernel)))
    assert naive == 0.0  # what a float32 norm reports
    assert weight_gradient_norms(model, x, y)[0] == pytest.approx(expected, rel=1e-4)


def test_gradient_norms_probe_is_plain_json_and_names_its_layers(linear_chain):
    kernels, x, y = linear_chain
    out = gradient_norms_probe(chain_model(kernels), x, y)
    assert out["layers"] == ["dense_1", "dense_2"] and len(out["gradient_norms"]) == 2
    json.dumps(out, allow_nan=False)


@pytest.mark.parametrize("activation, alpha, saturated_negative, zero_negative", [
    ("relu", 0.0, True, True), ("leaky_relu", 0.01, True, False), ("leaky_relu", 0.3, False, False),
])
def test_activation_statistics_of_an_identity_layer(activation, alpha, saturated_negative, zero_negative):
    x = np.random.default_rng(1).normal(size=(500, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, kernel_initializer="identity", name="dense_1"),
                              activation_layer(activation, alpha, layer_name="act_1"),
                              keras.layers.Dense(2, activation="softmax", name="classifier")])
    stats = activation_statistics(model, x)
    a = np.where(x > 0, x, alpha * x)
    assert stats.mean[0] == pytest.approx(a.mean(), rel=1e-5) and stats.std[0] == pytest.approx(a.std(), rel=1e-5)
    np.testing.assert_allclose(stats.percentiles[0], np.percentile(a, stats.levels), rtol=1e-5, atol=1e-6)
    negative = np.mean(x < 0)
    assert stats.saturated[0] == pytest.approx(negative if saturated_negative else 0.0)
    assert stats.zero_gradient[0] == pytest.approx(negative if zero_negative else 0.0)


def test_a_saturated_sigmoid_layer_passes_no_gradient():
    rng = np.random.default_rng(0)
    x = (rng.choice([-1.0, 1.0], size=(32, 1)) * np.ones((32, 8))).astype(np.float32)
    y = rng.integers(0, 2, 32)
    huge = [np.full((8, 4), 1000.0), rng.normal(size=(4, 4)), rng.normal(size=(4, 2))]
    model = chain_model(huge, "sigmoid")
    stats = activation_statistics(model, x)
    assert stats.saturated[0] == 1.0 and stats.zero_gradient[0] == 1.0
    assert weight_gradient_norms(model, x, y)[0] == 0.0


def measure(model, images, labels):
    return {"dead_units": dead_units_probe(model, images), "gradient_norms": gradient_norms_probe(model, images, labels),
            "activation_stats": activation_stats_probe(model, images)}


def test_probes_read_convolutional_channels_too():
    images = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    labels = np.arange(8) % 10
    out = measure(seed_cnn("relu", seed=0), images, labels)
    assert out["dead_units"]["layers"] == out["gradient_norms"]["layers"] == ["conv1", "conv2"]
    assert [len(m) for m in out["dead_units"]["dead_masks"]] == [32, 64]
    assert np.array(out["activation_stats"]["percentiles"]).shape == (2, 5)
    json.dumps(out, allow_nan=False)


def test_a_diverged_model_is_recorded_as_null_not_nan():
    model = mlp(2, 4, "relu", seed=0)
    for name in ("dense_1", "classifier"):  # (TensorFlow's ReLU maps NaN to 0, so NaN must reach the output too)
        kernel = model.get_layer(name).kernel
        kernel.assign(np.full(kernel.shape, np.nan, dtype=np.float32))
    images = np.ones((4, 28, 28, 1), dtype=np.float32)
    out = measure(model, images, np.zeros(4, dtype=int))
    assert out["dead_units"]["dead_fraction"] == [None, None] and out["gradient_norms"]["loss"] is None
    json.dumps(out, allow_nan=False)


def test_bad_probe_sets_are_named(linear_chain):
    kernels, x, y = linear_chain
    model = chain_model(kernels)
    with pytest.raises(ValueError, match="images must have shape"):
        gradient_norms_probe(model, x[:, :3], y)
    with pytest.raises(ValueError, match="labels must be one integer per image"):
        gradient_norms_probe(model, x, y[:3])


def test_the_chapter_probes_are_registered_and_measure_what_they_say(linear_chain):
    kernels, x, y = linear_chain
    data = SimpleNamespace(x_train=x, y_train=y, x_test=x[:5], y_test=y[:5])
    trainer = SimpleNamespace(model=chain_model(kernels))
    assert {"dead_units", "gradient_norms", "activation_stats"} <= set(probes.PROBES)
    dead = probes.PROBES["dead_units"](None, data).measure(trainer, 0)
    assert len(dead["dead_masks"][0]) == 3  # over the training images: all 16 of them
    assert dead["dead_masks"] == dead_units_probe(trainer.model, x)["dead_masks"]
    norms = probes.PROBES["gradient_norms"](None, data).measure(trainer, 0)
    assert norms["gradient_norms"] == pytest.approx(list(weight_gradient_norms(trainer.model, x[:5], y[:5])))

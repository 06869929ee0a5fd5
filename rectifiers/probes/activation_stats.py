"""Activation statistics per layer: where a layer's outputs lie and how much gradient its activation lets through.

A unit is *saturated* for an input when its activation's derivative there is below `threshold` × the activation's
largest derivative (a sigmoid near 0 or 1, a ReLU or a small-slope Leaky ReLU below 0), and passes *no* gradient
when that derivative is exactly 0 (a ReLU below 0, a sigmoid saturated to float32's 0 or 1).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..validation import check_finite
from .layers import activation_after, check_images, preactivation_layers

PERCENTILES = (2.0, 25.0, 50.0, 75.0, 98.0)
"""Percentiles of the activation values reported per layer (2 and 98 bound 96 % of the values)."""

SATURATION_THRESHOLD = 0.1
"""A unit is saturated for an input when its derivative there is below this fraction of its largest derivative."""

_PEAKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def activation_derivatives(layer, pre_activations) -> np.ndarray:
    """The derivative of an elementwise activation layer at each pre-activation value (by automatic differentiation)."""
    import tensorflow as tf

    z = tf.convert_to_tensor(pre_activations, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(z)
        a = layer(z)
    # Each output depends on its own input only, so the gradient of the sum is the elementwise derivative.
    return tape.gradient(a, z).numpy()


def peak_derivative(layer, feature_shape: Sequence[int]) -> float:
    """The largest derivative of an activation layer over [-10, 10] (1/4 for sigmoid, 1 for tanh and ReLU)."""
    if layer in _PEAKS:
        return _PEAKS[layer]
    grid = np.linspace(-10.0, 10.0, 401, dtype=np.float32).reshape(-1, *[1] * len(feature_shape))
    peak = float(activation_derivatives(layer, np.broadcast_to(grid, (401, *feature_shape))).max())
    if not layer.trainable_weights:  # PReLU's slopes change in training, so its peak may too
        _PEAKS[layer] = peak
    return peak


@dataclass(frozen=True)
class ActivationStatistics:
    """Per-layer statistics of a network's activations on one batch (arrays indexed by probed layer)."""

    mean: np.ndarray
    std: np.ndarray
    percentiles: np.ndarray  # (layers, len(levels))
    levels: tuple[float, ...]
    saturated: np.ndarray  # fraction of (unit, example) pairs whose derivative < threshold × peak derivative
    zero_gradient: np.ndarray  # fraction whose derivative is exactly 0: no gradient passes at all
    threshold: float


def _pre_and_post(model):
    """A model returning, for each probed layer, its pre-activations and its activation's outputs; one per model."""
    import keras

    if model not in _PROBES:
        names = preactivation_layers(model)
        outputs = []
        for name in names:
            outputs += [model.get_layer(name).output, activation_after(model, name).output]
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        _PROBES[model] = (names, keras.Model(inputs, outputs))
    return _PROBES[model]


def activation_statistics(
    model, images, *, levels: Sequence[float] = PERCENTILES, threshold: float = SATURATION_THRESHOLD
) -> ActivationStatistics:
    """Mean, std, percentiles and saturated / zero-gradient fractions of each probed layer's outputs on `images`."""
    images = check_images(images, model)
    threshold = check_finite("threshold", threshold, low=0.0, high=1.0)
    levels = tuple(check_finite(f"levels[{i}]", v, low=0.0, high=100.0) for i, v in enumerate(levels))
    names, probe = _pre_and_post(model)
    outputs = probe(images, training=False)
    mean, std, pct, saturated, zero = [], [], [], [], []
    for i, name in enumerate(names):
        z, a = outputs[2 * i], np.asarray(outputs[2 * i + 1])
        derivative = activation_derivatives(activation_after(model, name), z)
        peak = peak_derivative(activation_after(model, name), z.shape[1:])
        mean.append(a.mean())
        std.append(a.std())
        pct.append(np.percentile(a, levels))
        saturated.append(np.mean(derivative < threshold * peak))
        zero.append(np.mean(derivative == 0.0))
    return ActivationStatistics(np.array(mean), np.array(std), np.array(pct), levels, np.array(saturated),
                                np.array(zero), threshold)


def activation_stats_probe(model, images, labels=None) -> dict:
    """The probe recorded in a run: per layer, mean, std, percentiles, saturated and zero-gradient fractions.
    Plain JSON, floats to 7 significant digits (NaN → null: a diverged model is a result)."""
    stats = activation_statistics(model, images)
    rounded = lambda v: float(f"{v:.7g}") if np.isfinite(v) else None  # noqa: E731
    values = {name: np.vectorize(rounded, otypes=[object])(getattr(stats, name)).tolist()
              for name in ("mean", "std", "percentiles", "saturated", "zero_gradient")}
    return {"layers": preactivation_layers(model), "levels": list(stats.levels), "threshold": stats.threshold,
            **values}

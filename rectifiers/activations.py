"""Activation functions by name: one registry shared by the chapters, the models and the experiments.

`alpha` is the negative slope of Leaky ReLU (and the initial slope of PReLU); it is ignored by the others.
"""

from __future__ import annotations

import keras

from .validation import check_choice, check_finite

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "swish", "mish")
"""Names of the activations the book knows, in the order the chapters show them."""

SLOPED = ("leaky_relu", "prelu")
"""Activations whose shape depends on `alpha`."""

DEFAULT_ALPHA = 0.01
"""The slope of Maas et al. (2013) and of the seed article; not Keras' default (0.3 for the layer)."""


def check_activation(name, alpha=DEFAULT_ALPHA) -> tuple[str, float]:
    """Validate an activation name and its slope; return them normalised."""
    check_choice("activation", name, ACTIVATIONS)
    alpha = check_finite("alpha", alpha)
    return name, alpha


def activation_layer(name: str, alpha: float = DEFAULT_ALPHA, *, layer_name: str | None = None):
    """A Keras layer applying the named activation (PReLU learns its slope, starting at `alpha`)."""
    name, alpha = check_activation(name, alpha)
    if name == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=alpha, name=layer_name)
    if name == "prelu":
        return keras.layers.PReLU(
            alpha_initializer=keras.initializers.Constant(alpha), shared_axes=None, name=layer_name
        )
    if name == "swish":
        return keras.layers.Activation("silu", name=layer_name)
    return keras.layers.Activation(name, name=layer_name)

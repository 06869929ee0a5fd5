"""The activations the book knows, by name, and their checks: light enough to import before Keras.

The command line checks a study, and the notebooks their parameters, without paying for TensorFlow's import;
`rectifiers.activations` (which imports Keras) computes with these names.
"""

from __future__ import annotations

from .validation import check_choice, check_finite

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "swish", "mish")
"""Names of the activations the book knows, in the order the chapters show them."""

SLOPED = ("leaky_relu", "prelu")
"""Activations whose shape depends on `alpha`."""

DEFAULT_ALPHA = 0.01
"""The slope of Maas et al. (2013) and of the seed article; not Keras' default (0.3 for the layer)."""

LABELS = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "prelu": "PReLU",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "elu": "ELU",
    "selu": "SELU",
    "gelu": "GELU",
    "swish": "Swish (SiLU)",
    "mish": "Mish",
}
"""The reader's names, in every table and figure."""


def label(activation: str, alpha: float | None = None) -> str:
    """The reader-facing name of an activation, with its slope when it has one."""
    text = LABELS[activation]
    return f"{text} (α={alpha:g})" if alpha is not None and activation in SLOPED else text


ALPHA_RANGE = (0.0, 1.0)
"""The slopes the book studies, everywhere (engine, studies, chapters): 0 is ReLU, 1 the identity. Keras takes any
α >= 0, but above 1 the negative side is steeper than the positive one: no longer a leaky rectifier, and no
chapter's question (results/README.md)."""


def check_activation(name, alpha=DEFAULT_ALPHA) -> tuple[str, float]:
    """Validate an activation name and its slope (a finite number in `ALPHA_RANGE`); return them."""
    check_choice("activation", name, ACTIVATIONS)
    return name, check_finite("alpha", alpha, low=ALPHA_RANGE[0], high=ALPHA_RANGE[1])

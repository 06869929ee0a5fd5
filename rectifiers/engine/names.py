"""The activation names a run may use, without importing Keras (`rectifiers.activations` imports it).

These mirror `activations.ACTIVATIONS`, `SLOPED`, `DEFAULT_ALPHA` and `check_activation`; a test checks that they
agree, so the command line can check a study in a fraction of a second and the two never drift apart.
"""

from __future__ import annotations

from ..validation import check_choice, check_finite

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "swish", "mish")
SLOPED = ("leaky_relu", "prelu")
DEFAULT_ALPHA = 0.01


def check_activation(name, alpha=DEFAULT_ALPHA) -> tuple[str, float]:
    """Validate an activation name and its slope (a finite number >= 0, as Keras requires); return them."""
    check_choice("activation", name, ACTIVATIONS)
    return name, check_finite("alpha", alpha, low=0.0)

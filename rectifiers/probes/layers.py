"""Which layers of a network the probes look at: every layer whose output feeds a separate activation layer.

Both book models name them: the seed CNN's `conv1`, `conv2` (then `act1`, `act2`) and an MLP's `dense_1` …
`dense_L` (then `act_1` …). The classifier applies its softmax itself, so it is never probed.
"""

from __future__ import annotations

ACTIVATION_LAYER_TYPES = ("Activation", "LeakyReLU", "PReLU", "ReLU", "ELU")
"""Keras layer classes that apply an activation; the layer just before one of them holds pre-activations."""


def preactivation_layers(model) -> list[str]:
    """Names of the layers whose outputs are pre-activations: each is immediately followed by an activation layer."""
    layers = list(model.layers)
    names = [
        layer.name
        for layer, following in zip(layers, layers[1:])
        if type(following).__name__ in ACTIVATION_LAYER_TYPES and type(layer).__name__ not in ACTIVATION_LAYER_TYPES
    ]
    if not names:
        raise ValueError(
            f"model {model.name!r} has no layer followed by a separate activation layer "
            f"({', '.join(ACTIVATION_LAYER_TYPES)}); probes read pre-activations"
        )
    return names


def activation_after(model, name: str):
    """The activation layer that follows the layer `name`."""
    layers = list(model.layers)
    for layer, following in zip(layers, layers[1:]):
        if layer.name == name and type(following).__name__ in ACTIVATION_LAYER_TYPES:
            return following
    raise ValueError(f"layer {name!r} of model {model.name!r} is not followed by an activation layer")


def check_images(images, model):
    """`images` as float32 if it is a non-empty, finite batch of the model's input shape."""
    import numpy as np

    expected = tuple(model.input_shape[1:])
    if not hasattr(images, "shape") or len(images) == 0:
        raise ValueError(f"images must be a non-empty array of shape (n, {', '.join(map(str, expected))})")
    images = np.asarray(images, dtype=np.float32)
    if tuple(images.shape[1:]) != expected:
        raise ValueError(f"images must have shape (n, {', '.join(map(str, expected))}); got {images.shape}")
    if not np.all(np.isfinite(images)):
        raise ValueError("images must be finite; got NaN or infinite values")
    return images


def check_labels(labels, n: int):
    """`labels` as int32 if they are one integer class index per image."""
    import numpy as np

    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"labels must be one integer per image ({n}); got an array of shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers (class indices); got dtype {labels.dtype}")
    return labels.astype(np.int32)

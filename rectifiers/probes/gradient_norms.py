"""Gradient norms per layer: ‖∂loss/∂W‖ of each probed layer's kernel, the step training gives its weights.

Loss: mean sparse categorical cross-entropy over the probe batch, the training loss of every model in the book.
The gradients are float32, as in training, but their norms are summed in float64: squaring float32 entries
below about 1e-19 underflows to 0, which would report a deep sigmoid stack's first layers as exactly 0 when
their gradient is merely tiny.
"""

from __future__ import annotations

import weakref

import numpy as np

from ..tf_logging import quiet_retracing
from .layers import check_images, check_labels, preactivation_layers

_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _gradient_function(model):
    """A compiled function (images, labels) → (loss, float64 norm of each probed kernel's gradient), one per model."""
    import keras
    import tensorflow as tf

    if model not in _FUNCTIONS:
        kernels = [model.get_layer(name).kernel for name in preactivation_layers(model)]
        loss_fn = keras.losses.SparseCategoricalCrossentropy()
        signature = [tf.TensorSpec([None, *model.input_shape[1:]], tf.float32), tf.TensorSpec([None], tf.int32)]
        # The function refers to its model weakly: a strong reference would keep every probed model (and its
        # function) alive for good, one per run in a worker that trains hundreds of runs.
        model_ref = weakref.ref(model)

        @tf.function(input_signature=signature)
        def norms(images, labels):
            with tf.GradientTape() as tape:
                loss = loss_fn(labels, model_ref()(images, training=False))
            grads = tape.gradient(loss, kernels)
            return loss, tf.stack([tf.norm(tf.cast(g, tf.float64)) for g in grads])

        _FUNCTIONS[model] = norms
    return _FUNCTIONS[model]


def loss_and_gradient_norms(model, images, labels) -> tuple[float, np.ndarray]:
    """Mean cross-entropy on the batch, and the Frobenius norm of ∂loss/∂W for each probed layer, in order."""
    import tensorflow as tf

    images = check_images(images, model)
    labels = check_labels(labels, len(images))
    with quiet_retracing():
        loss, norms = _gradient_function(model)(tf.constant(images), tf.constant(labels))
    return float(loss), norms.numpy()


def weight_gradient_norms(model, images, labels) -> np.ndarray:
    """Frobenius norm of ∂(mean cross-entropy)/∂W for each probed layer (float64)."""
    return loss_and_gradient_norms(model, images, labels)[1]


def gradient_norms_probe(model, images, labels) -> dict:
    """The probe recorded in a run: probe-batch loss and each layer's weight-gradient norm. Plain JSON (NaN → null)."""
    loss, norms = loss_and_gradient_norms(model, images, labels)
    finite = lambda v: float(v) if np.isfinite(v) else None  # noqa: E731 - a diverged model is a result
    return {"layers": preactivation_layers(model), "loss": finite(loss), "gradient_norms": [finite(v) for v in norms]}

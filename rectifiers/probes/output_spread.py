"""Output spread: how much a classifier's logits vary over a set of inputs — zero for a collapsed network.

A ReLU network one of whose hidden layers is dead on every input passes the same vector (its biases' image) to
every later layer: its logits, and so its prediction, are the same for every input. That is *collapse* (Lu et al.
2019, "Dying ReLU and initialization"). It is measured here on the output, so that ReLU and Leaky ReLU networks are
judged by the same yardstick: a Leaky ReLU layer is never exactly dead, but its output can still be (nearly)
constant.

The logits are the classifier layer's pre-softmax values, computed in float64 from the layer below it. Spread =
the largest, over the ten classes, of the standard deviation of a logit over the inputs.
"""

from __future__ import annotations

import numpy as np

from .layers import check_images


def logits(model, images, *, batch_size: int = 500) -> np.ndarray:
    """(n, classes) pre-softmax outputs of `model`'s last (Dense, softmax) layer, in float64."""
    import keras

    images = check_images(images, model)
    head = model.layers[-1]
    if type(head).__name__ != "Dense":
        raise ValueError(f"model {model.name!r} must end in a Dense classifier layer; it ends in "
                         f"{type(head).__name__}")
    body = keras.Model(model.inputs[0], model.layers[-2].output)
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in head.get_weights())
    rows = [np.asarray(body(images[i : i + batch_size], training=False), dtype=np.float64)
            for i in range(0, len(images), batch_size)]
    return np.concatenate(rows) @ kernel + bias


def output_spread_probe(model, images) -> dict:
    """The probe row: `logit_spread` (max over classes of the std over inputs; null if not finite) and
    `predicted_classes` (how many distinct classes the network predicts over the inputs)."""
    z = logits(model, images)
    if not np.all(np.isfinite(z)):
        return {"logit_spread": None, "predicted_classes": None}
    return {"logit_spread": float(z.std(axis=0).max()), "predicted_classes": int(len(np.unique(z.argmax(axis=1))))}

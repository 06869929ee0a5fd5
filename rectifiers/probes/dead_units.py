"""Dead units: a unit (a Dense unit, or a convolutional channel) is dead on a dataset when its pre-activation is
<= 0 for every example (for a channel: at every position of every example).

A dead ReLU unit outputs 0 and passes zero gradient to its weights for every example, so gradient descent on that
dataset cannot move them. A Leaky ReLU unit that is "dead" in this sense still passes the gradient α · upstream.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from ..validation import check_choice, check_int
from .layers import check_images, preactivation_layers


@dataclass(frozen=True)
class UnitActivity:
    """What one layer's units did over a dataset: largest pre-activation and how often it was positive."""

    layer: str
    max_preactivation: np.ndarray  # per unit (channel), over all examples and positions
    active_fraction: np.ndarray  # per unit, fraction of (example, position) pairs with pre-activation > 0
    has_nan: np.ndarray  # per unit, whether any pre-activation was NaN (a diverged model)
    n_examples: int

    @property
    def dead(self) -> np.ndarray:
        """Units whose pre-activation was <= 0 for every example (NaN units are not counted as dead)."""
        return (self.max_preactivation <= 0) & ~self.has_nan

    @property
    def dead_fraction(self) -> float:
        """Fraction of the layer's units that are dead; NaN when the layer produced NaN (diverged)."""
        return float("nan") if self.has_nan.any() else float(self.dead.mean())


def unit_activity(model, images, *, batch_size: int = 500, layers: list[str] | None = None) -> dict[str, UnitActivity]:
    """Per probed layer, each unit's largest pre-activation and active fraction over all `images`, in batches.

    Memory is bounded by one batch of pre-activations: only running per-unit maxima and counts are kept.
    """
    images = check_images(images, model)
    batch_size = check_int("batch_size", batch_size, low=1)
    names = preactivation_layers(model) if layers is None else list(layers)
    for name in names:
        check_choice("layers", name, [layer.name for layer in model.layers])
    probe = _probe_model(model, tuple(names))
    maxima, positive, nans = [None] * len(names), [None] * len(names), [None] * len(names)
    per_example = [1] * len(names)
    for start in range(0, len(images), batch_size):
        outputs = probe(images[start : start + batch_size], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for i, z in enumerate(outputs):
            z = np.asarray(z, dtype=np.float64)
            z = z.reshape(-1, z.shape[-1])  # (examples x positions, units)
            per_example[i] = z.shape[0] // min(batch_size, len(images) - start)
            batch_max = np.max(np.where(np.isnan(z), -np.inf, z), axis=0)
            batch_pos, batch_nan = (z > 0).sum(axis=0), np.isnan(z).any(axis=0)
            if maxima[i] is None:
                maxima[i], positive[i], nans[i] = batch_max, batch_pos, batch_nan
            else:
                maxima[i] = np.maximum(maxima[i], batch_max)
                positive[i] = positive[i] + batch_pos
                nans[i] = nans[i] | batch_nan
    return {
        name: UnitActivity(name, maxima[i], positive[i] / (len(images) * per_example[i]), nans[i], len(images))
        for i, name in enumerate(names)
    }


def _probe_model(model, names: tuple[str, ...]):
    """A model from `model`'s input to the outputs of the layers `names`, made once per (model, names): the engine
    probes the same model after every epoch, and building a Keras model each time cost more than measuring."""
    import keras

    made = _PROBE_MODELS.setdefault(model, {})
    if names not in made:
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        made[names] = keras.Model(inputs, [model.get_layer(name).output for name in names])
    return made[names]


_PROBE_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def dead_units(model, images, *, batch_size: int = 500) -> dict[str, np.ndarray]:
    """Per probed layer, a boolean array: True for each unit (channel) dead on `images`."""
    return {name: a.dead for name, a in unit_activity(model, images, batch_size=batch_size).items()}


def dead_unit_fraction(model, images, *, batch_size: int = 500) -> dict[str, float]:
    """Per probed layer, the fraction of its units (channels) that are dead on `images` (NaN if it diverged)."""
    return {name: a.dead_fraction for name, a in unit_activity(model, images, batch_size=batch_size).items()}


def dead_units_probe(model, images, labels=None) -> dict:
    """The probe recorded in a run: per layer, the dead fraction (null if diverged), the dead mask (1 = dead) and
    each unit's active fraction (6 decimals), over the probe images. Plain JSON."""
    activity = unit_activity(model, images)
    return {
        "layers": list(activity),
        "dead_fraction": [None if np.isnan(a.dead_fraction) else a.dead_fraction for a in activity.values()],
        "dead_masks": [a.dead.astype(int).tolist() for a in activity.values()],
        "active_fraction": [[round(float(v), 6) for v in a.active_fraction] for a in activity.values()],
    }

"""The probes of Chapters 2, 3 and 5 as the engine calls them: which images each measures on, and its record row.

- `dead_units` measures on every training image of the run: a unit is dead when gradient descent on *that*
  data cannot move it (Chapter 3's definition).
- `gradient_norms` and `activation_stats` measure on a fixed probe batch: the first `PROBE_BATCH` images of the
  run's test set (all of them when it is smaller), the same at every epoch so values compare across training
  (Chapter 2 uses 256 stratified test images).
- `output_spread` measures on every test image of the run: a collapsed network gives them all the same logits.

Nothing here imports Keras at import time: run configs check probe names without TensorFlow.
"""

from __future__ import annotations

from .base import Probe, register_probe

PROBE_BATCH = 256
"""Images in the fixed batch of the gradient and activation probes (the first ones of the run's test set)."""


def probe_batch(data):
    """The fixed batch of test images and labels the gradient and activation probes measure on."""
    return data.x_test[:PROBE_BATCH], data.y_test[:PROBE_BATCH]


@register_probe
class DeadUnits(Probe):
    """Per layer: share of units dead on the training images, the dead mask, each unit's active share."""

    name = "dead_units"

    def measure(self, trainer, epoch: int) -> dict:
        from .dead_units import dead_units_probe

        return dead_units_probe(trainer.model, self.data.x_train)


@register_probe
class GradientNorms(Probe):
    """Probe-batch loss and ‖∂loss/∂W‖ of each layer (float64 sums)."""

    name = "gradient_norms"

    def measure(self, trainer, epoch: int) -> dict:
        from .gradient_norms import gradient_norms_probe

        return gradient_norms_probe(trainer.model, *probe_batch(self.data))


@register_probe
class ActivationStats(Probe):
    """Per layer: mean, std, percentiles of the outputs; saturated and zero-gradient shares (probe batch)."""

    name = "activation_stats"

    def measure(self, trainer, epoch: int) -> dict:
        from .activation_stats import activation_stats_probe

        return activation_stats_probe(trainer.model, probe_batch(self.data)[0])


@register_probe
class OutputSpread(Probe):
    """Spread of the logits over the run's test images, and how many classes it predicts (Chapter 5's collapse)."""

    name = "output_spread"

    def measure(self, trainer, epoch: int) -> dict:
        from .output_spread import output_spread_probe

        return output_spread_probe(trainer.model, self.data.x_test)

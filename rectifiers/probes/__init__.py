"""Probes: measurements of a network taken while the engine trains it, stored in the run's record.

The protocol (what the engine calls, when, and what a probe returns) is `base.py`'s; the record's rows are
described in results/README.md. A new probe is a class in this package, registered by name:

    @register_probe
    class DeadUnits(Probe):
        name = "dead_units"
        def measure(self, trainer, epoch): ...

and imported below so that it registers itself.
"""

from __future__ import annotations

from .base import PROBES, Probe, register_probe


@register_probe
class WeightNorms(Probe):
    """The Frobenius norm of each layer's kernel: how far training moves the weights, layer by layer."""

    name = "weight_norms"

    def measure(self, trainer, epoch: int) -> dict:
        import numpy as np

        return {"kernel_norm": {layer.name: float(np.linalg.norm(layer.kernel.numpy()))
                                for layer in trainer.model.layers if hasattr(layer, "kernel")}}


# The probes of Chapters 2, 3 and 5 (dead_units, gradient_norms, activation_stats, output_spread) and the GAN's
# sample grids (generated_digits): they register themselves when imported.
from . import chapter_probes, gan_samples  # noqa: E402,F401

__all__ = ["PROBES", "Probe", "register_probe"]

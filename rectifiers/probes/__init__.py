"""Probes: what a run measures about its network while it trains, recorded into the run's stored record.

Each probe is a pure function `(model, images, labels) -> plain JSON dict`, measured on a fixed probe set, one
value per probed layer (see `layers.preactivation_layers`). By name:

- `dead_units`: per layer, the share of units dead on the probe set, which ones, and how often each is active;
- `gradient_norms`: the probe-set loss and ‖∂loss/∂W‖ per layer (summed in float64, so tiny norms do not
  underflow to 0);
- `activation_stats`: per layer, mean, spread and percentiles of the outputs, and the saturated and zero-gradient
  shares.

`ProbeRecorder` is the Keras callback that records the chosen probes before training and after every epoch (or
every `every_steps` steps).
"""

from __future__ import annotations

from .activation_stats import ActivationStatistics, activation_statistics, activation_stats_probe
from .callback import ProbeRecorder
from .dead_units import UnitActivity, dead_unit_fraction, dead_units, dead_units_probe, unit_activity
from .gradient_norms import gradient_norms_probe, loss_and_gradient_norms, weight_gradient_norms
from .layers import preactivation_layers
from .registry import PROBES, check_probes, measure

__all__ = [
    "PROBES", "ActivationStatistics", "ProbeRecorder", "UnitActivity", "activation_statistics",
    "activation_stats_probe", "check_probes", "dead_unit_fraction", "dead_units", "dead_units_probe",
    "gradient_norms_probe", "loss_and_gradient_norms", "measure", "preactivation_layers", "unit_activity",
    "weight_gradient_norms",
]

"""Probes: measurements of a network taken while the engine trains it, stored in the run's record.

A probe is a class registered under a name; a run lists the probes it wants (`RunConfig.probes`, or
`probes: [dead_units]` in a study file) and how often (`probe_every`, in epochs). The engine creates each
probe once per training session, then calls `probe.measure(trainer, epoch) -> dict` at epoch 0 (before
training), every `probe_every` epochs and at every snapshot epoch. Rows are stored as
`record["probes"][name] = [{"epoch": e, **measure(...)}, ...]`.

The probes of Chapters 2–3, each a pure function first and a registered class around it:

- `dead_units` (`dead_units.py`): per layer, the share of units dead on the run's training images, which ones,
  and how often each is active;
- `gradient_norms` (`gradient_norms.py`): the probe-set loss and ‖∂loss/∂W‖ per layer (summed in float64, so
  tiny norms do not underflow to 0);
- `activation_stats` (`activation_stats.py`): per layer, mean, spread and percentiles of the outputs, and the
  saturated and zero-gradient shares.
"""

from __future__ import annotations

from typing import ClassVar

PROBES: dict[str, type[Probe]] = {}
"""Probe classes by name."""


class Probe:
    """Base class of a probe (see the module's docstring for the protocol)."""

    name: ClassVar[str] = ""

    def __init__(self, config, data):
        self.config = config
        self.data = data

    def measure(self, trainer, epoch: int) -> dict:
        raise NotImplementedError

    def keras_callbacks(self) -> list:
        return []


def register_probe(cls: type[Probe]) -> type[Probe]:
    """Class decorator: make `cls` available to runs under `cls.name`."""
    if not cls.name or not cls.name.isidentifier():
        raise ValueError(f"a probe needs a name that is a Python identifier; got {cls.name!r}")
    if cls.name in PROBES and PROBES[cls.name] is not cls:
        raise ValueError(f"probe name {cls.name!r} is taken by {PROBES[cls.name].__qualname__}")
    PROBES[cls.name] = cls
    return cls


from . import chapter_probes  # noqa: E402,F401  (registers dead_units, gradient_norms, activation_stats)

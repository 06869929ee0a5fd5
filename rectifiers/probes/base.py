"""The probe protocol: a measurement of a network taken while the engine trains it, stored in the run's record.

A probe is a class registered under a name; a run lists the probes it wants (`RunConfig.probes`, or
`probes: [weight_norms]` in a study file) and how often (`probe_every`, in epochs). The engine creates each
probe once per training session, then calls it:

- `Probe(config, data)`: pick what it measures on (e.g. a fixed probe set of images, drawn with the config's
  seed so that it is the same in every session of the run); must not touch the training RNG;
- `probe.measure(trainer, epoch) -> dict`: called at epoch 0 (before training), every `probe_every` epochs and at
  every snapshot epoch, after the epoch's training step; `trainer.model` is the Keras model (for a GAN trainer,
  its models), in inference mode. Returns a flat dict of JSON values: numbers, lists of numbers, or dicts of
  layer name -> number (or a short string, e.g. `generated_digits`' base64 PNG). Non-finite numbers are stored
  as null.
- `probe.keras_callbacks() -> list`: optional Keras callbacks passed to `fit` for per-step measurements; what
  they collect is returned by the next `measure` call. A classifier trains a whole session in one `fit` call, so
  `on_train_begin`/`on_train_end` come once per session; count epochs with `on_epoch_begin`/`on_epoch_end`
  (Keras' epoch numbers start at 0: engine epoch = Keras epoch + 1).

The rows a probe returns are stored as the record's `probes` (schema: results/README.md); they are saved in the
checkpoint, so a resumed run's rows equal an uninterrupted run's. Adding a probe to a run changes its key.
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

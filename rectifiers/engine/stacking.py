"""Which runs may be trained stacked, and how a plan's runs are grouped for it (no Keras, no configs imported).

A run with `stacked: true` is trained by the stacked trainer (`stacked.py`) together with the other runs of its
*group*: runs that differ only by seed, learning rate and a fixed negative slope (ReLU is the slope 0), and share
everything else (model shape, data, optimiser, batch, epochs, probes, recording). PReLU runs, whose slopes are
weights, form groups of their own. `config.RunConfig` checks `check_stackable` when a run asks to be stacked.
"""

from __future__ import annotations

import math

STACKED_FAMILIES = ("mlp", "mlp_blocks")
STACKED_OPTIMIZERS = ("adam", "sgd")
STACKED_ACTIVATIONS = ("relu", "leaky_relu", "prelu")
MAX_GROUP = 120
"""Runs in one stacked program at most: a whole 4×32 learning-rate grid of ten seeds; larger studies split."""

_MEMBER_FIELDS = ("seed", "alpha", "activation", "learning_rate")
"""What may differ between the runs of one group (the activation only between ReLU and Leaky ReLU)."""


def check_stackable(config) -> None:
    """ValueError naming the setting when `config` asks to be stacked but the stacked trainer cannot train it."""
    rules = (("model", config.model, STACKED_FAMILIES), ("optimizer", config.optimizer, STACKED_OPTIMIZERS),
             ("activation", config.activation, STACKED_ACTIVATIONS))
    for name, value, allowed in rules:
        if value not in allowed:
            raise ValueError(f"stacked: true needs {name} in {', '.join(allowed)}; got {name}={value!r} "
                             "(train it with stacked: false)")
    if config.dropout:
        raise ValueError(f"stacked: true needs dropout 0; got dropout={config.dropout!r}")
    from ..probes import PROBES, Probe  # the registry imports nothing heavy

    per_step = [name for name in config.probes if PROBES[name].keras_callbacks is not Probe.keras_callbacks]
    if per_step:
        raise ValueError(f"stacked: true cannot record per-step probes ({', '.join(per_step)}); "
                         "train these runs with stacked: false")


def group_key(config, target: int) -> tuple:
    """Runs with equal keys (and the same target epoch) can be trained as one stacked program."""
    values = config.to_dict()
    kind = "prelu" if values["activation"] == "prelu" else "fixed slope"
    return (kind, target, *(repr(v) for k, v in sorted(values.items()) if k not in _MEMBER_FIELDS))


def group_runs(runs, *, parts: int = 1) -> list[list]:
    """The planned runs (with `.config` and `.target`) as training units: a stacked run in a group of stackable
    runs (each group cut into at least `parts` near-equal groups of at most MAX_GROUP, so `parts` workers share
    it), every other run alone."""
    units, groups = [], {}
    for run in runs:
        if run.config.stacked:
            groups.setdefault(group_key(run.config, run.target), []).append(run)
        else:
            units.append([run])
    for members in groups.values():
        n = max(math.ceil(len(members) / MAX_GROUP), min(parts, len(members)))
        size = math.ceil(len(members) / n)
        units += [members[i:i + size] for i in range(0, len(members), size)]
    return units

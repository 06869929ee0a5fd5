"""The probes by name, as a run config lists them (`probes: [dead_units, gradient_norms]`)."""

from __future__ import annotations

from collections.abc import Sequence

from .activation_stats import activation_stats_probe
from .dead_units import dead_units_probe
from .gradient_norms import gradient_norms_probe

PROBES = {
    "dead_units": dead_units_probe,
    "gradient_norms": gradient_norms_probe,
    "activation_stats": activation_stats_probe,
}
"""name → probe function `(model, images, labels) -> plain JSON dict`."""


def check_probes(names: Sequence[str]) -> tuple[str, ...]:
    """`names` as a tuple if each is a known probe, listed once; else a ValueError naming it and the known ones."""
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ValueError(f"probes must be a list of probe names ({', '.join(PROBES)}); got {names!r}")
    for i, name in enumerate(names):
        if name not in PROBES:
            raise ValueError(f"probes[{i}] must be one of {', '.join(map(repr, PROBES))}; got {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"probes lists a probe twice: {list(names)!r}")
    return tuple(names)


def measure(model, names: Sequence[str], images, labels) -> dict:
    """Every named probe on the probe set: {name: that probe's plain JSON output}."""
    return {name: PROBES[name](model, images, labels) for name in check_probes(names)}

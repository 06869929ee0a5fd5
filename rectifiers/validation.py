"""Checks of user-facing parameters: every error names the parameter and what it accepts."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real


def check_choice(name: str, value, allowed: Iterable[str]):
    """Return `value` if it is one of `allowed`, else raise ValueError listing them."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_finite(name: str, value, *, low: float | None = None, high: float | None = None) -> float:
    """Return `value` as a float if it is a finite real number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite real number{_range(low, high)}; got {value!r}")
    value = float(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be a finite real number{_range(low, high)}; got {value!r}")
    return value


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return `value` if it is an integer within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer{_range(low, high)}; got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{_range(low, high)}; got {value!r}")
    return int(value)


def check_increasing_ints(name: str, values, *, low: int = 1) -> tuple[int, ...]:
    """Return `values` as a tuple if it is a non-empty, strictly increasing sequence of integers >= low."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty list of increasing integers >= {low}; got {values!r}")
    out = tuple(check_int(f"{name}[{i}]", v, low=low) for i, v in enumerate(values))
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"{name} must be strictly increasing integers >= {low}; got {list(values)!r}")
    return out


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""

"""Checks of a notebook's `parameters` cell, so that papermill runs fail clearly instead of silently.

Each chapter's first code cell (tagged `parameters`) declares typed, commented parameters::

    alphas: list[float] = [0.01, 0.1, 0.3]  # slopes shown in the α explorer

and its second cell calls ``check_parameters(__annotations__, globals())``. papermill only warns about a name the
notebook does not declare and injects whatever type it parsed; this check turns both into errors that name the
parameter and what it accepts.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping

# Names IPython puts in a notebook's namespace before any cell runs.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


class ParameterError(ValueError):
    """A notebook parameter is unknown or has the wrong type."""


def check_parameters(annotations: Mapping[str, object], namespace: Mapping[str, object]) -> dict:
    """Check every declared parameter's type and reject undeclared ones; return the parameters as a dict."""
    declared = dict(annotations)
    unknown = sorted(
        name
        for name, value in namespace.items()
        if name not in declared
        and not name.startswith("_")
        and name not in _IPYTHON_NAMES
        and not isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type))
    )
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"this notebook's parameters are: {', '.join(declared)}"
        )
    values = {}
    for name, hint in declared.items():
        if name not in namespace:
            raise ParameterError(f"parameter {name!r} is declared but has no value")
        value = namespace[name]
        if not matches(value, hint):
            hint_text = type_name(hint)
            extra = " (papermill's -p passes lists as strings: use -y 'name: [..]')" if isinstance(value, str) else ""
            raise ParameterError(
                f"parameter {name!r} must be {hint_text}; got {type(value).__name__} {value!r}{extra}"
            )
        values[name] = value
    return values


def matches(value, hint) -> bool:
    """Whether `value` has the type `hint` (int, float, str, bool, None, list[...], dict[...], Literal, unions)."""
    if isinstance(hint, str):
        hint = eval(hint, {"typing": typing, "Literal": typing.Literal})  # PEP 563-style string hints
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is typing.Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    if origin is typing.Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, a) for a in args)
    if origin in (list, tuple):
        return isinstance(value, (list, tuple)) and (not args or all(matches(v, args[0]) for v in value))
    if origin is dict:
        return isinstance(value, dict) and (
            not args or all(matches(k, args[0]) and matches(v, args[1]) for k, v in value.items())
        )
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    raise TypeError(f"unsupported parameter type hint {hint!r}")


def type_name(hint) -> str:
    """A reader-facing name of a type hint, e.g. 'list[float]' or one of 'relu', 'leaky_relu'."""
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(hint)))
    return getattr(hint, "__name__", None) if isinstance(hint, type) else str(hint).replace("typing.", "")

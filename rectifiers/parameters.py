"""Checks of a notebook's `parameters` cell, so that papermill runs fail clearly instead of silently.

Each chapter's first code cell (tagged `parameters`) declares typed, commented parameters::

    alphas: list[float] = [0.01, 0.1, 0.3]  # slopes shown in the α explorer

and its second cell calls ``check_parameters(__annotations__, globals(), rules=RULES)`` with the chapter's rules
(`rectifiers.chapter_parameters`). papermill only warns about a name the notebook does not declare and injects
whatever type it parsed; this check turns both into errors, and then checks every value against its rule
(`Range`, `OneOf`, `KerasBackend`, ...), so that a bad value fails in the first cells under the notebook's own
parameter name, with what it accepts, before any heavy work.
"""

from __future__ import annotations

import importlib.util
import math
import tempfile
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

# Names IPython puts in a notebook's namespace before any cell runs.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


class ParameterError(ValueError):
    """A notebook parameter is unknown or has the wrong type."""


def check_parameters(annotations: Mapping[str, object], namespace: Mapping[str, object],
                     rules: Mapping[str, "Rule"] | None = None) -> dict:
    """Check every declared parameter's type, then its value against `rules` (every parameter needs one when
    rules are given); reject undeclared ones; return the parameters as a dict."""
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
    if rules is not None:
        check_values(values, rules)
    return values


def check_values(values: Mapping[str, object], rules: Mapping[str, "Rule"]) -> None:
    """Raise ParameterError for the first value outside its rule; every parameter must have a rule."""
    unruled = sorted(set(values) - set(rules))
    if unruled:
        raise TypeError(f"no rule for parameter(s) {', '.join(unruled)}: add them to the chapter's rules")
    for name, value in values.items():
        problem = rules[name].problem(value, values)
        if problem:
            raise ParameterError(f"parameter {name!r} {problem}; got {value!r}")


# --- rules: each says what a value must be, in words the message can use ---------------------------------------------


class Rule:
    """What a parameter's value must be. `problem` returns None if the value is fine, else the requirement."""

    def problem(self, value, values: Mapping[str, object]) -> str | None:
        raise NotImplementedError


def _bound(bound, values):
    """A bound's value; a bound naming a list parameter is that list's largest item."""
    if not isinstance(bound, str):
        return bound
    value = values[bound]
    return max(value) if isinstance(value, Sequence) and not isinstance(value, str) else value


def _bound_name(bound, values) -> str:
    if not isinstance(bound, str):
        return ""
    listed = isinstance(values[bound], Sequence) and not isinstance(values[bound], str)
    return f" (the largest of {bound})" if listed else f" ({bound})"


@dataclass(frozen=True)
class Range(Rule):
    """A number, or each item of a list, in [low, high]; a bound may name another parameter (e.g. "n_train").

    For lists: at least `min_items` (and at most `max_items`) items, strictly increasing if `increasing`,
    no repeats if `unique`. `multiple_of` asks for whole multiples (a tensor of rows of 1,024 values).
    """

    low: float | str | None = None
    high: float | str | None = None
    min_items: int = 1
    max_items: int | None = None
    increasing: bool = False
    unique: bool = False
    multiple_of: int | None = None
    note: str = ""

    def _words(self, values) -> str:
        low, high = _bound(self.low, values), _bound(self.high, values)
        names = {"low": _bound_name(self.low, values), "high": _bound_name(self.high, values)}
        if low is not None and high is not None:
            text = f"between {low:g}{names['low']} and {high:g}{names['high']}"
        elif low is not None:
            text = f">= {low:g}{names['low']}"
        elif high is not None:
            text = f"<= {high:g}{names['high']}"
        else:
            text = "finite"
        if self.multiple_of:
            text += f" and a multiple of {self.multiple_of:,}"
        return text + (f" ({self.note})" if self.note else "")

    def _bad(self, x, values) -> bool:
        low, high = _bound(self.low, values), _bound(self.high, values)
        return (not isinstance(x, Real) or isinstance(x, bool) or not math.isfinite(x)
                or (low is not None and x < low) or (high is not None and x > high)
                or (self.multiple_of is not None and x % self.multiple_of != 0))

    def problem(self, value, values):
        if isinstance(value, Sequence) and not isinstance(value, str):
            wanted = f"must be a list of {'strictly increasing ' if self.increasing else ''}numbers " \
                     f"{self._words(values)}"
            if len(value) < self.min_items or (self.max_items is not None and len(value) > self.max_items):
                count = (f"exactly {self.min_items}" if self.max_items == self.min_items
                         else f"at least {self.min_items}")
                return f"{wanted}, {count} of them"
            if any(self._bad(x, values) for x in value):
                return wanted
            if self.increasing and any(b <= a for a, b in zip(value, value[1:])):
                return wanted
            if self.unique and len(set(value)) != len(value):
                return f"{wanted}, without repeats"
            return None
        return f"must be {self._words(values)}" if self._bad(value, values) else None


@dataclass(frozen=True)
class OneOf(Rule):
    """A value, or each item of a list, from `choices` (or from the list another parameter names)."""

    choices: tuple | str
    min_items: int = 1

    def problem(self, value, values):
        choices = tuple(values[self.choices] if isinstance(self.choices, str) else self.choices)
        allowed = ", ".join(map(repr, choices)) + (f" (from {self.choices})" if isinstance(self.choices, str) else "")
        if isinstance(value, Sequence) and not isinstance(value, str):
            if len(value) < self.min_items or any(v not in choices for v in value):
                return f"must list at least {self.min_items} of {allowed}"
            return None
        return None if value in choices else f"must be one of {allowed}"


@dataclass(frozen=True)
class Text(Rule):
    """Any string: `what` says what it is (a folder, a file); checked where it is used, with its path."""

    what: str

    def problem(self, value, values):
        return None if isinstance(value, str) else f"must be {self.what}"


@dataclass(frozen=True)
class Folder(Rule):
    """A folder path ("" for the chapter's default folder): it must exist, and be writable when the chapter writes
    there, i.e. when the parameter `written_when[0]` is `written_when[1]` (e.g. ("mode", "train")). A relative path
    is taken from the working directory, as the results store takes it, or from the repository with
    `from_repository`. Checked before any work, so that nothing is trained for a folder that cannot hold it."""

    what: str
    written_when: tuple | None = None
    from_repository: bool = False

    def problem(self, value, values):
        if not isinstance(value, str):
            return f"must be {self.what}"
        if not value:
            return None
        path = Path(value)
        if not path.is_absolute() and self.from_repository:
            path = Path(__file__).resolve().parents[1] / path
        if not path.is_dir():
            return (f"must be an existing folder ({self.what}): {path} "
                    f"{'is not a folder' if path.exists() else 'does not exist'}")
        if self.written_when and values.get(self.written_when[0]) == self.written_when[1]:
            try:  # a real write: permissions, a read-only file system and root's exemptions all answer truly
                with tempfile.TemporaryFile(dir=path):
                    pass
            except OSError as error:
                return (f"must be a folder this chapter can write into when {self.written_when[0]} is "
                        f"{self.written_when[1]!r}: {path} is not writable ({error.strerror or error})")
        return None


@dataclass(frozen=True)
class KeywordsOf(Rule):
    """A dict of keyword arguments for `function` ("module:name"): unknown keywords are named."""

    function: str

    def problem(self, value, values):
        import importlib
        import inspect

        module, name = self.function.split(":")
        accepted = [p for p in inspect.signature(getattr(importlib.import_module(module), name)).parameters
                    if p != "results_dir"]
        unknown = sorted(set(value) - set(accepted))
        if unknown:
            return f"has unknown key(s) {', '.join(map(repr, unknown))}: it takes {', '.join(accepted)}"
        return None


KERAS_BACKENDS = ("tensorflow", "jax", "torch")


def installed_backends() -> tuple[str, ...]:
    """The Keras backends whose package is installed in this environment."""
    return tuple(b for b in KERAS_BACKENDS if importlib.util.find_spec(b) is not None)


@dataclass(frozen=True)
class KerasBackend(Rule):
    """One of Keras' backends whose package is installed here (the message says which are)."""

    def problem(self, value, values):
        installed = installed_backends()
        if value in installed:
            return None
        if value in KERAS_BACKENDS:
            return (f"names a backend whose package is not installed here: installed are "
                    f"{', '.join(map(repr, installed))} (install {value!r} to use it)")
        return f"must be one of Keras' backends {', '.join(map(repr, KERAS_BACKENDS))}, installed here: " \
               f"{', '.join(map(repr, installed))}"


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

"""Notebook parameter checks: unknown names and wrong types fail with messages that name them."""

from typing import Literal

import pytest

from rectifiers.parameters import ParameterError, check_parameters, matches


def test_accepts_declared_values_and_ignores_modules_and_private_names():
    import math

    values = check_parameters({"depth": int, "alphas": list[float]}, {"depth": 3, "alphas": [0.1, 1], "math": math, "_x": 1})
    assert values == {"depth": 3, "alphas": [0.1, 1]}


def test_unknown_parameter_is_named_with_the_allowed_ones():
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'deph'.*depth, alpha"):
        check_parameters({"depth": int, "alpha": float}, {"depth": 3, "alpha": 0.1, "deph": 4})


def test_wrong_type_names_parameter_and_type():
    with pytest.raises(ParameterError, match=r"'alphas' must be list\[float\]; got str '\[0.1\]'.*-y"):
        check_parameters({"alphas": list[float]}, {"alphas": "[0.1]"})
    with pytest.raises(ParameterError, match="'depth' must be int; got float 2.5"):
        check_parameters({"depth": int}, {"depth": 2.5})


@pytest.mark.parametrize(
    "value, hint, ok",
    [
        (1, float, True), (True, int, False), (1.0, int, False), ("relu", Literal["relu", "tanh"], True),
        ("elu", Literal["relu", "tanh"], False), (None, int | None, True), ([1, 2], list[int], True),
        ([1, "a"], list[int], False), ({"a": 1.0}, dict[str, float], True), ("x", str, True),
    ],
)
def test_matches(value, hint, ok):
    assert matches(value, hint) is ok

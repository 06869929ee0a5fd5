"""Activations: closed forms against Keras' own layers, derivatives against autodiff, limits and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rectifiers import activations as A
from rectifiers.models import exact_zero_fraction

# Inputs as float32 sees them (the Keras layers compute in float32), including 0 and large magnitudes.
GRID = np.concatenate(
    [np.linspace(-6, 6, 241), [-1e30, -1e4, -100.0, -1e-6, -0.0, 1e-6, 100.0, 1e4, 1e30]]
).astype(np.float32).astype(np.float64)
NONZERO = GRID[GRID != 0]
ALPHAS = (0.01, 0.3)

# Limits at −∞ and +∞ (Leaky ReLU and PReLU with α > 0 are unbounded below).
LIMITS = {
    "sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, math.inf),
    "leaky_relu": (-math.inf, math.inf),
    "prelu": (-math.inf, math.inf),
    "elu": (-1.0, math.inf),
    "selu": (-A.SELU_LAMBDA * A.SELU_ALPHA, math.inf),
    "gelu": (0.0, math.inf),
    "swish": (0.0, math.inf),
    "mish": (0.0, math.inf),
}


def test_registry_is_complete():
    assert len(A.ACTIVATIONS) == len(set(A.ACTIVATIONS)) == 10
    assert set(A.FORMULAS) == set(A.ACTIVATIONS) == set(LIMITS)
    assert set(A.SLOPED) <= set(A.ACTIVATIONS) and set(A.KINKED) <= set(A.ACTIVATIONS)
    for name in A.ACTIVATIONS:
        f, df = A.FORMULAS[name]
        assert "=" in f and "=" in df
        latex = A.formula_latex(name)
        assert latex.startswith(r"\begin{gathered}") and f in latex and df in latex


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("name", A.ACTIVATIONS)
def test_forward_matches_keras(name, alpha):
    ours = A.activation(name, GRID, alpha)
    keras_values = A.keras_activation(name, GRID, alpha)
    np.testing.assert_allclose(ours, keras_values, rtol=2e-6, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", A.ACTIVATIONS)
def test_limits_at_infinity(name):
    np.testing.assert_array_equal(A.activation(name, [-np.inf, np.inf]), LIMITS[name])
    assert np.isnan(A.activation(name, [np.nan])).all()


def test_keras_disagrees_at_infinity_only_where_it_computes_zero_times_infinity():
    # Keras evaluates x · gate(x) literally, so 0 · ∞ at −∞ gives NaN; everywhere else it has the limit.
    nan_at = set()
    for name in A.ACTIVATIONS:
        keras_values = A.keras_activation(name, [-np.inf, np.inf])
        for x, value, limit in zip(("-inf", "+inf"), keras_values, LIMITS[name]):
            if np.isnan(value):
                nan_at.add((name, x))
            else:
                assert value == pytest.approx(limit, rel=1e-7), (name, x)  # float32 constants
    assert nan_at == {("gelu", "-inf"), ("swish", "-inf"), ("mish", "-inf")}


def test_leaky_relu_with_zero_slope_is_relu_even_at_minus_infinity():
    np.testing.assert_array_equal(A.activation("leaky_relu", GRID, 0.0), A.activation("relu", GRID))
    assert A.activation("leaky_relu", [-np.inf], 0.0)[0] == 0.0


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("name", A.ACTIVATIONS)
def test_autodiff_matches_closed_form_away_from_zero(name, alpha):
    np.testing.assert_allclose(
        A.derivative(name, NONZERO, alpha), A.analytic_derivative(name, NONZERO, alpha), rtol=1e-5, atol=1e-6,
        err_msg=name,
    )


@pytest.mark.parametrize("name", A.ACTIVATIONS)
def test_closed_form_derivative_matches_finite_differences(name):
    x = np.array([-3.0, -1.0, -0.3, 0.3, 1.0, 3.0])
    h = 1e-6
    numeric = (A.activation(name, x + h, 0.2) - A.activation(name, x - h, 0.2)) / (2 * h)
    np.testing.assert_allclose(A.analytic_derivative(name, x, 0.2), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", A.ACTIVATIONS)
def test_derivative_limits_at_infinity(name):
    d = A.analytic_derivative(name, [-np.inf, np.inf], 0.01)
    right = A.SELU_LAMBDA if name == "selu" else 1.0 if name not in ("sigmoid", "tanh") else 0.0
    left = {"leaky_relu": 0.01, "prelu": 0.01}.get(name, 0.0)
    np.testing.assert_allclose(d, [left, right])


def test_autodiff_convention_at_zero():
    """The convention the chapter states: TensorFlow's ReLU and Leaky ReLU take the left limit at 0."""
    alpha = 0.05
    at_zero = {name: A.derivative(name, [0.0, -0.0], alpha) for name in A.ACTIVATIONS}
    np.testing.assert_array_equal(at_zero["relu"], [0.0, 0.0])
    np.testing.assert_allclose(at_zero["leaky_relu"], [alpha, alpha], rtol=1e-6)
    np.testing.assert_array_equal(at_zero["prelu"], [0.0, 0.0])  # relu(x) − α·relu(−x): neither limit
    np.testing.assert_allclose(at_zero["selu"], [A.SELU_LAMBDA] * 2, rtol=1e-6)  # the right limit
    for name in set(A.ACTIVATIONS) - set(A.KINKED):
        np.testing.assert_allclose(at_zero[name], A.analytic_derivative(name, [0.0, 0.0]), rtol=1e-6)

    table = A.derivative_at_zero(A.ACTIVATIONS, alpha)
    choice = table["autodiff's choice"]
    assert choice["ReLU"] == choice["Leaky ReLU"] == "left limit"
    assert choice["SELU"] == "right limit" and choice["PReLU"] == "neither limit"
    assert (choice[["sigmoid", "tanh", "ELU", "GELU", "Swish (SiLU)", "Mish"]] == "no kink").all()


def test_closed_form_derivative_is_undefined_exactly_at_kinks():
    for name in A.ACTIVATIONS:
        d0 = A.analytic_derivative(name, [0.0], 0.1)[0]
        assert np.isnan(d0) == (name in A.KINKED), name
    assert A.one_sided_derivatives("relu") == (0.0, 1.0)
    assert A.one_sided_derivatives("leaky_relu", 0.1) == (0.1, 1.0)
    assert A.one_sided_derivatives("selu") == pytest.approx((A.SELU_LAMBDA * A.SELU_ALPHA, A.SELU_LAMBDA))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -0.1, 1.5, "0.1", None, True, [0.1]])
def test_bad_alpha_is_named_with_what_is_allowed(bad):
    for call in (
        lambda: A.activation("leaky_relu", [1.0], bad),
        lambda: A.analytic_derivative("leaky_relu", [1.0], bad),
        lambda: A.derivative("leaky_relu", [1.0], bad),
        lambda: A.activation_layer("leaky_relu", bad),
        lambda: A.check_activation("prelu", bad),
    ):
        with pytest.raises(ValueError, match=r"alpha must be a finite real number in \[0\.0, 1\.0\]"):
            call()


@pytest.mark.parametrize("bad", ["Relu", "leaky-relu", "silu", "", None, 3])
def test_unknown_activation_lists_the_allowed_names(bad):
    for call in (
        lambda: A.activation(bad, [1.0]),
        lambda: A.derivative(bad, [1.0]),
        lambda: A.activation_layer(bad),
        lambda: A.formula_latex(bad),
    ):
        with pytest.raises(ValueError, match="activation must be one of 'sigmoid', 'tanh', 'relu', 'leaky_relu'"):
            call()


def test_inputs_must_be_numbers():
    with pytest.raises(ValueError, match="x must be real numbers"):
        A.activation("relu", ["a"])


def test_activation_layer_uses_the_slope_it_is_given():
    assert A.activation_layer("leaky_relu", 0.07).negative_slope == pytest.approx(0.07)
    prelu = A.activation_layer("prelu", 0.25)
    prelu.build((None, 3))
    np.testing.assert_allclose(prelu.get_weights()[0], [0.25, 0.25, 0.25])


def test_properties_are_computed_from_the_functions():
    table = A.properties_table(A.ACTIVATIONS, 0.01)
    row = table.loc
    assert row["ReLU", "range"] == "[0, ∞)" and row["Leaky ReLU", "range"] == "(−∞, ∞)"
    assert row["sigmoid", "range"] == "(0, 1)" and row["tanh", "range"] == "(−1, 1)"
    assert row["ELU", "range"] == "(−1, ∞)" and row["GELU", "range"] == "[−0.17, ∞)"
    # Shown to 4 decimals, the integral's accuracy: SELU's mean is 0, not the 2.35e−10 quadrature leaves.
    assert row["ReLU", "mean, N(0,1) input"] == pytest.approx(1 / math.sqrt(2 * math.pi), abs=5e-5)
    assert row["Leaky ReLU", "mean, N(0,1) input"] == pytest.approx(0.99 / math.sqrt(2 * math.pi), abs=5e-5)
    assert row["SELU", "mean, N(0,1) input"] == 0
    assert set(table.index[table["zero-centred"]]) == {"tanh", "SELU"}
    assert row["ReLU", "dead region"] == "x < 0"
    assert (table.drop(index="ReLU")["dead region"] == "none").all()
    assert row["Leaky ReLU", "saturates"] == "no" and row["ReLU", "saturates"] == "x → −∞"
    assert row["sigmoid", "saturates"] == row["tanh", "saturates"] == "both tails"
    assert row["Leaky ReLU", "f′(−1)"] == 0.01
    assert row["ReLU", "smoothness"] == "kink, f′ 0→1"
    assert row["SELU", "smoothness"] == "kink, f′ 1.76→1.05"
    assert row["ELU", "smoothness"] == "f″ jumps at 0"
    assert row["GELU", "smoothness"] == row["Mish", "smoothness"] == "smooth"
    assert "time ÷ ReLU" not in table.columns


def test_a_stack_without_activation_is_one_affine_map():
    plain = A.linear_collapse(None, depth=3, width=8, n_samples=200, seed=1)
    assert plain["product_max_abs_error"] < 1e-5 * max(1.0, plain["output_max_abs"])
    assert plain["affine_fit_relative_residual"] < 1e-5
    # Leaky ReLU with slope 1 is the identity: the stack collapses again.
    identity = A.linear_collapse("leaky_relu", 1.0, depth=3, width=8, n_samples=200, seed=1)
    assert identity["affine_fit_relative_residual"] < 1e-5
    for name, alpha in (("relu", 0.0), ("leaky_relu", 0.01), ("tanh", 0.0)):
        bent = A.linear_collapse(name, alpha, depth=3, width=8, n_samples=200, seed=1)
        assert bent["affine_fit_relative_residual"] > 0.1, name


def test_linear_collapse_table_and_its_checks():
    table = A.linear_collapse_table(0.01, depth=2, width=4, n_samples=50)
    assert list(table.index) == ["nothing", "ReLU", "Leaky ReLU"]
    summary = A.collapse_summary(table)
    assert summary["none_residual"] < 1e-5 < summary["relu_residual"]
    assert all(type(v) is float for v in summary.values())
    with pytest.raises(ValueError, match="n_samples must be an integer >= 10"):
        A.linear_collapse(None, width=8, n_samples=5)
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        A.linear_collapse(None, depth=0)


def test_exact_zero_fraction_counts_blank_patches():
    blank = np.zeros((2, 28, 28, 1), dtype=np.float32)
    noisy = np.random.default_rng(0).uniform(0.1, 1.0, size=(2, 28, 28, 1)).astype(np.float32)
    assert exact_zero_fraction(blank) == 1.0
    assert exact_zero_fraction(noisy) == 0.0
    half = noisy.copy()
    half[:, :, :14] = 0.0  # the left half blank: filters entirely inside it output 0
    assert 0.3 < exact_zero_fraction(half) < 0.5
    with pytest.raises(ValueError, match=r"images must be an array of shape \(n, 28, 28, 1\)"):
        exact_zero_fraction(np.zeros((2, 28, 28)))


def test_slope_defaults_table_marks_measured_and_cited_values():
    table = A.slope_defaults_table({"keras.layers.LeakyReLU()": 0.3}, "3.15.1")
    assert table.loc["keras.layers.LeakyReLU()", "how it is known"] == "measured (Keras 3.15.1)"
    assert table.loc["torch.nn.LeakyReLU() (PyTorch)", "α"] == 0.01
    assert (table["how it is known"] == "cited").sum() == len(A.CITED_SLOPES)

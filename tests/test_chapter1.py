"""Chapter 1 executed with papermill on small parameters: the values it glues, and its parameter checks."""

from __future__ import annotations

import math

import pytest

CHAPTER = "01_activation_functions"
SMALL = dict(
    alpha=0.05,
    n_points=101,
    collapse_depth=3,
    collapse_width=16,
    collapse_samples=256,
    zero_images=20,
    timing_size=65_536,
    timing_repeats=5,
)


@pytest.mark.slow
def test_chapter_computes_and_glues_its_numbers(notebook_runner):
    glued = notebook_runner(CHAPTER, **SMALL)

    # The slope-default trap, read from the installed Keras.
    assert glued["keras_layer_config_slope"] == 0.3
    assert glued["keras_layer_slope"] == pytest.approx(0.3)
    assert glued["keras_function_slope"] == pytest.approx(0.2)
    assert glued["keras_string_slope"] == pytest.approx(0.2)
    # PReLU is drawn and tabulated at the initial slope Keras gives it (0), as the text says.
    assert glued["keras_prelu_slope"] == 0.0 and glued["prelu_alpha"] == glued["keras_prelu_slope"]

    # Autodiff at exactly 0 follows the stated convention, with the chapter's α.
    assert glued["alpha"] == 0.05
    assert glued["relu_grad_at_zero"] == 0.0 and glued["prelu_grad_at_zero"] == 0.0
    assert glued["leaky_relu_grad_at_zero"] == pytest.approx(0.05)
    assert glued["selu_grad_at_zero"] == pytest.approx(1.0507, abs=1e-4)
    assert 0.5 < glued["zero_fraction"] < 0.75 and glued["zero_images"] == 20

    # Linear layers collapse; rectified ones do not.
    assert glued["collapse_product_error"] < 1e-5 * max(1.0, glued["collapse_output_max"])
    assert glued["collapse_none_residual"] < 1e-5
    assert glued["collapse_relu_residual"] > 0.1 and glued["collapse_leaky_residual"] > 0.1

    # The timing is a real measurement: positive times, a ratio inside its own quartiles and interval.
    assert glued["timing_repeats"] == 5 and glued["timing_size"] == 65_536
    assert glued["timing_relu_ms"] > 0 and glued["timing_leaky_relu_ms"] > 0
    ratio = glued["timing_ratio_median"]
    assert math.isfinite(ratio) and ratio > 0 and glued["timing_cpu_ratio_median"] > 0
    assert glued["timing_ratio_q25"] <= ratio <= glued["timing_ratio_q75"]
    assert glued["timing_ratio_ci_low"] <= ratio <= glued["timing_ratio_ci_high"]
    assert glued["timing_curiosity"].startswith("Leaky ReLU") and "faster" not in glued["timing_curiosity"]
    # The book's one cost verdict comes from training epochs (Chapter 4), not from this build-time timing.
    assert "paired seeds" in glued["book_cost_verdict"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "parameters, message",
    [
        (dict(alhpa=0.1), "unknown parameter(s) 'alhpa'"),
        (dict(alphas="0.1, 0.2"), "parameter 'alphas' must be list[float]; got str"),
        (dict(timing_repeats=2.5), "parameter 'timing_repeats' must be int; got float"),
        (dict(alpha=-1.0), "parameter 'alpha' must be between 0 and 1 (0 is ReLU, 1 the identity); got -1.0"),
        (dict(alpha=1.5), "parameter 'alpha' must be between 0 and 1 (0 is ReLU, 1 the identity); got 1.5"),
        (dict(timing_repeats=0), "parameter 'timing_repeats' must be between 1 and 100000; got 0"),
    ],
)
def test_bad_parameters_fail_with_a_clear_error(notebook_runner, parameters, message):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as failure:
        notebook_runner(CHAPTER, **parameters)
    assert message in str(failure.value)
    assert failure.value.cell_index <= 3  # in the check cell, before any work (3: after papermill's injected cell)

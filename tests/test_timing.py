"""Timing: the timed step computes the right thing, ratios are summarised honestly, bad input is named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rectifiers import activations as A
from rectifiers.experiments import timing


def test_timed_step_is_a_real_forward_and_backward_pass():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 1024)).astype(np.float32)
    upstream = rng.standard_normal((4, 1024)).astype(np.float32)
    for name in ("relu", "leaky_relu", "gelu"):
        y, grads = timing.forward_backward_step(name, 0.1)(tf.constant(x), tf.constant(upstream))
        np.testing.assert_allclose(y.numpy(), A.activation(name, x, 0.1), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(grads[0].numpy(), upstream * A.analytic_derivative(name, x, 0.1), rtol=1e-5, atol=1e-6)
    _, grads = timing.forward_backward_step("prelu", 0.1)(tf.constant(x), tf.constant(upstream))
    assert len(grads) == 2  # the input and PReLU's slopes
    np.testing.assert_allclose(grads[1].numpy(), (upstream * np.minimum(x, 0)).sum(axis=0), rtol=1e-4, atol=1e-4)


def test_time_activations_records_every_repeat():
    t = timing.time_activations(("relu", "leaky_relu", "prelu"), 0.01, size=2048, repeats=4, warmup=1, seed=3)
    assert set(t.times) == set(t.cpu_times) == {"relu", "leaky_relu", "prelu"}
    for name in t.times:
        assert t.times[name].shape == (4,) and np.all(t.times[name] > 0) and np.all(t.cpu_times[name] >= 0)
    assert t.size == 2048 and t.repeats == 4 and t.wall_s > 0 and t.milliseconds("relu") > 0
    assert {"cpu_count", "load_average_before", "load_average_after", "tensorflow"} <= set(t.environment)
    record = json.loads(json.dumps(t.to_dict()))
    assert len(record["times"]["prelu"]) == 4
    numbers = timing.compare(t, "leaky_relu", "relu")
    assert numbers["relu_ms"] == t.milliseconds("relu") and numbers["repeats"] == 4
    assert numbers["ratio_ci_low"] <= numbers["ratio_median"] <= numbers["ratio_ci_high"]
    assert numbers["curiosity"].startswith("Leaky ReLU") and numbers["cpu_ratio_median"] > 0
    with pytest.raises(ValueError, match="reference must be one of 'relu', 'leaky_relu', 'prelu'"):
        timing.compare(t, "leaky_relu", "gelu")


def test_paired_ratio_of_an_exact_ratio():
    denominator = np.random.default_rng(1).uniform(1, 2, size=30)
    summary = timing.paired_ratio(2 * denominator, denominator)
    assert summary.median == summary.q25 == summary.q75 == summary.ci_low == summary.ci_high == pytest.approx(2.0)
    assert summary.n == 30 and summary.confidence == 0.95


def test_paired_ratio_interval_covers_a_noisy_ratio():
    rng = np.random.default_rng(2)
    denominator = rng.uniform(1, 2, size=200)
    numerator = denominator * rng.lognormal(np.log(1.1), 0.05, size=200)
    summary = timing.paired_ratio(numerator, denominator, seed=0)
    assert summary.q25 < summary.median < summary.q75
    assert summary.ci_low < 1.1 < summary.ci_high and summary.ci_high - summary.ci_low < 0.05


@pytest.mark.parametrize(
    "numerator, denominator, message",
    [
        ([1.0, 2.0], [1.0], "equally long"),
        ([], [], "equally long"),
        ([1.0, 2.0], [1.0, 0.0], "denominator finite and > 0"),
        ([np.nan], [1.0], "numerator must be finite"),
    ],
)
def test_paired_ratio_rejects_bad_times(numerator, denominator, message):
    with pytest.raises(ValueError, match=message):
        timing.paired_ratio(numerator, denominator)


def test_the_micro_benchmark_states_its_interval_and_load_and_no_verdict():
    def summary(low, median, high):
        return timing.RatioSummary(median, low, high, low, high, 0.95, 10)

    # A build-time timing once read "43 % faster" in bold and "1.11× slower" a build earlier: never a verdict.
    for low, median, high in ((0.47, 0.55, 0.62), (1.02, 1.11, 1.2), (0.9, 1.0, 1.1)):
        words = timing.describe_timing(summary(low, median, high), dict(load_average_before=3.14, cpu_count=2))
        assert f"median {median:.2f}" in words and f"{low:.2f}–{high:.2f}" in words and "10 repeats" in words
        assert "load average was 3.1 on 2 cores" in words
        assert not any(w in words for w in ("faster", "slower", "cheaper"))
    assert "load" not in timing.describe_timing(summary(0.9, 1.0, 1.1), {})


def test_what_was_timed_says_what_and_on_what():
    t = timing.Timings({}, {}, 4096, 7, 0.01, 0, 1.0,
                       dict(cpu_count=2, load_average_before=1.6, tensorflow="2.21.0"))
    words = timing.what_was_timed(t)
    assert "4,096 float32 values" in words and "7 repeats" in words and "TensorFlow 2.21.0 on 2 CPU cores" in words
    assert "shared with other work" in words
    t.environment["load_average_before"] = 0.2
    assert "otherwise idle" in timing.what_was_timed(t) and "load" not in timing.what_was_timed(t)


def test_bad_timing_parameters_are_named():
    with pytest.raises(ValueError, match="size must be a positive multiple of 1024"):
        timing.check_size(1000 * 1024 + 1)
    with pytest.raises(ValueError, match="timing_size must be an integer >= 1024"):
        timing.check_size(10, "timing_size")
    with pytest.raises(ValueError, match="repeats must be an integer >= 1"):
        timing.time_activations(size=1024, repeats=0)
    with pytest.raises(ValueError, match="activation must be one of"):
        timing.time_activations(("relu", "Leaky"), size=1024, repeats=1)
    with pytest.raises(ValueError, match="alpha must be a finite real number >= 0.0"):
        timing.time_activations(alpha=float("nan"), size=1024, repeats=1)

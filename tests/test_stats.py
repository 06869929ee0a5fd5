import math

import numpy as np
import pytest
from scipy import stats as sps

from rectifiers.stats import mean_ci, paired_t_test, relative_difference


def test_mean_ci_matches_the_t_interval_by_hand():
    x = [1.0, 2.0, 3.0, 4.0]
    est = mean_ci(x)
    half = sps.t.ppf(0.975, 3) * np.std(x, ddof=1) / 2
    assert est.mean == 2.5 and est.n == 4
    assert est.low == pytest.approx(2.5 - half) and est.high == pytest.approx(2.5 + half)
    assert est.excludes(0.0) and not est.excludes(2.0)


def test_mean_ci_single_value_has_no_interval():
    est = mean_ci([3.0])
    assert est.mean == 3.0 and math.isnan(est.low) and not est.excludes(0.0)


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")]])
def test_mean_ci_rejects_empty_or_nan(bad):
    with pytest.raises(ValueError, match="values must be"):
        mean_ci(bad)


def test_mean_ci_rejects_bad_confidence():
    with pytest.raises(ValueError, match="confidence"):
        mean_ci([1, 2], confidence=1.5)


def test_paired_t_test():
    a = np.array([0.98, 0.97, 0.99, 0.985])
    assert paired_t_test(a, a) == 1.0
    assert paired_t_test(a + 0.01 + np.array([0, 1e-4, -1e-4, 0]), a) < 0.001
    with pytest.raises(ValueError, match="paired samples"):
        paired_t_test([1.0], [2.0])


def test_relative_difference_is_the_seed_articles_convention():
    # ReLU accuracy 0.97 vs Leaky 0.98: ReLU is about 1.02 % worse, a negative number.
    assert relative_difference(0.97, 0.98) == pytest.approx(-1.0204, abs=1e-4)


def test_paired_t_test_agrees_with_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=6), rng.normal(size=6)
    assert paired_t_test(a, b) == pytest.approx(sps.ttest_rel(a, b).pvalue)


def test_ratio_ci_is_the_geometric_mean_with_a_log_scale_interval():
    from rectifiers.stats import ratio_ci

    est = ratio_ci([2.0, 8.0], [1.0, 2.0])  # ratios 2 and 4
    assert est.mean == pytest.approx(np.sqrt(8)) and est.low < est.mean < est.high
    assert est.low * est.high == pytest.approx(est.mean**2)  # symmetric on the log scale
    with pytest.raises(ValueError, match="paired positive values"):
        ratio_ci([1.0, 0.0], [1.0, 1.0])


def test_relative_difference_to_zero_is_undefined_without_a_warning(recwarn):
    assert np.isnan(relative_difference(0.1, 0.0))
    assert np.isnan(relative_difference([0.1, 0.2], [0.0, 0.1])[0])
    assert float(relative_difference(0.3, 0.2)) == pytest.approx(50.0)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_wilson_interval_matches_published_values_and_handles_zero_and_all():
    from rectifiers.stats import wilson_interval

    # Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 → 0.2553–0.3662; 0/20 → 0–0.1611.
    w = wilson_interval(81, 263)
    assert (round(w.low, 4), round(w.high, 4)) == (0.2553, 0.3662)
    zero = wilson_interval(0, 20)
    assert zero.low == 0.0 and round(zero.high, 4) == 0.1611
    assert wilson_interval(20, 20).high == 1.0 and round(wilson_interval(20, 20).low, 4) == 0.8389
    assert wilson_interval(3, 10).text() == "3 of 10 (30 %, 95 % CI 11–60 %)"
    with pytest.raises(ValueError, match="k must be an integer"):
        wilson_interval(11, 10)


def test_intervals_and_signs_print_as_the_reader_reads_them():
    from rectifiers.stats import percent_interval, signed

    # "0–28 %" wrapped over three lines in Chapter 5's narrow table cells: no break inside an interval.
    text = percent_interval(0.0, 0.2775)
    assert text.replace("\u2060", "").replace("\u00a0", " ") == "0–28 %" and " " not in text
    assert signed(-0.0123) == "−0.012" and signed(0.0031) == "+0.003" and signed(-0.0) == "+0.000"


def test_readable_numbers_have_at_most_the_digits_asked_for():
    from rectifiers.stats import readable

    # A 42-row spike table once printed "grew by ×2,598,963,692".
    assert readable(2_598_963_692, 2) == "2.6 × 10⁹"
    assert readable(0.003275, 3, sign=True) == "+0.00328" and readable(-1234.567) == "−1,230"
    assert readable(2.35e-10) == "2.35 × 10⁻¹⁰" and readable(-0.0) == "0" and readable(float("nan")) == "—"
    assert readable(12.345) == "12.3" and readable(1.5, 2) == "1.5"

"""Small statistics for comparisons over seeds: means with t confidence intervals and paired tests."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from .validation import check_finite


@dataclass(frozen=True)
class Estimate:
    """A mean over n values with its two-sided confidence interval (Student t, n-1 degrees of freedom)."""

    mean: float
    low: float
    high: float
    n: int
    sd: float

    def excludes(self, value: float = 0.0) -> bool:
        """Whether the interval lies entirely on one side of `value`."""
        return self.low > value or self.high < value


def mean_ci(values, confidence: float = 0.95) -> Estimate:
    """Mean of `values` and its t-based confidence interval (NaN bounds for a single value)."""
    confidence = check_finite("confidence", confidence, low=0.0, high=1.0)
    x = np.asarray(values, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"values must be a non-empty sequence of finite numbers; got {values!r}")
    mean = float(x.mean())
    if x.size == 1:
        return Estimate(mean, math.nan, math.nan, 1, math.nan)
    sd = float(x.std(ddof=1))
    half = float(sps.t.ppf(0.5 + confidence / 2, x.size - 1)) * sd / math.sqrt(x.size)
    return Estimate(mean, mean - half, mean + half, int(x.size), sd)


def paired_t_test(a, b) -> float:
    """Two-sided p-value of the paired t-test that a − b has mean zero."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"a and b must be paired samples of equal length >= 2; got {a.size} and {b.size}")
    d = a - b
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd <= 1e-12 * abs(mean) or sd == 0.0:  # identical differences: certain unless all are zero
        return 1.0 if mean == 0.0 else 0.0
    t = mean / (sd / math.sqrt(d.size))
    return float(2 * sps.t.sf(abs(t), d.size - 1))


def relative_difference(value, reference):
    """100 · (value − reference) / reference: the seed article's "ReLU relative to LReLU", in percent.

    Undefined (NaN) where the reference is 0 — a training loss can round to exactly 0 after hundreds of epochs.
    """
    value, reference = np.asarray(value, dtype=float), np.asarray(reference, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(reference == 0, np.nan, 100.0 * (value - reference) / reference)[()]


def ratio_ci(numerator, denominator, confidence: float = 0.95) -> Estimate:
    """Geometric mean of paired ratios numerator/denominator with its t interval, computed on log ratios.

    Ratios of positive quantities (times, losses) are symmetric on a log scale: 2× and 0.5× are equally far
    from 1. The returned Estimate is in ratio units (mean = geometric mean; `sd` is that of the log ratios).
    """
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if a.shape != b.shape or a.size == 0 or not (np.all(a > 0) and np.all(b > 0)):
        raise ValueError(f"numerator and denominator must be paired positive values; got {a!r} and {b!r}")
    logs = mean_ci(np.log(a / b), confidence)
    return Estimate(math.exp(logs.mean), math.exp(logs.low), math.exp(logs.high), logs.n, logs.sd)


@dataclass(frozen=True)
class Proportion:
    """k events in n trials, with a Wilson score interval (Wilson 1927) for the rate."""

    k: int
    n: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.k / self.n

    def text(self, event: str = "failed") -> str:
        """e.g. "3 of 10 (30 %, 95 % CI 11–60 %)"."""
        pct = lambda x: f"{100 * x:.0f}"  # noqa: E731
        return f"{self.k} of {self.n} ({pct(self.rate)} %, 95 % CI {pct(self.low)}–{pct(self.high)} %)"


def wilson_bounds(successes, trials, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (arrays broadcast); well behaved at 0 and 1."""
    confidence = check_finite("confidence", confidence, low=0.5, high=0.999999)
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1; got {successes!r} of {trials!r}")
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))  # exact ends, free of rounding
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> Proportion:
    """k events in n trials with the Wilson score interval of the rate (`wilson_bounds`), as a `Proportion`."""
    from .validation import check_int

    n = check_int("n", n, low=1)
    k = check_int("k", k, low=0, high=n)
    low, high = wilson_bounds(k, n, confidence)
    return Proportion(k, n, float(low), float(high))


def percent_interval(low: float, high: float) -> str:
    """An interval of shares as the reader sees it, "0–28 %", never broken across lines in a narrow table cell
    (word joiners around the dash, a no-break space before the sign)."""
    return f"{100 * low:.0f}\u2060–\u2060{100 * high:.0f}\u00a0%"


def signed(value: float, decimals: int = 3) -> str:
    """A signed number with a real minus sign (−0.012, +0.003), as the book's tables print every negative."""
    return f"{value + 0.0:+.{decimals}f}".replace("-", "−")


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def readable(value: float, digits: int = 3, *, sign: bool = False) -> str:
    """A number with at most `digits` significant digits as prose and tables print it: "1,235", "0.0328",
    "2.6 × 10⁹" (beyond 10⁵ or below 10⁻³), a real minus sign, "+" in front when `sign`."""
    if not math.isfinite(value):
        return "—"
    value = float(f"{value:.{digits}g}") + 0.0
    size = abs(value)
    if size and (size >= 1e5 or size < 1e-3):
        mantissa, exponent = f"{value:.{max(digits - 1, 0)}e}".split("e")
        text = f"{float(mantissa):g} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"
        text = ("+" + text) if sign and value > 0 else text
    else:
        decimals = max(digits - 1 - math.floor(math.log10(size)), 0) if size else 0
        text = f"{value:{'+' if sign else ''},.{decimals}f}"
    return text.replace("-", "−")

"""How the book decides: one procedure turns a situation's paired runs into a verdict, for every chapter and the guide.

A *situation* is one setting of everything but the activation (a model, an optimiser, a learning rate, a dataset);
its runs are paired by seed (same seed = same initial weights and the same order of the training images). The
procedure, in the order `decide` runs it:

1. **Endpoints, fixed before the verdict** (`Endpoints`): what counts as a *failed* run — it diverged, or ended
   below a bar the study justifies from its own healthy runs (`FailureBar`), with a band of bars to try — and the
   *final metric* (test accuracy, Fréchet distance, ...). A failed run keeps its final value (intention to treat);
   a diverged run, which has none, counts as the worst final value measured in its situation.
2. **Paired tests against the baseline (ReLU)**, for every alternative: failures by the exact McNemar test (the
   seeds where exactly one of the two failed); the metric by the paired t-test where no run of the pair failed, else
   by the exact paired sign-flip permutation test (the differences are then far from normal).
3. **Holm's correction** over every test of the situation (all alternatives, both endpoints), at 5 %. A test that
   could not reach 5 % whatever its outcome (McNemar with five or fewer discordant seeds, a permutation test on as
   few non-zero differences) can never be significant and is left out of the family.
4. **A verdict a reader can act on** (`CATEGORIES`): *neither* when every setting failed in most of its runs (the
   row says what to change); *prefer* the alternatives that beat ReLU after correction and failed in at most half
   their runs (several are named together; an alternative that is not shown better than ReLU, but that the data do
   not separate from a winner either, is named after the winners as such: `NOT_SEPARATED`); *prefer ReLU* when every
   alternative is worse; *avoid* the alternatives that fail more or score worse; *either* when no test is
   significant.
5. **Sensitivity**: the verdict is recomputed with the failure bar at both ends of its band; a verdict that changes
   is *unclear*.

`rectifiers.calibration` measures how often this procedure names a winner or an "avoid" when all settings are equal.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

LEVEL = 0.05
"""Family-wise error rate of a situation's tests (Holm)."""

CHANCE_ACCURACY = 0.1
"""Accuracy of guessing on ten balanced classes."""

CATEGORIES = ("prefer", "avoid", "either", "neither", "unclear", "not measurable here")
"""The verdicts: a row's `category` is one of these ("prefer" also when ReLU is the one to prefer, and a row that
prefers some alternatives and avoids others is "prefer")."""

PERMUTATION_DRAWS = 10_000
"""Random sign flips of the permutation test beyond `EXACT_UP_TO` seeds (seeded: the same data give the same p)."""
EXACT_UP_TO = 16
"""Up to this many non-zero differences, the permutation test enumerates every sign flip (2^16 = 65,536)."""


@dataclass(frozen=True)
class FailureBar:
    """Where a run counts as failed, and the band of bars at whose ends every verdict is recomputed."""

    value: float
    low: float
    high: float
    words: str  # how the bar was justified, for the chapter's prose

    def ends(self) -> tuple[float, float]:
        return self.low, self.high


def bar_from_healthy(healthy, chance: float = CHANCE_ACCURACY, what: str = "final training accuracy") -> FailureBar:
    """The failure bar of a classifier study: a third of the way from chance to its worst healthy run (the lowest
    `what` among the completed runs of the study's gentlest setting, e.g. its lowest learning rate; where one of
    those got less than a quarter of the way from chance to the best, among those more than halfway to the best),
    with a band at that margin above chance halved and doubled (a sixth and two thirds of the way)."""
    values = np.asarray([v for v in healthy if v is not None and np.isfinite(v)], dtype=float)
    if values.size == 0:
        raise ValueError("healthy must hold at least one finite value: the study has no completed run to judge from")
    if chance < values.max() and values.min() <= chance + (values.max() - chance) / 4:  # the gentlest setting failed
        values = values[values > (chance + values.max()) / 2]  # too: its healthy runs got over halfway to its best
    floor = float(values.min())
    margin = floor - chance
    if margin <= 0:
        raise ValueError(f"the worst healthy run ({floor:.3f}) is not above chance ({chance:g}): no bar can separate "
                         "failed runs from healthy ones")
    value, low, high = chance + margin / 3, chance + margin / 6, chance + 2 * margin / 3
    words = (f"{what} below {value:.2f}, a third of the way from chance ({chance:g}) to the worst healthy run "
             f"({floor:.2f}, the lowest {what} at the study's gentlest setting); the verdict is recomputed with the "
             f"bar at {low:.2f} and {high:.2f} (that margin above chance halved and doubled)")
    return FailureBar(value, low, high, words)


@dataclass(frozen=True)
class Endpoints:
    """What a study measures, stated before the verdict: its failure rule and its final metric."""

    failure: str  # the reader's words for a failed run, e.g. "diverged, or training accuracy below 0.40"
    metric: str | None = "test accuracy"  # None: failures are the only endpoint
    higher_is_better: bool = True
    remedy: str = "lower the learning rate"  # what to change when every setting fails
    margin: float | None = None  # "either" needs every corrected interval within ±margin, else "not measurable here"


COST_ENDPOINTS = Endpoints(failure="no timed epochs", metric="log of the median training seconds per epoch",
                           higher_is_better=False, margin=math.log(1.1))
"""Cost, wherever the book judges it: the paired log ratio of seconds per epoch; "either" needs every corrected
interval within ±10 %, else the cost is "not measurable here"."""


@dataclass
class Decision:
    """A situation's verdict (`verdict`, `category`), the comparisons behind it, and the verdicts at the band's ends."""

    verdict: str
    category: str
    comparisons: pd.DataFrame  # one row per alternative against the baseline (see `compare`)
    failures: pd.Series  # failed runs per setting, at the main bar
    runs: pd.Series  # runs per setting
    at_band: dict = field(default_factory=dict)  # bar -> verdict there
    family: int = 0  # tests in the Holm family

    def sentence(self) -> str:
        """The comparisons in words: each alternative's failures and metric difference with its corrected p."""
        return "; ".join(comparison_text(r) for r in self.comparisons.itertuples())


def exact_mcnemar(failed_alternative, failed_baseline) -> tuple[int, int, float]:
    """(b, c, p): seeds where only the alternative failed, only the baseline failed, and the exact two-sided p."""
    a, r = np.asarray(failed_alternative, bool), np.asarray(failed_baseline, bool)
    b, c = int((a & ~r).sum()), int((~a & r).sum())
    p = 1.0 if b + c == 0 else float(sps.binomtest(b, b + c, 0.5).pvalue)
    return b, c, p


def sign_flip_test(differences, seed: int = 0) -> float:
    """Two-sided p of the paired sign-flip permutation test that the differences are symmetric about 0: exact up to
    `EXACT_UP_TO` non-zero differences, else from `PERMUTATION_DRAWS` random flips ((hits + 1) / (draws + 1))."""
    d = np.asarray(differences, dtype=float)
    d = d[d != 0]
    if d.size == 0:
        return 1.0
    observed = abs(d.sum())
    if d.size <= EXACT_UP_TO:
        signs = 1 - 2 * ((np.arange(2 ** d.size)[:, None] >> np.arange(d.size)) & 1)
        sums = np.abs(signs @ d)
        return float(np.mean(sums >= observed - 1e-12 * max(observed, 1.0)))
    signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(PERMUTATION_DRAWS, d.size))
    hits = int(np.sum(np.abs(signs @ d) >= observed - 1e-12 * max(observed, 1.0)))
    return (hits + 1) / (PERMUTATION_DRAWS + 1)


def smallest_possible_p(test: str, n: int) -> float:
    """The smallest p a test can give: McNemar with n discordant seeds, sign flips on n non-zero differences."""
    if test in ("mcnemar", "permutation"):
        return min(1.0, 2 * 0.5 ** n) if n > 0 else 1.0
    return 0.0


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries are not tests and stay NaN)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    index = np.flatnonzero(np.isfinite(p))
    order = index[np.argsort(p[index], kind="stable")]
    m, running = len(order), 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


def _metric_test(alt: np.ndarray, base: np.ndarray, any_failed: bool) -> dict:
    d = alt - base
    if np.all(d == 0):
        return {"mean": 0.0, "low": 0.0, "high": 0.0, "p": 1.0, "test": "none", "informative": False}
    if not any_failed and d.size >= 2:
        sd = float(d.std(ddof=1))
        half = float(sps.t.ppf(0.975, d.size - 1)) * sd / math.sqrt(d.size)
        p = 0.0 if sd == 0 else float(sps.ttest_rel(alt, base).pvalue)
        return {"mean": float(d.mean()), "low": float(d.mean()) - half, "high": float(d.mean()) + half, "p": p,
                "test": "paired t", "informative": True}
    boot = np.random.default_rng(1).choice(d, size=(4_000, d.size)).mean(axis=1)  # percentile interval
    n = int((d != 0).sum())
    return {"mean": float(d.mean()), "low": float(np.quantile(boot, 0.025)), "high": float(np.quantile(boot, 0.975)),
            "p": sign_flip_test(d), "test": "sign-flip permutation",
            "informative": smallest_possible_p("permutation", n) <= LEVEL}


def compare(table: pd.DataFrame, alternative: str, baseline: str, endpoints: Endpoints) -> dict:
    """One alternative against the baseline, paired by seed: McNemar on failures; the metric over every seed
    (intention to treat), and over the seeds where both trained (survivors, a secondary view never judged)."""
    (sa, fa, va), (sb, fb, vb) = table[alternative], table[baseline]
    seeds, ia, ib = np.intersect1d(sa, sb, return_indices=True)
    fa, va, fb, vb = fa[ia], va[ia], fb[ib], vb[ib]
    only_alt, only_base, p_fail = exact_mcnemar(fa, fb)
    row = {"alternative": alternative, "baseline": baseline, "seeds": len(seeds),
           "alternative_failed": int(fa.sum()), "baseline_failed": int(fb.sum()),
           "only_alternative_failed": only_alt, "only_baseline_failed": only_base, "p_failures": p_fail,
           "failures_informative": smallest_possible_p("mcnemar", only_alt + only_base) <= LEVEL}
    if endpoints.metric is not None:
        m = _metric_test(va, vb, bool(fa.any() or fb.any()))
        row.update({"difference": m["mean"], "difference_low": m["low"], "difference_high": m["high"],
                    "p_metric": m["p"], "metric_test": m["test"], "metric_informative": m["informative"]})
        both = ~fa & ~fb
        d = (va - vb)[both]
        row.update({"survivor_seeds": int(both.sum()), "survivor_difference": float(d.mean()) if d.size else math.nan})
    return row


def _direction(row: dict, endpoints: Endpoints) -> tuple[bool, bool]:
    """(alternative better, alternative worse) after correction, from the row's Holm-adjusted p-values."""
    better = worse = False
    if row.get("p_failures_holm", 1.0) <= LEVEL:
        fewer = row["only_alternative_failed"] < row["only_baseline_failed"]
        better, worse = better or fewer, worse or not fewer
    if endpoints.metric is not None and row.get("p_metric_holm", 1.0) <= LEVEL:
        higher = row["difference"] > 0
        good = higher if endpoints.higher_is_better else not higher
        better, worse = better or good, worse or not good
    return better, worse


def _tested(rows: list[dict], endpoints: Endpoints) -> int:
    """Adjust every row's informative p-values by Holm over all of them; return the size of the family."""
    keys = [(i, "p_failures", "failures_informative") for i in range(len(rows))]
    if endpoints.metric is not None:
        keys += [(i, "p_metric", "metric_informative") for i in range(len(rows))]
    family = [(i, name) for i, name, flag in keys if rows[i][flag]]
    adjusted = holm([rows[i][name] for i, name in family]) if family else []
    for row in rows:
        row["p_failures_holm"] = row["p_metric_holm"] = 1.0
    for (i, name), p in zip(family, adjusted):
        rows[i][f"{name}_holm"] = float(p)
    return len(family)


def _by_seed(runs: pd.DataFrame, failed_column: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """setting -> (seeds, failed, value) as arrays (plain arrays: the calibration decides thousands of situations)."""
    seeds, settings = runs.seed.to_numpy(), runs.setting.to_numpy()
    failed, values = runs[failed_column].to_numpy(bool), runs["itt"].to_numpy(float)
    return {name: (seeds[settings == name], failed[settings == name], values[settings == name])
            for name in dict.fromkeys(settings)}


def _judge(runs: pd.DataFrame, endpoints: Endpoints, baseline: str, order: list[str], failed_column: str,
           among=None):
    table = _by_seed(runs, failed_column)
    tested = [s for s in order if s != baseline]
    rows = [compare(table, a, baseline, endpoints) for a in tested]
    family = _tested(rows, endpoints)
    for row in rows:
        row["better"], row["worse"] = _direction(row, endpoints)
    if among is not None:  # the verdict speaks of these alternatives; Holm counted every test of the situation
        rows = [r for r in rows if r["alternative"] in among]
        order = [baseline, *[s for s in tested if s in among]]
    alternatives = [s for s in order if s != baseline]
    comparisons = pd.DataFrame(rows)
    failures = pd.Series({s: int(table[s][1].sum()) for s in order})
    counts = pd.Series({s: len(table[s][0]) for s in order})
    if (failures > counts / 2).all():
        return f"neither: every setting failed in most of its runs; {endpoints.remedy}", "neither", comparisons, \
            failures, counts, family
    trains = failures <= counts / 2  # a setting that failed in most of its runs is never the one to prefer
    winners = [r["alternative"] for r in rows if r["better"] and not r["worse"] and trains[r["alternative"]]]
    losers = [r["alternative"] for r in rows if r["worse"] and not r["better"]]
    if losers and len(losers) == len(alternatives):
        return f"prefer {baseline} (every alternative did worse)", "prefer", comparisons, failures, counts, family
    parts = []
    if winners:
        close = _not_separated(table, winners, [a for a in alternatives if a not in winners + losers and trains[a]],
                               endpoints)
        them = "it" if len(winners) == 1 else "them"
        parts.append("prefer " + names_text([a for a in alternatives if a in winners], " or ") + (
            NOT_SEPARATED.format(them=them, baseline=baseline) + names_text([a for a in alternatives if a in close], " or ")
            if close else ""))
    if losers:
        parts.append("avoid " + names_text(losers, " and "))
    if parts:
        return "; ".join(parts), "prefer" if winners else "avoid", comparisons, failures, counts, family
    if endpoints.margin is not None and endpoints.metric is not None and len(comparisons) and not (
            (comparisons.difference_low > -endpoints.margin) & (comparisons.difference_high < endpoints.margin)).all():
        return "not measurable here", "not measurable here", comparisons, failures, counts, family
    return "either", "either", comparisons, failures, counts, family


NOT_SEPARATED = " — not separated from {them}, but not shown better than {baseline}: "
"""What follows a *prefer* verdict's winners when other alternatives are not shown worse than them: those are named
after it, as not shown better than the baseline, so that no reader takes them for winners."""


def _not_separated(table, winners: list[str], others: list[str], endpoints: Endpoints) -> list[str]:
    """The other alternatives (neither winners nor worse than the baseline) that some winner is not shown better
    than, by the same paired tests with Holm over these comparisons: they are named with the winners."""
    if not others:
        return []
    rows = [compare(table, o, w, endpoints) for w, o in itertools.product(winners, others)]
    _tested(rows, endpoints)
    kept = []
    for other in others:
        separated = all(_direction(r, endpoints)[1] for r in rows if r["alternative"] == other)
        if not separated:
            kept.append(other)
    return kept


def names_text(names: list[str], joiner: str) -> str:
    """Settings in a verdict, Leaky ReLU's slopes run together: "Leaky ReLU α=0.1 or 0.3 or PReLU"."""
    leaky = "Leaky ReLU α="
    out = [n[len(leaky):] if i and n.startswith(leaky) and names[i - 1].startswith(leaky) else n
           for i, n in enumerate(names)]
    return joiner.join(out)


def decide(runs: pd.DataFrame, endpoints: Endpoints, baseline: str = "ReLU", order=None,
           band: dict | None = None, among=None) -> Decision:
    """The verdict of one situation. `runs`: one row per run with `setting`, `seed`, `failed` (at the main bar) and,
    when the endpoints have a metric, `metric` (the final value; NaN for a diverged run). `band`: {bar: column of
    `runs` with `failed` at that bar} for the band's ends; a verdict that changes there is "unclear". `among`: the
    alternatives the verdict speaks of (default all); Holm's family is still every alternative in `order`."""
    missing = {"setting", "seed", "failed", *(["metric"] if endpoints.metric else [])} - set(runs.columns)
    if missing:
        raise ValueError(f"runs lacks the column(s) {sorted(missing)}; it has {sorted(runs.columns)}")
    order = list(order) if order is not None else list(dict.fromkeys(runs.setting))
    if baseline not in order:
        raise ValueError(f"baseline {baseline!r} has no runs; settings: {order}")
    runs = runs[runs.setting.isin(order)].copy()
    if endpoints.metric is not None:
        values = runs.metric.astype(float)
        worst = values.min() if endpoints.higher_is_better else values.max()
        runs["itt"] = values.fillna(worst if np.isfinite(worst) else 0.0)  # a diverged run: the worst final value
    else:
        runs["itt"] = 0.0
    verdict, category, comparisons, failures, counts, family = _judge(runs, endpoints, baseline, order, "failed",
                                                                      among)
    at_band = {}
    for bar, column in (band or {}).items():
        at_band[bar] = _judge(runs, endpoints, baseline, order, column, among)[0]
    if any(v != verdict for v in at_band.values()):
        bars: dict[str, list] = {verdict: ["its chosen value"]}
        for bar, v in sorted(at_band.items()):
            bars.setdefault(v, []).append(bar)
        # A verdict's remedy ("neither: ...; lower the learning rate") is left out here: its "; " would read as the
        # next end of the band.
        shown = "; ".join(f"{v.split('; ')[0]} with the bar at "
                          f"{' and '.join(b if isinstance(b, str) else f'{b:.2g}' for b in at) or 'its chosen value'}"
                          for v, at in bars.items())
        verdict, category = f"unclear ({shown})", "unclear"
    return Decision(verdict, category, comparisons, failures, counts, at_band, family)


def comparison_text(r) -> str:
    """One alternative against the baseline in words, e.g. "PReLU: failed 0 vs 6 of 10 (McNemar p = .031, Holm
    .12); test accuracy +0.41 (95 % CI +0.20 to +0.62, sign-flip permutation p = .008, Holm .03)"."""
    p = lambda v: "1" if v >= 0.9995 else f"{v:.3f}".lstrip("0")  # noqa: E731
    text = (f"{r.alternative} failed {r.alternative_failed} of {r.seeds} against {r.baseline}'s "
            f"{r.baseline_failed} (McNemar p = {p(r.p_failures)}, Holm {p(r.p_failures_holm)})")
    if hasattr(r, "difference") and isinstance(r.difference, float) and not math.isnan(r.difference):
        sign = lambda v: signed(v, 3)  # noqa: E731
        text += (f", final metric {sign(r.difference)} (95 % CI {sign(r.difference_low)} to "
                 f"{sign(r.difference_high)}, {r.metric_test} p = {p(r.p_metric)}, Holm {p(r.p_metric_holm)})")
    return text


def capped_decimals(value: float, decimals: int, digits: int = 4) -> int:
    """`decimals`, or fewer where the number would show more than `digits` significant digits (0.300, 51.92, 116.8:
    a Fréchet distance's hundreds do not carry thousandths)."""
    return max(0, min(decimals, digits - len(str(int(abs(value)))))) if math.isfinite(value) else decimals


def signed(value: float, decimals: int, digits: int = 4) -> str:
    """A difference with its sign and a real minus, at `decimals` decimals but never more than `digits` significant
    digits in all (`capped_decimals`)."""
    return f"{value + 0.0:+.{capped_decimals(value, decimals, digits)}f}".replace("-", "−")


def failed_below(score, diverged, bar: float) -> np.ndarray:
    """Failed at `bar`: diverged, or a score (e.g. final training accuracy) below the bar."""
    score = np.asarray(score, dtype=float)
    return np.asarray(diverged, bool) | (np.nan_to_num(score, nan=-np.inf) < bar)


def band_columns(runs: pd.DataFrame, score: str, bar: FailureBar, diverged: str = "diverged") -> tuple[pd.DataFrame, dict]:
    """`runs` with `failed` at the main bar and one `failed_at_<bar>` column per end of the band, and the `band`
    argument of `decide` naming them."""
    runs = runs.assign(failed=failed_below(runs[score], runs[diverged], bar.value))
    band = {}
    for end in bar.ends():
        column = f"failed_at_{end:g}"
        runs[column] = failed_below(runs[score], runs[diverged], end)
        band[end] = column
    return runs, band

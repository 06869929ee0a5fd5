"""What Leaky ReLU costs in real training: seconds per epoch of the stored runs, ReLU and Leaky ReLU paired by seed.

A forum answer claims Leaky ReLU "costs more to train". The runs record the seconds each epoch's training took
(`fit_s`, evaluations excluded). For each seed, the median epoch time of the Leaky ReLU run is divided by that of
the ReLU run with the same seed (same data, same initial weights, trained back to back); the ratio's geometric
mean over seeds gets a t interval on the log scale (`stats.ratio_ci`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import decision
from ..stats import Estimate, ratio_ci


@dataclasses.dataclass(frozen=True)
class CostComparison:
    """Per-seed epoch times and their paired ratio Leaky ReLU ÷ ReLU."""

    per_seed: pd.DataFrame  # seed, relu_s, leaky_s, ratio, epochs
    ratio: Estimate  # geometric mean of the ratios, with its CI (NaN bounds with one seed)
    spread: float  # within-run 90th ÷ 10th percentile of epoch times, median over runs: how steady the machine was


def epoch_cost(history: pd.DataFrame, alpha: float, confidence: float = 0.95) -> CostComparison:
    """Paired comparison of training seconds per epoch, Leaky ReLU(α) ÷ ReLU, over the seeds that have both."""
    needed = {"activation", "alpha", "seed", "epoch", "fit_s"}
    if history.empty or not needed <= set(history.columns):
        raise ValueError(f"history must have the columns {sorted(needed)} of results.history_frame; "
                         f"got {sorted(history.columns)}")
    timed = history.dropna(subset=["fit_s"])
    relu = timed[timed.activation == "relu"]
    leaky = timed[(timed.activation == "leaky_relu")
                  & np.isclose(pd.to_numeric(timed.alpha, errors="coerce").astype(float), alpha)]
    rows, spreads = [], []
    for seed in sorted(set(relu.seed) & set(leaky.seed)):
        a, b = relu[relu.seed == seed], leaky[leaky.seed == seed]
        common = sorted(set(a.epoch) & set(b.epoch))  # the same epochs of both runs
        a, b = a[a.epoch.isin(common)].fit_s, b[b.epoch.isin(common)].fit_s
        rows.append(dict(seed=int(seed), relu_s=float(a.median()), leaky_s=float(b.median()),
                         ratio=float(b.median() / a.median()), epochs=len(common)))
        spreads += [float(np.percentile(t, 90) / np.percentile(t, 10)) for t in (a, b)]
    if not rows:
        raise ValueError(f"no seed has timed runs of both relu and leaky_relu with alpha={alpha}")
    per_seed = pd.DataFrame(rows)
    return CostComparison(per_seed, ratio_ci(per_seed.leaky_s, per_seed.relu_s, confidence),
                          float(np.median(spreads)))


def cost_sentence(cost: CostComparison) -> str:
    """The verdict in words; it follows from the interval and names the ratio (never "within noise" beside an
    interval that excludes 1)."""
    r, n = cost.ratio, cost.ratio.n
    per_epoch = (f"a median epoch took {cost.per_seed.relu_s.median():.1f} s with ReLU and "
                 f"{cost.per_seed.leaky_s.median():.1f} s with Leaky ReLU")
    if n < 2:
        return (f"with one seed, Leaky ReLU's epochs took {r.mean:.2f}× ReLU's ({per_epoch}); one pair gives no "
                "interval")
    ratio = f"Leaky ReLU ÷ ReLU = {r.mean:.2f} (95 % CI {r.low:.2f}–{r.high:.2f}, {n} seeds)"
    if r.low > 1:
        verdict = f"Leaky ReLU trained {100 * (r.mean - 1):.0f} % slower than ReLU per epoch: {ratio}"
    elif r.high < 1:
        verdict = f"Leaky ReLU trained {100 * (1 - r.mean):.0f} % faster than ReLU per epoch: {ratio}"
    else:
        verdict = (f"the {n} seeds cannot tell the two apart: {ratio}, an interval that includes 1 and "
                   f"rules out a gap larger than {100 * max(r.high - 1, 1 - r.low):.0f} % either way on this machine")
    steadiness = (f"; within one run, the slow epochs took {cost.spread:.1f}× as long as the fast ones, a sign "
                  "that other work shared the machine while they trained" if cost.spread > 1.5 else "")
    return f"{verdict} ({per_epoch}{steadiness})"


COST_STUDY = "studies/mnist_seed_replication.yaml"
"""The book's one cost measurement: Chapter 4's ReLU and Leaky ReLU runs, trained back to back, seed by seed."""

COST_SECTION = "ch4-cost"


def training_cost(store=None) -> CostComparison:
    """The book's cost verdict: Leaky ReLU ÷ ReLU training seconds per epoch, Chapter 4's stored runs paired by seed.

    Every chapter that states what Leaky ReLU costs reads it here (Chapter 1's micro-benchmark times the activation
    alone, a curiosity; Chapter 6's family costs compare other variants)."""
    from . import comparison

    study, results = comparison.gather_pairs(COST_STUDY, store)
    return epoch_cost(results.history(), study.alphas[0])


def cost_verdict(cost: CostComparison) -> str:
    """The verdict in a few words for a guide row or a summary: which is cheaper, or neither, and the ratio."""
    r = cost.ratio
    ratio = (f"Leaky ReLU ÷ ReLU seconds per training epoch {r.mean:.2f} "
             + (f"(95 % CI {r.low:.2f}–{r.high:.2f}, {r.n} paired seeds)" if r.n > 1 else "(one seed, no interval)"))
    if r.n > 1 and r.low > 1:
        return f"ReLU is cheaper: {ratio}"
    if r.n > 1 and r.high < 1:
        return f"Leaky ReLU is cheaper: {ratio}"
    return f"no measurable difference: {ratio}"


def decide_cost(cost: CostComparison) -> "decision.Decision":
    """The book's decision procedure on cost (`decision.COST_ENDPOINTS`): the paired log seconds per epoch of each
    seed's Leaky ReLU and ReLU runs; "either" needs the interval within ±10 %, else "not measurable here"."""
    leaky = "Leaky ReLU"
    runs = pd.concat([pd.DataFrame(dict(setting=name, seed=cost.per_seed.seed, metric=np.log(cost.per_seed[column]),
                                        failed=False))
                      for name, column in (("ReLU", "relu_s"), (leaky, "leaky_s"))], ignore_index=True)
    return decision.decide(runs, decision.COST_ENDPOINTS, baseline="ReLU", order=["ReLU", leaky])


def recommend_cost(cost: CostComparison) -> str:
    """The guide's cost verdict: the decision procedure's (`decide_cost`)."""
    return decide_cost(cost).verdict


def guide_evidence(store=None) -> list[dict]:
    """The guide's cost row, from `training_cost`: situation, recommendation, evidence, seeds, section, studies."""
    cost = training_cost(store)
    return [dict(situation="cost in training (the seed CNN on MNIST, ReLU and Leaky ReLU paired by seed)",
                 recommendation=recommend_cost(cost), evidence=cost_verdict(cost), seeds=int(cost.ratio.n),
                 deciding=(f"Leaky ReLU ÷ ReLU seconds per epoch {cost.ratio.mean:.2f} (95 % CI {cost.ratio.low:.2f}–"
                           f"{cost.ratio.high:.2f}, {int(cost.ratio.n)} paired seeds)"),
                 section=COST_SECTION, studies=[COST_STUDY],
                 rule="the book's decision procedure on the paired log seconds per epoch (How the book decides)")]

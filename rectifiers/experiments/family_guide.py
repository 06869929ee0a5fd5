"""Chapter 6's evidence for the book's decision guide: one row per situation, derived from stored runs by a rule.

Rule (the same for every row that compares accuracy): the recommendation is "either" unless a paired interval
over seeds excludes no difference *after a Bonferroni correction for all the variants the chapter compares with
ReLU* (7 on a full study: Leaky ReLU at three slopes, PReLU, ELU, GELU, Swish). A variant whose corrected interval
lies above 0 is recommended (the largest mean gap if several); one whose interval lies below 0 is named to avoid.
The guide's cost row is the book's one cost verdict (`comparison_cost.guide_evidence`, Chapter 4's paired epochs).
Nothing in a recommendation is typed by hand: change the runs and the rows change.
"""

from __future__ import annotations

import pandas as pd

from .family import (DATASET_NAMES, LEAKY, OTHERS, STUDIES, differences_from_relu, gather_family,
                     at_epoch)

SECTIONS = {"fashion": "ch6-fashion", "mnist": "ch6-mnist", "family": "ch6-family"}
RULE = ("'either' unless a paired interval over seeds, Bonferroni-corrected for every variant compared with ReLU, "
        "excludes no difference")


def _fmt_gap(row) -> str:
    corrected = (", survives correction" if row.survives_correction
                 else ", not after correction" if row.acc_low > 0 or row.acc_high < 0 else "")
    return f"{row.variant} {row.acc_gap_pp:+.2f} pp (95 % CI {row.acc_low:+.2f} to {row.acc_high:+.2f}{corrected})"


def recommend(diffs: pd.DataFrame) -> str:
    """The rule of this module on accuracy gaps to ReLU (`family.differences_from_relu` rows of one group)."""
    if diffs.empty:
        return "not measured"
    better = diffs[diffs.acc_low_corrected > 0]
    worse = diffs[diffs.acc_high_corrected < 0]
    if not better.empty:
        return better.sort_values("acc_gap_pp").variant.iloc[-1]
    if not worse.empty and len(worse) == len(diffs):
        return "ReLU"
    if not worse.empty:
        return f"either (avoid {', '.join(worse.variant)})"
    return "either"


def _setting(results) -> str:
    first = results.records[0]["experiment"] if results.records else {}
    n = first.get("n_train")
    pool = first.get("train_pool", {})
    images = (f"{n:,} of {pool['n_images']:,} training images" if pool.get("n_images") and n != pool["n_images"]
              else f"{n:,} training images" if n else "")
    if pool.get("is_sample"):
        images += " (an offline sample)"
    return f"{DATASET_NAMES[results.dataset]}, seed CNN, {images}, epoch {results.epoch}"


def guide_evidence(store=None) -> list[dict]:
    """One dict per situation Chapter 6 speaks to: situation, recommendation, evidence, seeds, section, studies."""
    rows, diffs, results = [], {}, {}
    for dataset in STUDIES:
        results[dataset] = gather_family(dataset, store)
        snaps = results[dataset].snapshots()
        try:
            diffs[dataset] = differences_from_relu(at_epoch(snaps, results[dataset].epoch))
        except (ValueError, AttributeError):
            diffs[dataset] = pd.DataFrame()

    def row(situation, section, dataset, chosen, recommendation, evidence, extra_studies=()):
        seeds = int(chosen.n_seeds.min()) if not chosen.empty else 0
        return dict(situation=situation, recommendation=recommendation, evidence=evidence, seeds=seeds,
                    section=SECTIONS[section], studies=list(STUDIES[dataset]) + list(extra_studies),
                    rule=RULE)

    for dataset, situation, section in (
            ("fashion_mnist", "harder data (Fashion-MNIST), seed CNN", "fashion"),
            ("mnist", "easy data (MNIST), seed CNN, at 10 epochs", "mnist")):
        d = diffs[dataset]
        leaky = d[d.activation == LEAKY] if not d.empty else d
        evidence = (f"{_setting(results[dataset])}, test accuracy minus ReLU's over {int(leaky.n_seeds.min())} "
                    f"paired seeds: " + "; ".join(_fmt_gap(r) for r in leaky.itertuples()) + "."
                    if not leaky.empty else f"No stored pairs of ReLU and Leaky ReLU runs for {situation}.")
        rows.append(row(situation, section, dataset, leaky, recommend(leaky), evidence))

    d = diffs["fashion_mnist"]
    others = d[d.activation.isin(OTHERS)] if not d.empty else d
    mnist = diffs["mnist"]
    mnist_others = mnist[mnist.activation.isin(OTHERS)] if not mnist.empty else mnist
    evidence = (f"{_setting(results['fashion_mnist'])}: " + "; ".join(_fmt_gap(r) for r in others.itertuples())
                + (f". On MNIST at epoch {results['mnist'].epoch}: "
                   + "; ".join(_fmt_gap(r) for r in mnist_others.itertuples()) if not mnist_others.empty else "")
                + "." if not others.empty else "No stored runs of PReLU, ELU, GELU or Swish.")
    rows.append(row("the rest of the family (PReLU, ELU, GELU, Swish)", "family", "fashion_mnist", others,
                    recommend(others), evidence, STUDIES["mnist"]))

    return rows

"""Chapter 6's evidence for the book's decision guide: one row per situation, its verdict from the stored runs by the
book's one decision procedure (`rectifiers.decision`, through `rectifier_family.decide_final`).

Each dataset is one situation: every variant the chapter compares with ReLU (Leaky ReLU at three slopes, PReLU, ELU,
GELU, Swish) is in one Holm family; a guide row speaks of some of them ("harder data": the Leaky ReLU slopes; "the
rest of the family": the others). Cost is the paired ratio of training seconds per epoch; with no difference shown
and an interval wider than ±10 % the verdict is "not measurable here". Nothing is typed by hand.
The guide's cost row is the book's one cost verdict (`comparison_cost.guide_evidence`, Chapter 4's paired epochs).
"""

from __future__ import annotations

import pandas as pd

from .. import decision_numbers
from .rectifier_family import (DATASET_NAMES, ENDPOINTS, LEAKY, OTHERS, STUDIES, at_epoch, decide_final, differences_from_relu,
                     gather_family, variant_order)

SECTIONS = {"fashion": "ch6-fashion", "mnist": "ch6-mnist", "family": "ch6-family"}
RULE = "the book's decision procedure (How the book decides)"


def _fmt_gap(row) -> str:
    return (f"{row.variant} {row.acc_gap_pp:+.2f} pp (95 % CI {row.acc_low:+.2f} to {row.acc_high:+.2f}, Holm p = "
            f"{row.p_holm:.2f})")


def judge(final: pd.DataFrame, activations):
    """The decision procedure on one dataset's runs (`rectifier_family.at_epoch`), speaking of the variants whose activation is
    in `activations` (Holm over every variant of the dataset); None when none of them was measured."""
    if final is None or final.empty:
        return None
    among = [v for v in variant_order(final) if final[final.variant == v].activation.iloc[0] in activations]
    return decide_final(final, among=among) if among else None


def recommend(final: pd.DataFrame, activations) -> str:
    """The verdict of `judge`, or "not measured"."""
    judged = judge(final, activations)
    return judged.verdict if judged is not None else "not measured"


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
    rows, diffs, results, finals = [], {}, {}, {}
    for dataset in STUDIES:
        results[dataset] = gather_family(dataset, store)
        snaps = results[dataset].snapshots()
        try:
            finals[dataset] = at_epoch(snaps, results[dataset].epoch)
            diffs[dataset] = differences_from_relu(finals[dataset])
        except (ValueError, AttributeError):
            finals[dataset], diffs[dataset] = None, pd.DataFrame()

    def row(situation, section, dataset, chosen, judged, evidence, extra_studies=(), endpoints=ENDPOINTS):
        seeds = int(chosen.n_seeds.min()) if not chosen.empty else 0
        return dict(situation=situation, recommendation=judged.verdict if judged else "not measured",
                    evidence=evidence, seeds=seeds, section=SECTIONS[section],
                    studies=list(STUDIES[dataset]) + list(extra_studies), rule=RULE,
                    numbers=decision_numbers.numbers(judged, endpoints) if judged else None)

    for dataset, situation, section in (
            ("fashion_mnist", "harder data (Fashion-MNIST), seed CNN", "fashion"),
            ("mnist", "easy data (MNIST), seed CNN, at 10 epochs", "mnist")):
        d = diffs[dataset]
        leaky = d[d.activation == LEAKY] if not d.empty else d
        evidence = (f"{_setting(results[dataset])}, test accuracy minus ReLU's over {int(leaky.n_seeds.min())} "
                    f"paired seeds: " + "; ".join(_fmt_gap(r) for r in leaky.itertuples()) + "."
                    if not leaky.empty else f"No stored pairs of ReLU and Leaky ReLU runs for {situation}.")
        rows.append(row(situation, section, dataset, leaky, judge(finals[dataset], [LEAKY]), evidence))

    d = diffs["fashion_mnist"]
    others = d[d.activation.isin(OTHERS)] if not d.empty else d
    mnist = diffs["mnist"]
    mnist_others = mnist[mnist.activation.isin(OTHERS)] if not mnist.empty else mnist
    evidence = (f"{_setting(results['fashion_mnist'])}: " + "; ".join(_fmt_gap(r) for r in others.itertuples())
                + (f". On MNIST at epoch {results['mnist'].epoch}: "
                   + "; ".join(_fmt_gap(r) for r in mnist_others.itertuples()) if not mnist_others.empty else "")
                + "." if not others.empty else "No stored runs of PReLU, ELU, GELU or Swish.")
    rows.append(row("the rest of the family (PReLU, ELU, GELU, Swish)", "family", "fashion_mnist", others,
                    judge(finals["fashion_mnist"], OTHERS), evidence, STUDIES["mnist"]))

    return rows

"""Chapter 8, "a CNN with BatchNorm on harder data": the seed CNN with BatchNorm after each convolution (before the
activation) on Fashion-MNIST, trained with the data, seeds, optimiser and budget of Chapter 6's plain CNN on the same
data (`rectifier_family.STUDIES["fashion_mnist"]`).

A seed gives the BatchNorm run the plain run's convolution kernels and batch order, so each BatchNorm run pairs with
the plain run of its seed and activation. Both networks are judged alike: each activation against ReLU, paired over
seeds, by the book's one decision procedure with Holm's correction over the network's own variants (the plain CNN's
verdicts are Chapter 6's, over its seven). This module adds the effect of BatchNorm itself (BatchNorm minus plain,
per activation, paired), the plateau of the short training and the guide's row.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from .. import decision_numbers
from ..stats import mean_ci
from . import family_guide, family_report, modern_networks, rectifier_family
from .outcomes import budget
from .rectifier_family import ENDPOINTS, differences_from_relu

KEY = "fashion_bncnn"
STUDIES = {KEY: ("studies/ch8_fashion_bncnn.yaml", "studies/ch8_fashion_bncnn_prelu.yaml")}
"""The BatchNorm CNN's studies (Leaky ReLU's slopes and GELU, then PReLU), as `rectifier_family.chapter_studies`
reads a registry."""
PLAIN = "fashion_mnist"
"""Chapter 6's dataset key of the plain CNN's studies on the same data."""

SECTION = "ch8-fashion"
SITUATION = "a CNN with BatchNorm on harder data (Fashion-MNIST)"
MIN_PLATEAU_WINDOW = 3
"""The plateau compares the last quarter of the epochs with the quarter before (`modern_networks.plateau`), but never
fewer than 3 epochs each: a seed median of one or two epochs of a BatchNorm network's test accuracy is noisy (ten
epochs: 8–10 against 5–7; twenty: 16–20 against 11–15)."""
NAMES = {KEY: "BatchNorm", PLAIN: "plain CNN"}
"""Panel titles of the side-by-side figure: short, so that two panels beside PReLU's long label fit a phone (390 px)."""


def gather(store=None, *, train: bool = False, **overrides) -> dict:
    """{"fashion_bncnn": the BatchNorm CNN's runs, "fashion_mnist": Chapter 6's plain CNN's}, each a
    `rectifier_family.FamilyResults` read at its last epoch. `overrides` (seeds, activations, alphas) apply to the
    BatchNorm studies; the plain CNN's are read as Chapter 6 reads them."""
    studies = rectifier_family.chapter_studies(KEY, STUDIES, **overrides)
    return {KEY: rectifier_family.gather_family(KEY, store, train=train, studies=studies, registry=STUDIES),
            PLAIN: rectifier_family.gather_family(PLAIN, store)}


def plateau_window(last_epoch: int) -> int:
    """The epochs each plateau window spans for a training of `last_epoch` epochs (`MIN_PLATEAU_WINDOW`)."""
    return max(MIN_PLATEAU_WINDOW, last_epoch // modern_networks.PLATEAU_SHARE)


def finals_and_differences(results: dict) -> tuple[dict, dict]:
    """Per network: its runs at the epoch read (each its own last) and their paired differences from ReLU (None
    where not stored)."""
    both = {name: modern_networks.final_and_differences(r) for name, r in results.items()}
    return {name: f for name, (f, _) in both.items()}, {name: d for name, (_, d) in both.items()}


def at_plain_budget(results: dict) -> tuple[dict, dict]:
    """Both networks at the plain CNN's epoch (its budget), for setting them side by side: the BatchNorm CNN may train
    longer, to its own plateau, and is judged there (`finals_and_differences`); here it is read at the plain CNN's
    epoch, and its differences from ReLU are judged again there (Holm over its own variants)."""
    finals, diffs = finals_and_differences({PLAIN: results[PLAIN]})
    final, diff = modern_networks.final_and_differences(dataclasses.replace(results[KEY], epoch=results[PLAIN].epoch))
    return {**finals, KEY: final}, {**diffs, KEY: diff}


def budgets_sentence(results: dict) -> str:
    """At which epoch each comparison reads the BatchNorm CNN: its own last epoch, and the plain CNN's budget when
    it trains longer."""
    normalised, plain = results[KEY].epoch, results[PLAIN].epoch
    if normalised == plain:
        return f"Both networks train {plain} epochs and are compared at epoch {plain}"
    return (f"The BatchNorm runs train {normalised} epochs, for their own plateau, and are judged against ReLU at "
            f"epoch {normalised}; set beside the plain CNN (the figure, the verdicts that change and what BatchNorm itself "
            f"did) they are read at epoch {plain}, the plain CNN's budget")


def shared_variants(diffs: dict) -> dict:
    """Each network's differences restricted to the variants both networks have (the plain CNN's Holm verdicts are
    kept as Chapter 6 computed them); {} unless both are stored."""
    if any(diffs.get(k) is None for k in (PLAIN, KEY)):
        return {}
    both = set(diffs[PLAIN].variant) & set(diffs[KEY].variant)
    return {NAMES[k]: diffs[k][diffs[k].variant.isin(both)].reset_index(drop=True) for k in (PLAIN, KEY)}


def batchnorm_effect(finals: dict) -> pd.DataFrame:
    """Per variant both networks have: the plain and the BatchNorm CNN's mean test accuracy and the paired difference
    BatchNorm minus plain over the seeds both have (percentage points, 95 % t interval)."""
    plain, normalised = finals.get(PLAIN), finals.get(KEY)
    if plain is None or normalised is None:
        return pd.DataFrame()
    rows = []
    for name in rectifier_family.variant_order(normalised):
        a, b = (f[f.variant == name].set_index("seed").test_accuracy for f in (plain, normalised))
        seeds = sorted(set(a.index) & set(b.index))
        if len(seeds) < 2:
            continue
        gain = mean_ci(100 * (b[seeds] - a[seeds]))
        rows.append(dict(variant=name, seeds=len(seeds), plain=float(a[seeds].mean()), batchnorm=float(b[seeds].mean()),
                         gain_pp=gain.mean, gain_low=gain.low, gain_high=gain.high))
    return pd.DataFrame(rows)


def effect_for_reading(effect: pd.DataFrame) -> pd.DataFrame:
    """`batchnorm_effect` as the chapter shows it, narrow enough for a phone."""
    pp = family_report._pp
    return pd.DataFrame({
        "variant": effect.variant, "seeds": effect.seeds,
        "test acc. plain → BN": [f"{a:.4f} → {b:.4f}" for a, b in zip(effect.plain, effect.batchnorm)],
        "BN − plain (pp, 95 % CI)": [f"{pp(m)} ({pp(lo)} to {pp(hi)})"
                                     for m, lo, hi in zip(effect.gain_pp, effect.gain_low, effect.gain_high)]})


def effect_sentence(effect: pd.DataFrame) -> str:
    """What BatchNorm did to each activation's accuracy, e.g. "BatchNorm raised every activation's test accuracy, by
    +0.52 pp (ReLU) to +0.81 pp (GELU); each 95 % interval excludes no change"."""
    if effect.empty:
        return family_report.MISSING
    pp = family_report._pp
    relu = effect.iloc[0]
    low, high = effect.loc[effect.gain_pp.idxmin()], effect.loc[effect.gain_pp.idxmax()]
    above = int((effect.gain_low > 0).sum())
    below = int((effect.gain_high < 0).sum())
    sides = (f"the 95 % interval is above zero for {above} of {len(effect)} activations"
             + (f" and below zero for {below}" if below else ""))
    return (f"with BatchNorm, ReLU's mean test accuracy went from {relu.plain:.4f} to {relu.batchnorm:.4f} "
            f"({pp(relu.gain_pp)} pp, 95 % CI {pp(relu.gain_low)} to {pp(relu.gain_high)}, paired over "
            f"{relu.seeds} seeds); across the activations the change ran from {pp(low.gain_pp)} pp ({low.variant}) to "
            f"{pp(high.gain_pp)} pp ({high.variant}), and {sides}")


def setup_sentence(results) -> str:
    """The BatchNorm CNN's data and budget as its stored records say: images, seeds, optimiser, epochs and steps."""
    records = results.records
    if not records:  # not trained yet: what its study file asks
        configs = results.parts[0].plan.study.configs()
        c = configs[0]
        return (f"{c.n_train:,} training images, {c.n_test:,} test images, {len({x.seed for x in configs})} seeds, "
                f"{c.optimizer.capitalize()} at learning rate {c.learning_rate:g}, batch {c.batch_size}, "
                f"{c.last_epoch} epochs, as its study file {STUDIES[KEY][0]} asks (not trained yet)")
    config, spent = records[0]["config"], budget(records[0])
    return (f"{family_report.scale_sentence(results)}; {config['optimizer'].capitalize()} at learning rate "
            f"{config['learning_rate']:g}, batch {config['batch_size']}, {spent['epochs']} epochs = {spent['steps']:,} "
            "steps")


def change_sentence(diffs: dict) -> str:
    """Which shared variant's verdict against ReLU differs between the plain and the BatchNorm CNN."""
    shared = shared_variants(diffs)
    if not shared:
        return family_report.MISSING
    plain, normalised = (d.set_index("variant") for d in shared.values())
    changed = [v for v in normalised.index if plain.verdict[v] != normalised.verdict[v]]
    if not changed:
        return "no activation's verdict against ReLU changes when BatchNorm is added"
    return "; ".join(f"{v}: {plain.verdict[v]} without BatchNorm (Holm p = {plain.p_holm[v]:.2f}), "
                     f"{normalised.verdict[v]} with it (Holm p = {normalised.p_holm[v]:.2f})" for v in changed)


def plateau_sentence(history: pd.DataFrame) -> str:
    """Whether the BatchNorm CNN's seed medians levelled off over its last epochs (`modern_networks.plateau`)."""
    if history is None or history.empty:
        return family_report.MISSING
    table = modern_networks.plateau(history, window=plateau_window(int(history.epoch.max())))
    if table.empty:
        return family_report.MISSING
    caveat = ("" if table.converged.all() else f", so the verdicts above are those of this budget "
              f"({table.attrs['last']} epochs), not of networks trained to a plateau")
    return f"over {modern_networks.windows_text(table)}, {modern_networks.plateau_state(table)}{caveat}"


def _records(store):
    """Every run of both BatchNorm studies, or FileNotFoundError naming the study to train."""
    from ..engine.stored_studies import study_records

    main, prelu = STUDIES[KEY]
    records = study_records(main, store)
    try:
        return records + study_records(prelu, store), [main, prelu]
    except FileNotFoundError:
        return records, [main]


def guide_evidence(store=None) -> list[dict]:
    """The guide's row: the decision procedure over every activation of the BatchNorm CNN against ReLU (Holm over
    them), with the plain CNN's verdicts of Chapter 6 as context. FileNotFoundError naming the study to train while
    the runs of `ch8_fashion_bncnn.yaml` are not all stored."""
    from ..engine import ResultsStore

    store = store if store is not None else ResultsStore()
    records, studies = _records(store)
    final = rectifier_family.at_last_epoch(records)
    diffs = differences_from_relu(final)
    judged = family_guide.judge(final, set(final.activation) - {"relu"})
    spent = budget(records[0])
    plain_results = rectifier_family.gather_family(PLAIN, store)
    plain = finals_and_differences({PLAIN: plain_results})[1][PLAIN]
    same = "the same seeds and budget" if plain_results.epoch == spent["epochs"] else (
        f"the same seeds, epoch {plain_results.epoch}")
    context = ("" if plain is None else f" Without BatchNorm (Chapter 6, {same}): "
               + "; ".join(f"{r.variant} {r.verdict}" for r in plain[plain.variant.isin(set(diffs.variant))].itertuples()))
    evidence = (f"Fashion-MNIST, seed CNN with BatchNorm, {spent['n_train']:,} training images, epoch {spent['epochs']} "
                f"({spent['steps']:,} steps), test accuracy minus ReLU's over {int(diffs.n_seeds.min())} paired seeds: "
                + "; ".join(f"{family_report.gap_text(r)}, Holm p = {r.p_holm:.2f}" for r in diffs.itertuples())
                + "." + (context + "." if context else "") + " "
                + modern_networks.plateau_evidence(records, window=plateau_window(spent["epochs"]))).rstrip()
    return [dict(situation=SITUATION, recommendation=judged.verdict, evidence=evidence,
                 seeds=int(diffs.n_seeds.min()), section=SECTION, studies=studies, rule=family_guide.RULE,
                 numbers=decision_numbers.numbers(judged, ENDPOINTS))]

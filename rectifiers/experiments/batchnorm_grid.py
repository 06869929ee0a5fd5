"""Chapter 8, "does BatchNorm remove Leaky ReLU's advantage at high learning rates?": Chapter 5's learning-rate grid
of the seed CNN trained to the end, repeated with BatchNorm after each convolution (before the activation).

Per optimiser, four study files: the plain CNN's two (Chapter 5's long grid: ReLU and Leaky ReLU, then PReLU) and the
BatchNorm CNN's two, with the same data, learning rates, seeds and budget. A seed gives the BatchNorm run the plain
run's convolution kernels and batch order, so every BatchNorm run pairs with the plain run of its seed, rate and
activation. Both models are read with Chapter 5's machinery (`learning_rates.frame`): each model's failure bar comes
from its own runs at its lowest rate, and each (model, optimiser, learning rate) gets the book's one decision procedure
over its activations. This module sets the two models side by side and gives the guide its BatchNorm rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..stats import mean_ci, percent_interval, signed, wilson_interval
from . import learning_rates

OPTIMIZERS = ("adam", "sgd")
PLAIN, NORMALISED = "seed_cnn", "seed_cnn_bn"
STUDIES = {optimizer: {PLAIN: (f"studies/ch5_lr_cnn_{optimizer}_long.yaml",
                               f"studies/ch5_lr_prelu_cnn_{optimizer}_long.yaml"),
                       NORMALISED: (f"studies/ch8_lr_bncnn_{optimizer}.yaml",
                                    f"studies/ch8_lr_bncnn_prelu_{optimizer}.yaml")}
           for optimizer in OPTIMIZERS}
"""optimiser → model → its studies (ReLU and Leaky ReLU, then PReLU): the plain CNN's are Chapter 5's long grid."""

SECTION = "ch8-batchnorm"
SITUATION = "a CNN with BatchNorm"
"""The start of the guide's BatchNorm rows (`guide.SOURCES`)."""


def study_paths(optimizer: str) -> list[str]:
    """The four study files of one optimiser: the plain CNN's two, then the BatchNorm CNN's two."""
    if optimizer not in STUDIES:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {optimizer!r}")
    return [path for model in (PLAIN, NORMALISED) for path in STUDIES[optimizer][model]]


def stored(store=None, optimizers=OPTIMIZERS) -> dict[str, list[dict]]:
    """optimiser → the records of its studies, for every optimiser whose plain grid (both studies) and BatchNorm grid
    of ReLU and Leaky ReLU are stored to their last epoch; the BatchNorm PReLU study joins once it is stored too (the
    plain CNN's PReLU runs are Chapter 5's, read either way). An optimiser with any other run missing is left out:
    the chapter says which studies to train (`open_text`)."""
    from ..engine import ResultsStore
    from ..engine.stored_studies import study_records

    store = store if store is not None else ResultsStore()
    out = {}
    for optimizer in optimizers:
        *required, optional = study_paths(optimizer)
        try:
            out[optimizer] = [r for path in required for r in study_records(path, store)]
        except FileNotFoundError:
            continue
        try:
            out[optimizer] += study_records(optional, store)
        except FileNotFoundError:
            pass
    return out


def open_text(have: dict, store=None) -> str:
    """What of the grid is not shown yet, given `stored`'s result: per optimiser left out (or shown without PReLU
    with BatchNorm), its studies not stored and the command that trains them; "" when everything is shown."""
    parts = []
    for optimizer in OPTIMIZERS:
        if optimizer in have and _with_normalised_prelu(have[optimizer]):
            continue
        name = learning_rates.OPTIMIZER_NAMES[optimizer]
        if optimizer in have:  # its required studies are stored: only PReLU with BatchNorm is not
            what, waiting = f"PReLU with BatchNorm and {name}", study_paths(optimizer)[-1:]
        else:
            what, waiting = f"the grid with {name}", [p for p in study_paths(optimizer) if not _is_stored(p, store)]
        parts.append(f"{what} is not stored yet (train {', '.join(waiting)} with python -m rectifiers study FILE)")
    text = "; ".join(parts)
    return f"{text[:1].upper()}{text[1:]}." if parts else ""


def read_studies(optimizer: str, records) -> list[str]:
    """The study files behind `stored`'s records of one optimiser: its three required ones, and PReLU with BatchNorm
    when its runs are among them."""
    paths = study_paths(optimizer)
    return paths if _with_normalised_prelu(records) else paths[:-1]


def _with_normalised_prelu(records) -> bool:
    return any(r["config"]["model"] == NORMALISED and r["config"]["activation"] == "prelu" for r in records)


def _is_stored(path: str, store) -> bool:
    from ..engine.stored_studies import study_records

    try:
        study_records(path, store)
    except FileNotFoundError:
        return False
    return True


def _every_seed(runs: pd.DataFrame) -> pd.Series:
    """Each run's final test accuracy, a diverged run (no accuracy) counted with the worst final accuracy of its
    (model, optimiser, learning rate), as the decision procedure counts it."""
    worst = runs.groupby(["model", "optimizer", "learning_rate"]).test_accuracy.transform("min")
    return runs.test_accuracy.fillna(worst).fillna(0.0)


def side_by_side(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (optimiser, learning rate, setting): failures of the plain and the BatchNorm CNN with Wilson
    intervals, their dead shares, their mean test accuracy over every seed (95 % t interval), and the paired
    difference BatchNorm minus plain over the seeds both have (mean and 95 % t interval)."""
    runs = runs.assign(every_seed=_every_seed(runs))
    rows = []
    for (optimizer, lr, name), cell in runs.groupby(["optimizer", "learning_rate", "setting"]):
        plain, normalised = (cell[cell.model == m].set_index("seed") for m in (PLAIN, NORMALISED))
        if plain.empty or normalised.empty:
            continue
        row = {"optimizer": optimizer, "learning_rate": lr, "setting": name}
        for side, part in (("plain", plain), ("bn", normalised)):
            rate = wilson_interval(int(part.failed.sum()), len(part))
            dead, accuracy = part.dead.dropna(), mean_ci(part.every_seed)
            row.update({f"{side}_failed": rate.k, f"{side}_runs": len(part), f"{side}_rate": rate.rate,
                        f"{side}_low": rate.low, f"{side}_high": rate.high,
                        f"{side}_dead": float(dead.mean()) if len(dead) else math.nan,
                        f"{side}_accuracy": accuracy.mean, f"{side}_accuracy_low": accuracy.low,
                        f"{side}_accuracy_high": accuracy.high})
        both = plain.index.intersection(normalised.index)
        gap = (normalised.every_seed[both] - plain.every_seed[both]) if len(both) >= 2 else None
        estimate = mean_ci(gap) if gap is not None else None
        row.update({"paired_seeds": len(both), "gain": estimate.mean if estimate else math.nan,
                    "gain_low": estimate.low if estimate else math.nan,
                    "gain_high": estimate.high if estimate else math.nan})
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.assign(_rank=out.setting.map(learning_rates.setting_rank)).sort_values(
        ["optimizer", "learning_rate", "_rank"], ascending=[True, False, True]).drop(columns="_rank").reset_index(drop=True)


def reader_table(side: pd.DataFrame) -> pd.DataFrame:
    """`side_by_side` as the chapter shows it, narrow enough for a phone."""
    return pd.DataFrame([{
        "cell": f"{learning_rates.OPTIMIZER_NAMES[r.optimizer].replace('plain ', '')} {r.learning_rate:g}",
        "setting": learning_rates.short_setting(r.setting),
        "failed, plain": f"{r.plain_failed} of {r.plain_runs} [{percent_interval(r.plain_low, r.plain_high)}]",
        "failed, BatchNorm": f"{r.bn_failed} of {r.bn_runs} [{percent_interval(r.bn_low, r.bn_high)}]",
        "test acc. plain → BN": f"{r.plain_accuracy:.3f} → {r.bn_accuracy:.3f}",
        "BN − plain, paired": (f"{signed(r.gain)} [{signed(r.gain_low)}, {signed(r.gain_high)}]"
                               if r.paired_seeds >= 2 else "—"),
        "dead plain → BN": f"{r.plain_dead:.0%} → {r.bn_dead:.0%}" if np.isfinite(r.bn_dead) else "—"}
        for r in side.itertuples()])


def story(side: pd.DataFrame, judged: pd.DataFrame) -> str:
    """Per (optimiser, learning rate), one sentence: ReLU's failures and the verdict without and with BatchNorm, e.g.
    "Adam at 0.05: without BatchNorm ReLU failed in 7 of 10 runs (…) and the verdict is “prefer …”; with BatchNorm
    ReLU failed in 0 of 10 runs (…), no setting failed, and the verdict is “either”."."""
    if side.empty:
        return "No optimiser has both its plain and its BatchNorm grid stored."
    parts = []
    for (optimizer, lr), cell in side.groupby(["optimizer", "learning_rate"], sort=False):
        relu = cell[cell.setting == "ReLU"].iloc[0]
        verdict = {m: judged[(judged.model == m) & (judged.optimizer == optimizer)
                             & (judged.learning_rate == lr)].recommendation.iloc[0] for m in (PLAIN, NORMALISED)}
        worst = cell.loc[cell.bn_rate.idxmax()]
        others = ("no setting failed" if worst.bn_failed == 0 else
                  f"at most {worst.bn_failed} of {worst.bn_runs} failed ({worst.setting})")
        parts.append(
            f"{_capital(learning_rates.OPTIMIZER_NAMES[optimizer])} at {lr:g}: without BatchNorm ReLU failed in "
            f"{wilson_interval(int(relu.plain_failed), int(relu.plain_runs)).text().replace(' (', ' runs (', 1)} and the "
            f"verdict is “{verdict[PLAIN]}”; with BatchNorm ReLU failed in "
            f"{wilson_interval(int(relu.bn_failed), int(relu.bn_runs)).text().replace(' (', ' runs (', 1)}, {others}, "
            f"and the verdict is “{verdict[NORMALISED]}”")
    return ". ".join(parts) + "."


def _capital(words: str) -> str:
    """A name at the start of a sentence ("plain SGD" -> "Plain SGD")."""
    return words[:1].upper() + words[1:]


def answer(side: pd.DataFrame, judged: pd.DataFrame) -> str:
    """The section's question answered from the grid, before the cell-by-cell `story`: in each cell where ReLU failed
    in some run (with or without BatchNorm), whether BatchNorm removed those failures and how the verdict moved; the
    cells where no ReLU run failed either way are named together. Its first words say "yes", "no" or "not always"
    from those cells alone."""
    if side.empty:
        return ""
    removed, kept, calm = [], [], []
    for (optimizer, lr), cell in side.groupby(["optimizer", "learning_rate"], sort=False):
        where = f"with {learning_rates.OPTIMIZER_NAMES[optimizer]} at {lr:g}"
        relu = cell[cell.setting == "ReLU"].iloc[0]
        if relu.plain_failed == 0 and relu.bn_failed == 0:
            calm.append(where)
            continue
        verdict = {m: judged[(judged.model == m) & (judged.optimizer == optimizer)
                             & (judged.learning_rate == lr)].recommendation.iloc[0] for m in (PLAIN, NORMALISED)}
        moved = (f"the verdict stayed “{verdict[PLAIN]}”" if verdict[PLAIN] == verdict[NORMALISED] else
                 f"the verdict went from “{verdict[PLAIN]}” to “{verdict[NORMALISED]}”")
        relu_counts = (f"ReLU failed in {relu.plain_failed} of {relu.plain_runs} runs without BatchNorm and "
                       f"{relu.bn_failed} of {relu.bn_runs} with it")
        if relu.bn_failed == 0:
            removed.append(f"{where} it did ({relu_counts}), and {moved}")
            continue
        others = cell[cell.setting != "ReLU"]
        best = others.loc[others.bn_rate.idxmin()] if len(others) else None
        spared = (f"; {best.setting} failed in {best.bn_failed} of {best.bn_runs} with BatchNorm "
                  f"and {best.plain_failed} of {best.plain_runs} without" if best is not None else "")
        kept.append(f"{where} it did not ({relu_counts}{spared}), and {moved}")
    if not removed and not kept:
        return f"No ReLU run failed with or without BatchNorm ({', '.join(calm)}): there was nothing to remove."
    opening = "Yes" if not kept else "No" if not removed else "Not always"
    told = "; ".join(removed + kept)
    calm_text = " and ".join(calm)
    rest = f" {_capital(calm_text)} no ReLU run failed with or without BatchNorm." if calm else ""
    return f"{opening}. {_capital(told)}.{rest}"


def guide_evidence(store=None) -> list[dict]:
    """The guide's BatchNorm rows: one per (optimiser, learning rate) that `stored` reads, the verdict of the decision
    procedure over the BatchNorm CNN's activations, with the plain CNN's failures of the same cell as context; each
    row names the studies it read. FileNotFoundError naming the studies to train when no optimiser is stored."""
    have = stored(store)
    if not have:
        raise FileNotFoundError(
            f"the BatchNorm learning-rate grid is not stored yet ({', '.join(STUDIES['adam'][NORMALISED])});\n"
            f"train it with: python -m rectifiers study {STUDIES['adam'][NORMALISED][0]}")
    rows = []
    for optimizer, records in have.items():
        runs = learning_rates.frame(records)
        judged = learning_rates.verdicts(runs)
        side = side_by_side(runs)
        normalised = runs[runs.model == NORMALISED]
        for v in judged[judged.model == NORMALISED].itertuples():
            cell = side[(side.optimizer == optimizer) & (side.learning_rate == v.learning_rate)]
            relu = cell[cell.setting == "ReLU"].iloc[0]
            plain = judged[(judged.model == PLAIN) & (judged.learning_rate == v.learning_rate)].recommendation.iloc[0]
            rows.append({
                "situation": f"{SITUATION}, learning rate {v.learning_rate:g}, {learning_rates.OPTIMIZER_NAMES[optimizer]} "
                             f"(MNIST, {learning_rates.budget_text(normalised)})",
                "recommendation": v.recommendation, "category": v.category, "numbers": v.numbers,
                "optimizer": optimizer, "seeds": v.seeds, "section": SECTION,
                "studies": read_studies(optimizer, records),
                "evidence": f"{v.evidence} Without BatchNorm, the same seeds: ReLU failed in {relu.plain_failed} of "
                            f"{relu.plain_runs} runs, verdict “{plain}”."})
    return rows

"""Chapter 5.1's words: the sentences and glued numbers of each GAN regime, computed from its records by
`rectifiers.experiments.gan` (the studies, the failure rule, the tables and the decision)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import wilson_interval
from .gan import (LEVELLED, REGIMES, RULE, budget, budget_text, convergence, discriminator_strength, failed,
                  final_table, final_table_for_reading, fmt, gan_decision, gaps_over_training, paired_differences,
                  recommendation, settings, stored_count, study)


def chapter_values(regime: str, records, the_study=None, store=None) -> dict:
    """What the chapter glues for one regime (`gan_<regime>_...`): `verdict_values`, and the section's sentences
    (`setup`, `convergence`, `verdict`, `dynamics`, `conclusion`). Without records (`None`: the regime's runs are
    not all stored), the setup says how far its training has got and how to finish it, and the others are empty, so
    the section reads as "not trained yet", never as a number."""
    prefix, words = f"gan_{regime}", REGIMES[regime]
    if records is None:
        the_study = the_study if the_study is not None else study(regime)
        done, total = stored_count(the_study, store)
        how = (f"`python -m rectifiers study {words.study}` (it resumes where training stopped)"
               if the_study.source == words.study else "this chapter's train mode (`mode=\"train\"`)")
        return {f"{prefix}_setup": f"The runs of this regime are not all stored yet ({done} of {total}), so it has no "
                                   f"verdict; train them with {how}.",
                **{f"{prefix}_{k}": "" for k in ("convergence", "verdict", "dynamics", "conclusion")}}
    values = verdict_values(records, prefix)
    v = lambda name: values[f"{prefix}_{name}"]  # noqa: E731
    values.update({
        f"{prefix}_setup": (f"{words.training[0].upper()}{words.training[1:]}: {v('seeds')} paired seeds per "
                            f"discriminator, {v('budget')} of each network in batches of {v('batch')}; the Fréchet "
                            f"distance compares with {v('n_test'):,} real test digits."),
        f"{prefix}_convergence": f"Did the samples level off? {v('convergence')}",
        f"{prefix}_verdict": " ".join(x for x in (v("verdict"), v("slope")) if x),
        f"{prefix}_dynamics": " ".join(x for x in (v("gaps"), v("strength")) if x),
        f"{prefix}_conclusion": (none_failed_sentence(records) + f"{v('folk_wisdom')} For the decision guide, the "
                                 f"book's decision procedure gives: {v('recommendation')}."),
    })
    return values


def none_failed_sentence(records) -> str:
    """When no run of a regime failed, that the failure counts could not separate the activations (with a space after
    it); '' otherwise."""
    if any(failed(r) for r in records):
        return ""
    return (f"No run of this regime failed (0 of {len(records)}): the failure counts cannot tell the activations "
            "apart, and the verdict rests on the Fréchet distance. ")


def summary_table(found: dict) -> pd.DataFrame:
    """Every stored regime's `final_table_for_reading`, one block of rows per regime, with its verdict."""
    frames = []
    for regime, records in found.items():
        frame = final_table_for_reading(records)
        frame.insert(0, "regime", REGIMES[regime].name)
        frame["verdict (decision procedure)"] = [recommendation(records)[0]] + [""] * (len(frame) - 1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def convergence_text(numbers: dict) -> str:
    """`convergence` in a sentence."""
    if not numbers:
        return "These runs have fewer than three snapshot epochs: the book cannot say whether they levelled off."
    a, b, c = numbers["epochs"]
    share = numbers["still_falling"]
    return (f"Of the {numbers['runs']} runs that did not fail, the median Fréchet distance changed by "
            f"{fmt(numbers['median_before'], '+.2f')} from epoch {a} to {b} and by "
            f"{fmt(numbers['median_last'], '+.2f')} from epoch {b} to {c} (median at epoch {c}: "
            f"{fmt(numbers['median_final'])}); it still fell over the last {c - b} epochs in {100 * share:.0f} % of "
            "them. "
            + ("The samples had levelled off: the last change is within a tenth of the distance."
               if abs(numbers["median_last"]) <= LEVELLED * numbers["median_final"] else
               "The samples were still improving: a final distance is a point on a falling curve, and the verdict "
               "compares the settings at the same point." if numbers["median_last"] < 0 else
               "The samples were getting worse at the end: the late instability GANs are known for."))


def verdict_values(records, prefix: str = "gan") -> dict:
    """The numbers the chapter glues for one regime, by name (`<prefix>_...`)."""
    table = final_table(records).set_index("setting")
    diffs = paired_differences(records)
    names = settings(records)
    spent = budget(records)
    values = {"runs": len(records), "seeds": int(table.seeds.min()), "epochs": spent["epochs"],
              "n_train": spent["n_train"], "n_test": records[0]["experiment"]["n_test"], "batch": spent["batch"],
              "steps": spent["steps"], "lr": spent["learning_rate"], "budget": budget_text(records),
              "train_min": sum(s["wall_s"] for r in records for s in r["segments"]) / 60,
              "convergence": convergence_text(convergence(records))}
    for name in names:
        tag = _tag(name)
        row = table.loc[name]
        fails = wilson_interval(int(row.failed), int(row.seeds))
        values.update({f"{tag}_fd": row["Fréchet distance"], f"{tag}_fd_low": row["FD low"],
                       f"{tag}_fd_high": row["FD high"], f"{tag}_coverage": row["digits covered"],
                       f"{tag}_entropy": row["label entropy (bits)"], f"{tag}_failed": fails.text()})
    for _, d in diffs.iterrows():
        tag = f"{_tag(d.a)}_vs_{_tag(d.b)}"
        values.update({f"diff_{tag}": d["mean difference"], f"diff_{tag}_low": d.low,
                       f"diff_{tag}_high": d.high, f"diff_{tag}_p": d.p,
                       f"diff_{tag}_a_lower": d["a lower"], f"diff_{tag}_b_lower": d["b lower"]})
    values["slope"] = slope_sentence(diffs)
    values["gaps"] = gaps_sentence(gaps_over_training(records))
    values["strength"] = strength_sentence(discriminator_strength(records))
    judged = gan_decision(records)  # once: the verdict and the sentence's corrected p come from it
    choice, rule = judged.verdict, RULE
    values["recommendation"], values["rule"] = choice, rule
    values["verdict"] = verdict_sentence(judged, diffs, table)
    values["folk_wisdom"] = folk_wisdom_sentence(choice)
    # Python numbers, so that glued text reads 3.9, not np.float64(3.9).
    return {f"{prefix}_{k}": v.item() if isinstance(v, np.generic) else v for k, v in values.items()}


def slope_sentence(differences: pd.DataFrame) -> str:
    """The larger slope against the smaller, paired by seed, and what the interval allows one to say."""
    rows = differences[differences.b != "ReLU"]
    if rows.empty:
        return ""
    d = rows.iloc[0]
    said = (f"Between the slopes (outside the verdict, which compares each with ReLU), paired by seed: {d.a} minus "
            f"{d.b} {fmt(d['mean difference'], '+.2f')} (95 % CI {fmt(d.low, '+.2f')} to {fmt(d.high, '+.2f')}; the "
            f"larger slope lower in {d['a lower']} of {d.seeds} seeds). ")
    if d.high < 0:
        return said + "The larger slope gave the lower distance here."
    if d.low > 0:
        return said + "The larger slope gave the higher distance here."
    return said + "The interval includes zero: the data do not separate the two slopes."


def folk_wisdom_sentence(choice: str) -> str:
    """What the recommendation says about DCGAN's Leaky ReLU (0.2) in the discriminator."""
    if choice.startswith("unclear") and "prefer Leaky ReLU" in choice:
        return ("So in this experiment the data support the DCGAN habit at one end of the failure bar's band only: "
                "where the bar sits decides it.")
    if choice.startswith("unclear") and "neither" in choice:
        return ("So in this experiment no discriminator activation rescued the training, and none did better than "
                "ReLU: the verdict is unclear only because how many runs count as failed changes with the bar. The "
                "fix is in the GAN's training, not in the activation.")
    if choice == "either" or choice.startswith("unclear"):
        return ("So in this experiment DCGAN's Leaky ReLU in the discriminator, the choice practitioners repeat, "
                "brought no measurable advantage over ReLU: an advantage, if there is one, is smaller than what "
                "the differences between seeds let us see.")
    if choice.startswith("neither"):
        return ("So in this experiment no discriminator activation rescued the training: the fix is in the GAN's "
                "training, not in the activation.")
    if choice.startswith("prefer ReLU") or choice.startswith("avoid"):
        what = choice.split(";")[0].split(" — ")[0].removeprefix("avoid ") if choice.startswith("avoid") else \
            "Leaky ReLU"
        return (f"So in this experiment the data go against the DCGAN habit: trained against a discriminator with "
                f"{what}, the generator did worse than against one with ReLU.")
    return (f"So in this experiment the data support the DCGAN habit: {choice} in the discriminator did better than "
            "ReLU.")


def strength_sentence(strength: pd.DataFrame) -> str:
    """How strong each setting's discriminator ended: its last epoch's loss and its balanced accuracy on test digits
    against generated ones. What it shows, not why: these runs do not test a mechanism."""
    shown = strength.dropna()
    if len(shown) < 2:
        return ""
    names = ", ".join(shown.setting)
    return (f"At the end, the discriminator's loss in its last epoch averaged "
            + ", ".join(f"{v:.2f}" for v in shown.d_loss) + f" ({names}; 2 ln 2 ≈ 1.39 for one that cannot tell real "
            f"from generated), and it told the test digits from generated ones with a balanced accuracy of "
            + ", ".join(f"{v:.2f}" for v in shown.d_accuracy) + ". These numbers describe the critics; whether they "
            "explain the samples is not something these runs test.")


def gaps_sentence(gaps: pd.DataFrame) -> str:
    """Each Leaky ReLU setting's mean paired gap to ReLU at every snapshot epoch from the tenth on: does a difference
    at the end close, hold or open as training goes on?"""
    if gaps.empty:
        return ""
    later = gaps[gaps.epoch >= min(10, gaps.epoch.max())]
    parts = []
    for name, rows in later.groupby("setting", sort=False):
        shown = ", ".join(f"{fmt(g, '+.2f')} at {e}" for e, g in zip(rows.epoch, rows.gap))
        parts.append(f"{name} − ReLU {shown}")
    return ("The paired gap in Fréchet distance over training (mean over seeds, by epoch): " + "; ".join(parts) + ".")


def verdict_sentence(judged, diffs, table) -> str:
    """The verdict with the numbers behind it (the table above it has each setting's own): each Leaky ReLU setting's
    paired difference from ReLU, every seed counted, with its Holm-corrected p from the decision procedure."""
    seeds = int(table.seeds.min())
    choice = judged.verdict
    holm = judged.comparisons.set_index("alternative").p_metric_holm
    against = [f"{d.a} − ReLU {fmt(d['mean difference'], '+.2f')} (95 % CI {fmt(d.low, '+.2f')} to "
               f"{fmt(d.high, '+.2f')}, Holm p = {holm[d.a]:.2f}; lower than ReLU in {d['a lower']} of {d.seeds} seeds)"
               for _, d in diffs[diffs.b == "ReLU"].iterrows()]
    outcome = {"either": "no activation is distinguishable from the others in sample quality or failures"}.get(
        choice, f"the book's decision procedure says: {choice}")
    return (f"Over {seeds} seeds per setting, {outcome}. Paired by seed, every seed counted, the differences in "
            "Fréchet distance at the last epoch are " + "; ".join(against) + ".")


def _tag(name: str) -> str:
    """'ReLU' -> 'relu', 'Leaky ReLU (α=0.2)' -> 'leaky02' (glue names)."""
    if name == "ReLU":
        return "relu"
    return "leaky" + name.split("=")[1].rstrip(")").replace(".", "")

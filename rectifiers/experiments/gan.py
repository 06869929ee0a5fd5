"""Chapter 5, GAN discriminators: ReLU against Leaky ReLU (α = 0.01, 0.2) in the discriminator of a small DCGAN.

Reads the stored study `STUDY` (trained by the engine's `dcgan` family, `rectifiers/engine/gan.py`) and turns
its records into the chapter's tables, its paired comparisons, its failure counts and its verdict. What a
*failed* GAN run is, is defined here once (`failed`), from quantities every record holds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import decision, decision_numbers
from ..stats import mean_ci, paired_t_test, wilson_interval
from . import outcomes

STUDY = "studies/ch5_gan_discriminators.yaml"
SECTION = "ch5-gan"

COLLAPSED_COVERAGE = 7
"""A run has collapsed when the judge finds at most this many of the 10 digits (each at ≥ 2 % of the 1,000
generated images) at its last snapshot: three or more digits missing is mode collapse, not a slow start."""
DISCRIMINATOR_WINS = 0.99
"""...or when the discriminator tells real test images from generated ones with at least this balanced accuracy
at its last snapshot: the game is over, the generator has lost."""

METRICS = {  # snapshot column -> reader's words
    "test_frechet": "Fréchet distance to the test images (judge features)",
    "train_frechet": "Fréchet distance to the training images (judge features)",
    "test_coverage": "digits covered (of 10)",
    "test_label_entropy": "entropy of the judge's labels (bits; 3.32 = uniform)",
    "test_confidence": "judge's mean top probability",
    "test_d_accuracy": "discriminator's balanced accuracy, test images vs generated",
}


def study(*, seeds=None, epochs=None, n_train=None, n_test=None):
    """The stored study (`STUDY`), or the same study with other seeds, snapshot epochs or image counts (a chapter's
    train mode; n_train/n_test 0 mean every image available)."""
    from ..engine import study_from_dict
    from ..engine.study import REPOSITORY
    from ..engine.yaml_files import read_yaml

    values = read_yaml(REPOSITORY / STUDY, what="study file")
    changes = {"seeds": seeds, "epochs": epochs, "n_train": n_train, "n_test": n_test}
    changes = {k: (None if k.startswith("n_") and v == 0 else v) for k, v in changes.items() if v is not None}
    changes = {k: v for k, v in changes.items() if v != values.get(k)}  # the stored study keeps its name
    if changes:
        values = {**values, **changes, "name": values["name"] + "_custom"}
        values["probe_every"] = max(values["epochs"])
    return study_from_dict(values, source=STUDY if not changes else "")


def load_records(the_study, store=None) -> list[dict]:
    """Every run's record, in the study's order (`engine.stored_studies.study_records`); a missing run is named with
    the command that trains the stored study."""
    from ..engine.stored_studies import study_records

    return study_records(the_study, store, file=STUDY)


def judge_summary() -> dict:
    """The judge classifier's run key, snapshot epoch and test accuracy there, read from its stored record."""
    from ..engine.judge import JUDGE, judge_record

    record = judge_record()
    snap = {s["epoch"]: s for s in record["snapshots"]}[JUDGE["epoch"]]
    return {"key": record["key"], "epoch": JUDGE["epoch"], "test_accuracy": snap["test_accuracy"],
            "study": JUDGE["study"], "n_train": record["experiment"]["n_train"]}


def setting(record: dict) -> str:
    """'ReLU', 'Leaky ReLU (α=0.01)', ...: the discriminator's activation of a run."""
    config = record["config"]
    return "ReLU" if config["activation"] == "relu" else f"Leaky ReLU (α={config['alpha']:g})"


def settings(records) -> list[str]:
    """The settings present, ReLU first, then by α."""
    alphas = sorted({r["config"]["alpha"] for r in records if r["config"]["activation"] != "relu"})
    found = {setting(r) for r in records}
    return [s for s in ["ReLU", *(f"Leaky ReLU (α={a:g})" for a in alphas)] if s in found]


BAND = ((COLLAPSED_COVERAGE - 1, 0.995), (COLLAPSED_COVERAGE + 1, 0.98))
"""The failure rule's band: (coverage bar, discriminator bar) at its strict and loose ends, one digit and about half a
point of the discriminator's accuracy either way; the verdict is recomputed at both."""

ENDPOINTS = decision.Endpoints(
    failure=(f"diverged, or at most {COLLAPSED_COVERAGE} of 10 digits covered, or the discriminator's balanced accuracy "
             f"at least {DISCRIMINATOR_WINS:g} (band: {BAND[0][0]} and {BAND[0][1]:g}, {BAND[1][0]} and {BAND[1][1]:g})"),
    metric="Fréchet distance", higher_is_better=False, remedy="change the GAN's training, not the activation")
"""The GAN study's endpoints, stated before the verdict."""


def failed(record: dict, coverage: int = COLLAPSED_COVERAGE, wins: float = DISCRIMINATOR_WINS) -> bool:
    """Whether a stored GAN run failed (`outcomes.failed`): diverged, collapsed onto at most `coverage` digits, or
    lost to a discriminator that tells every generated image from a real one (`wins`), at its last snapshot."""
    return outcomes.failed(record, lambda last: last["test_coverage"] <= coverage or last["test_d_accuracy"] >= wins)


def snapshots(records) -> pd.DataFrame:
    """One row per run and snapshot epoch: setting, seed, epoch and the metrics of `METRICS`."""
    rows = []
    for r in records:
        for snap in r["snapshots"]:
            rows.append({"setting": setting(r), "activation": r["config"]["activation"],
                         "alpha": r["config"]["alpha"] if r["config"]["activation"] != "relu" else 0.0,
                         "seed": r["config"]["seed"], "epoch": snap["epoch"], **{m: snap[m] for m in METRICS}})
    return pd.DataFrame(rows)


def losses(records) -> pd.DataFrame:
    """One row per run and epoch: setting, seed, epoch, d_loss, g_loss, d_real, d_fake (training means)."""
    frames = []
    for r in records:
        h = r["history"]
        frames.append(pd.DataFrame({"setting": setting(r), "seed": r["config"]["seed"], "epoch": h["epoch"],
                                    **{m: h[f"train_{m}"] for m in ("d_loss", "g_loss", "d_real", "d_fake")}}))
    return pd.concat(frames, ignore_index=True)


def sample_grids(records) -> dict[tuple[str, int, int], str]:
    """{(setting, seed, epoch): base64 PNG of the run's 5 × 5 grid of generated digits} (epoch 0: untrained)."""
    return {(setting(r), r["config"]["seed"], row["epoch"]): row["png"]
            for r in records for row in r.get("probes", {}).get("generated_digits", [])}


def final_table(records) -> pd.DataFrame:
    """Per setting at the last snapshot: seeds, mean Fréchet distance with its 95 % t interval, coverage, entropy,
    failed runs (count, Wilson interval)."""
    final = _final(records)
    rows = []
    for name in settings(records):
        runs = [r for r in records if setting(r) == name]
        part = final[final.setting == name]
        frechet = mean_ci(part.test_frechet)
        fails = wilson_interval(sum(failed(r) for r in runs), len(runs))
        rows.append({"setting": name, "seeds": len(runs),
                     "Fréchet distance": frechet.mean, "FD low": frechet.low, "FD high": frechet.high,
                     "digits covered": part.test_coverage.mean(), "fewest digits": int(part.test_coverage.min()),
                     "label entropy (bits)": part.test_label_entropy.mean(),
                     "failed": fails.k, "failed low": fails.low, "failed high": fails.high})
    return pd.DataFrame(rows)


def final_table_for_reading(records) -> pd.DataFrame:
    """`final_table` in readers' words: intervals as text, failures as "k of n (rate, 95 % CI)"."""
    rows = []
    for _, row in final_table(records).iterrows():
        fails = wilson_interval(int(row.failed), int(row.seeds))
        rows.append({"discriminator": row.setting, "seeds": int(row.seeds),
                     "Fréchet distance (95 % CI)": f"{_num(row['Fréchet distance'])} ({_num(row['FD low'])} to "
                                                   f"{_num(row['FD high'])})",
                     "digits covered (mean, fewest)": f"{row['digits covered']:.1f}, {row['fewest digits']}",
                     "label entropy (bits)": f"{row['label entropy (bits)']:.2f}",
                     "failed runs": fails.text()})
    return pd.DataFrame(rows)


def paired_differences_for_reading(records) -> pd.DataFrame:
    """`paired_differences` in readers' words."""
    return pd.DataFrame([{
        "difference in Fréchet distance": d.comparison, "seeds": int(d.seeds),
        "mean (95 % CI)": f"{_num(d['mean difference'], '+.2f')} ({_num(d.low, '+.2f')} to {_num(d.high, '+.2f')})",
        "paired t-test p": f"{d.p:.2f}", "seeds where the first is lower": f"{d['a lower']} of {d.seeds}",
    } for _, d in paired_differences(records).iterrows()])


def paired_differences(records, metric: str = "test_frechet") -> pd.DataFrame:
    """Each Leaky ReLU setting minus ReLU, and α = 0.2 minus α = 0.01, paired by seed at the last snapshot: mean
    difference with its 95 % t interval, the paired t-test's p, and how many seeds went each way."""
    final = _final(records).pivot(index="seed", columns="setting", values=metric)
    names = settings(records)
    pairs = [(leaky, "ReLU") for leaky in names[1:]] + [(names[-1], names[1])] * (len(names) > 2)
    rows = []
    for a, b in pairs:
        both = final[[a, b]].dropna()
        d = both[a] - both[b]
        ci = mean_ci(d)
        rows.append({"comparison": f"{a} − {b}", "a": a, "b": b, "metric": metric, "seeds": len(d),
                     "mean difference": ci.mean, "low": ci.low, "high": ci.high,
                     "p": paired_t_test(both[a], both[b]) if len(d) > 1 else math.nan,
                     "a lower": int((d < 0).sum()), "b lower": int((d > 0).sum())})
    return pd.DataFrame(rows)


def _final(records) -> pd.DataFrame:
    """The last snapshot of every run that has one (a diverged run at epoch 1 has none)."""
    frame = snapshots(records)
    last = frame.groupby(["setting", "seed"]).epoch.transform("max")
    return frame[frame.epoch == last].reset_index(drop=True)


def gan_decision(records) -> decision.Decision:
    """The decision procedure on the study: failures (`failed`, with its band `BAND`) and the final Fréchet distance
    of every run (a failed run keeps its own), each Leaky ReLU discriminator against ReLU, paired by seed."""
    rows = [{"setting": setting(r), "seed": r["config"]["seed"], "failed": failed(r),
             "metric": math.nan if r["status"] == "diverged" else r["snapshots"][-1]["test_frechet"],
             **{f"failed_{i}": failed(r, *ends) for i, ends in enumerate(BAND)}} for r in records]
    return decision.decide(pd.DataFrame(rows), ENDPOINTS, order=settings(records),
                           band={f"{c} digits, {w:g}": f"failed_{i}" for i, (c, w) in enumerate(BAND)})


def recommendation(records) -> tuple[str, str]:
    """(verdict, the rule that gave it): the book's decision procedure (`gan_decision`)."""
    return gan_decision(records).verdict, "the book's decision procedure (How the book decides)"


def verdict_values(records) -> dict:
    """The numbers the chapter glues, by name (`gan_...`)."""
    table = final_table(records).set_index("setting")
    diffs = paired_differences(records)
    names = settings(records)
    last_epoch = max(r["config"]["epochs"][-1] for r in records)
    values = {"gan_runs": len(records), "gan_seeds": int(table.seeds.min()), "gan_epochs": last_epoch,
              "gan_n_train": records[0]["experiment"]["n_train"],
              "gan_n_test": records[0]["experiment"]["n_test"], "gan_batch": records[0]["config"]["batch_size"],
              "gan_train_min": sum(s["wall_s"] for r in records for s in r["segments"]) / 60}
    for name in names:
        tag = _tag(name)
        row = table.loc[name]
        fails = wilson_interval(int(row.failed), int(row.seeds))
        values.update({f"gan_{tag}_fd": row["Fréchet distance"], f"gan_{tag}_fd_low": row["FD low"],
                       f"gan_{tag}_fd_high": row["FD high"], f"gan_{tag}_coverage": row["digits covered"],
                       f"gan_{tag}_entropy": row["label entropy (bits)"], f"gan_{tag}_failed": fails.text()})
    for _, d in diffs.iterrows():
        tag = f"{_tag(d.a)}_vs_{_tag(d.b)}"
        values.update({f"gan_diff_{tag}": d["mean difference"], f"gan_diff_{tag}_low": d.low,
                       f"gan_diff_{tag}_high": d.high, f"gan_diff_{tag}_p": d.p,
                       f"gan_diff_{tag}_a_lower": d["a lower"], f"gan_diff_{tag}_b_lower": d["b lower"]})
    values["gan_directions"] = direction_sentence(diffs)
    choice, rule = recommendation(records)
    values["gan_recommendation"], values["gan_rule"] = choice, rule
    values["gan_verdict"] = verdict_sentence(records, diffs, table, choice)
    values["gan_folk_wisdom"] = folk_wisdom_sentence(choice)
    # Python numbers, so that glued text reads 3.9, not np.float64(3.9).
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in values.items()}


def direction_sentence(differences: pd.DataFrame) -> str:
    """Seed by seed, which setting had the lower Fréchet distance, for each comparison with ReLU."""
    return " ".join(f"{d.a} had the lower Fréchet distance in {d['a lower']} of {d.seeds} seeds, ReLU in "
                    f"{d['b lower']} (paired t-test p = {d.p:.2f})."
                    for _, d in differences[differences.b == "ReLU"].iterrows())


def folk_wisdom_sentence(choice: str) -> str:
    """What the recommendation says about DCGAN's Leaky ReLU (0.2) in the discriminator."""
    if choice == "either" or choice.startswith("unclear"):
        return ("So in this experiment DCGAN's Leaky ReLU in the discriminator, the choice practitioners repeat, "
                "brought no measurable advantage over ReLU: an advantage, if there is one, is smaller than what "
                "the differences between seeds let us see.")
    if choice.startswith("prefer ReLU") or choice.startswith("avoid"):
        return ("So in this experiment the data go against the DCGAN habit: ReLU in the discriminator gave better "
                "samples than Leaky ReLU.")
    return (f"So in this experiment the data support the DCGAN habit: {choice} in the discriminator gave better "
            "samples than ReLU.")


def verdict_sentence(records, diffs, table, choice: str) -> str:
    """One sentence with the numbers: Fréchet distances, the paired differences, coverage and failures."""
    seeds = int(table.seeds.min())
    parts = [f"{name}: Fréchet distance {table.loc[name, 'Fréchet distance']:.2f}, "
             f"{table.loc[name, 'digits covered']:.1f} digits covered, failed "
             f"{wilson_interval(int(table.loc[name, 'failed']), int(table.loc[name, 'seeds'])).text()}"
             for name in table.index]
    against = [f"{d.a} − ReLU {_num(d['mean difference'], '+.2f')} (95 % CI {_num(d.low, '+.2f')} to "
               f"{_num(d.high, '+.2f')})"
               for _, d in diffs[diffs.b == "ReLU"].iterrows()]
    outcome = {"either": "no activation is distinguishable from the others in sample quality"}.get(
        choice, f"the book's decision procedure says: {choice}")
    return (f"Over {seeds} seeds per setting, {outcome}. " + "; ".join(parts) + ". Paired by seed, the "
            "differences in Fréchet distance at the last epoch are " + "; ".join(against) + ".")


def guide_evidence(store=None) -> list[dict]:
    """The GAN discriminator's entry of the book's decision guide, computed from the stored study."""
    records = load_records(study(), store)
    values = verdict_values(records)
    judged = gan_decision(records)
    spent = outcomes.budget(records[0])
    return [{
        # DCGAN's one stable setting, 10 epochs: the Fréchet distance was still falling (early training)
        "situation": (f"GAN discriminator (DCGAN's Adam 2e-4, β1 0.5, BatchNorm; early training: {spent['n_train']:,} "
                      f"images, {spent['epochs']} epochs, {spent['steps']:,} updates)"),
        "recommendation": values["gan_recommendation"],
        "rule": values["gan_rule"],
        "category": judged.category,
        "numbers": decision_numbers.numbers(judged, ENDPOINTS),
        "evidence": (f"Small DCGAN on MNIST, {values['gan_seeds']} paired seeds, {values['gan_epochs']} epochs, final "
                     f"Fréchet distance (lower is better) and failures: {judged.sentence()}."),
        "seeds": values["gan_seeds"],
        "section": SECTION,
        "studies": [STUDY],
    }]


def _num(value: float, spec: str = ".2f") -> str:
    """A number for readers: a real minus sign, no "−0.00"."""
    return format(value + 0.0, spec).replace("-", "−")


def _tag(name: str) -> str:
    """'ReLU' -> 'relu', 'Leaky ReLU (α=0.2)' -> 'leaky02' (glue names)."""
    if name == "ReLU":
        return "relu"
    return "leaky" + name.split("=")[1].rstrip(")").replace(".", "")

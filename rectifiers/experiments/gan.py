"""Chapter 5, GAN discriminators: ReLU against Leaky ReLU (α = 0.01, 0.2) in the discriminator of a small DCGAN.

Three regimes, each a stored study (`REGIMES`, trained by the engine's `dcgan` and `dcgan_plain` families,
`rectifiers/engine/gan.py`): DCGAN's own settings, ten times its learning rate, and a discriminator without batch
normalisation trained with Adam's own momentum at a still higher rate, where GANs are known to fail. This module turns a regime's records into
the chapter's tables, its paired comparisons, its failure counts and its verdict. What a *failed* GAN run is, is
defined here once (`failed`), from quantities every record holds, before the runs were trained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import decision, decision_numbers
from ..stats import mean_ci, paired_t_test, wilson_interval
from . import outcomes

SECTION = "ch5-gan"


@dataclass(frozen=True)
class Regime:
    """One way of training the pair: its study file, its name in the chapter, and its training in words."""

    study: str
    name: str
    training: str  # e.g. "DCGAN's Adam 2e-4, β1 0.5"
    section: str  # the chapter's label for its section
    normalisation: str = "BatchNorm"  # the discriminator's, in the guide's words


REGIMES = {
    "standard": Regime("studies/ch5_gan_long.yaml", "DCGAN's settings", "DCGAN's Adam 2e-4, β1 0.5",
                       "ch5-gan-standard"),
    "stressed": Regime("studies/ch5_gan_stressed.yaml", "ten times DCGAN's learning rate",
                       "Adam 2e-3, ten times DCGAN's rate, β1 0.5", "ch5-gan-stressed"),
    "unnormalised": Regime("studies/ch5_gan_unnormalised.yaml", "an unnormalised discriminator",
                           "Adam 3e-3, 15 times DCGAN's rate, Adam's own β1 0.9", "ch5-gan-unnormalised",
                           normalisation="no BatchNorm"),
}
"""The chapter's regimes, in its order. The stressed one was chosen before training: DCGAN's authors found Adam's
suggested 0.001 "too high" for their GANs, and it doubles that. None of its runs failed, so the third was chosen
with a pilot on two other seeds (the study file says how), at a rate between those where every pilot run recovered
and those where every one failed."""

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


def overrides(*, seeds=None, epochs=None, n_train=None, n_test=None) -> dict:
    """The study settings the chapter's `settings` parameter may override, given ones only (n_train/n_test 0 mean
    every image available). A typo is caught by the parameter check; the values are checked like a study file's."""
    given = {k: v for k, v in dict(seeds=seeds, epochs=epochs, n_train=n_train, n_test=n_test).items()
             if v is not None}
    problem = None
    if "seeds" in given and (len(set(given["seeds"])) < 2 or len(set(given["seeds"])) != len(given["seeds"])
                             or any(not isinstance(v, int) or v < 0 for v in given["seeds"])):
        problem = f"'seeds' must list at least 2 distinct seeds (integers ≥ 0) to pair; got {given['seeds']!r}"
    elif "epochs" in given and (not given["epochs"] or any(not isinstance(v, int) or v < 1 for v in given["epochs"])
                                or list(given["epochs"]) != sorted(set(given["epochs"]))):
        problem = f"'epochs' must be a list of strictly increasing epochs ≥ 1; got {given['epochs']!r}"
    else:
        for key in ("n_train", "n_test"):
            if key in given and (not isinstance(given[key], int) or given[key] < 0):
                problem = f"{key!r} must be an integer ≥ 0 (0: every image available); got {given[key]!r}"
    if problem:
        raise ValueError(f"parameter 'settings': {problem}")
    return given


def study(regime: str = "standard", settings: dict | None = None):
    """The regime's stored study (`REGIMES`), or the same study with some settings overridden (`overrides`: a
    chapter's train mode; it is named `<name>_custom` and never mixes with the stored runs)."""
    from ..engine import study_from_dict
    from ..engine.study import REPOSITORY
    from ..engine.yaml_files import read_yaml

    if regime not in REGIMES:
        raise ValueError(f"GAN regime {regime!r} is not one of {', '.join(map(repr, REGIMES))}")
    path = REGIMES[regime].study
    values = read_yaml(REPOSITORY / path, what="study file")
    changes = {k: (None if k.startswith("n_") and v == 0 else v) for k, v in overrides(**(settings or {})).items()}
    changes = {k: v for k, v in changes.items() if v != values.get(k)}  # the stored study keeps its name
    if changes:
        values = {**values, **changes, "name": values["name"] + "_custom"}
        values["probe_every"] = max(values["epochs"])
    return study_from_dict(values, source=path if not changes else f"{path} (with {sorted(changes)} set)")


def load_records(the_study, store=None) -> list[dict]:
    """Every run's record, in the study's order (`engine.stored_studies.study_records`); a missing run is named with
    the command that trains the stored study."""
    from ..engine.stored_studies import study_records

    return study_records(the_study, store)


def stored_count(the_study, store=None) -> tuple[int, int]:
    """(runs ended, runs in the study): how far a study's training has got."""
    from ..engine import ResultsStore, plan

    planned = plan(the_study, store if store is not None else ResultsStore())
    return sum(r.status in ("complete", "diverged") for r in planned.runs), len(planned.runs)


def unmeasured(store=None) -> list[tuple[str, tuple[str, ...]]]:
    """The regimes whose runs are not all stored, as Chapter 7's list of open questions takes them: (topic,
    (study file,))."""
    still = []
    for name, regime in REGIMES.items():
        try:
            load_records(study(name), store)
        except FileNotFoundError:
            still.append((f"GAN discriminators with {regime.name} ({regime.training})", (regime.study,)))
    return still


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
    """Per setting at the end of training: seeds, the mean Fréchet distance of every seed with its 95 % t interval (a
    diverged run at the regime's worst, `final_values`, as the verdict counts it), coverage and label entropy of the
    runs that did not diverge (`ended`), failed runs (count, Wilson interval)."""
    frechet_by_seed = final_values(records)
    ended = _final([r for r in records if r["status"] != "diverged"])
    rows = []
    for name in settings(records):
        runs = [r for r in records if setting(r) == name]
        part = ended[ended.setting == name]
        frechet = mean_ci(frechet_by_seed[name].dropna())
        fails = wilson_interval(sum(failed(r) for r in runs), len(runs))
        rows.append({"setting": name, "seeds": len(runs), "ended": len(part),
                     "Fréchet distance": frechet.mean, "FD low": frechet.low, "FD high": frechet.high,
                     "digits covered": part.test_coverage.mean() if len(part) else math.nan,
                     "fewest digits": int(part.test_coverage.min()) if len(part) else 0,
                     "label entropy (bits)": part.test_label_entropy.mean() if len(part) else math.nan,
                     "failed": fails.k, "failed low": fails.low, "failed high": fails.high})
    return pd.DataFrame(rows)


def final_table_for_reading(records) -> pd.DataFrame:
    """`final_table` in readers' words: intervals as text, failures as "k of n (rate, 95 % CI)"; coverage and entropy
    say over how many runs they are when some diverged ("—" when all did)."""
    rows = []
    for _, row in final_table(records).iterrows():
        fails = wilson_interval(int(row.failed), int(row.seeds))
        over = f" ({row.ended} not diverged)" if 0 < row.ended < row.seeds else ""
        rows.append({"discriminator": row.setting, "seeds": int(row.seeds),
                     "Fréchet distance (95 % CI)": f"{fmt(row['Fréchet distance'])} ({fmt(row['FD low'])} to "
                                                   f"{fmt(row['FD high'])})",
                     "digits covered (mean, fewest)": (f"{row['digits covered']:.1f}, {row['fewest digits']}{over}"
                                                       if row.ended else "—"),
                     "label entropy (bits)": f"{row['label entropy (bits)']:.2f}{over}" if row.ended else "—",
                     "failed runs": fails.text()})
    return pd.DataFrame(rows)


def paired_differences_for_reading(records) -> pd.DataFrame:
    """`paired_differences` in readers' words."""
    return pd.DataFrame([{
        "difference in Fréchet distance": d.comparison, "seeds": int(d.seeds),
        "mean (95 % CI)": f"{fmt(d['mean difference'], '+.2f')} ({fmt(d.low, '+.2f')} to {fmt(d.high, '+.2f')})",
        "paired t p (uncorrected)": f"{d.p:.2f}", "seeds where the first is lower": f"{d['a lower']} of {d.seeds}",
    } for _, d in paired_differences(records).iterrows()])


def final_values(records, metric: str = "test_frechet") -> pd.DataFrame:
    """Every run's final `metric` by seed (rows) and setting (columns): a diverged run, which has no final value,
    counts as the worst final value of the regime, as the decision procedure counts it."""
    frame = pd.DataFrame([{"setting": setting(r), "seed": r["config"]["seed"],
                           "value": math.nan if r["status"] == "diverged" else r["snapshots"][-1][metric]}
                          for r in records])
    worst = frame.value.max() if metric == "test_frechet" else frame.value.min()
    frame["value"] = frame.value.fillna(worst if np.isfinite(worst) else 0.0)
    return frame.pivot(index="seed", columns="setting", values="value")


def paired_differences(records, metric: str = "test_frechet") -> pd.DataFrame:
    """Each Leaky ReLU setting minus ReLU, and α = 0.2 minus α = 0.01, paired by seed at the end of training, every
    seed counted (`final_values`): mean difference with its 95 % t interval, the paired t-test's p (uncorrected; the
    verdict's tests are `gan_decision`'s), and how many seeds went each way."""
    final = final_values(records, metric)
    names = settings(records)
    pairs = [(leaky, "ReLU") for leaky in names[1:]] + [(names[-1], names[1])] * (len(names) > 2)
    rows = []
    for a, b in pairs:
        both = final[[a, b]].dropna()
        d = both[a] - both[b]
        ci = mean_ci(d)
        rows.append({"comparison": f"{a} − {b}", "a": a, "b": b, "metric": metric, "seeds": len(d),
                     "mean difference": ci.mean, "low": ci.low, "high": ci.high,
                     "p": paired_t_test(both[a], both[b]) if len(d) > 1 and d.any() else math.nan,
                     "a lower": int((d < 0).sum()), "b lower": int((d > 0).sum())})
    return pd.DataFrame(rows)


def discriminator_strength(records) -> pd.DataFrame:
    """Per setting, over the runs that did not diverge: the discriminator's training loss in its last epoch (mean over
    the epoch's batches; 2 ln 2 ≈ 1.39 when it cannot tell real from generated) and its balanced accuracy telling
    the test digits from generated ones at the last snapshot, each the mean over runs."""
    rows = []
    for name in settings(records):
        ended = [r for r in records if setting(r) == name and r["status"] != "diverged"]
        rows.append({"setting": name, "runs": len(ended),
                     "d_loss": float(np.mean([r["history"]["train_d_loss"][-1] for r in ended])) if ended else math.nan,
                     "d_accuracy": float(np.mean([r["snapshots"][-1]["test_d_accuracy"] for r in ended]))
                     if ended else math.nan})
    return pd.DataFrame(rows)


def gaps_over_training(records) -> pd.DataFrame:
    """Each Leaky ReLU setting minus ReLU in Fréchet distance at every snapshot epoch, the mean over the seeds that
    have both runs there (a diverged run has no later snapshots): setting, epoch, gap, seeds."""
    wide = snapshots(records).pivot_table(index="epoch", columns=["setting", "seed"], values="test_frechet")
    rows = []
    for name in settings(records)[1:]:  # in the settings' order, each over its epochs
        gaps = (wide[name] - wide["ReLU"]) if "ReLU" in wide else pd.DataFrame()
        rows += [{"setting": name, "epoch": int(epoch), "gap": float(d.mean()) if d.count() else math.nan,
                  "seeds": int(d.count())} for epoch, d in gaps.iterrows()]
    return pd.DataFrame(rows, columns=["setting", "epoch", "gap", "seeds"])


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


RULE = "the book's decision procedure (How the book decides)"
"""The rule behind every GAN verdict, as the guide names it."""


def recommendation(records) -> tuple[str, str]:
    """(verdict, the rule that gave it): the book's decision procedure (`gan_decision`)."""
    return gan_decision(records).verdict, RULE


def budget(records) -> dict:
    """The regime's training budget: images, epochs, and updates of each network (the trainer steps over full
    batches only: the last, partial batch of an epoch is left out)."""
    config, n_train = records[0]["config"], records[0]["experiment"]["n_train"]
    epochs = max(r["config"]["epochs"][-1] for r in records)
    return {"n_train": n_train, "epochs": epochs, "steps": n_train // config["batch_size"] * epochs,
            "batch": config["batch_size"], "learning_rate": config["learning_rate"]}


def budget_text(records) -> str:
    """'5,000 images, 30 epochs, 2,340 updates'."""
    spent = budget(records)
    return f"{spent['n_train']:,} images, {spent['epochs']} epochs, {spent['steps']:,} updates"


LEVELLED = 0.1
"""The runs have levelled off when the median change of the Fréchet distance over the last interval between snapshot
epochs is within this share of the median final distance."""


def convergence(records) -> dict:
    """How the Fréchet distance of the runs that did not fail moved over the last two intervals between snapshot
    epochs (e.g. 10 → 20 and 20 → 30): runs, the epochs, and the median change of each interval with the share of
    runs whose distance still fell over the last one. None when fewer than three snapshot epochs are stored."""
    healthy = [r for r in records if not failed(r)]
    if not healthy or len(healthy[0]["snapshots"]) < 3:
        return {}
    a, b, c = (s["epoch"] for s in healthy[0]["snapshots"][-3:])
    by_epoch = [{s["epoch"]: s["test_frechet"] for s in r["snapshots"]} for r in healthy]
    first = np.array([f[b] - f[a] for f in by_epoch])
    last = np.array([f[c] - f[b] for f in by_epoch])
    return {"runs": len(healthy), "epochs": (a, b, c), "median_before": float(np.median(first)),
            "median_last": float(np.median(last)), "still_falling": float(np.mean(last < 0)),
            "median_final": float(np.median([f[c] for f in by_epoch]))}


def guide_evidence(store=None) -> list[dict]:
    """The GAN discriminator's entries of the book's decision guide, one per regime whose runs are all stored (the
    others are listed among the open questions, `unmeasured`); FileNotFoundError, naming the first regime's missing
    runs and the command that trains them, when no regime is stored."""
    rows, missing = [], []
    for name, regime in REGIMES.items():
        try:
            records = load_records(study(name), store)
        except FileNotFoundError as error:
            missing.append(error)
            continue
        judged, (choice, rule) = gan_decision(records), recommendation(records)
        seeds = int(final_table(records).seeds.min())
        rows.append({
            "situation": f"GAN discriminator, {regime.training}, {regime.normalisation} ({budget_text(records)})",
            "recommendation": choice,
            "rule": rule,
            "category": judged.category,
            "numbers": decision_numbers.numbers(judged, ENDPOINTS),
            "evidence": (f"Small DCGAN on MNIST, {regime.name}, {seeds} paired seeds, {budget(records)['epochs']} "
                         f"epochs, final Fréchet distance (lower is better) and failures: {judged.sentence()}."),
            "seeds": seeds,
            "section": regime.section,
            "studies": [regime.study],
        })
    if not rows:
        raise missing[0]
    return rows


def fmt(value: float, spec: str = ".2f") -> str:
    """A number for readers: a real minus sign, no "−0.00", and at most four significant digits (a Fréchet distance
    of 176.31 reads 176.3)."""
    sign, _, decimals = spec.removesuffix("f").partition(".")  # "+.2f" -> "+", "2"
    return format(value + 0.0, f"{sign}.{decision.capped_decimals(value, int(decimals))}f").replace("-", "−")

"""Chapter 6's prose numbers and reader tables, computed from the family comparison (`family`), never typed."""

from __future__ import annotations

import pandas as pd

from .rectifier_family import DATASET_NAMES, LEAKY, changed_verdicts, verdict_counts

MISSING = "— (not stored yet: see the note above)"


def _pp(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def _ratio(value: float) -> str:
    """A ratio to four significant digits at most: 0.711, 2.150, 49.17."""
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.4g}"


def gap_text(row) -> str:
    """e.g. "Leaky ReLU (α=0.1): +0.12 pp (95 % CI −0.10 to +0.34)"."""
    return f"{row.variant}: {_pp(row.acc_gap_pp)} pp (95 % CI {_pp(row.acc_low)} to {_pp(row.acc_high)})"


def verdict_sentence(diffs: pd.DataFrame, dataset: str) -> str:
    """How many variants differ from ReLU after Holm's correction (the book's decision procedure), and how many
    95 % intervals exclude 0 before it."""
    c = verdict_counts(diffs)
    n = int(diffs.n_seeds.min())
    k = c["comparisons"]
    s = "" if k == 1 else "s"
    return (f"on {DATASET_NAMES.get(dataset, dataset)}, of {k} variant{s} compared with ReLU over {n} paired seeds, "
            f"{c['better']} had a higher and {c['worse']} a lower test accuracy after Holm's correction for {k} "
            f"comparison{s}, and {c['within']} {'is' if c['within'] == 1 else 'are'} within seed noise; before the "
            f"correction {c['uncorrected']} of the 95 % interval{s} excluded zero (no difference)")


def leaky_sentence(diffs: pd.DataFrame, dataset: str) -> str:
    """Leaky ReLU's three slopes against ReLU, and a plain statement where it shows no advantage."""
    leaky = diffs[diffs.activation == LEAKY]
    if leaky.empty:
        return MISSING
    gaps = "; ".join(gap_text(r) for r in leaky.itertuples())
    better = leaky[leaky.verdict == "better than ReLU"]
    if better.empty:
        plain = (f"Leaky ReLU shows no advantage over ReLU on {DATASET_NAMES.get(dataset, dataset)} at any slope tested "
                 "(after Holm's correction)")
    else:
        plain = f"Leaky ReLU beats ReLU on {DATASET_NAMES.get(dataset, dataset)} at {', '.join(better.variant)} (after Holm's correction)"
    return f"{plain} ({gaps})"


def others_sentence(diffs: pd.DataFrame) -> str:
    """The rest of the family against ReLU: each gap with its interval and the decision procedure's verdict (after
    Holm's correction, with its corrected p)."""
    others = diffs[diffs.activation != LEAKY]
    return "; ".join(f"{gap_text(r)}, {r.verdict} after Holm's correction (p = {r.p_holm:.2f})"
                     for r in others.itertuples()) if not others.empty else MISSING


def change_sentence(by_dataset: dict[str, pd.DataFrame], preposition: str = "on") -> str:
    """Whether any variant's verdict differs between MNIST and Fashion-MNIST (or between any two keys: two
    trainings, "with constant Adam", take `preposition` "with")."""
    if len(by_dataset) < 2 or any(d.empty for d in by_dataset.values()):
        return MISSING
    changed = changed_verdicts(by_dataset)
    if not changed:
        return "no variant's verdict changes between the two datasets"
    a, b = (d.set_index("variant") for d in by_dataset.values())
    names = list(by_dataset)

    def verdict(d, v):
        return d.verdict[v] + f" (Holm p = {d.p_holm[v]:.2f})"

    first, second = (DATASET_NAMES.get(name, name) for name in names)
    return "; ".join(f"{v}: {verdict(a, v)} {preposition} {first}, {verdict(b, v)} {preposition} {second}"
                     for v in changed)


def cost_sentence(costs: pd.DataFrame) -> str:
    """The paired cost ratios in words, each with its uncorrected interval; the verdict is the decision procedure's
    (`rectifier_family.decide_cost`, in the guide), so an interval that excludes 1 is only said to do so."""
    if costs.empty:
        return MISSING
    parts = []
    for r in costs.itertuples():
        ci = f"{r.ratio:.2f}× (95 % CI {r.low:.2f}–{r.high:.2f})"
        word = ("interval above 1 before correction" if r.low > 1 else "interval below 1 before correction"
                if r.high < 1 else "no measurable difference")
        parts.append(f"{r.variant} {ci}, {word}")
    return (f"ReLU's median epoch took {costs.relu_s.median():.1f} s; relative to it: " + "; ".join(parts))


def differences_for_reading(diffs: pd.DataFrame) -> pd.DataFrame:
    """The ranking table: gap in percentage points with both intervals, loss ratio, p-value, verdict."""
    out = pd.DataFrame({
        "variant": diffs.variant, "seeds": diffs.n_seeds,
        "test accuracy": diffs.accuracy.map("{:.4f}".format),
        "gap to ReLU (pp)": diffs.acc_gap_pp.map(_pp),
        "95 % CI (pp)": [f"{_pp(lo)} to {_pp(hi)}" for lo, hi in zip(diffs.acc_low, diffs.acc_high)],
        f"Bonferroni CI ({diffs.attrs.get('comparisons', len(diffs))} comparisons)":
            [f"{_pp(lo)} to {_pp(hi)}" for lo, hi in zip(diffs.acc_low_corrected, diffs.acc_high_corrected)],
        "test loss ÷ ReLU's": [f"{_ratio(m)} ({_ratio(lo)}–{_ratio(hi)})" for m, lo, hi in
                               zip(diffs.loss_ratio, diffs.loss_low, diffs.loss_high)],
        "paired t-test p": diffs.p_value.map("{:.3f}".format),
        "Holm p": diffs.p_holm.map("{:.3f}".format),
        "verdict (Holm)": diffs.verdict,
    })
    return out


def costs_for_reading(costs: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "variant": costs.variant, "seeds": costs.n_seeds,
        "median s per epoch": costs.variant_s.map("{:.1f}".format),
        "÷ ReLU's (geometric mean)": costs.ratio.map("{:.2f}".format),
        "95 % CI": [f"{lo:.2f}–{hi:.2f}" for lo, hi in zip(costs.low, costs.high)],
    })


def scale_sentence(results) -> str:
    """What the stored runs of one dataset actually used: images, pool, sample or not, seeds, epoch read."""
    records = results.records
    if not records:
        return MISSING
    exp = records[0]["experiment"]
    pool = exp["train_pool"]
    seeds = sorted({r["experiment"]["seed"] for r in records})
    kind = (f"offline: every image of a {pool['n_images']:,}-image sample of the official training set"
            if pool["is_sample"] else f"a stratified subset of the {pool['n_images']:,} available"
            if exp["n_train"] < pool["n_images"] else "the whole training set")
    return (f"{exp['n_train']:,} training images ({kind}), "
            f"{exp['n_test']:,} test images, {len(seeds)} seeds, read at epoch {results.epoch}")

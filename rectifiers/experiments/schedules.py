"""Chapter 8, "Optimiser and schedule": does AdamW with a linear warm-up and a cosine decay change the activation
verdict a network got with constant-rate Adam?

Each network of `SCHEDULED` was trained with constant-rate Adam (its first study in `modern_networks.NETWORKS`) and
again with AdamW (decoupled weight decay), the rate rising linearly from 0 to the same peak over the first epochs and
falling along a half cosine to 0 at the last (`engine.optimizers`). A seed fixes the initial weights and the order of
the signals in both, so every AdamW run pairs with the Adam run of its seed and activation. The two optimisers are
judged apart, each by the book's one decision procedure over the same variants (Holm within each), and set side by
side; the schedule's own effect is the paired AdamW − Adam difference per activation.
"""

from __future__ import annotations

import pandas as pd

from .. import decision_numbers
from ..prose import MISSING as NOT_STORED
from ..stats import mean_ci
from . import family_guide, family_report, modern_networks
from .outcomes import budget
from .rectifier_family import (ENDPOINTS, at_epoch, differences_from_relu, family_history,
                               family_snapshots, variant_order)

SCHEDULED = {"resnet": "studies/ch8_adamw_resnet.yaml", "transformer": "studies/ch8_adamw_transformer.yaml"}
"""Each network's AdamW study; its constant-rate Adam study is `modern_networks.NETWORKS[network][0]`."""

OPTIMISERS = ("constant Adam", "AdamW + cosine")
"""The two trainings in the chapter's words, constant first: short, as panel titles side by side on a phone."""

SITUATIONS = {
    "resnet": "a residual network with BatchNorm trained with AdamW, warm-up and cosine decay (ResNet-1D, MNIST-1D)",
    "transformer": "a transformer with LayerNorm trained with AdamW, warm-up and cosine decay (pre-LN, MNIST-1D)",
}
"""The decision guide's situation per network."""

SECTION = "ch8-schedule"


def stored(store=None) -> dict[str, tuple[list[dict], list[dict]]]:
    """network → (its constant-rate Adam runs, its AdamW runs), for every network of `SCHEDULED` whose two studies
    are stored to their last epoch."""
    store = modern_networks._store(store)
    out = {}
    for network, path in SCHEDULED.items():
        scheduled = modern_networks._records(path, store)
        constant = modern_networks._records(modern_networks.NETWORKS[network][0], store) if scheduled else None
        if scheduled and constant:
            out[network] = (constant, scheduled)
    return out


def open_studies(store=None) -> list[str]:
    """The AdamW studies whose comparison cannot be made yet (it or its constant-rate study not stored), each with
    the commands that train them."""
    both = stored(store)
    return [f"{path} (train it, after its constant-rate study {modern_networks.NETWORKS[network][0]}, with: "
            f"python -m rectifiers study {path})" for network, path in SCHEDULED.items() if network not in both]


def compare(constant: list[dict], scheduled: list[dict]) -> dict:
    """Both trainings of one network over the variants they share, at the same budget: the AdamW runs at their last
    epoch, the constant-rate runs at that epoch too (they may train longer, for their own plateau), as `finals`; each
    one's differences from ReLU judged by the decision procedure (`diffs`, keyed by `OPTIMISERS`), and the
    schedule's own paired effect per variant (`effect`), and the epoch both are read at (`epoch`)."""
    snapshots = family_snapshots(scheduled)
    epoch = int(snapshots.epoch.max())
    a, b = at_epoch(family_snapshots(constant), epoch), at_epoch(snapshots, epoch)
    shared = set(a.variant) & set(b.variant)
    finals = {name: f[f.variant.isin(shared)].reset_index(drop=True) for name, f in zip(OPTIMISERS, (a, b))}
    return {"finals": finals, "diffs": {name: differences_from_relu(f) for name, f in finals.items()},
            "effect": schedule_effect(*finals.values()), "epoch": epoch}


def read_epoch_text(constant: list[dict], scheduled: list[dict]) -> str:
    """Where the constant-rate runs train longer than the AdamW runs, the epoch both are read at, as a sentence
    ("" when both end at the same epoch)."""
    last_constant, last_scheduled = (int(family_snapshots(r).epoch.max()) for r in (constant, scheduled))
    if last_constant == last_scheduled:
        return ""
    return (f"Its constant-rate runs train to epoch {last_constant} for their own plateau; here both trainings are "
            f"read at epoch {last_scheduled}, the AdamW runs' budget")


def schedule_effect(constant: pd.DataFrame, scheduled: pd.DataFrame) -> pd.DataFrame:
    """Per variant: the mean test accuracy under each training and the paired difference AdamW − Adam (percentage
    points, 95 % t interval) over the seeds that have both runs."""
    rows = []
    for name in variant_order(scheduled):
        a = constant[constant.variant == name].set_index("seed").test_accuracy.astype(float)
        b = scheduled[scheduled.variant == name].set_index("seed").test_accuracy.astype(float)
        seeds = sorted(set(a.index) & set(b.index))
        if len(seeds) < 2:
            continue
        gap = mean_ci(100 * (b.loc[seeds] - a.loc[seeds]))
        rows.append(dict(variant=name, seeds=len(seeds), constant=float(a.loc[seeds].mean()),
                         scheduled=float(b.loc[seeds].mean()), change_pp=gap.mean, low=gap.low, high=gap.high))
    return pd.DataFrame(rows)


def effect_for_reading(effect: pd.DataFrame) -> pd.DataFrame:
    """`schedule_effect` in readers' words."""
    pp = family_report._pp
    return pd.DataFrame({
        "activation": effect.variant, "seeds": effect.seeds,
        f"{OPTIMISERS[0]}: test accuracy": [f"{v:.4f}" for v in effect.constant],
        f"{OPTIMISERS[1]}: test accuracy": [f"{v:.4f}" for v in effect.scheduled],
        "change (pp, 95 % CI)": [f"{pp(m)} ({pp(lo)} to {pp(hi)})" for m, lo, hi in
                                 zip(effect.change_pp, effect.low, effect.high)],
    })


def setup_text(scheduled: list[dict]) -> str:
    """The AdamW training of a network, read from its first record: decay, peak rate, warm-up, budget, seeds."""
    config = scheduled[0]["config"]
    spent = budget(scheduled[0])
    seeds = len({r["config"]["seed"] for r in scheduled})
    return (f"AdamW with weight decay {config['weight_decay']:g}, the learning rate rising linearly from 0 to "
            f"{config['learning_rate']:g} over the first {config['warmup_epochs']} epoch"
            f"{'s' * (config['warmup_epochs'] != 1)} and falling along a half "
            f"cosine to 0 at epoch {spent['epochs']}; batch {config['batch_size']}, {spent['n_train']:,} training "
            f"signals, {spent['epochs']} epochs = {spent['steps']:,} steps, {seeds} paired seeds per activation")


def _verdict(diffs: pd.DataFrame) -> str:
    c = {v: list(diffs[diffs.verdict == v].variant) for v in ("better than ReLU", "worse than ReLU")}
    parts = [f"{', '.join(names)} {verdict}" for verdict, names in c.items() if names]
    return "; ".join(parts) if parts else "every variant within seed noise of ReLU"


def verdict_sentence(comparison: dict) -> str:
    """Each training's verdict after Holm's correction, and whether any variant's verdict changes between them."""
    diffs = comparison["diffs"]
    n = min(int(d.n_seeds.min()) for d in diffs.values())
    verdicts = {name: _verdict(d) for name, d in diffs.items()}
    said = (f"under both trainings, {next(iter(verdicts.values()))}" if len(set(verdicts.values())) == 1 else
            "; ".join(f"with {name}, {verdict}" for name, verdict in verdicts.items()))  # said once when the same
    changed = family_report.change_sentence(diffs, preposition="with")
    changed = ("so the schedule changes no activation's verdict" if changed.startswith("no variant")
               else f"the verdicts that change: {changed}")
    widths = " and ".join(f"{(d.acc_high - d.acc_low).mean():.2f} pp wide with {name}" for name, d in diffs.items())
    return (f"Over {n} paired seeds, after Holm's correction within each training: {said}; {changed}. The 95 % "
            f"intervals of the gaps to ReLU are on average {widths}")


def effect_sentence(effect: pd.DataFrame) -> str:
    """What the schedule did to each activation's test accuracy, with the largest change."""
    if effect.empty:
        return NOT_STORED
    clear = effect[(effect.low > 0) | (effect.high < 0)]
    biggest = effect.loc[effect.change_pp.abs().idxmax()]
    pp = family_report._pp
    return (f"The schedule moved the test accuracy by {pp(effect.change_pp.min())} to {pp(effect.change_pp.max())} pp "
            f"across the activations (largest: {biggest.variant}, {pp(biggest.change_pp)} pp, 95 % CI "
            f"{pp(biggest.low)} to {pp(biggest.high)}); {len(clear)} of the {len(effect)} intervals "
            f"{'excludes' if len(clear) == 1 else 'exclude'} zero (95 %, uncorrected)")


def plateau_sentence(network: str, scheduled: list[dict]) -> str:
    """Whether the AdamW runs levelled off, by Chapter 8's stated measure (`modern_networks.plateau`), as a sentence
    ("The transformer (epochs ...): ...")."""
    said = modern_networks.plateau_sentence({network: modern_networks.plateau(family_history(scheduled))})
    return f"The {said}" if said != family_report.MISSING else said


def _missing_row(network: str) -> dict:
    path = SCHEDULED[network]
    return dict(situation=SITUATIONS[network], recommendation=NOT_STORED,
                evidence=f"the runs of {path} (or of its constant-rate study) are not all stored yet; train them with: "
                         f"python -m rectifiers study {path}", seeds=None, section=modern_networks.MISSING_SECTION,
                studies=[])


def guide_evidence(store=None) -> list[dict]:
    """One row per network of `SITUATIONS`: the decision procedure's verdict over every variant of its AdamW study
    against ReLU, or a row that says which study to train."""
    both = stored(store)
    rows = []
    for network in SITUATIONS:
        if network not in both:
            rows.append(_missing_row(network))
            continue
        constant, scheduled = both[network]
        compared = compare(constant, scheduled)
        finals, (before, diffs) = compared["finals"][OPTIMISERS[1]], compared["diffs"].values()
        judged = family_guide.judge(finals, set(finals.activation) - {"relu"})
        evidence = (f"MNIST-1D, {modern_networks.NETWORK_NAMES[network]}, {setup_text(scheduled)}; test accuracy "
                    "minus ReLU's: "
                    + "; ".join(f"{family_report.gap_text(r)}, Holm p = {r.p_holm:.2f}" for r in diffs.itertuples())
                    + f". With constant-rate Adam at the same budget (epoch {compared['epoch']}): "
                    f"{_verdict(before)}. "
                    + modern_networks.plateau_evidence(scheduled)).rstrip()
        rows.append(dict(situation=SITUATIONS[network], recommendation=judged.verdict, evidence=evidence,
                         seeds=int(diffs.n_seeds.min()), section=SECTION,
                         studies=[SCHEDULED[network], modern_networks.NETWORKS[network][0]],
                         rule=family_guide.RULE, numbers=decision_numbers.numbers(judged, ENDPOINTS)))
    return rows

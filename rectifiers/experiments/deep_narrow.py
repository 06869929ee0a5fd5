"""Chapter 5, experiment 2: deep and narrow MLPs trained on MNIST — how often does the trained network collapse?

A network has *collapsed* when its output no longer depends on its input: the spread of its logits over the run's
test images (probe `output_spread`: the largest, over the ten classes, of a logit's standard deviation over the
images) is below `COLLAPSE_SPREAD`. A ReLU network with a hidden layer dead on every input has spread exactly 0;
the threshold only matters for Leaky ReLU, whose layers are never exactly dead, and it is chosen from the data (the
chapter shows the spreads of every run: they fall into two groups far apart, and the threshold lies in the gap).

Chapter 3's theory sets the expectation: a zero-bias ReLU network with symmetric random weights is dead at one
nonzero input with probability 1 − (1 − 2^−width)^depth (`dying.born_dead_theory`). "Dead on every image of a
dataset" implies "dead at the first image", so on MNIST that is an upper bound on being *born* dead; training can
kill more networks, or revive none (a dead ReLU layer passes no gradient to anything below it). Chapter 3's cure
for ReLU, the randomized asymmetric initialisation (RAI, `models.rai_entries`), is trained here too, in a companion
study with the same shapes, data, optimiser and seeds (`STUDIES`); its setting is named `RAI`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import decision, decision_numbers
from ..models import RAI_SIGMA
from ..stats import percent_interval, wilson_interval
from .dying import born_dead_theory
from ..engine.stored_studies import training_seconds
from .outcomes import budget, final_accuracy

STUDY = "studies/ch5_deep_narrow_long.yaml"
RAI_STUDY = "studies/ch5_deep_narrow_rai_long.yaml"
STUDIES = (STUDY, RAI_STUDY)
"""The chapter's two studies, trained 20 epochs on 5,000 images: ReLU and Leaky ReLU with He-normal weights and zero
biases; ReLU with RAI. (The first, 2-epoch studies on 1,000 images, `ch5_deep_narrow.yaml` and
`ch5_deep_narrow_rai.yaml`, stay stored; the chapter no longer reads them.)"""
SECTION = "ch5-deep-narrow"
RAI = "ReLU, RAI init"
"""The setting name of ReLU with the randomized asymmetric initialisation (every other setting is He-initialised)."""

COLLAPSE_SPREAD = 1e-6
"""Logit spread (standard deviation over the test images, largest over the classes) below which a network's output
counts as constant: about the resolution of float32 for logits of order 1. It was chosen on the study's first 120
networks (width 4, depths 5 and 20), whose spreads fell into two groups, exactly 0 to about 1e-8 and about 1e-4
upwards. With widths 2 and 16 and depth 50 the spreads of Leaky ReLU networks fill that gap, so counts depend on the
threshold: `threshold_sensitivity` repeats every verdict at `SENSITIVITY_SPREADS`, and the chapter shows it."""

SENSITIVITY_SPREADS = (1e-8, COLLAPSE_SPREAD, 1e-4)
"""Thresholds at which the chapter repeats the collapse verdicts: a hundred times stricter and looser."""

COLLAPSE_BAR = decision.FailureBar(
    COLLAPSE_SPREAD, SENSITIVITY_SPREADS[0], SENSITIVITY_SPREADS[-1],
    f"logit spread below {COLLAPSE_SPREAD:g} (about float32's resolution for logits of order 1), or diverged; the "
    f"verdict is recomputed at {SENSITIVITY_SPREADS[0]:g} and {SENSITIVITY_SPREADS[-1]:g}")
"""The deep-and-narrow study's failure endpoint (collapse) and its band, for the decision procedure."""

ENDPOINTS = decision.Endpoints(failure="collapsed: " + COLLAPSE_BAR.words, metric=None,
                               remedy="make the network wider or shallower")
"""Collapse is the endpoint the verdicts judge; where each network ended (learned, near chance, collapsed) is shown
beside them (`deep_narrow_trained.endpoints`)."""


def spread(record: dict, epoch: int = -1) -> float:
    """The run's logit spread at its first (epoch=0) or last (epoch=-1) probe row; NaN if not finite (diverged)."""
    rows = record.get("probes", {}).get("output_spread")
    if not rows:
        raise ValueError(f"run {record['key']} did not record the output_spread probe")
    value = rows[0 if epoch == 0 else -1]["logit_spread"]
    return math.nan if value is None else float(value)


def collapsed(record: dict) -> bool:
    """Whether a trained network's output is (numerically) the same for every test image: its logit spread is below
    `COLLAPSE_SPREAD`. A diverged run counts as collapsed too: its output is no function of its input at all."""
    if record["status"] == "diverged":
        return True
    return spread(record) < COLLAPSE_SPREAD


def collapsed_at(runs: pd.DataFrame, threshold: float) -> pd.Series:
    """`collapsed` for every run of a `frame` table, with the spread threshold moved to `threshold`."""
    return (runs.status == "diverged") | (runs.spread_end < threshold)


def layer_dead_everywhere(record: dict, epoch: int = -1) -> bool:
    """Whether some hidden layer had every unit dead on every training image (probe `dead_units`)."""
    rows = record["probes"]["dead_units"]
    row = rows[0 if epoch == 0 else -1]
    return any(f is not None and f >= 1.0 for f in row["dead_fraction"])


def setting_name(config: dict) -> str:
    """'ReLU', 'ReLU, RAI init' or 'Leaky ReLU α=0.01'."""
    if config["activation"] != "relu":
        return f"Leaky ReLU α={float(config['alpha']):g}"
    return RAI if config.get("initializer") == "rai" else "ReLU"


def setting_rank(name: str) -> tuple:
    """Order of the settings in tables and figures: ReLU, the leaky slopes, ReLU with RAI."""
    return (name != "ReLU", name == RAI, name)


def run_row(record: dict) -> dict:
    config = record["config"]
    alpha = None if config["activation"] == "relu" else float(config["alpha"])
    name = setting_name(config)
    return {
        "width": config["width"], "depth": config["depth"], "activation": config["activation"], "alpha": alpha,
        "setting": name, "seed": config["seed"], "status": record["status"],
        "spread_start": spread(record, 0), "spread_end": spread(record), "collapsed": collapsed(record),
        "born_collapsed": spread(record, 0) < COLLAPSE_SPREAD,
        "dead_layer_start": layer_dead_everywhere(record, 0), "dead_layer_end": layer_dead_everywhere(record),
        "train_accuracy": final_accuracy(record, "train"), "test_accuracy": final_accuracy(record, "test"),
        "wall_s": training_seconds(record["segments"]), "key": record["key"],
        **budget(record),
    }


def near_chance_bar(runs: pd.DataFrame) -> decision.FailureBar:
    """The bar under which a run "ended near chance", from the study's healthy runs: its widest, shallowest shape."""
    healthy = runs[(runs.width == runs.width.max()) & (runs.depth == runs.depth.min())]
    return decision.bar_from_healthy(healthy.train_accuracy)


def frame(records) -> pd.DataFrame:
    """Stored runs of the deep-and-narrow study as a table, one row per run; `failed`: diverged or ended near chance
    (`near_chance_bar`), a count the chapter shows beside collapse but does not judge."""
    runs = pd.DataFrame([run_row(r) for r in records])
    return runs.assign(failed=decision.failed_below(runs.train_accuracy, runs.status == "diverged",
                                                    near_chance_bar(runs).value))


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (width, depth, setting): collapsed after training and at initialisation (Wilson intervals), failed,
    mean test accuracy, and Chapter 3's born-dead theory for a ReLU network of that shape."""
    rows = []
    order = {s: i for i, s in enumerate(sorted(runs.setting.unique(), key=setting_rank))}
    for (width, depth, name), cell in runs.groupby(["width", "depth", "setting"]):
        end = wilson_interval(int(cell.collapsed.sum()), len(cell))
        start = wilson_interval(int(cell.born_collapsed.sum()), len(cell))
        rows.append({"width": width, "depth": depth, "setting": name, "runs": len(cell),
                     "collapsed": end.k, "collapse_rate": end.rate, "collapse_low": end.low, "collapse_high": end.high,
                     "born_collapsed": start.k, "born_rate": start.rate, "born_low": start.low,
                     "born_high": start.high, "failed": int(cell.failed.sum()),
                     "accuracy": float(cell.test_accuracy.mean()),
                     "theory": float(born_dead_theory(width, depth)) if name == "ReLU" else 0.0,
                     "_rank": order[name]})
    return pd.DataFrame(rows).sort_values(["width", "depth", "_rank"]).drop(columns="_rank").reset_index(drop=True)


def glue_name(setting: str) -> str:
    """'relu', 'relurai', 'leaky001' (the glue names' part for a setting)."""
    return {"ReLU": "relu", RAI: "relurai"}.get(setting) or "leaky" + setting.split("=")[1].replace(".", "")


def prose_numbers(table: pd.DataFrame) -> dict:
    """Glue names, e.g. `deep_w4_d12_relu_collapsed`, `..._runs`, `..._text`, `..._born`, `..._theory`
    (settings `relu`, `relurai`, `leaky001`, …)."""
    out = {}
    for r in table.itertuples():
        key = f"deep_w{r.width}_d{r.depth}_" + glue_name(r.setting)
        out.update({f"{key}_collapsed": int(r.collapsed), f"{key}_runs": int(r.runs), f"{key}_rate": r.collapse_rate,
                    f"{key}_low": r.collapse_low, f"{key}_high": r.collapse_high, f"{key}_born": int(r.born_collapsed),
                    f"{key}_theory": r.theory, f"{key}_acc": r.accuracy,
                    f"{key}_text": wilson_interval(int(r.collapsed), int(r.runs)).text()})
    return out


def decisions(runs: pd.DataFrame) -> dict:
    """(width, depth) → `decision.decide`'s verdict on that shape's runs (`frame`), collapse being the failure."""
    out = {}
    for (width, depth), cell in runs.groupby(["width", "depth"], sort=False):
        cell, band = decision.band_columns(cell.assign(diverged=cell.status == "diverged"), "spread_end", COLLAPSE_BAR)
        order = sorted(cell.setting.unique(), key=setting_rank)
        out[width, depth] = decision.decide(cell, ENDPOINTS, order=order, band=band)
    return out


def verdicts(runs: pd.DataFrame, blocks: str = "") -> pd.DataFrame:
    """Per (width, depth): the decision procedure's verdict on collapse (unclear where it changes at the band's ends,
    `threshold_sensitivity`), its category, and the numbers. `blocks`: what the MLPs are built with, in words
    (Chapter 8's residual connections or LayerNorm), named in the evidence, which then leaves out Chapter 3's
    born-dead bound (a bound for plain networks)."""
    table = summary(runs)
    rows = []
    for (width, depth), judged in decisions(runs).items():
        cells = table[(table.width == width) & (table.depth == depth)]
        relu = cells[cells.setting == "ReLU"].iloc[0]
        parts = "; ".join(f"{r.setting} collapsed in {wilson_interval(int(r.collapsed), int(r.runs)).text()}"
                          for r in cells.itertuples())
        row = {"width": width, "depth": depth, "recommendation": judged.verdict, "category": judged.category,
               "numbers": decision_numbers.numbers(judged, ENDPOINTS),
               "seeds": int(cells.runs.max()),
               "evidence": f"MLP {depth}×{width}{f' with {blocks}' if blocks else ''} on MNIST: {parts}"
                           f"{'' if blocks else f' (born-dead theory for ReLU: {relu.theory:.2f})'}. "
                           f"Paired by seed at {depth}×{width}: {judged.sentence()}."}
        rows.append(row)
    return pd.DataFrame(rows)


def threshold_sensitivity(runs: pd.DataFrame, thresholds=SENSITIVITY_SPREADS) -> pd.DataFrame:
    """The verdict of every shape with "collapsed" redefined at each threshold (the decision procedure at that bar,
    no band): one row per (width, depth), for each threshold a column with the verdict and one with the collapse
    counts behind it."""
    table = None
    for threshold in thresholds:
        moved = runs.assign(collapsed=collapsed_at(runs, threshold))
        cells = summary(moved)
        column = pd.DataFrame([{"width": w, "depth": d, f"spread < {threshold:g}": v.verdict}
                               for (w, d), v in _decisions_at(moved, threshold).items()])
        column[f"collapsed, spread < {threshold:g}"] = [
            ", ".join(f"{r.setting} {r.collapsed}" for r in cells[(cells.width == w) & (cells.depth == d)].itertuples())
            for w, d in zip(column.width, column.depth)]
        table = column if table is None else table.merge(column, on=["width", "depth"])
    return table


def _decisions_at(runs: pd.DataFrame, threshold: float) -> dict:
    bar = decision.FailureBar(threshold, threshold, threshold, "")
    out = {}
    for (width, depth), cell in runs.groupby(["width", "depth"], sort=False):
        cell, _ = decision.band_columns(cell.assign(diverged=cell.status == "diverged"), "spread_end", bar)
        out[width, depth] = decision.decide(cell, ENDPOINTS, order=sorted(cell.setting.unique(), key=setting_rank))
    return out


def sensitivity_sentence(table: pd.DataFrame, thresholds=SENSITIVITY_SPREADS) -> str:
    """How many shapes' verdict changes when the threshold moves from `COLLAPSE_SPREAD` to each other one (a shape
    whose verdict changes is "unclear" in the guide)."""
    main = table[f"spread < {COLLAPSE_SPREAD:g}"]
    parts = []
    for threshold in thresholds:
        if threshold == COLLAPSE_SPREAD:
            continue
        other = table[f"spread < {threshold:g}"]
        changed = [f"width {r.width}, depth {r.depth} ({a} → {b})"
                   for r, a, b in zip(table.itertuples(), main, other) if a != b]
        parts.append(f"at {threshold:g} it changes in {len(changed)} of {len(table)} shapes"
                     + (f": {'; '.join(changed)}" if changed else ""))
    return (f"With the threshold at {COLLAPSE_SPREAD:g} as above, " + "; ".join(parts)
            + ". A shape whose verdict changes is marked unclear in the verdicts above and in the guide.")


def spread_histogram_values(runs: pd.DataFrame) -> dict:
    """The gap in the spreads that justifies `COLLAPSE_SPREAD`: the largest spread below it, the smallest above it,
    how many are exactly 0, and a sentence saying whether the threshold sits in a wide gap (a factor of 100 or
    more between the two) or not."""
    finite = runs.spread_end[np.isfinite(runs.spread_end)]
    below, above = finite[finite < COLLAPSE_SPREAD], finite[finite >= COLLAPSE_SPREAD]
    low = float(below.max()) if len(below) else math.nan
    high = float(above.min()) if len(above) else math.nan
    zero = int((finite == 0).sum())
    where = (f"the largest spread below the threshold is {low:.2g}, the smallest above it {high:.2g}, and "
             f"{zero} of the {len(finite)} networks have spread exactly 0.")
    if len(below) and len(above) and high >= 100 * max(low, 1e-30) and high >= 10 * COLLAPSE_SPREAD:
        sentence = f"they fall into two groups far apart, and the threshold lies in the gap: {where}"
    elif not len(below):
        sentence = f"none lies below the threshold: {where}"
    else:
        sentence = f"they do not separate cleanly around the threshold, so read its counts with care: {where}"
    return {"spread_largest_collapsed": low, "spread_smallest_alive": high, "spread_exact_zero": zero,
            "spread_runs": int(len(finite)), "spread_sentence": sentence}


def collapse_pivot(table: pd.DataFrame) -> pd.DataFrame:
    """The closing note's table: one row per shape, one column per activation setting ("k of n collapsed
    [low–high %]"), and the born-dead theory's upper bound for ReLU."""
    cells = table.assign(network=[f"depth {r.depth}, width {r.width}" for r in table.itertuples()],
                         cell=[f"{r.collapsed} of {r.runs} [{percent_interval(r.collapse_low, r.collapse_high)}]"
                               for r in table.itertuples()])
    pivot = cells.pivot(index="network", columns="setting", values="cell")
    pivot = pivot[sorted(pivot.columns, key=setting_rank)]
    theory = cells[cells.setting == "ReLU"].set_index("network").theory
    pivot["ReLU born dead, theory (upper bound)"] = [f"{theory[s]:.3f}" for s in pivot.index]
    return pivot.loc[list(dict.fromkeys(cells.network))]


def reader_table(table: pd.DataFrame) -> pd.DataFrame:
    """`summary` as the chapter shows it: one row per shape, one column per setting: networks collapsed after
    training with the 95 % Wilson interval, then ReLU's count at initialisation and Chapter 3's bound."""
    rows = []
    for (width, depth), cells in table.groupby(["width", "depth"], sort=False):
        cells = cells.sort_values("setting", key=lambda s: s.map(setting_rank), kind="stable")
        row = {"width": width, "depth": depth}
        for r in cells.itertuples():
            row[r.setting] = f"{r.collapsed} [{percent_interval(r.collapse_low, r.collapse_high)}]"
        relu = cells[cells.setting == "ReLU"].iloc[0]
        row["ReLU at initialisation"] = int(relu.born_collapsed)
        row["ReLU born dead, theory (upper bound)"] = f"{relu.theory:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def setup_text(runs: pd.DataFrame, scale: dict) -> str:
    """The setup sentence of the chapter, from the runs and their scale (`engine.stored_studies.runs_scale`)."""
    widths = ", ".join(map(str, sorted(runs.width.unique())))
    depths = ", ".join(map(str, sorted(runs.depth.unique())))
    alphas = ", ".join(f"{a:g}" for a in sorted(runs.alpha.dropna().unique()))
    rai = (" and ReLU with Chapter 3's randomized asymmetric initialisation (RAI: weights and biases from "
           f"N(0, {RAI_SIGMA:g}²/fan-in), then one entry of each unit replaced by a positive Beta(2, 1) draw)"
           if (runs.setting == RAI).any() else "")
    return (f"MLPs {widths} units wide and {depths} hidden layers deep: ReLU and Leaky ReLU with α = {alphas} "
            f"(He-normal weights, zero biases){rai}, {scale['n_seeds']} seeds each, trained with Adam (learning rate 0.001) "
            f"for {scale['epochs'][0]} epochs on {scale['n_train'][0]:,} MNIST images and tested on "
            f"{scale['n_test'][0]:,}: {scale['runs']} runs, {scale['train_minutes']:.1f} minutes of training.")

"""Chapter 5, deep and narrow networks trained to the end: where each network ended, what training did to the
networks that were collapsed (or alive) at initialisation, and whether the networks that learned had levelled off.

Every network ends in one of three states (`endpoint`), judged in this order:
- *collapsed*: its output no longer depends on its input (`deep_narrow.collapsed`: logit spread below
  `deep_narrow.COLLAPSE_SPREAD`, or diverged);
- *near chance*: not collapsed, but its final training accuracy is below the study's bar (`deep_narrow.near_chance_bar`,
  a third of the way from chance to the worst run of the widest, shallowest networks);
- *learned*: the rest.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .deep_narrow import setting_rank

ENDPOINTS = ("learned", "near chance", "collapsed")


def endpoint(runs: pd.DataFrame) -> pd.Series:
    """Each run's end state (`ENDPOINTS`) from `deep_narrow.frame`'s columns `collapsed` and `failed`."""
    return pd.Series(np.where(runs.collapsed, "collapsed", np.where(runs.failed, "near chance", "learned")),
                     index=runs.index)


def endpoints(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (width, depth, setting): networks learned / near_chance / collapsed at the end; collapsed at
    initialisation; *rescued* (collapsed at initialisation, not at the end) and *killed* (not collapsed at
    initialisation, collapsed at the end); the median test accuracy of the networks that learned."""
    runs = runs.assign(endpoint=endpoint(runs))
    rows = []
    for (width, depth, name), cell in runs.groupby(["width", "depth", "setting"]):
        learned = cell[cell.endpoint == "learned"]
        rows.append({"width": int(width), "depth": int(depth), "setting": name, "runs": len(cell),
                     **{e.replace(" ", "_"): int((cell.endpoint == e).sum()) for e in ENDPOINTS},
                     "born_collapsed": int(cell.born_collapsed.sum()),
                     "rescued": int((cell.born_collapsed & ~cell.collapsed).sum()),
                     "killed": int((~cell.born_collapsed & cell.collapsed).sum()),
                     "learned_accuracy": float(learned.test_accuracy.median()) if len(learned) else math.nan})
    table = pd.DataFrame(rows)
    return table.sort_values(["width", "depth", "setting"], key=lambda c: c.map(setting_rank)
                             if c.name == "setting" else c, kind="stable").reset_index(drop=True)


def endpoint_table(table: pd.DataFrame) -> pd.DataFrame:
    """`endpoints` as the chapter shows it, narrow enough for a phone: one row per shape, one column per setting,
    each cell "learned / near chance / collapsed", then the median test accuracy of the networks that learned."""
    return _by_shape(table, lambda r: f"{r.learned} / {r.near_chance} / {r.collapsed}"
                     + ("" if math.isnan(r.learned_accuracy) else f" · {r.learned_accuracy:.2f}"))


def _by_shape(table: pd.DataFrame, cell, missing=None) -> pd.DataFrame:
    """One row per shape ("depth×width", in the table's order), one column per setting, `cell(row)` in each."""
    shown = table.assign(network=[f"{r.depth}×{r.width}" for r in table.itertuples()],
                         cell=[cell(r) for r in table.itertuples()])
    pivot = shown.pivot(index="network", columns="setting", values="cell")
    if missing is not None:
        pivot = pivot.fillna(missing)
    pivot = pivot[sorted(pivot.columns, key=setting_rank)].loc[list(dict.fromkeys(shown.network))]
    return pivot.rename_axis(index="depth × width", columns=None).reset_index()


def rescue_sentence(table: pd.DataFrame) -> str:
    """Did training rescue networks collapsed at initialisation, or kill living ones? Totals per setting over every
    shape (`rescue_table` gives each shape)."""
    parts = []
    for name in sorted(table.setting.unique(), key=setting_rank):
        rows = table[table.setting == name]
        born, rescued, killed = int(rows.born_collapsed.sum()), int(rows.rescued.sum()), int(rows.killed.sum())
        parts.append(f"{name}: {rescued} of {born} rescued, {killed} of {int(rows.runs.sum()) - born} killed")
    return ("From initialisation to the last epoch, networks collapsed at initialisation that training rescued, and "
            "networks not collapsed at initialisation that it killed — " + "; ".join(parts) + ".")


def rescue_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per shape where anything was collapsed at initialisation or at the end, and per setting: "collapsed at
    initialisation → rescued, killed"."""
    shown = table[(table.born_collapsed > 0) | (table.collapsed > 0)]
    return _by_shape(shown, lambda r: f"{r.born_collapsed} → {r.rescued}, {r.killed}", missing="0 → 0, 0")


def accuracy_sentence(table: pd.DataFrame) -> str:
    """What the networks that learned reached, per width at its best shape, and the deepest shape at which any
    network of the width learned: the evidence that the learning rate lets the wide shapes learn."""
    parts, deepest = [], []
    for width, rows in table.groupby("width"):
        learned = rows[rows.learned > 0]
        if learned.empty:
            parts.append(f"none at width {width}")
            continue
        best = learned.loc[learned.learned_accuracy.idxmax()]
        parts.append(f"{best.learned_accuracy:.2f} at width {width} ({best.setting}, depth {best.depth})")
        deepest.append(f"{int(learned.depth.max())} at width {width}")
    return ("The best median test accuracy of the networks that learned: " + ", ".join(parts)
            + "; the deepest shape where any network learned: depth " + ", ".join(deepest) + ".")


def curves(records, runs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy after every epoch, one row per run and epoch, with the run's shape, setting and end state."""
    ends = dict(zip(runs.key, endpoint(runs)))
    rows = []
    for record, row in zip(records, runs.itertuples()):
        history = record.get("history") or {}
        if record["key"] != row.key:
            raise ValueError("records and runs must be in the same order (runs = deep_narrow.frame(records))")
        for epoch, accuracy in zip(history.get("epoch", []), history.get("test_accuracy", [])):
            rows.append({"width": row.width, "depth": row.depth, "setting": row.setting, "key": row.key,
                         "epoch": int(epoch), "test_accuracy": math.nan if accuracy is None else float(accuracy),
                         "learned": ends[row.key] == "learned"})
    return pd.DataFrame(rows, columns=["width", "depth", "setting", "key", "epoch", "test_accuracy", "learned"])


def curve_summary(curve_rows: pd.DataFrame) -> pd.DataFrame:
    """Per shape, setting and epoch, over the networks that learned: median, lowest and highest test accuracy, how
    many (`healthy`) of how many runs (`runs`). Columns as `learning_rates.curve_summary`'s, keyed by shape."""
    keys = ["width", "depth", "setting"]
    total = curve_rows.groupby(keys).key.nunique().rename("runs")
    healthy = curve_rows[curve_rows.learned & np.isfinite(curve_rows.test_accuracy)]
    out = healthy.groupby([*keys, "epoch"]).test_accuracy.agg(median="median", low="min", high="max",
                                                              healthy="count").reset_index()
    return out.merge(total.reset_index(), on=keys).sort_values([*keys, "epoch"], kind="stable")


def convergence(curve_rows: pd.DataFrame, last: int = 5) -> dict:
    """How much the test accuracy of the networks that learned changed over their last `last` epochs: runs, median,
    5th and 95th percentile, largest change, share that moved less than one point; None if no network that learned
    trained more than `last` epochs."""
    changes, end = [], None
    for _, run in curve_rows[curve_rows.learned].groupby("key"):
        run = run.set_index("epoch").test_accuracy
        end = int(run.index.max())
        if end - last in run.index:
            changes.append(run[end] - run[end - last])
    if not changes:
        return None  # no network learned, or none trained more than `last` epochs
    changes = np.asarray(changes)
    return {"runs": len(changes), "from": end - last, "to": end, "median": float(np.median(changes)),
            "p05": float(np.percentile(changes, 5)), "p95": float(np.percentile(changes, 95)),
            "largest": float(changes[np.argmax(np.abs(changes))]), "within_point": float(np.mean(np.abs(changes) < 0.01))}


def convergence_text(numbers: dict) -> str:
    """`convergence` in a sentence, in percentage points."""
    if numbers is None:
        return "No network that learned trained long enough to show whether it had levelled off."
    pts = lambda v: f"{100 * v:+.1f}".replace("-", "−")  # noqa: E731
    verdict = ("The networks that learned had levelled off." if numbers["within_point"] >= 0.8 else
               "Many networks that learned were still changing by more than a point: their final accuracy is not a "
               "plateau, and a longer training could move it.")
    return (f"Over the last {numbers['to'] - numbers['from']} epochs (epoch {numbers['from']} to {numbers['to']}), the "
            f"test accuracy of the {numbers['runs']} networks that learned changed by a median of "
            f"{pts(numbers['median'])} points (90 % between {pts(numbers['p05'])} and {pts(numbers['p95'])}; the "
            f"largest change {pts(numbers['largest'])}); {100 * numbers['within_point']:.0f} % moved by less than one "
            f"point. {verdict}")


def collapse_between(records, runs: pd.DataFrame, epoch: int = 10) -> dict | None:
    """Whether the collapse endpoint had settled: how many networks were collapsed at `epoch` (probe `output_spread`,
    the same threshold; a diverged run counts as collapsed from then on) and at the end, and how many changed state
    in between, either way."""
    from .deep_narrow import COLLAPSE_SPREAD

    if not any(r["epoch"] == epoch for record in records for r in record["probes"]["output_spread"]):
        return None  # trained no further than `epoch`, or probed at other epochs
    before, changed = 0, {"to collapsed": 0, "from collapsed": 0}
    for record, row in zip(records, runs.itertuples()):
        rows = {r["epoch"]: r["logit_spread"] for r in record["probes"]["output_spread"]}
        if epoch not in rows and record["status"] != "diverged":
            raise ValueError(f"run {record['key']} has no output_spread probe at epoch {epoch}")
        value = rows.get(epoch)
        then = value is None or not np.isfinite(value) or value < COLLAPSE_SPREAD
        before += int(then)
        if then != bool(row.collapsed):
            changed["to collapsed" if row.collapsed else "from collapsed"] += 1
    return {"epoch": epoch, "runs": len(runs), "collapsed_then": before, "collapsed_end": int(runs.collapsed.sum()),
            **changed}


def collapse_between_text(numbers: dict) -> str:
    """`collapse_between` in a sentence."""
    if numbers is None:
        return "These runs were not probed at an earlier epoch, so whether collapse had settled is not shown."
    moved = numbers["to collapsed"] + numbers["from collapsed"]
    return (f"The endpoint the verdicts judge, collapse, had settled: {numbers['collapsed_then']} of the "
            f"{numbers['runs']} networks were collapsed at epoch {numbers['epoch']} and {numbers['collapsed_end']} at "
            f"the end; {moved} changed state in between ({numbers['to collapsed']} collapsed, "
            f"{numbers['from collapsed']} recovered)." if moved <= 0.02 * numbers["runs"] else
            f"The endpoint the verdicts judge, collapse, was still moving: {moved} of the {numbers['runs']} networks "
            f"changed state between epoch {numbers['epoch']} and the end ({numbers['to collapsed']} collapsed, "
            f"{numbers['from collapsed']} recovered).")

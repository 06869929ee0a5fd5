"""Chapter 5, experiment 1: how often training at a high learning rate fails, ReLU against Leaky ReLU and PReLU.

Each stored study is one model (the seed CNN or a 4 × 32 MLP) and one optimiser (Adam or plain SGD) at three
learning rates, ten seeds; the same seed gives every activation the same initial weights and the same order of
the training images, so activations are compared seed by seed. Per cell (model, optimiser, learning rate,
activation) we report:

- the failure rate — diverged, or final training accuracy below the block's bar (`failure_bar`: a third of the way
  from chance to the worst run at the block's lowest learning rate) — with its Wilson interval;
- the share of hidden units (convolutional channels) dead on the training images at the end (probe `dead_units`);
- the test accuracy of every run (a failed run with its final value) and the survivors' mean (a secondary view).

The verdict of each (model, optimiser, learning rate) is `rectifiers.decision.decide`'s, the book's one procedure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import decision, decision_numbers
from ..stats import mean_ci, percent_interval, signed, wilson_interval
from ..engine.stored_studies import training_seconds
from .outcomes import budget, final_accuracy

TRAINED_TO_THE_END = {("mlp", "adam"): True, ("mlp", "sgd"): True, ("seed_cnn", "adam"): True,
                      ("seed_cnn", "sgd"): True}
"""Per (model, optimiser): whether the chapter reads its grid trained to the end (`*_long.yaml`: 20 epochs on 5,000
images) or still the short one (1–2 epochs on 2,000 images), which the chapter and the guide label "early
training". A block switches to its long grids (ReLU/Leaky ReLU and PReLU), once both are stored, by setting it True
here."""


def _study(model: str, optimizer: str, prelu: bool = False) -> str:
    name = {"mlp": "mlp", "seed_cnn": "cnn"}[model]
    long = "_long" if TRAINED_TO_THE_END[model, optimizer] else ""
    return f"studies/ch5_lr_{'prelu_' if prelu else ''}{name}_{optimizer}{long}.yaml"


STUDIES = {block: _study(*block) for block in TRAINED_TO_THE_END}
"""(model, optimiser) → its study of ReLU and Leaky ReLU (α = 0.01, 0.1, 0.3)."""

PRELU_STUDIES = {block: _study(*block, prelu=True) for block in TRAINED_TO_THE_END}
"""(model, optimiser) → its PReLU study (same grid and seeds: paired with the one above)."""

MORE_SEEDS = {("seed_cnn", "sgd"): ("studies/ch5_lr_cnn_sgd_long_seeds_10_19.yaml",
                                    "studies/ch5_lr_prelu_cnn_sgd_long_seeds_10_19.yaml")}
"""(model, optimiser) → studies of ten more seeds for a close cell of its grid trained to the end (ReLU and Leaky
ReLU, then PReLU): the chapter and the guide read them with the block's own studies, so that cell has 20 paired seeds.
The seed CNN with plain SGD at 1.0: ReLU failed in 10 of 10 seeds, α = 0.01 in 5 of 10, and McNemar's test on five
discordant seeds cannot reach 5 %."""


def seeds_text(runs: pd.DataFrame) -> str:
    """Seeds per cell (model, optimiser, learning rate, setting): "10 seeds", or "10 seeds (20 in seed CNN, plain SGD
    1)" where some cells have more."""
    counts = runs.groupby(["model", "optimizer", "learning_rate", "setting"]).seed.nunique()
    low = int(counts.min())
    more = counts[counts > low].reset_index()
    if more.empty:
        return f"{low} seeds"
    cells = dict.fromkeys(f"{model_name(r.model, r.optimizer)}, {OPTIMIZER_NAMES[r.optimizer]} {r.learning_rate:g}"
                          for r in more.itertuples())
    return f"{low} seeds ({int(counts.max())} in {', '.join(cells)})"


MODELS = {"mlp": "MLP 4×32", "seed_cnn": "seed CNN", "seed_cnn_bn": "seed CNN with BatchNorm"}
SHORT_MODELS = {"mlp": "MLP", "seed_cnn": "CNN", "seed_cnn_bn": "BN-CNN"}
"""The models as narrow tables and a figure's slider or menu name them ("CNN SGD 1" must fit a phone)."""
OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "plain SGD"}
SECTION = "ch5-learning-rate"


EARLY = "early training"
"""The label of a block still read from its short study (`TRAINED_TO_THE_END`)."""


def model_name(model: str, optimizer: str) -> str:
    """The model as the chapter and the guide name it: "MLP 4×32", or "seed CNN, early training" while the grid of
    this optimiser is the short one."""
    return MODELS[model] + ("" if TRAINED_TO_THE_END.get((model, optimizer), True) else f", {EARLY}")


def budget_text(runs: pd.DataFrame) -> str:
    """The training budget of `runs` (one model's), read from the records: "5,000 images, 20 epochs, 3,140 steps"
    (steps per run: batches of its epochs); ranges where the runs differ."""
    span = lambda col: "–".join(f"{v:,}" for v in sorted({int(runs[col].min()), int(runs[col].max())}))  # noqa: E731
    epochs = span("epochs")
    return f"{span('n_train')} images, {epochs} epoch{'' if epochs == '1' else 's'}, {span('steps')} steps"


def grids_text(runs: pd.DataFrame) -> str:
    """Which of `runs`' grids are trained to the end and which are still early training, with each one's budget
    read from its records: "trained to the end: MLP 4×32 with Adam and plain SGD (5,000 images, 20 epochs, 3,140
    steps), seed CNN with Adam (...); early training: seed CNN with plain SGD (2,000 images, 2 epochs, 126 steps)",
    followed, where a grid is early training, by what such a verdict is about."""
    parts = {}
    for model in MODELS:
        for done in (True, False):
            blocks = [o for (m, o), end in TRAINED_TO_THE_END.items()
                      if m == model and end == done and ((runs.model == m) & (runs.optimizer == o)).any()]
            if blocks:
                chosen = runs[(runs.model == model) & runs.optimizer.isin(blocks)]
                parts.setdefault(done, []).append(
                    f"{MODELS[model]} with {' and '.join(OPTIMIZER_NAMES[o] for o in blocks)} ({budget_text(chosen)})")
    said = [f"{'trained to the end' if done else EARLY}: {', '.join(parts[done])}" for done in (True, False)
            if done in parts]
    caveat = (". A verdict on an early-training grid is about the first few dozen steps, not about where training "
              "ends, and is labelled so in every table and in the guide") if False in parts else ""
    return "; ".join(said) + caveat if said else "no grid stored"


def setting(activation: str, alpha) -> str:
    """The reader's name of an activation setting: "ReLU", "Leaky ReLU α=0.1", "PReLU, slope starting at 0.25"."""
    if activation == "relu":
        return "ReLU"
    if activation == "prelu":
        return f"PReLU, slope starting at {alpha:g}"
    return f"Leaky ReLU α={alpha:g}"


def total_dead_fraction(record: dict) -> float:
    """Share of all probed units (every hidden layer together) dead on the training images at the run's last
    probe row; NaN when the run diverged (its last row measured NaN) or was not measured after training."""
    rows = record.get("probes", {}).get("dead_units", [])
    last = rows[-1] if rows else None
    if last is None or last["epoch"] == 0 or any(f is None for f in last["dead_fraction"]):
        return math.nan
    masks = last["dead_masks"]
    return float(sum(map(sum, masks)) / sum(map(len, masks)))


def run_row(record: dict) -> dict:
    """One stored run as a flat row of the chapter's tables."""
    config = record["config"]
    alpha = None if config["activation"] == "relu" else float(config["alpha"])
    return {
        "model": config["model"], "optimizer": config["optimizer"], "learning_rate": config["learning_rate"],
        "activation": config["activation"], "alpha": alpha, "setting": setting(config["activation"], alpha),
        "seed": config["seed"], "status": record["status"], "diverged": record["status"] == "diverged",
        "train_accuracy": final_accuracy(record, "train"),
        "test_accuracy": final_accuracy(record, "test"), "dead": total_dead_fraction(record),
        "n_test": record["experiment"]["n_test"], "batch_size": config["batch_size"], **budget(record),
        "diverged_at": record.get("diverged_at") if record["status"] == "diverged" else None,
        "wall_s": training_seconds(record["segments"]), "key": record["key"],
    }


def failure_bar(block: pd.DataFrame) -> decision.FailureBar:
    """The failure bar of one (model, optimiser) block, from its healthy runs: those at its lowest learning rate."""
    return decision.bar_from_healthy(block[block.learning_rate == block.learning_rate.min()].train_accuracy)


def frame(records) -> pd.DataFrame:
    """Stored runs of the learning-rate studies as a table, one row per run; `failed` at the block's bar
    (`failure_bar`), `failed_at_<bar>` at the ends of its band, `bar` the block's bar."""
    runs = pd.DataFrame([run_row(r) for r in records])
    blocks = []
    for _, block in runs.groupby(["model", "optimizer"], sort=False):
        bar = failure_bar(block)
        block, band = decision.band_columns(block, "train_accuracy", bar)
        blocks.append(block.rename(columns={c: f"failed_{i}" for i, c in enumerate(band.values())}).assign(
            bar=bar.value, bar_low=bar.low, bar_high=bar.high))
    return pd.concat(blocks, ignore_index=True)


SETTING_ORDER = ["ReLU", "Leaky ReLU α=0.01", "Leaky ReLU α=0.1", "Leaky ReLU α=0.3", "PReLU"]


def short_setting(name: str) -> str:
    """A setting as a phone-width table or axis names it: "ReLU", "α=0.1", "PReLU"."""
    return "ReLU" if name == "ReLU" else "PReLU" if name.startswith("PReLU") else name.replace("Leaky ReLU ", "")


def setting_rank(name: str) -> int:
    """Place of a setting in tables: ReLU, Leaky ReLU by slope, then PReLU (whatever its initial slope)."""
    rank = {s: i for i, s in enumerate(SETTING_ORDER)}
    return rank["PReLU"] if name.startswith("PReLU") else rank.get(name, len(rank))


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(_rank=frame.setting.map(setting_rank)).sort_values(
        ["model", "optimizer", "learning_rate", "_rank"]).drop(columns="_rank").reset_index(drop=True)


ENDPOINTS = decision.Endpoints(
    failure="diverged, or final training accuracy below the block's bar (`failure_bar`)",
    metric="test accuracy", remedy="lower the learning rate")
"""The learning-rate studies' endpoints, stated before any verdict."""


def decisions(runs: pd.DataFrame) -> dict:
    """(model, optimiser, learning rate) → `decision.decide`'s verdict on that situation's runs (`frame`)."""
    out = {}
    for (model, optimizer, lr), cell in runs.groupby(["model", "optimizer", "learning_rate"], sort=False):
        order = sorted(cell.setting.unique(), key=setting_rank)
        band = {float(cell.bar_low.iloc[0]): "failed_0", float(cell.bar_high.iloc[0]): "failed_1"}
        out[model, optimizer, lr] = decision.decide(cell.rename(columns={"test_accuracy": "metric"}), ENDPOINTS,
                                                    order=order, band=band)
    return out


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, optimiser, learning rate, setting): failures with Wilson interval, dead share, the mean
    test accuracy of the runs that did not fail (survivors: a secondary view), and from the decision procedure the
    paired difference to ReLU over every seed (a failed run with its final value) with its interval and Holm p."""
    judged = decisions(runs)
    rows = []
    for (model, optimizer, lr, name), cell in runs.groupby(["model", "optimizer", "learning_rate", "setting"]):
        rate = wilson_interval(int(cell.failed.sum()), len(cell))
        trained = cell[~cell.failed]
        acc = mean_ci(trained.test_accuracy) if len(trained) else None
        dead = cell.dead.dropna()
        row = {"model": model, "optimizer": optimizer, "learning_rate": lr, "setting": name, "runs": len(cell),
               "failed": rate.k, "failure_rate": rate.rate, "failure_low": rate.low, "failure_high": rate.high,
               "dead_mean": float(dead.mean()) if len(dead) else math.nan, "trained": len(trained),
               "accuracy": acc.mean if acc else math.nan, "accuracy_low": acc.low if acc else math.nan,
               "accuracy_high": acc.high if acc else math.nan, "bar": float(cell.bar.iloc[0])}
        comparisons = judged[model, optimizer, lr].comparisons.set_index("alternative")
        if name in comparisons.index:
            c = comparisons.loc[name]
            row.update({"paired_seeds": int(c.seeds), "difference": c.difference, "difference_low": c.difference_low,
                        "difference_high": c.difference_high, "p_holm": min(c.p_metric_holm, c.p_failures_holm),
                        "survivor_seeds": int(c.survivor_seeds), "survivor_difference": c.survivor_difference})
        else:
            row.update({"paired_seeds": 0, "difference": math.nan, "difference_low": math.nan,
                        "difference_high": math.nan, "p_holm": math.nan, "survivor_seeds": 0,
                        "survivor_difference": math.nan})
        rows.append(row)
    return _order(pd.DataFrame(rows))


def cell_text(row) -> str:
    """e.g. "Leaky ReLU α=0.1 failed in 3 of 10 runs (30 %, 95 % CI 11–60 %)"."""
    rate = wilson_interval(int(row.failed), int(row.runs))
    return f"{row.setting} failed in {rate.text().replace(' (', ' runs (', 1)}"


def verdicts(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, optimiser, learning rate): the decision procedure's verdict, its category, and a sentence
    with the numbers (failures, paired tests, Holm-corrected p-values)."""
    table = summary(runs)
    rows = []
    for (model, optimizer, lr), judged in decisions(runs).items():
        cells = table[(table.model == model) & (table.optimizer == optimizer) & (table.learning_rate == lr)]
        parts = "; ".join(cell_text(r) for r in cells.itertuples())
        rows.append({"model": model, "optimizer": optimizer, "learning_rate": lr, "recommendation": judged.verdict,
                     "category": judged.category, "rule": "the book's decision procedure (How the book decides)",
                     "numbers": decision_numbers.numbers(judged, ENDPOINTS),
                     "seeds": int(cells.runs.max()), "bar": float(cells.bar.iloc[0]),
                     "evidence": f"{model_name(model, optimizer)}, {OPTIMIZER_NAMES[optimizer]} at learning rate {lr:g} (failed: "
                                 f"training accuracy below {cells.bar.iloc[0]:.2f}): {parts}. Paired by seed: "
                                 f"{judged.sentence()}."})
    return pd.DataFrame(rows)


def prose_numbers(table: pd.DataFrame) -> dict:
    """Numbers the chapter glues, by name: e.g. `mlp_adam_lr0.1_relu_failed`, `..._rate`, `..._low`, `..._high`,
    `..._dead`, `..._acc`, `..._text` (the sentence part) and `..._diff` (paired difference to ReLU)."""
    out = {}
    for r in table.itertuples():
        key = _key(r.model, r.optimizer, r.learning_rate, r.setting)
        out.update({f"{key}_failed": int(r.failed), f"{key}_runs": int(r.runs), f"{key}_rate": r.failure_rate,
                    f"{key}_low": r.failure_low, f"{key}_high": r.failure_high, f"{key}_dead": r.dead_mean,
                    f"{key}_acc": r.accuracy, f"{key}_text": wilson_interval(int(r.failed), int(r.runs)).text()})
        if r.setting != "ReLU":
            out[f"{key}_diff"] = r.difference
            out[f"{key}_paired"] = int(r.paired_seeds)
    return out


def _key(model: str, optimizer: str, lr: float, name: str) -> str:
    short = "relu" if name == "ReLU" else "prelu" if name.startswith("PReLU") else \
        "leaky" + name.split("=")[1].replace(".", "")
    return f"{model}_{optimizer}_lr{lr:g}".replace(".", "") + f"_{short}"


def alpha_effect(table: pd.DataFrame) -> pd.DataFrame:
    """Experiment 4's view: per (model, optimiser, learning rate) where ReLU failed at least once, the failure rate
    of ReLU and of each Leaky ReLU slope (α = 0 is ReLU) — how the rescue depends on α."""
    leaky = table[table.setting.str.startswith(("ReLU", "Leaky"))].copy()
    leaky["alpha"] = leaky.setting.map(lambda s: 0.0 if s == "ReLU" else float(s.split("=")[1]))
    hard = leaky.groupby(["model", "optimizer", "learning_rate"]).filter(
        lambda c: c[c.alpha == 0].failed.sum() > 0)
    return hard[["model", "optimizer", "learning_rate", "alpha", "failed", "runs", "failure_rate", "failure_low",
                 "failure_high", "dead_mean", "accuracy"]].reset_index(drop=True)


def wall_minutes(runs: pd.DataFrame) -> float:
    return float(np.sum(runs.wall_s)) / 60


def failure_pivot(table: pd.DataFrame) -> pd.DataFrame:
    """The closing note's table: one row per (model, optimiser, learning rate), one column per activation setting,
    each cell "k of n failed [low–high %]"."""
    cells = table.assign(
        situation=[f"{model_name(r.model, r.optimizer)}, {OPTIMIZER_NAMES[r.optimizer]}, lr {r.learning_rate:g}"
                   for r in table.itertuples()],
        cell=[f"{r.failed} of {r.runs} [{percent_interval(r.failure_low, r.failure_high)}]"
              for r in table.itertuples()])
    pivot = cells.pivot(index="situation", columns="setting", values="cell")
    pivot = pivot[sorted(pivot.columns, key=setting_rank)]
    return pivot.loc[list(dict.fromkeys(cells.situation))]


def reader_table(table: pd.DataFrame) -> pd.DataFrame:
    """`summary` as the chapter shows it: failures "k of n" with the Wilson interval, dead share, the paired
    difference to ReLU over every seed (a failed run keeps its final accuracy) with its interval and Holm-corrected
    p, and, as a secondary view, the accuracy of the survivors (the runs that did not fail)."""
    rows = table.itertuples()
    return pd.DataFrame([{
        "model": model_name(r.model, r.optimizer), "optimizer": OPTIMIZER_NAMES[r.optimizer], "learning rate": r.learning_rate,
        "activation": r.setting, "failed": f"{r.failed} of {r.runs}",
        "CI": percent_interval(r.failure_low, r.failure_high), "dead": r.dead_mean,
        "difference to ReLU, every seed": (
            f"{signed(r.difference)} [{signed(r.difference_low)}, {signed(r.difference_high)}], {r.paired_seeds} seeds, "
            f"Holm p {r.p_holm:.3f}") if r.paired_seeds >= 2 else "—",
        "survivors' accuracy (secondary)": r.accuracy} for r in rows])


def verdict_table(verdicts_frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{"situation": f"{model_name(v.model, v.optimizer)}, {OPTIMIZER_NAMES[v.optimizer]}, lr {v.learning_rate:g}",
                          "verdict": v.recommendation, "evidence": v.evidence}
                         for v in verdicts_frame.itertuples()])


def alpha_reader_table(alpha_frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{
        "model": model_name(r.model, r.optimizer), "optimizer": OPTIMIZER_NAMES[r.optimizer], "learning rate": r.learning_rate,
        "α (0 = ReLU)": r.alpha, "failed": f"{r.failed} of {r.runs}",
        "CI": percent_interval(r.failure_low, r.failure_high), "dead": r.dead_mean,
        "accuracy": r.accuracy} for r in alpha_frame.itertuples()])


def setup_text(runs: pd.DataFrame) -> str:
    """The setup sentence of the chapter, from the runs: per block the model, its budget read from the records
    (images, epochs, steps; "early training" where the short grid is read), optimiser, learning rates, slopes."""
    blocks = " ".join(
        f"The {model_name(m, o)} ({budget_text(g)}) with {OPTIMIZER_NAMES[o]} at learning "
        f"rate{'s' if g.learning_rate.nunique() > 1 else ''} "
        f"{', '.join(f'{lr:g}' for lr in sorted(g.learning_rate.unique()))}: ReLU, Leaky ReLU with α = "
        f"{', '.join(f'{a:g}' for a in sorted(g[g.activation == 'leaky_relu'].alpha.unique()))}"
        + "".join(f" and PReLU (slopes learned, starting at {a:g})" for a in sorted(g[g.activation == 'prelu'].alpha.unique()))
        + "."
        for (m, o), g in runs.groupby(["model", "optimizer"], sort=False))
    listed = lambda col: " or ".join(f"{int(v):,}" for v in sorted(runs[col].unique()))  # noqa: E731
    return (f"{blocks} Batches of {listed('batch_size')} images; every run is tested on {listed('n_test')} MNIST "
            "test images.")


def curves(records, runs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy after every epoch (the records' history; runs with `test_every: 1`), one row per run and epoch,
    with the run's cell and whether it failed (from `frame`'s `runs`). Runs without a per-epoch history (the short
    studies) give no rows."""
    failed = dict(zip(runs.key, runs.failed))
    rows = []
    for record in records:
        history = record.get("history") or {}
        if record["config"].get("test_every", 0) != 1 or not history.get("test_accuracy"):
            continue
        row = run_row(record)
        for epoch, accuracy in zip(history["epoch"], history["test_accuracy"]):
            rows.append({k: row[k] for k in ("model", "optimizer", "learning_rate", "setting", "seed", "key")}
                        | {"epoch": int(epoch), "test_accuracy": math.nan if accuracy is None else float(accuracy), "failed": bool(failed[row["key"]])})
    return pd.DataFrame(rows, columns=["model", "optimizer", "learning_rate", "setting", "seed", "key", "epoch",
                                       "test_accuracy", "failed"])


def curve_summary(curve_rows: pd.DataFrame) -> pd.DataFrame:
    """Per cell, setting and epoch, over the runs that did not fail: median, lowest and highest test accuracy, and
    how many runs (`healthy`) of how many (`runs`)."""
    keys = ["model", "optimizer", "learning_rate", "setting"]
    total = curve_rows.groupby(keys).key.nunique().rename("runs")
    healthy = curve_rows[~curve_rows.failed & np.isfinite(curve_rows.test_accuracy)]
    out = healthy.groupby([*keys, "epoch"]).test_accuracy.agg(median="median", low="min", high="max",
                                                              healthy="count").reset_index()
    return _order(out.merge(total.reset_index(), on=keys)).sort_values([*keys[:3], "setting", "epoch"], kind="stable")


def convergence(curve_rows: pd.DataFrame, last: int = 5) -> dict:
    """How much the healthy runs' test accuracy changed over their last `last` epochs (final epoch minus `last`
    epochs before), every healthy run with a full history: runs, median, 5th and 95th percentile, largest change
    in absolute value, and the share of runs that moved by less than one point (0.01)."""
    healthy = curve_rows[~curve_rows.failed]
    changes, end, cells = [], None, {}
    for (optimizer, lr, _), run in healthy.groupby(["optimizer", "learning_rate", "key"]):
        run = run.set_index("epoch").test_accuracy
        end = int(run.index.max())
        if end - last in run.index:
            changes.append(run[end] - run[end - last])
            cells.setdefault(f"{OPTIMIZER_NAMES[optimizer].replace('plain ', '')} {lr:g}", []).append(abs(changes[-1]))
    if not changes:
        raise ValueError(f"no healthy run has a test accuracy {last} epochs before its last (test_every: 1)")
    changes = np.asarray(changes)
    return {"runs": len(changes), "from": end - last, "to": end, "median": float(np.median(changes)),
            "p05": float(np.percentile(changes, 5)), "p95": float(np.percentile(changes, 95)),
            "largest": float(changes[np.argmax(np.abs(changes))]),
            "within_point": float(np.mean(np.abs(changes) < 0.01)),
            "cells": {c: float(np.median(v)) for c, v in cells.items()}}


def convergence_text(numbers: dict) -> str:
    """`convergence` in a sentence, in percentage points."""
    pts = lambda v: f"{100 * v:+.1f}".replace("-", "−")  # noqa: E731
    return (f"Over the last {numbers['to'] - numbers['from']} epochs (epoch {numbers['from']} to {numbers['to']}), "
            f"the test accuracy of the {numbers['runs']} runs that did not fail changed by a median of "
            f"{pts(numbers['median'])} points (90 % of runs between {pts(numbers['p05'])} and {pts(numbers['p95'])}; "
            f"the largest change {pts(numbers['largest'])}); {100 * numbers['within_point']:.0f} % of them moved by "
            "less than one point. The median size of the change per cell: "
            + ", ".join(f"{c} {100 * v:.1f}" for c, v in numbers["cells"].items()) + " points. "
            + ("The runs that trained had levelled off." if numbers["within_point"] >= 0.8 else
               "Most runs that trained had not levelled off: at these learning rates their test accuracy still swings "
               "by points from epoch to epoch, so a final accuracy is one draw from that swing (the paired tests over "
               "every seed compare such draws)."))


def endpoints(runs: pd.DataFrame) -> pd.DataFrame:
    """Per cell and setting: runs diverged, ended below the bar, trained; the mean final test accuracy of every seed
    with its 95 % t interval (intention to treat: a diverged run counts with the worst final value of its
    situation, as the decision procedure counts it); the epochs at which runs diverged; dead share at the end."""
    rows = []
    for (model, optimizer, lr), situation in runs.groupby(["model", "optimizer", "learning_rate"], sort=False):
        worst = situation.test_accuracy.min()
        for name, cell in situation.groupby("setting"):
            itt = mean_ci(cell.test_accuracy.fillna(worst if np.isfinite(worst) else 0.0))
            dead = cell.dead.dropna()
            rows.append({"model": model, "optimizer": optimizer, "learning_rate": lr, "setting": name,
                         "runs": len(cell), "diverged": int(cell.diverged.sum()),
                         "below_bar": int((cell.failed & ~cell.diverged).sum()), "trained": int((~cell.failed).sum()),
                         "itt": itt.mean, "itt_low": itt.low, "itt_high": itt.high,
                         "diverged_at": sorted(int(e) for e in cell.diverged_at.dropna()),
                         "dead": float(dead.mean()) if len(dead) else math.nan})
    return _order(pd.DataFrame(rows))


def endpoint_table(table: pd.DataFrame) -> pd.DataFrame:
    """`endpoints` as the chapter shows it, narrow enough for a phone: counts in cells, short setting names."""
    cell = lambda r: (f"{SHORT_MODELS[r.model]} {OPTIMIZER_NAMES[r.optimizer].replace('plain ', '')} "  # noqa: E731
                      f"{r.learning_rate:g}" + ("" if TRAINED_TO_THE_END.get((r.model, r.optimizer), True) else f" ({EARLY})"))
    return pd.DataFrame([{
        "cell": cell(r), "setting": short_setting(r.setting), "diverged": r.diverged, "below bar": r.below_bar,
        "trained": r.trained, "test acc. (every seed)": f"{r.itt:.3f} [{r.itt_low:.2f}, {r.itt_high:.2f}]",
        "diverged at epoch": ", ".join(map(str, r.diverged_at)) or "—", "dead": r.dead}
        for r in table.itertuples()])

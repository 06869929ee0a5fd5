"""Chapter 5, experiment 1: how often training at a high learning rate fails, ReLU against Leaky ReLU and PReLU.

Each stored study is one model (the seed CNN or a 4 × 32 MLP) and one optimiser (Adam or plain SGD) at three
learning rates, ten seeds; the same seed gives every activation the same initial weights and the same order of
the training images, so activations are compared seed by seed. Per cell (model, optimiser, learning rate,
activation) we report:

- the failure rate — `outcomes.failed`: diverged, or final training accuracy below 0.2 — with its Wilson interval;
- the share of hidden units (convolutional channels) dead on the training images at the end (probe `dead_units`);
- the test accuracy of the runs that did not fail (mean, t interval), and its paired difference to ReLU over the
  seeds where both trained.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..stats import mean_ci, percent_interval, signed, wilson_interval
from .outcomes import failed, final_accuracy

STUDIES = {
    ("mlp", "adam"): "studies/ch5_lr_mlp_adam.yaml",
    ("mlp", "sgd"): "studies/ch5_lr_mlp_sgd.yaml",
    ("seed_cnn", "adam"): "studies/ch5_lr_cnn_adam.yaml",
    ("seed_cnn", "sgd"): "studies/ch5_lr_cnn_sgd.yaml",
}
"""(model, optimiser) → its study of ReLU and Leaky ReLU (α = 0.01, 0.1, 0.3)."""

PRELU_STUDIES = {
    ("mlp", "adam"): "studies/ch5_lr_prelu_mlp_adam.yaml",
    ("mlp", "sgd"): "studies/ch5_lr_prelu_mlp_sgd.yaml",
    ("seed_cnn", "adam"): "studies/ch5_lr_prelu_cnn_adam.yaml",
    ("seed_cnn", "sgd"): "studies/ch5_lr_prelu_cnn_sgd.yaml",
}
"""(model, optimiser) → its PReLU study (same grid and seeds: paired with the one above)."""

MODELS = {"mlp": "MLP 4×32", "seed_cnn": "seed CNN"}
OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "plain SGD"}
SECTION = "ch5-learning-rate"


def setting(activation: str, alpha) -> str:
    """The reader's name of an activation setting: "ReLU", "Leaky ReLU α=0.1", "PReLU"."""
    if activation == "relu":
        return "ReLU"
    if activation == "prelu":
        return "PReLU"
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
        "seed": config["seed"], "status": record["status"], "failed": failed(record),
        "test_accuracy": final_accuracy(record, "test"), "dead": total_dead_fraction(record),
        "n_train": record["experiment"]["n_train"], "epochs": config["epochs"][-1],
        "wall_s": sum(s["wall_s"] for s in record["segments"]), "key": record["key"],
    }


def frame(records) -> pd.DataFrame:
    """Stored runs of the learning-rate studies as a table, one row per run."""
    return pd.DataFrame([run_row(r) for r in records])


SETTING_ORDER = ["ReLU", "Leaky ReLU α=0.01", "Leaky ReLU α=0.1", "Leaky ReLU α=0.3", "PReLU"]


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    rank = {s: i for i, s in enumerate(SETTING_ORDER)}
    return frame.assign(_rank=frame.setting.map(lambda s: rank.get(s, len(rank)))).sort_values(
        ["model", "optimizer", "learning_rate", "_rank"]).drop(columns="_rank").reset_index(drop=True)


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, optimiser, learning rate, setting): failures with Wilson interval, dead share, accuracy
    of the runs that trained (t interval), and the paired difference to ReLU over the seeds where both trained."""
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
               "accuracy_high": acc.high if acc else math.nan}
        row.update(_paired_to_relu(runs, model, optimizer, lr, name))
        rows.append(row)
    return _order(pd.DataFrame(rows))


def _paired_to_relu(runs, model, optimizer, lr, name) -> dict:
    """Mean of (this setting − ReLU) test accuracy over the seeds where both trained, with its t interval."""
    empty = {"paired_seeds": 0, "difference": math.nan, "difference_low": math.nan, "difference_high": math.nan}
    if name == "ReLU":
        return empty
    cell = runs[(runs.model == model) & (runs.optimizer == optimizer) & (runs.learning_rate == lr)]
    mine = cell[(cell.setting == name) & ~cell.failed].set_index("seed").test_accuracy
    relu = cell[(cell.setting == "ReLU") & ~cell.failed].set_index("seed").test_accuracy
    seeds = sorted(set(mine.index) & set(relu.index))
    if not seeds:
        return empty
    d = mean_ci(mine[seeds].to_numpy() - relu[seeds].to_numpy())
    return {"paired_seeds": len(seeds), "difference": d.mean, "difference_low": d.low, "difference_high": d.high}


def recommendation(cells: pd.DataFrame) -> tuple[str, str]:
    """(recommended setting, the rule that chose it) for one (model, optimiser, learning rate) block of `summary`.

    The rule, in order: (1) failures — the setting(s) whose failure-rate Wilson interval lies entirely below
    ReLU's (the one with the fewest failures, then the smallest α), or "ReLU" when ReLU's lies entirely below every
    other's; (2) accuracy, over the seeds where both trained (at least 3) — among the settings that failed no more
    often than ReLU, the one whose paired accuracy difference to ReLU has a t interval entirely above 0 (the
    largest), or "ReLU" when every such difference's interval lies entirely below 0; (3) otherwise "either".
    """
    relu = cells[cells.setting == "ReLU"].iloc[0]
    others = cells[cells.setting != "ReLU"]
    better = others[others.failure_high < relu.failure_low]
    if len(better):
        best = better.sort_values("failure_rate", kind="stable").iloc[0]
        return best.setting, "fewer failures (Wilson intervals do not overlap)"
    if len(others) and (others.failure_low > relu.failure_high).all():
        return "ReLU", "fewer failures (Wilson intervals do not overlap)"
    comparable = others[others.paired_seeds >= 3]
    # A more accurate survivor does not make up for more failures: only settings that failed no more often count.
    above = comparable[(comparable.difference_low > 0) & (comparable.failed <= relu.failed)]
    if len(above):
        return above.sort_values("difference", ascending=False, kind="stable").iloc[0].setting, \
            "higher accuracy (paired t interval above 0)"
    if len(comparable) and (comparable.difference_high < 0).all():
        return "ReLU", "higher accuracy (paired t intervals below 0)"
    return "either", "no difference the intervals can tell"


def cell_text(row) -> str:
    """e.g. "Leaky ReLU α=0.1 failed in 3 of 10 runs (30 %, 95 % CI 11–60 %)"."""
    rate = wilson_interval(int(row.failed), int(row.runs))
    return f"{row.setting} failed in {rate.text().replace(' (', ' runs (', 1)}"


def verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, optimiser, learning rate): the recommendation, its rule and a sentence with the numbers."""
    rows = []
    for (model, optimizer, lr), cells in table.groupby(["model", "optimizer", "learning_rate"], sort=False):
        choice, rule = recommendation(cells)
        parts = "; ".join(cell_text(r) for r in cells.itertuples())
        rows.append({"model": model, "optimizer": optimizer, "learning_rate": lr, "recommendation": choice,
                     "rule": rule, "seeds": int(cells.runs.max()),
                     "evidence": f"{MODELS[model]}, {OPTIMIZER_NAMES[optimizer]} at learning rate {lr:g}: {parts}."})
    return pd.DataFrame(rows)


def values(table: pd.DataFrame) -> dict:
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
    short = {"ReLU": "relu", "PReLU": "prelu"}.get(name) or "leaky" + name.split("=")[1].replace(".", "")
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
        situation=[f"{MODELS[r.model]}, {OPTIMIZER_NAMES[r.optimizer]}, lr {r.learning_rate:g}"
                   for r in table.itertuples()],
        cell=[f"{r.failed} of {r.runs} [{percent_interval(r.failure_low, r.failure_high)}]"
              for r in table.itertuples()])
    pivot = cells.pivot(index="situation", columns="setting", values="cell")
    pivot = pivot[[s for s in SETTING_ORDER if s in pivot.columns]]
    return pivot.loc[list(dict.fromkeys(cells.situation))]


def reader_table(table: pd.DataFrame) -> pd.DataFrame:
    """`summary` as the chapter shows it: failures "k of n" with the Wilson interval, dead share, accuracy of the
    runs that trained, and the paired difference to ReLU with its t interval and number of seeds."""
    rows = table.itertuples()
    return pd.DataFrame([{
        "model": MODELS[r.model], "optimizer": OPTIMIZER_NAMES[r.optimizer], "learning rate": r.learning_rate,
        "activation": r.setting, "failed": f"{r.failed} of {r.runs}",
        "CI": percent_interval(r.failure_low, r.failure_high), "dead": r.dead_mean,
        "accuracy": r.accuracy,
        "difference": (f"{signed(r.difference)} [{signed(r.difference_low)}, {signed(r.difference_high)}], "
                       f"{r.paired_seeds} seeds") if r.paired_seeds >= 2 else "—"} for r in rows])


def verdict_table(verdicts_frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{"situation": f"{MODELS[v.model]}, {OPTIMIZER_NAMES[v.optimizer]}, lr {v.learning_rate:g}",
                          "recommendation": v.recommendation, "rule": v.rule, "evidence": v.evidence}
                         for v in verdicts_frame.itertuples()])


def alpha_reader_table(alpha_frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{
        "model": MODELS[r.model], "optimizer": OPTIMIZER_NAMES[r.optimizer], "learning rate": r.learning_rate,
        "α (0 = ReLU)": r.alpha, "failed": f"{r.failed} of {r.runs}",
        "CI": percent_interval(r.failure_low, r.failure_high), "dead": r.dead_mean,
        "accuracy": r.accuracy} for r in alpha_frame.itertuples()])


def setup_text(runs: pd.DataFrame, n_train: int, n_test: int) -> str:
    """The setup sentence of the chapter, from the runs: models, epochs, optimisers, learning rates, slopes."""
    epochs = {m: int(g.epochs.iloc[0]) for m, g in runs.groupby("model")}
    plural = lambda n, word: f"{n} {word}{'s' if n > 1 else ''}"  # noqa: E731
    blocks = " ".join(
        f"The {MODELS[m]} ({plural(epochs[m], 'epoch')}) with {OPTIMIZER_NAMES[o]} at learning "
        f"rate{'s' if g.learning_rate.nunique() > 1 else ''} "
        f"{', '.join(f'{lr:g}' for lr in sorted(g.learning_rate.unique()))}: ReLU, Leaky ReLU with α = "
        f"{', '.join(f'{a:g}' for a in sorted(g[g.activation == 'leaky_relu'].alpha.unique()))}"
        f"{' and PReLU (slopes learned, starting at 0.25)' if (g.activation == 'prelu').any() else ''}."
        for (m, o), g in runs.groupby(["model", "optimizer"], sort=False))
    return (f"{blocks} Every run trains on {n_train:,} MNIST training images (batch 32) and is tested on {n_test:,} "
            "test images.")

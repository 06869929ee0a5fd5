"""A stored classifier run's final values, and a quick failed/trained label for one live run.

The chapters' verdicts count failures against a bar each study derives from its own healthy runs
(`rectifiers.decision.bar_from_healthy`, e.g. `learning_rates.failure_bar`). A single live run (the pair explorers)
has no study to derive a bar from; it is labelled with the fixed `FAILED_BELOW`: with ten balanced classes chance is
0.10, and a network that learned anything at all is far above 0.20 after an epoch.
"""

from __future__ import annotations

import math

FAILED_BELOW = 0.2
"""Training accuracy under which a single live ten-class run is labelled failed ("ended near chance")."""


def failed(record: dict, last_failed=None) -> bool:
    """Whether a stored run failed: diverged, or its last snapshot fails `last_failed(snapshot)` (by default a
    classifier's: final training accuracy below `FAILED_BELOW`). Only an ended run can be counted."""
    if record["status"] == "diverged":
        return True
    if record["status"] != "complete":
        raise ValueError(f"run {record['key']} is {record['status']} at epoch {record['epochs_done']}: "
                         "only an ended run can be counted as failed or not")
    last = record["snapshots"][-1]
    return bool(last_failed(last)) if last_failed is not None else last["train_accuracy"] < FAILED_BELOW


def final_accuracy(record: dict, split: str = "test") -> float:
    """The accuracy on `split` ("train" or "test") at the run's last snapshot; NaN for a diverged run."""
    if record["status"] == "diverged":
        return float("nan")
    return float(record["snapshots"][-1][f"{split}_accuracy"])


def budget(record: dict) -> dict:
    """A run's training budget from its record: `n_train`, `epochs` (its last) and `steps` (batches of all its
    epochs; None where the record does not say its batch size), the columns `learning_rates.budget_text` reads."""
    config, n_train = record["config"], record.get("experiment", {}).get("n_train")
    epochs = config["epochs"][-1]
    steps = math.ceil(n_train / config["batch_size"]) * epochs if n_train and "batch_size" in config else None
    return {"n_train": n_train, "epochs": epochs, "steps": steps}

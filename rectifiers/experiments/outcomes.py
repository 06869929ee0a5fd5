"""A stored classifier run's final values, and a quick failed/trained label for one live run.

The chapters' verdicts count failures against a bar each study derives from its own healthy runs
(`rectifiers.decision.bar_from_healthy`, e.g. `learning_rates.failure_bar`). A single live run (the pair explorers)
has no study to derive a bar from; it is labelled with the fixed `FAILED_BELOW`: with ten balanced classes chance is
0.10, and a network that learned anything at all is far above 0.20 after an epoch.
"""

from __future__ import annotations

FAILED_BELOW = 0.2
"""Training accuracy under which a single live ten-class run is labelled failed ("ended near chance")."""


def failed(record: dict) -> bool:
    """Whether a stored classifier run failed: diverged, or final training accuracy below `FAILED_BELOW`."""
    if record["status"] == "diverged":
        return True
    if record["status"] != "complete":
        raise ValueError(f"run {record['key']} is {record['status']} at epoch {record['epochs_done']}: "
                         "only an ended run can be counted as failed or not")
    return record["snapshots"][-1]["train_accuracy"] < FAILED_BELOW


def final_accuracy(record: dict, split: str = "test") -> float:
    """The accuracy on `split` ("train" or "test") at the run's last snapshot; NaN for a diverged run."""
    if record["status"] == "diverged":
        return float("nan")
    return float(record["snapshots"][-1][f"{split}_accuracy"])


def training_seconds(segments) -> float:
    """Wall seconds a run's training took, over its `segments`: a segment trained stacked (`stacked_runs` runs as one
    program) counts its group's time once, shared between the runs."""
    return sum(s["wall_s"] / s.get("stacked_runs", 1) for s in segments)

"""What counts as a failed run, defined once for every chapter that counts failures.

A classifier run *failed* when it diverged (its loss stopped being a finite number) or when, evaluated on its
whole training set after its last epoch, it is right on fewer than `FAILED_BELOW` of the images: with ten
balanced classes chance is 0.10, and a network that learned anything at all is far above 0.20 after an epoch
(the seed CNN reaches about 0.9 after one epoch on 2,000 images).
"""

from __future__ import annotations

FAILED_BELOW = 0.2
"""Training accuracy under which a ten-class run is counted as failed ("ended near chance")."""


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

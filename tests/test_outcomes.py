"""A failed run is defined once: diverged, or near chance on its own training set."""

import math

import pytest

from rectifiers.experiments.outcomes import FAILED_BELOW, failed, final_accuracy


def record(status="complete", train_accuracy=0.9, test_accuracy=0.88):
    return {"key": "k", "status": status, "epochs_done": 3,
            "snapshots": [{"epoch": 3, "train_accuracy": train_accuracy, "test_accuracy": test_accuracy}]}


def test_failed_counts_divergence_and_runs_near_chance():
    assert failed(record("diverged"))
    assert failed(record(train_accuracy=0.1135)) and failed(record(train_accuracy=FAILED_BELOW - 1e-9))
    assert not failed(record(train_accuracy=FAILED_BELOW)) and not failed(record())
    assert math.isnan(final_accuracy(record("diverged"))) and final_accuracy(record(), "train") == 0.9


def test_a_partial_run_is_not_counted():
    with pytest.raises(ValueError, match="run k is partial at epoch 3"):
        failed(record("partial"))

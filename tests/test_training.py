"""The training engine on tiny data: validation, keys, snapshots, the cache, and resuming after a real kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rectifiers.engine import run
from rectifiers.engine import ResultsStore, StoreError
from rectifiers.engine import RunConfig, load_model, load_run_data, run_key, train

from conftest import TINY_RUN

TIMING = ("fit_s", "eval_s", "save_s")


pytestmark = pytest.mark.usefixtures("offline")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny Leaky ReLU run, trained once for the tests that only read it."""
    os.environ["RECTIFIERS_OFFLINE"] = "1"
    store = ResultsStore(tmp_path_factory.mktemp("results"))
    config = RunConfig(activation="leaky_relu", **TINY_RUN)
    return config, store, train(config, store=store, progress=False)


def without_timings(history: dict) -> dict:
    return {k: v for k, v in history.items() if k not in TIMING}


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(activation="relu6"), "activation must be one of"),
        (dict(alpha=float("nan")), "alpha must be a finite real number"),
        (dict(epochs=(10, 1)), "epochs must be strictly increasing"),
        (dict(epochs=(0, 1)), r"epochs\[0\] must be an integer >= 1"),
        (dict(dataset="cifar10"), "dataset must be one of 'mnist', 'fashion_mnist'"),
        (dict(learning_rate=0), "learning_rate must be a finite real number > 0"),
        (dict(batch_size=0), "batch_size must be an integer >= 1"),
        (dict(optimizer="lbfgs"), "optimizer must be one of 'adam', 'sgd', 'rmsprop'"),
        (dict(n_train=2.5), "n_train must be an integer >= 1"),
    ],
)
def test_invalid_configs_name_the_setting(settings, message):
    with pytest.raises(ValueError, match=message):
        RunConfig(**settings)


def test_from_dict_rejects_unknown_settings_and_round_trips():
    with pytest.raises(ValueError, match="unknown run setting.*'epoch'"):
        RunConfig.from_dict({"epoch": 3})
    config = RunConfig(activation="prelu", alpha=0.25, epochs=(1, 5), n_train=300)
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_the_key_covers_the_experiment_and_only_it():
    data = load_run_data(RunConfig(**TINY_RUN))
    key = lambda **kw: run_key(RunConfig(**{**TINY_RUN, **kw}), data)  # noqa: E731
    assert key(alpha=0.01) == key(alpha=0.3)  # α does not change ReLU
    assert key(activation="leaky_relu", alpha=0.01) != key(activation="leaky_relu", alpha=0.3)
    assert key(checkpoint_every=5, test_every=0, eval_batch_size=100) == key()  # recording, not the experiment
    assert key(seed=1) != key() and key(epochs=(1, 3)) != key() and key(batch_size=64) != key()
    assert key().startswith("mnist-relu-s0-") and key(activation="leaky_relu").startswith("mnist-leaky_relu-a0.01-s0")


def test_snapshots_are_the_model_at_that_epoch_on_the_full_sets(tiny_run):
    config, store, record = tiny_run
    assert record["status"] == "complete" and record["epochs_done"] == 2
    assert [s["epoch"] for s in record["snapshots"]] == [1, 2]
    data = load_run_data(config)
    for snap in record["snapshots"]:
        model = load_model(record, snap["epoch"], store=store)
        loss, accuracy = model.evaluate(data.x_train, data.y_train, batch_size=50, verbose=0)
        assert snap["train_loss"] == pytest.approx(loss, rel=1e-5)
        assert snap["train_accuracy"] == pytest.approx(accuracy)
        assert snap["test_accuracy"] == record["history"]["test_accuracy"][snap["epoch"] - 1]
        assert np.round(snap["train_accuracy"] * 200) == pytest.approx(snap["train_accuracy"] * 200, abs=1e-3)
    assert record["data"]["n_train"] == 200 and record["data"]["is_sample"] is True
    segment = record["segments"][0]
    assert segment["backend"] == "tensorflow" and segment["device"] == "CPU" and segment["epochs"] == [0, 2]
    assert segment["versions"]["keras"].startswith("3.") and "cpu" in segment["hardware"]


def test_a_stored_run_is_returned_without_training(tiny_run, monkeypatch):
    config, store, record = tiny_run
    monkeypatch.setattr(run, "make_trainer", lambda config: pytest.fail("trained again"))
    assert train(config, store=store, progress=False) == store.get(record["key"]) == record


def test_until_epoch_keeps_the_key_and_resuming_equals_the_uninterrupted_run(tiny_run, tmp_path):
    config, _, full = tiny_run
    store = ResultsStore(tmp_path)
    partial = train(config, store=store, until_epoch=1, progress=False)
    assert partial["key"] == full["key"] and partial["status"] == "partial" and partial["epochs_done"] == 1
    assert [s["epoch"] for s in partial["snapshots"]] == [1]
    resumed = train(config, store=store, progress=False)
    assert resumed["status"] == "complete" and len(resumed["segments"]) == 2
    assert resumed["snapshots"][-1] | {"eval_s": 0} == full["snapshots"][-1] | {"eval_s": 0}
    assert without_timings(resumed["history"]) == without_timings(full["history"])


def test_a_partial_run_without_its_checkpoint_is_not_silently_restarted(tiny_run, tmp_path):
    config, _, _ = tiny_run
    store = ResultsStore(tmp_path)
    record = train(config, store=store, until_epoch=1, progress=False)
    store.checkpoint_path(record["key"]).unlink()
    with pytest.raises(StoreError, match="checkpoint of partial run .* is missing; the run cannot be resumed"):
        train(config, store=store, progress=False)


KILLED_RUN = """
import sys
from rectifiers.engine import ResultsStore
from rectifiers.engine import RunConfig, train
train(RunConfig(activation="leaky_relu", dropout=0.5, n_train=200, n_test=100, epochs=(2, 4, 8)),
      store=ResultsStore(sys.argv[1]), progress=False)
"""


@pytest.mark.slow
def test_a_run_killed_mid_training_resumes_to_the_same_numbers(tmp_path):
    """SIGKILL a training process after its second epoch; the resumed run equals an uninterrupted one."""
    config = RunConfig(activation="leaky_relu", dropout=0.5, n_train=200, n_test=100, epochs=(2, 4, 8))
    killed = ResultsStore(tmp_path / "killed")
    env = {**os.environ, "RECTIFIERS_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(killed.root)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            records = killed.records()
            if records and records[0]["epochs_done"] >= 2:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()[-2000:]
    interrupted = killed.records()[0]
    assert interrupted["status"] == "partial" and 2 <= interrupted["epochs_done"] < 8

    resumed = train(config, store=killed, progress=False)
    straight = train(config, store=ResultsStore(tmp_path / "straight"), progress=False)
    assert resumed["key"] == straight["key"] and resumed["status"] == "complete"
    assert len(resumed["segments"]) == 2 and resumed["segments"][1]["epochs"][0] == interrupted["epochs_done"]
    assert [s | {"eval_s": 0} for s in resumed["snapshots"]] == [s | {"eval_s": 0} for s in straight["snapshots"]]
    assert without_timings(resumed["history"]) == without_timings(straight["history"])


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end_on_tiny_data(capsys):
    from rectifiers import bench

    assert bench.main(["--n-train", "100", "--n-test", "100", "--epochs", "2", "--rounds", "1", "--no-variants",
                       "--no-executor", "--stack-seeds", "3", "--stack-epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "plain model.fit(batch_size=32)" in out and "engine, no per-epoch test evaluation" in out
    assert "one checkpoint" in out
    assert "stacked vs one by one: ×" in out  # part 5, on 3 seeds per shape here


def test_make_bench_runs_the_module():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "rectifiers.bench", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "--no-executor" in out.stdout  # `python -m` reaches main()

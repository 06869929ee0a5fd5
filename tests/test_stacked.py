"""The stacked trainer: runs trained as one program equal the same runs trained alone (to float32 rounding), each
keeps its own divergence, checkpoint and resume, and its record is a valid record of its own key."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from rectifiers.engine import ResultsStore, RunConfig, load_run_data, plan, run_key, run_plan, study_from_dict, train
from rectifiers.engine.schema import check_record
from rectifiers.engine.stacked import check_group, train_group
from rectifiers.engine.stacking import group_runs
from rectifiers.engine.study import REPOSITORY

SMALL = dict(model="mlp", depth=2, width=8, initializer="he", epochs=(1, 2), n_train=256, n_test=100,
             probes=("dead_units", "output_spread"), probe_every=100, keep_weights="none", stacked=True)
TIMINGS = ("fit_s", "eval_s", "save_s")
RELATIVE = 1e-5
"""The stated tolerance: a stacked run's losses equal the run trained alone to 1e-5 relative (float32 sums in
another order; measured about 1e-7 after an epoch of Adam on these well-conditioned runs)."""


def configs(**changes) -> list[RunConfig]:
    base = RunConfig(**{**SMALL, **changes})
    members = [("relu", 0.01, 0), ("leaky_relu", 0.01, 0), ("leaky_relu", 0.3, 1), ("relu", 0.01, 2)]
    return [dataclasses.replace(base, activation=a, alpha=alpha, seed=s) for a, alpha, s in members]


def numbers(record: dict) -> dict:
    """What must not depend on how a run was trained or interrupted."""
    return {"status": record["status"], "epochs_done": record["epochs_done"],
            "snapshots": [{k: v for k, v in s.items() if k != "eval_s"} for s in record["snapshots"]],
            "history": {k: v for k, v in record["history"].items() if k not in TIMINGS},
            "probes": record.get("probes")}


@pytest.mark.parametrize("optimizer, rate, extra", [("adam", 0.003, {}), ("sgd", 0.1, {}),
                                                     ("adam", 0.003, {"initializer": "rai"})])
def test_stacked_runs_equal_the_same_runs_trained_alone(tmp_path, optimizer, rate, extra):
    group = configs(optimizer=optimizer, learning_rate=rate, **extra)
    store = ResultsStore(tmp_path)
    data = load_run_data(group[0])
    stacked = train_group(group, store=store, data=data)
    for config, record in zip(group, stacked):
        alone = train(dataclasses.replace(config, stacked=False), store=store, data=data, progress=False)
        assert record["key"] != alone["key"] and record["experiment"]["trainer"] == "stacked"
        assert "trainer" not in alone["experiment"]
        for column in ("train_loss", "test_loss"):
            np.testing.assert_allclose(record["history"][column], alone["history"][column], rtol=RELATIVE)
        for a, b in zip(record["snapshots"], alone["snapshots"]):
            np.testing.assert_allclose([a["train_loss"], a["test_loss"]], [b["train_loss"], b["test_loss"]],
                                       rtol=RELATIVE)
        before = record["probes"]["dead_units"][0], alone["probes"]["dead_units"][0]
        assert before[0] == before[1]  # the same initial weights: the same units dead at initialisation
        assert record["probes"]["output_spread"][0] == pytest.approx(alone["probes"]["output_spread"][0], rel=1e-6)


def test_stacked_prelu_runs_equal_the_same_runs_trained_alone(tmp_path):
    base = RunConfig(**{**SMALL, "epochs": (1,)}, activation="prelu", alpha=0.25, learning_rate=0.003)
    group = [dataclasses.replace(base, seed=s) for s in (0, 1)]
    data = load_run_data(group[0])
    store = ResultsStore(tmp_path)
    for config, record in zip(group, train_group(group, store=store, data=data)):
        alone = train(dataclasses.replace(config, stacked=False), store=store, data=data, progress=False)
        np.testing.assert_allclose(record["history"]["train_loss"], alone["history"]["train_loss"], rtol=RELATIVE)


def test_a_stacked_run_that_diverges_is_stored_diverged_and_the_others_train_on(tmp_path):
    healthy = configs(optimizer="sgd", learning_rate=0.1)[:3]
    doomed = dataclasses.replace(healthy[0], seed=5, learning_rate=1e12)
    data = load_run_data(healthy[0])
    records = train_group([healthy[0], doomed, *healthy[1:]], store=ResultsStore(tmp_path / "with"), data=data)
    assert records[1]["status"] == "diverged" and records[1]["diverged_at"] == 1
    assert records[1]["history"]["train_loss"] == [None]
    check_record(records[1])
    without = train_group(healthy, store=ResultsStore(tmp_path / "without"), data=data)
    for a, b in zip([records[0], *records[2:]], without):
        assert a["status"] == "complete"
        np.testing.assert_allclose(a["history"]["train_loss"], b["history"]["train_loss"], rtol=1e-6)
        np.testing.assert_allclose(a["history"]["test_loss"], b["history"]["test_loss"], rtol=1e-6)


BLOCKS = dict(model="mlp_blocks", depth=3, width=4, initializer="he", epochs=(1,), n_train=160, n_test=100)
"""Chapter 8's deep-narrow MLP with residual / LayerNorm blocks, on a tiny setting: 5 steps of batch 32."""


@pytest.mark.parametrize("block", ["residual_layernorm"])  # both of a block's parts: the residual sum and LayerNorm
def test_stacked_block_runs_equal_the_same_runs_trained_alone(tmp_path, block):
    fixed = configs(**BLOCKS, block=block, learning_rate=0.003)
    prelu = [dataclasses.replace(fixed[0], activation="prelu", alpha=0.25, seed=s) for s in (0, 1)]
    group, store = [*fixed, *prelu], ResultsStore(tmp_path)
    data = load_run_data(group[0])
    stacked = [*train_group(fixed, store=store, data=data), *train_group(prelu, store=store, data=data)]
    assert [r["segments"][0]["stacked_runs"] for r in stacked] == [4, 4, 4, 4, 2, 2]
    for config, record in zip(group, stacked):
        alone = train(dataclasses.replace(config, stacked=False), store=store, data=data, progress=False)
        assert record["experiment"]["trainer"] == "stacked" and record["config"]["block"] == block
        for column in ("train_loss", "train_accuracy", "test_loss"):
            np.testing.assert_allclose(record["history"][column], alone["history"][column], rtol=RELATIVE)
        for a, b in zip(record["snapshots"], alone["snapshots"]):
            np.testing.assert_allclose([a["train_loss"], a["test_loss"]], [b["train_loss"], b["test_loss"]],
                                       rtol=RELATIVE)
        assert record["probes"]["dead_units"][0] == alone["probes"]["dead_units"][0]  # the same initial weights
        for a, b in zip(record["probes"]["dead_units"], alone["probes"]["dead_units"]):  # and the same updates
            assert (a["epoch"], a["dead_masks"]) == (b["epoch"], b["dead_masks"])
            np.testing.assert_allclose(a["active_fraction"], b["active_fraction"], atol=2e-6)
        for a, b in zip(record["probes"]["output_spread"], alone["probes"]["output_spread"]):
            assert a["predicted_classes"] == b["predicted_classes"]
            assert a["logit_spread"] == pytest.approx(b["logit_spread"], rel=1e-5)


def test_a_stacked_block_run_that_diverges_is_stored_diverged_and_the_others_train_on(tmp_path):
    healthy = configs(**BLOCKS, block="residual_layernorm", optimizer="sgd", learning_rate=0.1)[:3]
    doomed = dataclasses.replace(healthy[0], seed=5, learning_rate=1e30)
    data = load_run_data(healthy[0])
    records = train_group([healthy[0], doomed, *healthy[1:]], store=ResultsStore(tmp_path / "with"), data=data)
    assert records[1]["status"] == "diverged" and records[1]["diverged_at"] == 1
    check_record(records[1])
    without = train_group(healthy, store=ResultsStore(tmp_path / "without"), data=data)
    for a, b in zip([records[0], *records[2:]], without):
        assert a["status"] == "complete"
        np.testing.assert_allclose(a["history"]["train_loss"], b["history"]["train_loss"], rtol=1e-6)


class Killed(Exception):
    pass


class KillAfter:
    """A progress object that kills the session after `n` run-epochs (as a killed process would stop it)."""

    def __init__(self, n):
        self.n = n

    def update(self, n=1):
        self.n -= n
        if self.n <= 0:
            raise Killed


def test_a_killed_stacked_group_resumes_every_run_exactly(tmp_path):
    group = configs(learning_rate=0.003, epochs=(1, 2, 3), keep_weights="final")
    data = load_run_data(group[0])
    whole = train_group(group, store=ResultsStore(tmp_path / "whole"), data=data)
    store = ResultsStore(tmp_path / "killed")
    with pytest.raises(Killed):  # killed in epoch 2, after two runs had ended it: the group stands at epochs 2 and 1
        train_group(group, store=store, data=data, progress=KillAfter(len(group) + 2))
    done = [store.get(run_key(c, data))["epochs_done"] for c in group]
    assert done == [2, 2, 1, 1]
    resumed = train_group(group, store=store, data=data)
    for a, b in zip(resumed, whole):
        assert numbers(a) == numbers(b)
        assert [s["epochs"] for s in a["segments"]] == [[0, 2], [2, 3]] or [s["epochs"] for s in a["segments"]] == \
            [[0, 1], [1, 3]]
        check_record(a)
    assert not any(store.checkpoint_path(r["key"]).exists() for r in resumed)  # ended: only the final weights
    assert all(store.snapshot_weights_path(r["key"], 3).exists() for r in resumed)


def test_stacked_records_pass_the_stores_validation_and_single_run_keys_do_not_change(tmp_path):
    study = dict(name="stack_study", datasets=["mnist"], activations=["relu", "leaky_relu"], alphas=[0.01, 0.3],
                 seeds=[0, 1], **{k: list(v) if isinstance(v, tuple) else v for k, v in SMALL.items()},
                 grid={"learning_rate": [0.001, 0.01]})
    store = ResultsStore(tmp_path)
    the_plan = plan(study_from_dict(study), store)
    assert [len(unit) for unit in group_runs(the_plan.to_train)] == [12]
    assert [len(unit) for unit in group_runs(the_plan.to_train, parts=2)] == [6, 6]
    records, problems = run_plan(the_plan, store, executor="sequential", progress=False)
    assert problems == [] and len(records) == 12 and {r["status"] for r in records} == {"complete"}
    for record in records:
        check_record(json.loads(json.dumps(record, allow_nan=False)))
        assert record["segments"][0]["stacked_runs"] == 12
    assert store.scan()[1] == []
    assert plan(study_from_dict(study), store).to_train == []  # never trained twice
    # A stored run of the book trained alone keeps its key: `stacked` enters the experiment only when true.
    stored = next(r for path in sorted((REPOSITORY / "results" / "runs").glob("mnist-mlp4x32-*.json"))
                  if "trainer" not in (r := json.loads(path.read_text()))["experiment"])
    config = RunConfig.from_dict(stored["config"])
    assert not config.stacked and "stacked" not in stored["config"]  # a record made before the stacked trainer
    assert run_key(config, load_run_data(config)) == stored["key"]


def test_stack_settings_are_checked_before_training(tmp_path):
    with pytest.raises(ValueError, match="model"):
        RunConfig(stacked=True)  # the seed CNN
    with pytest.raises(ValueError, match="optimizer"):
        RunConfig(**{**SMALL, "optimizer": "rmsprop"})
    with pytest.raises(ValueError, match="activation"):
        RunConfig(**SMALL, activation="gelu")
    with pytest.raises(ValueError, match="stacked must be true or false"):
        RunConfig(**{**SMALL, "stacked": "yes"})
    with pytest.raises(ValueError, match="stacked: true"):
        train(configs()[0], store=ResultsStore(tmp_path))
    with pytest.raises(ValueError, match="differ only by seed"):
        check_group([configs()[0], dataclasses.replace(configs()[0], width=4)], 2)
    with pytest.raises(ValueError, match="differ only by seed"):
        check_group([configs()[0], dataclasses.replace(configs()[0], activation="prelu")], 2)


@pytest.mark.slow
def test_dask_hands_out_stacked_groups_and_they_equal_the_same_groups_in_one_process(tmp_path, monkeypatch):
    from distributed import Client

    from rectifiers.engine import dask_executor

    monkeypatch.setenv("RECTIFIERS_OFFLINE", "1")
    study = study_from_dict(dict(name="stack_dask", datasets=["mnist"], activations=["relu", "leaky_relu"],
                                 alphas=[0.01], seeds=[0, 1, 2],
                                 **{k: list(v) if isinstance(v, tuple) else v for k, v in SMALL.items()}))
    cluster = dask_executor.local_cluster(workers=2)
    with Client(cluster) as client:
        store = ResultsStore(tmp_path / "dask")
        the_plan = plan(study, store)
        assert dask_executor.run_on_dask(the_plan, store, the_plan.to_train, client=client, progress=False) == []
    cluster.close()
    on_dask = [store.get(r.key) for r in the_plan.runs]
    assert sorted(r["segments"][0]["stacked_runs"] for r in on_dask) == [3] * 6  # two groups of three, one a worker
    here = ResultsStore(tmp_path / "here")
    records, problems = run_plan(plan(study, here), here, executor="sequential", progress=False)
    for a, b in zip(on_dask, sorted(records, key=lambda r: [x.key for x in the_plan.runs].index(r["key"]))):
        assert a["key"] == b["key"] and a["status"] == b["status"] == "complete"
        np.testing.assert_allclose(a["history"]["train_loss"], b["history"]["train_loss"], rtol=1e-6)


GROUP_IN_A_PROCESS = """
import json, sys
from rectifiers.engine import ResultsStore, RunConfig, stacked

made = stacked.StackedMLP
trained = []


class Counted(made):
    def __init__(self, configs, data):
        trained.extend(c.seed for c in configs)
        super().__init__(configs, data)


stacked.StackedMLP = Counted
configs = [RunConfig.from_dict(c) for c in json.loads(sys.argv[2])]
records = stacked.train_group(configs, store=ResultsStore(sys.argv[1]))
print(json.dumps({"trained": len(trained), "statuses": [r["status"] for r in records]}))
"""


@pytest.mark.slow
def test_two_processes_stacking_the_same_group_on_one_store_train_each_run_once(tmp_path):
    """The group holds every member's lock: a second process waits, then returns what the first stored."""
    import os
    import subprocess
    import sys

    members = json.dumps([c.to_dict() for c in configs()])
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    both = [subprocess.Popen([sys.executable, "-c", GROUP_IN_A_PROCESS, str(tmp_path), members], cwd=REPOSITORY,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert sorted(r["trained"] for r in results) == [0, 4], results  # one process trained the group, once
    assert all(r["statuses"] == ["complete"] * 4 for r in results), results
    assert not any((tmp_path / ".locks").glob("*.lock"))

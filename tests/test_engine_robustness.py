"""Nothing on disk or typed by a user crashes the engine: each class of issue 10 (items 1-7) ends in a stored
result or a message naming the path or the setting, and nothing stored is lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rectifiers.engine import ResultsStore, RunConfig, StoreError, load_study, plan, scan_runs, study_from_dict, train
from rectifiers.engine import run as engine_run
from rectifiers.engine import store as engine_store
from rectifiers.engine.cli import main
from rectifiers.engine.migrate import migrate_store, upgrade_segments
from rectifiers.engine.schema import SCHEMA

from conftest import TINY_DATA, TINY_RUN

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(activation="leaky_relu", **TINY_RUN)
TINY_STUDY = dict(name="tiny", datasets=["mnist"], activations=["leaky_relu"], seeds=[0], epochs=[1, 2], **TINY_DATA)


pytestmark = pytest.mark.usefixtures("offline")


@pytest.fixture(scope="module")
def partial_store(tmp_path_factory):
    """A store holding one real run trained to epoch 1 of 2 (partial, with its checkpoint)."""
    os.environ["RECTIFIERS_OFFLINE"] = "1"
    store = ResultsStore(tmp_path_factory.mktemp("partial"))
    record = train(RunConfig(**TINY), store=store, until_epoch=1, progress=False)
    return store, record


def copy_of(store: ResultsStore, tmp_path: Path) -> ResultsStore:
    shutil.copytree(store.root, tmp_path / "copy")
    return ResultsStore(tmp_path / "copy")


def no_training(monkeypatch):
    monkeypatch.setattr(engine_run, "make_trainer", lambda config: pytest.fail("started training"))


# --- 1. a diverged run is a result ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_diverging_run_is_stored_as_diverged_and_never_retrained(tmp_path, monkeypatch, capsys):
    store = ResultsStore(tmp_path)
    config = RunConfig(optimizer="sgd", learning_rate=1e30, **TINY_RUN)
    record = train(config, store=store, progress=False)
    assert record["status"] == "diverged" and record["diverged_at"] == record["epochs_done"] == 1
    assert record["history"]["train_loss"] == [None] and record["snapshots"] == []
    text = store.run_path(record["key"]).read_text()
    assert "NaN" not in text and "Infinity" not in text
    no_training(monkeypatch)
    assert train(config, store=store, progress=False) == record
    study = study_from_dict({**TINY_STUDY, "activations": ["relu"], "optimizer": "sgd", "learning_rate": 1e30})
    the_plan = plan(study, store)
    assert the_plan.counts()["diverged"] == 1 and the_plan.epochs_to_go == 0
    assert main(["runs", "--results", str(tmp_path)]) == 0
    assert "diverged at epoch 1" in capsys.readouterr().out


# --- 2. records are validated when read -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(snapshots={}), "snapshots must be a list"),
        (lambda r: r["snapshots"][0].update(test_accuracy=float("nan")), "holds NaN, which JSON does not allow"),
        (lambda r: r["history"]["train_loss"].append(0.1), r"history.train_loss must be a list of 1 values"),
        (lambda r: r["segments"][0].pop("recording"), r"segments\[0\].recording must be an object"),
        (lambda r: r.update(status="complete"), "status 'complete' but epochs_done 1"),
        (lambda r: r["config"].update(activation="relu7"), "config: activation must be one of"),
    ],
    ids=["empty-snapshots", "nan-metric", "history-length", "no-recording", "status", "config"],
)
def test_a_record_that_breaks_the_schema_is_reported_with_its_path(partial_store, tmp_path, change, message):
    store = copy_of(partial_store[0], tmp_path)
    key = partial_store[1]["key"]
    record = json.loads(store.run_path(key).read_text())
    change(record)
    store.run_path(key).write_text(json.dumps(record))  # json.dumps writes NaN: what a careless writer does
    before = store.run_path(key).read_bytes()
    records, problems = scan_runs(store.root)
    assert records == [] and len(problems) == 1
    assert problems[0].startswith(str(store.run_path(key)))
    assert __import__("re").search(message, problems[0]), problems[0]
    with pytest.raises(StoreError, match=message):
        store.get(key)
    assert store.run_path(key).read_bytes() == before  # never overwritten


# --- 3. checkpoints -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "deleted"])
def test_a_broken_checkpoint_is_reported_by_runs_dry_run_and_training(partial_store, tmp_path, damage, capsys,
                                                                      monkeypatch):
    store = copy_of(partial_store[0], tmp_path)
    key = partial_store[1]["key"]
    checkpoint = store.checkpoint_path(key)
    if damage == "truncated":
        checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    else:
        checkpoint.unlink()
    expected = "is not readable" if damage == "truncated" else "is missing"

    assert main(["runs", "--results", str(store.root)]) == 1
    err = capsys.readouterr().err
    assert f"{checkpoint}: checkpoint of partial run {key} {expected}" in err

    study = tmp_path / "tiny.yaml"
    study.write_text(json.dumps(TINY_STUDY))  # JSON is YAML
    assert main(["study", str(study), "--results", str(store.root), "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "blocked" in out and f"{checkpoint}: checkpoint of partial run" in out

    no_training(monkeypatch)
    with pytest.raises(StoreError, match=f"checkpoint of partial run {key} {expected}"):
        train(RunConfig(**TINY), store=store, progress=False)
    assert store.get(key) == partial_store[1]  # the record is kept


# --- 4. read-only store, orphan temporary files, the smoke study ----------------------------------------------------


def test_a_read_only_store_is_refused_before_training(partial_store, tmp_path, monkeypatch):
    store = copy_of(partial_store[0], tmp_path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(engine_store.tempfile, "mkstemp", denied)  # as root, chmod cannot make a folder read-only
    no_training(monkeypatch)
    with pytest.raises(StoreError, match=f"results folder {store.runs_dir} is not writable .Permission denied"):
        train(RunConfig(**TINY), store=store, progress=False)


def test_runs_removes_a_stale_temporary_file_ignores_a_fresh_one_and_exits_0(partial_store, tmp_path, capsys):
    """A complete (here: partial but resumable) store with a kill's debris is not a store with problems."""
    store = copy_of(partial_store[0], tmp_path)
    key = partial_store[1]["key"]
    stale = store.checkpoint_path(key).parent / ".latest.npz.abc123.tmp"
    stale.write_bytes(b"half a checkpoint")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = store.run_path(key).parent / f".{key}.json.def456.tmp"
    fresh.write_text("{")
    assert main(["runs", "--results", str(store.root)]) == 0
    err = capsys.readouterr().err
    assert f"removed {stale}: a temporary file left by an interrupted write" in err and not stale.exists()
    assert f"ignored {fresh}: a temporary file being written now" in err and fresh.exists()
    os.utime(fresh, (old, old))
    with store.run_lock(key):  # its run is being trained: the trainer may still be writing it
        assert store.clean_orphans() == [] and fresh.exists()
    assert store.clean_orphans() == [fresh] and not fresh.exists()


def test_the_smoke_study_never_writes_into_the_committed_results():
    smoke = load_study(ROOT / "studies" / "smoke.yaml")
    root = smoke.results_root()
    assert root is not None and (ROOT / "results") not in (root, *root.parents)
    with pytest.raises(ValueError, match="results must be a folder inside the repository"):
        study_from_dict({**TINY_STUDY, "results": "/tmp/elsewhere"})


# --- 5. records match results/README.md -----------------------------------------------------------------------------


def test_records_carry_recording_and_resume_boundaries_keep_save_s(partial_store, tmp_path):
    store = copy_of(partial_store[0], tmp_path)
    record = train(RunConfig(**TINY), store=store, progress=False)
    assert record["status"] == "complete" and len(record["segments"]) == 2
    assert all(set(s["recording"]) == {"checkpoint_every", "test_every", "eval_batch_size", "keep_weights"}
               for s in record["segments"])
    assert None not in record["history"]["save_s"]  # epoch 1 ended the first session with a checkpoint
    text = json.dumps(record["data"])
    assert str(ROOT) not in text and "site-packages" not in text and os.environ["RECTIFIERS_MNIST_DIR"] not in text
    assert record["data"]["train_source"]["files"] == ["mnist_5k.csv.gz"]


def test_a_legacy_session_gets_the_evaluation_schedule_its_history_shows():
    history = {"epoch": list(range(1, 31)), "test_loss": [1.0] * 19 + [1.0 if e % 5 == 0 else None
                                                                      for e in range(20, 31)]}
    segments = upgrade_segments([{"epochs": [0, 19]}, {"epochs": [19, 30]}], history)
    assert [s["recording"]["test_every"] for s in segments] == [1, 5]
    assert all(s["recording"]["inferred"] and s["recording"]["checkpoint_every"] is None for s in segments)


def test_runs_of_the_first_engine_migrate_with_their_keys(tmp_path):
    legacy = ROOT / "tests" / "data" / "legacy_runs"
    shutil.copytree(legacy, tmp_path / "runs", ignore=shutil.ignore_patterns("*.md", "checkpoints"))
    store = ResultsStore(tmp_path)
    before = {p.name: json.loads(p.read_text()) for p in store.runs_dir.glob("*.json")}
    assert {r["schema"] for r in before.values()} == {"rectifiers.run/1"}
    assert store.scan()[0] == []  # an old record is reported, not used as if it were current
    upgraded, problems = migrate_store(store)
    assert problems == [] and len(upgraded) == 2
    records, problems = store.scan(training=False)
    assert len(records) == 2 and all(r["schema"] == SCHEMA for r in records)
    for r in records:  # what it computed is untouched, and the key is still that of the same experiment
        old = before[f"{r['key']}.json"]
        assert (r["snapshots"], r["history"], r["experiment"], r["config"]) == (
            old["snapshots"], old["history"], old["experiment"], old["config"])
        assert "/" not in json.dumps(r["data"]["train_source"]) + json.dumps(r["data"]["test_source"])
        assert "/home/someone" not in json.dumps(r) and "site-packages" not in json.dumps(r)
    relu = store.get("mnist-relu-s0-46381ad7e2d3")
    assert [s["recording"]["test_every"] for s in relu["segments"]] == [1, 5]  # evaluated every epoch to 19
    assert migrate_store(store) == ([], [])  # a second pass has nothing to do
    committed = ResultsStore(ROOT / "results").scan(training=False)
    assert committed[1] == [] and all(r["schema"] == SCHEMA for r in committed[0])  # results/ is migrated


# --- 6. YAML --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: a\nname: b\n", "the key 'name' is given twice"),
        (b"name: caf\xe9\n", "not UTF-8 text"),
    ],
    ids=["duplicate", "latin-1"],
)
def test_study_files_that_do_not_say_one_thing_are_refused_with_the_path(tmp_path, text, message):
    path = tmp_path / "study.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ValueError, match=message) as error:
        load_study(path)
    assert str(path) in str(error.value)
    with pytest.raises(ValueError, match="is a folder, not a YAML file"):
        load_study(tmp_path)


def test_scientific_notation_is_a_number(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("name: lr\ndatasets: [mnist]\nactivations: [relu]\nseeds: [0]\nlearning_rate: 1e-3\n"
                    "grid:\n  batch_size: [32, 64]\n")
    study = load_study(path)
    assert study.settings["learning_rate"] == 0.001
    assert [c.batch_size for c in study.configs()] == [32, 64]


# --- 7. the command line --------------------------------------------------------------------------------------------


def test_planning_and_listing_do_not_import_tensorflow(tmp_path):
    code = ("import sys; from rectifiers.engine.cli import main; "
            f"main(['study', {str(ROOT / 'studies' / 'smoke.yaml')!r}, '--dry-run', '--results', {str(tmp_path)!r}]); "
            f"main(['runs', '--results', {str(tmp_path)!r}]); "
            "heavy = sorted(m for m in ('tensorflow', 'keras', 'distributed') if m in sys.modules); "
            "print('imported:', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "imported: []" in out.stdout, out.stderr[-2000:]


def test_ctrl_c_stops_with_one_line(monkeypatch, capsys, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("rectifiers.engine.study.plan", interrupted)
    assert main(["study", str(ROOT / "studies" / "smoke.yaml"), "--results", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("interrupted:") and "Traceback" not in err


def test_a_missing_results_folder_is_named(capsys):
    assert main(["runs", "--results", "/nonexistent"]) == 2
    assert "results folder /nonexistent does not exist" in capsys.readouterr().err


# --- issue 25 -------------------------------------------------------------------------------------------------------

NAN_IN_EVALUATION = dict(name="ne", datasets=["mnist"], activations=["relu", "leaky_relu"], alphas=[0.01], seeds=[0],
                         epochs=[1, 2], n_train=200, n_test=100, optimizer="sgd", learning_rate=1e20, batch_size=200)


@pytest.mark.slow
def test_weights_that_blow_up_on_an_epochs_last_step_store_the_run_as_diverged(tmp_path, monkeypatch, capsys):
    """The training loss of the epoch is finite (the weights blew up on its last, only, step), so only the
    evaluation sees NaN: both runs are stored as diverged at epoch 1, step 1, and a rerun trains nothing."""
    import yaml

    path = tmp_path / "ne.yaml"
    path.write_text(yaml.safe_dump(NAN_IN_EVALUATION))
    results = tmp_path / "results"
    assert main(["study", str(path), "--results", str(results), "--executor", "sequential", "--no-progress"]) == 0
    assert "2 runs stored" in capsys.readouterr().out
    records, problems = ResultsStore(results).scan()
    assert problems == [] and len(records) == 2
    for record in records:
        assert record["status"] == "diverged" and record["diverged_at"] == 1
        assert record["divergence"] == {"epoch": 1, "found_in": "evaluation", "step": 1}
        assert record["history"]["train_loss"][0] is not None and record["snapshots"] == []
        text = ResultsStore(results).run_path(record["key"]).read_text()
        assert "NaN" not in text and "Infinity" not in text
    no_training(monkeypatch)
    assert main(["study", str(path), "--results", str(results), "--executor", "sequential", "--no-progress"]) == 0
    assert "0 epochs to train" in capsys.readouterr().out


def test_a_number_json_cannot_hold_is_refused_naming_the_file(tmp_path):
    with pytest.raises(StoreError, match=r"x\.json: not written .*not finite"):
        engine_store.write_json_atomic(tmp_path / "x.json", {"loss": float("nan")})
    assert not (tmp_path / "x.json").exists() and not list(tmp_path.iterdir())


def test_the_sequential_executor_trains_the_other_runs_when_one_fails(tmp_path, monkeypatch):
    from rectifiers.engine import executors

    study = study_from_dict({**TINY_STUDY, "seeds": [0, 1]})
    the_plan = plan(study, ResultsStore(tmp_path))
    trained = []

    def fake_train(config, **kw):
        if config.seed == 0:
            raise OSError(28, "No space left on device")
        trained.append(config.seed)
        return {"status": "complete", "epochs_done": 2}

    monkeypatch.setattr(executors, "train", fake_train)
    problems = executors._run_here(the_plan, ResultsStore(tmp_path), the_plan.to_train, progress=False)
    assert trained == [1]
    assert len(problems) == 1 and the_plan.runs[0].key in problems[0] and "No space left" in problems[0]


@pytest.mark.parametrize("change", [
    lambda r: r["config"].update(seed=4),  # config seed 4; file, key and experiment seed 0
    lambda r: (r["config"].update(seed=4), r["experiment"].update(seed=4)),  # the key's hash no longer fits
    lambda r: r["experiment"].update(learning_rate=0.5),
], ids=["config", "config-and-experiment", "experiment"])
def test_a_record_whose_content_disagrees_with_its_key_is_named_and_never_used(partial_store, tmp_path, change,
                                                                               capsys):
    from rectifiers.experiments import guide

    store = copy_of(partial_store[0], tmp_path)
    key = partial_store[1]["key"]
    record = json.loads(store.run_path(key).read_text())
    change(record)
    store.run_path(key).write_text(json.dumps(record))
    expected = f"{store.run_path(key)}: its content does not match its key"
    assert main(["runs", "--results", str(store.root)]) == 1
    assert expected in capsys.readouterr().err
    study = tmp_path / "tiny.yaml"
    study.write_text(json.dumps(TINY_STUDY))
    assert main(["study", str(study), "--results", str(store.root), "--dry-run"]) == 1
    assert "blocked" in (out := capsys.readouterr().out) and expected in out
    records, problems = scan_runs(store.root)
    assert records == [] and expected in problems[0]
    assert expected in guide.unusable_files(store)  # Chapter 7 names it too


def test_every_committed_record_matches_its_key():
    from rectifiers.engine.config import key_problem

    paths = sorted((ROOT / "results" / "runs").glob("*.json"))
    assert len(paths) > 1000
    assert [p.name for p in paths if key_problem(json.loads(p.read_text()))] == []


COUNT_TRAINERS = """
import os
from rectifiers.engine import run

_made = run.make_trainer


def _counted(config):
    with open(os.environ["TRAINERS_LOG"], "a") as log:
        log.write(f"{config.seed}\\n")
    return _made(config)


run.make_trainer = _counted
"""


@pytest.mark.slow
def test_two_study_commands_on_one_store_train_each_run_once(tmp_path):
    """Two processes (one sequential, one on a loopback Dask cluster) start the same study on one store: each run
    is trained by one of them (counted where trainers are built, in every process), and both end with it stored."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(COUNT_TRAINERS)
    log = tmp_path / "trainers.log"
    env = {**os.environ, "TRAINERS_LOG": str(log), "PYTHONPATH": os.pathsep.join([str(hooks), str(ROOT)])}
    study = tmp_path / "three.yaml"
    study.write_text(json.dumps({**TINY_STUDY, "seeds": [0, 1, 2]}))
    results = tmp_path / "results"
    command = [sys.executable, "-m", "rectifiers", "study", str(study), "--results", str(results), "--no-progress"]
    both = [subprocess.Popen([*command, "--executor", "sequential"], env=env, cwd=ROOT, stderr=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True),
            subprocess.Popen([*command, "--workers", "1"], env=env, cwd=ROOT, stderr=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)]
    outputs = [p.communicate(timeout=300) for p in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    assert sorted(log.read_text().split()) == ["0", "1", "2"], outputs
    records, problems = ResultsStore(results).scan()
    assert problems == [] and sorted(r["status"] for r in records) == ["complete"] * 3
    assert not (results / ".locks").exists() or not any((results / ".locks").iterdir())


def test_a_run_held_by_another_process_is_busy(tmp_path):
    store = ResultsStore(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from rectifiers.engine import ResultsStore\n"
        f"with ResultsStore({str(tmp_path)!r}).run_lock('k'):\n    print('held', flush=True); time.sleep(30)")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(engine_store.RunBusy, match="being trained by another process"):
            with store.run_lock("k", wait=False):
                pass
    finally:
        holder.kill()
        holder.wait()
    with store.run_lock("k", wait=False):  # a killed holder leaves no stale lock
        pass


def test_a_record_names_its_threads_executor_and_code(partial_store):
    segment = partial_store[1]["segments"][0]
    cores = segment["hardware"]["cores"]
    expected_intra = int(os.environ.get("TF_NUM_INTRAOP_THREADS") or cores)
    assert segment["threads"]["intra_op"] in (expected_intra, 1) and segment["executor"] == "process"
    assert len(segment["git"]["package_sha256"]) == 64 and "package_modified" in segment["git"]
    assert segment["versions"]["tensorflow"] and segment["versions"]["keras"]


def test_resuming_under_other_threads_is_refused_with_a_message_and_changes_nothing(partial_store, tmp_path,
                                                                                     monkeypatch):
    from rectifiers.engine import environment

    store = copy_of(partial_store[0], tmp_path)
    key = partial_store[1]["key"]
    before = store.checkpoint_path(key).read_bytes()
    theirs = partial_store[1]["segments"][-1]["threads"]
    monkeypatch.setattr(environment, "threads", lambda: {**theirs, "intra_op": theirs["intra_op"] + 7})
    with pytest.raises(StoreError, match=rf"run {key} was trained to epoch 1 under another numerical setting "
                                         r"\(threads .* → .*\); resumed here it would match no uninterrupted run"):
        train(RunConfig(**TINY), store=store, progress=False)
    assert store.get(key) == partial_store[1] and store.checkpoint_path(key).read_bytes() == before


def test_a_session_recorded_before_threads_were_kept_resumes_and_versions_count():
    from rectifiers.engine.environment import resume_problem

    old = {"backend": "tensorflow", "device": "CPU", "versions": {"keras": "3.15.1", "tensorflow": "2.21.0"}}
    new = {**old, "threads": {"intra_op": 2, "inter_op": 2}}
    assert resume_problem(old, new) is None
    assert resume_problem(old, {**new, "versions": {"keras": "3.16.0", "tensorflow": "2.21.0"}}) == \
        "keras 3.15.1 → 3.16.0"

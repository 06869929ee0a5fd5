"""The engine's interfaces: model families, probes, and resuming the runs stored before the engine moved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rectifiers.engine import FAMILIES, ResultsStore, RunConfig, load_run_data, run_key, study_from_dict, train
from rectifiers.engine.migrate import upgrade_record
from rectifiers.probes import PROBES, Probe, register_probe

from conftest import TINY_DATA, TINY_RUN

ROOT = Path(__file__).resolve().parent.parent
TIMINGS = ("fit_s", "eval_s", "save_s")


pytestmark = pytest.mark.usefixtures("offline")


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(model="resnet"), "model must be one of 'seed_cnn', 'mlp'"),
        (dict(width=64), "width does not apply to model 'seed_cnn'"),
        (dict(model="mlp", depth=0), "depth must be an integer >= 1"),
        (dict(model="mlp", initializer="orthogonal"), "initializer must be one of 'he'"),
        (dict(model="mlp", dropout=0.5), "dropout does not apply to model 'mlp'"),
        (dict(probes=("dead_cells",)), r"probes\[0\] must be one of .*'weight_norms'"),
        (dict(probes="weight_norms"), "probes must be a list of probe names"),
    ],
)
def test_family_options_and_probes_are_checked(settings, message):
    with pytest.raises(ValueError, match=message):
        RunConfig(**settings)


def test_a_study_with_an_unknown_family_or_probe_is_refused_before_training():
    base = dict(name="t", datasets=["mnist"], activations=["relu"], seeds=[0])
    with pytest.raises(ValueError, match="x.yaml: model must be one of"):
        study_from_dict({**base, "model": "gan"}, source="x.yaml")
    with pytest.raises(ValueError, match=r"x.yaml: probes\[0\] must be one of"):
        study_from_dict({**base, "probes": ["nope"]}, source="x.yaml")


def test_keys_of_the_seed_cnn_are_unchanged_and_mlp_shapes_have_their_own():
    data = load_run_data(RunConfig(**TINY_DATA))
    cnn = RunConfig(**TINY_RUN)
    mlp = RunConfig(model="mlp", **TINY_RUN)
    assert mlp.depth == 3 and mlp.width == 64 and mlp.initializer == "he"  # the family's defaults
    assert run_key(mlp, data).startswith("mnist-mlp3x64-relu-s0-")
    assert run_key(mlp, data) != run_key(RunConfig(**{**mlp.to_dict(), "width": 32, "epochs": (1, 2)}), data)
    assert "depth" not in json.dumps(run_key(cnn, data)) and run_key(cnn, data).startswith("mnist-relu-s0-")
    # A stored replication run's config still gives its stored key.
    stored = json.loads((ROOT / "results/runs/mnist-relu-s1-e00c7e0799d1.json").read_text())
    config = RunConfig.from_dict(stored["config"])
    assert run_key(config, load_run_data(config)) == stored["key"]


@register_probe
class _Countdown(Probe):
    """A test probe: the epoch it was called at and the mean of the first kernel."""

    name = "test_countdown"

    def measure(self, trainer, epoch):
        return {"called_at": epoch, "mean_kernel": float(trainer.model.layers[1].kernel.numpy().mean())}


@pytest.mark.slow
def test_an_mlp_with_probes_records_them_and_resumes_them_exactly(tmp_path):
    config = RunConfig(model="mlp", depth=2, width=16, activation="leaky_relu", n_train=200, n_test=100,
                       epochs=(1, 3), probes=("weight_norms", "test_countdown"), probe_every=2)
    straight = train(config, store=ResultsStore(tmp_path / "a"), progress=False)
    assert [row["epoch"] for row in straight["probes"]["weight_norms"]] == [0, 1, 2, 3]  # 0, snapshots, every 2
    assert set(straight["probes"]["weight_norms"][0]["kernel_norm"]) == {"dense_1", "dense_2", "classifier"}
    assert [row["called_at"] for row in straight["probes"]["test_countdown"]] == [0, 1, 2, 3]
    store = ResultsStore(tmp_path / "b")
    train(config, store=store, until_epoch=2, progress=False)
    resumed = train(config, store=store, progress=False)
    assert resumed["probes"] == straight["probes"] and len(resumed["segments"]) == 2
    assert {k: v for k, v in resumed["history"].items() if k not in TIMINGS} == {
        k: v for k, v in straight["history"].items() if k not in TIMINGS}
    assert "probes" in PROBES["weight_norms"].__module__ and "mlp" in FAMILIES


@pytest.mark.slow
def test_a_stored_replication_run_resumes_from_its_committed_checkpoint(tmp_path):
    """The runs trained before the engine moved (and their checkpoints) go on where they stopped."""
    key = "mnist-leaky_relu-a0.1-s0-ec2667152ffa"  # α sweep, stored to epoch 10 of 1000
    store = ResultsStore(tmp_path)
    store.runs_dir.mkdir(parents=True)
    record = upgrade_record(json.loads((ROOT / "tests/data/legacy_runs" / f"{key}.json").read_text()))
    assert record["schema"] == "rectifiers.run/2"
    store.run_path(key).write_text(json.dumps(record))
    # Its checkpoint as committed at epoch 10 (results/ holds the run as far as it has been trained since).
    shutil.copytree(ROOT / "tests/data/legacy_runs/checkpoints" / key, store.checkpoint_path(key).parent)
    config = RunConfig.from_dict(record["config"])
    resumed = train(config, store=store, until_epoch=11, progress=False)
    assert resumed["key"] == key and resumed["epochs_done"] == 11 and resumed["status"] == "partial"
    assert [s["epochs"] for s in resumed["segments"]] == [[0, 10], [10, 11]]
    for name, column in record["history"].items():
        assert resumed["history"][name][:10] == column
    assert resumed["history"]["save_s"][9] is not None


@pytest.mark.parametrize("keep, files", [("all", ["epoch_0001.npz", "epoch_0002.npz", "latest.npz"]),
                                         ("final", ["epoch_0002.npz"]), ("none", [])])
def test_keep_weights_says_what_an_ended_run_keeps_and_a_partial_run_keeps_its_checkpoint(tmp_path, keep, files):
    config = RunConfig(model="mlp", depth=1, width=8, n_train=100, n_test=50, epochs=(1, 2), keep_weights=keep)
    store = ResultsStore(tmp_path)
    partial = train(config, store=store, until_epoch=1, progress=False)
    assert partial["status"] == "partial" and store.checkpoint_path(partial["key"]).exists()
    record = train(config, store=store, progress=False)
    folder = store.checkpoint_path(record["key"]).parent
    assert record["status"] == "complete" and record["segments"][-1]["recording"]["keep_weights"] == keep
    assert (sorted(p.name for p in folder.iterdir()) if folder.exists() else []) == files
    if files:  # the trained model still loads from what was kept
        from rectifiers.engine.run import load_model

        assert load_model(record, store=store).count_params() > 0


def test_keep_weights_is_checked_and_is_not_part_of_the_key():
    with pytest.raises(ValueError, match="keep_weights must be one of 'all', 'final', 'none'"):
        RunConfig(keep_weights="last")
    data = load_run_data(RunConfig(n_train=200, n_test=100))
    assert run_key(RunConfig(n_train=200, n_test=100), data) == run_key(
        RunConfig(n_train=200, n_test=100, keep_weights="none"), data)


# --- the training loop: one `fit` call per session, and the generic one `fit` per epoch --------------------------


def _without_timings(record: dict) -> dict:
    return {"history": {k: v for k, v in record["history"].items() if k not in TIMINGS},
            "snapshots": [{k: v for k, v in s.items() if k != "eval_s"} for s in record["snapshots"]],
            "probes": record.get("probes")}


@pytest.mark.slow
def test_a_run_stored_by_the_per_epoch_loop_is_reproduced_by_the_one_fit_loop(tmp_path):
    """A committed run, trained when the engine called `fit` once per epoch, trained again now (one `fit` per
    session): same key, and the same losses, accuracies and dead units epoch by epoch. Tolerance: a relative 1e-5.
    On the machine and library versions that stored it the two are identical (0.0 apart); another CPU may sum
    float32 in another order (about 1e-7 relative per operation, a few hundred steps here), while a loop that
    trained other batches (another order, a lost partial batch, one step more or less) moves the losses in the
    second or third digit."""
    key = "mnist-mlp4x32-relu-s0-4843f43cc9e1"  # 500 images: 15 batches of 32 and one of 20; lr 0.03; dead units
    stored = json.loads((ROOT / "results/runs" / f"{key}.json").read_text())
    assert stored["segments"][0]["git"]["commit"] == "0e5dcdf6314576eee97a296813ec48ad60c3971b"  # the old loop
    again = train(RunConfig.from_dict(stored["config"]), store=ResultsStore(tmp_path), progress=False)
    assert again["key"] == key and again["epochs_done"] == stored["epochs_done"] == 3
    old, new = _without_timings(stored), _without_timings(again)
    for name, column in old["history"].items():
        assert new["history"][name] == pytest.approx(column, rel=1e-5), name
    for old_snap, new_snap in zip(old["snapshots"], new["snapshots"], strict=True):
        assert new_snap == pytest.approx(old_snap, rel=1e-5)
    for old_row, new_row in zip(old["probes"]["dead_units"], new["probes"]["dead_units"], strict=True):
        assert new_row["dead_masks"] == old_row["dead_masks"]
        assert new_row["dead_fraction"] == pytest.approx(old_row["dead_fraction"], rel=1e-5)


@pytest.mark.slow
def test_a_trainer_without_a_multi_epoch_fit_trains_the_same_run_one_epoch_at_a_time(tmp_path, monkeypatch):
    """The generic `Trainer.fit_epochs` (one `fit_epoch` per epoch, e.g. a GAN trainer's) and the classifier's one
    `fit` call train the same steps: dropout's random masks, a partial last batch and probes included, identical."""
    from rectifiers.engine.trainers import TRAINERS, ClassifierTrainer, Trainer

    class PerEpoch(ClassifierTrainer):
        fit_epochs = Trainer.fit_epochs

    config = RunConfig(n_train=200, n_test=100, epochs=(1, 3), dropout=0.25, probes=("weight_norms",))
    session = train(config, store=ResultsStore(tmp_path / "session"), progress=False)
    monkeypatch.setitem(TRAINERS, "classifier", PerEpoch)
    per_epoch = train(config, store=ResultsStore(tmp_path / "per_epoch"), progress=False)
    assert _without_timings(per_epoch) == _without_timings(session)
    assert all(s > 0 for s in per_epoch["history"]["fit_s"] + session["history"]["fit_s"])

"""Training runs that are never done twice, survive being killed, and record how every number was made.

`train(config)` trains (or resumes, or just returns) the run a `RunConfig` names, to its last snapshot epoch
(or only to `until_epoch` now), evaluating the model on the full train and test sets at each snapshot epoch,
calling the run's probes, and storing the run's record in a `ResultsStore`. A run whose loss stops being a finite
number is stored as `"diverged"` at that epoch: a result, never retrained, never a crash.

Determinism: weights depend only on the seed, the order of the training images in epoch `e` is a permutation
drawn from `numpy.random.default_rng([seed, e])`, and on TensorFlow deterministic ops are enabled, so a
resumed run repeats the uninterrupted one exactly (same backend and machine).

A session is one `trainer.fit_epochs` call (for a classifier: one `model.fit` over all its epochs); after each
epoch the trainer hands the epoch back to `end_epoch` here, which does everything that needs Python: the history
row, test evaluation, snapshot, probes, checkpoint and record, and stops the session when the run diverged.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..data import Dataset
from ..validation import check_int
from . import environment
from .checkpoint import Progress, arrays, load_checkpoint, load_weights, save_checkpoint
from .config import RECORDING_FIELDS, RunConfig, experiment, load_run_data, run_key
from .schema import SCHEMA
from .store import ResultsStore, StoreError, write_npz_atomic
from .trainers import TRAINERS, make_trainer


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The order of the n training images in epoch `epoch` (from 1) of a run with seed `seed`."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def history_columns(config: RunConfig) -> tuple[str, ...]:
    trainer = TRAINERS[config.trainer]
    return ("epoch", *(f"train_{m}" for m in trainer.TRAIN_METRICS), *(f"test_{m}" for m in trainer.EVAL_METRICS),
            "fit_s", "eval_s", "save_s")


def train(
    config: RunConfig,
    *,
    store: ResultsStore | None = None,
    until_epoch: int | None = None,
    data: Dataset | None = None,
    progress=True,
    wait: bool = True,
    should_stop=None,
) -> dict:
    """Train (or resume, or just return) the run `config` names; return its stored record.

    `until_epoch` stops this session early (the run stays "partial" and keeps its key); `progress` is True for a
    progress bar, False for none, or an object with tqdm's `update(n)` and `set_postfix(values, refresh=)`.
    The run is trained holding its lock (`ResultsStore.run_lock`): while another process trains it, this call
    waits and then returns (or continues) what that process stored; with `wait=False` it raises `RunBusy`.
    `should_stop()`, asked after each checkpoint, ends the session there (a Dask task whose study was stopped).
    """
    if config.stacked:
        raise ValueError(f"run {config.label()} says stacked: true; train it with stacked.train_group (or its study), "
                         "which trains it together with its group")
    store = store or ResultsStore()
    data = data if data is not None else load_run_data(config)
    key = run_key(config, data)
    target = config.last_epoch if until_epoch is None else min(check_int("until_epoch", until_epoch, low=1),
                                                               config.last_epoch)
    record = store.get(key)
    if record is not None and (record["status"] == "diverged" or record["epochs_done"] >= target):
        return record
    store.check_writable()
    with store.run_lock(key, wait=wait):
        return _train_session(config, store, data, key, target, progress, should_stop)


def _train_session(config: RunConfig, store: ResultsStore, data: Dataset, key: str, target: int, progress,
                   should_stop=None) -> dict:
    """`train`'s session, run by the holder of the run's lock: what another process stored meanwhile counts."""
    record = store.get(key)
    if record is not None and (record["status"] == "diverged" or record["epochs_done"] >= target):
        return record
    store.clean_orphans()
    checkpoint = store.checkpoint_path(key)
    if record is not None and record["epochs_done"] > 0:
        problem = store.checkpoint_problem(key)
        if problem:
            raise StoreError(problem)

    trainer = make_trainer(config)
    columns = history_columns(config)
    state = Progress(columns=columns, created=environment.now())
    if checkpoint.exists():  # a partial run, or one killed before its first record was written
        state = load_checkpoint(checkpoint, key, trainer, columns)
        if record is not None and record["epochs_done"] == state.epoch and state.epoch:
            state.history["save_s"][-1] = record["history"]["save_s"][-1]  # timed after the checkpoint was written
    if state.diverged_at is not None:  # killed between the checkpoint and the record of a divergence
        record = build_record(config, key, data, state)
        store.put(record)
        return record

    segment = _segment_start(state.epoch, trainer, config)
    problem = environment.resume_problem(state.segments[-1], segment) if state.segments and state.epoch else None
    if problem:
        raise StoreError(f"run {key} was trained to epoch {state.epoch} under another numerical setting ({problem}); "
                         "resumed here it would match no uninterrupted run, so it was left as it is: resume it with "
                         "the setting of its last session (e.g. the same --executor, which sets the threads)")
    state.segments.append(segment)
    probes = _make_probes(config, data)
    if state.epoch == 0:
        _measure(probes, trainer, 0, state)
    callbacks = [c for p in probes for c in p.keras_callbacks()]
    bar, own_bar = _progress_bar(progress, config, state.epoch, target)
    snapshot_epochs = set(config.epochs)
    started = time.perf_counter()

    def end_epoch(epoch: int, metrics: dict, fit_s: float) -> bool:
        """Everything after an epoch's training: its history row, test evaluation, snapshot, probes, checkpoint
        and record. Returns True (stop) when the run diverged."""
        nonlocal record
        t1 = time.perf_counter()
        row = {"epoch": epoch, **{f"train_{m}": v for m, v in metrics.items()}, "fit_s": fit_s}
        found_in = None if _all_finite(metrics) else "training"
        if found_in is None and epoch in snapshot_epochs:
            snap = {"epoch": epoch, **trainer.evaluate(data.x_train, data.y_train, "train"),
                    **trainer.evaluate(data.x_test, data.y_test, "test")}
            snap["eval_s"] = time.perf_counter() - t1
            row.update({k: v for k, v in snap.items() if k.startswith("test_")})
            if not _all_finite(snap):
                found_in = "evaluation"  # the epoch's last step made the weights (or outputs) non-finite
            else:
                state.snapshots.append(snap)
                if config.keep_weights == "all" or (config.keep_weights == "final" and epoch == config.last_epoch):
                    weights = arrays("model", trainer.variables()["model"])
                    write_npz_atomic(store.snapshot_weights_path(key, epoch), weights)
        elif found_in is None and config.test_every and epoch % config.test_every == 0:
            row.update(trainer.evaluate(data.x_test, data.y_test, "test"))
            found_in = None if _all_finite(row) else "evaluation"
        diverged = found_in is not None
        if diverged:
            state.diverged_at = epoch
            state.divergence = {"epoch": epoch, "found_in": found_in,
                                "step": epoch * steps_per_epoch if found_in == "evaluation" else None}
        if not diverged and (epoch % config.probe_every == 0 or epoch in snapshot_epochs):
            _measure(probes, trainer, epoch, state)
        t2 = time.perf_counter()
        row["eval_s"] = t2 - t1
        _append(state.history, row)
        state.epoch = epoch
        saved = diverged or epoch % config.checkpoint_every == 0 or epoch in snapshot_epochs or epoch == target
        if saved:
            segment.update(epochs=[segment["epochs"][0], epoch], finished=environment.now(),
                           wall_s=time.perf_counter() - started)
            save_checkpoint(checkpoint, key, trainer, state)
            state.history["save_s"][-1] = time.perf_counter() - t2
            record = build_record(config, key, data, state)
            store.put(record)
        if bar is not None:
            bar.update(1)
            bar.set_postfix({name: f"{value:.4g}" for name, value in metrics.items()}, refresh=False)
        return diverged or (saved and should_stop is not None and should_stop())

    n_train = len(data.y_train)
    steps_per_epoch = -(-n_train // config.batch_size)
    try:
        trainer.fit_epochs(data.x_train, data.y_train, range(state.epoch + 1, target + 1),
                           lambda epoch: epoch_order(config.seed, epoch, n_train), end_epoch, callbacks)
    finally:
        if own_bar and bar is not None:
            bar.close()
    if record is None or record["epochs_done"] != state.epoch:  # the checkpoint was ahead of the record
        record = build_record(config, key, data, state)
        store.put(record)
    if record["status"] != "partial" and config.keep_weights != "all":
        store.remove_checkpoint(key)  # the record holds all the run's results; nothing is left to resume
    return record


def build_record(config: RunConfig, key: str, data: Dataset, state: Progress) -> dict:
    """The run's record (schema `rectifiers.run/2`) from its progress."""
    status = ("diverged" if state.diverged_at is not None
              else "complete" if state.epoch >= config.last_epoch else "partial")
    record = {
        "schema": SCHEMA,
        "key": key,
        "status": status,
        "epochs_done": state.epoch,
        "config": config.to_dict(),
        "experiment": experiment(config, data),
        "data": data.provenance(),
        "snapshots": state.snapshots,
        "history": state.history,
        "segments": state.segments,
        "created": state.created,
        "updated": environment.now(),
    }
    if state.diverged_at is not None:
        record["diverged_at"] = state.diverged_at
        if state.divergence is not None:
            record["divergence"] = state.divergence
    if config.probes:
        record["probes"] = state.probes
    return record


def load_model(record: dict, epoch: int | None = None, *, store: ResultsStore | None = None):
    """The trained model of a stored run, with its weights as they were at snapshot `epoch` (default: latest)."""
    store = store or ResultsStore()
    config = RunConfig.from_dict(record["config"])
    trainer = make_trainer(config)
    if epoch is None and not store.checkpoint_path(record["key"]).exists() and record["snapshots"]:
        epoch = record["snapshots"][-1]["epoch"]  # an ended run kept only its final weights (keep_weights)
    if epoch is None:
        load_checkpoint(store.checkpoint_path(record["key"]), record["key"], trainer, history_columns(config))
        return trainer.model
    path = store.snapshot_weights_path(record["key"], check_int("epoch", epoch, low=1))
    if not path.exists():
        raise StoreError(f"no weights of run {record['key']} at epoch {epoch} ({path}); "
                         f"snapshot epochs done: {[s['epoch'] for s in record['snapshots']]}")
    load_weights(path, trainer.model)
    return trainer.model


# --- probes --------------------------------------------------------------------------------------------------------


def _make_probes(config: RunConfig, data: Dataset) -> list:
    from ..probes import PROBES

    return [PROBES[name](config, data) for name in config.probes]


def _measure(probes, trainer, epoch: int, state: Progress) -> None:
    for probe in probes:
        state.probes.setdefault(probe.name, []).append({"epoch": epoch, **_finite(probe.measure(trainer, epoch))})


def _finite(value):
    """JSON-ready: NumPy scalars as Python numbers, non-finite numbers as None, containers recursively."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_finite(v) for v in value]
    if isinstance(value, (np.generic, float)):
        value = value.item() if isinstance(value, np.generic) else value
        return value if not isinstance(value, float) or math.isfinite(value) else None
    return value


def _all_finite(values: dict) -> bool:
    """Whether every number among `values` (metrics, a snapshot, a history row) is finite."""
    return all(math.isfinite(float(v)) for v in values.values() if v is not None and not isinstance(v, (str, bool)))


def _append(history: dict, row: dict) -> None:
    for name in history:
        value = row.get(name)
        if value is not None and name != "epoch":
            value = float(value)
            value = value if math.isfinite(value) else None  # a diverged epoch's loss: stored as null
        history[name].append(int(value) if name == "epoch" else value)


# --- where and how a session ran -----------------------------------------------------------------------------------


def _segment_start(epoch: int, trainer, config: RunConfig) -> dict:
    import keras

    return {"epochs": [epoch, epoch], "started": environment.now(), "finished": None, "wall_s": 0.0,
            "backend": keras.backend.backend(), "device": environment.device(), "jit_compile": trainer.jit_compile,
            "threads": environment.threads(), "executor": environment.executor(),
            "hardware": environment.hardware(), "versions": environment.versions(), "git": environment.git_commit(),
            "recording": {name: getattr(config, name) for name in RECORDING_FIELDS}}


def _progress_bar(progress, config: RunConfig, done: int, target: int):
    if progress is False or progress is None:
        return None, False
    if progress is True:
        from tqdm.auto import tqdm

        return tqdm(total=target, initial=done, desc=config.label(), unit="epoch"), True
    return progress, False

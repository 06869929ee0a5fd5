"""The run record's schema (`rectifiers.run/2`, documented in results/README.md) and its validation.

`check_record(record)` raises `RecordError` saying which field is wrong and how; the store calls it on every
read and write, so a chapter never silently drops or misreads a run. Records of the first schema
(`rectifiers.run/1`) are upgraded by `python -m rectifiers migrate` (`migrate.py`).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

SCHEMA = "rectifiers.run/2"
OLD_SCHEMAS = ("rectifiers.run/1",)
STATUSES = ("partial", "complete", "diverged")
TIMINGS = ("fit_s", "eval_s", "save_s")
RECORDING = ("checkpoint_every", "test_every", "eval_batch_size")
REQUIRED = ("key", "status", "epochs_done", "config", "experiment", "data", "snapshots", "history", "segments",
            "created", "updated")


class RecordError(ValueError):
    """A record does not satisfy the schema; the message names the field."""


def check_record(record) -> None:
    """Raise RecordError unless `record` is a valid run record of this schema."""
    from .config import RunConfig

    if not isinstance(record, dict):
        raise RecordError(f"not a run record (a JSON {type(record).__name__}, not an object)")
    schema = record.get("schema")
    if schema in OLD_SCHEMAS:
        raise RecordError(f"a record of the older schema {schema!r}; upgrade the store with "
                          "`python -m rectifiers migrate`")
    if schema != SCHEMA:
        raise RecordError(f"not a run record of schema {SCHEMA!r} (found schema {schema!r})")
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise RecordError(f"run record lacks {', '.join(missing)}")
    status, done = record["status"], record["epochs_done"]
    if status not in STATUSES:
        raise RecordError(f"status must be one of {', '.join(map(repr, STATUSES))}; got {status!r}")
    _int(done, "epochs_done")
    try:
        config = RunConfig.from_dict(_dict(record["config"], "config"))
    except ValueError as error:
        raise RecordError(f"config: {error}") from None
    if status == "complete" and done != config.last_epoch:
        raise RecordError(f"status 'complete' but epochs_done {done} is not the last snapshot epoch "
                          f"{config.last_epoch}")
    if status == "partial" and done >= config.last_epoch:
        raise RecordError(f"status 'partial' but epochs_done {done} reaches the last snapshot epoch")
    if status == "diverged":
        _int(record.get("diverged_at"), "diverged_at (the epoch whose loss was not finite)")
        if record["diverged_at"] != done:
            raise RecordError(f"diverged_at {record['diverged_at']} differs from epochs_done {done}")
        divergence = record.get("divergence")  # absent from records stored before it was kept
        if divergence is not None and (not isinstance(divergence, dict) or divergence.get("epoch") != done
                                       or divergence.get("found_in") not in ("training", "evaluation")):
            raise RecordError(f"divergence must be {{'epoch': {done}, 'found_in': 'training' or 'evaluation', "
                              f"'step': ...}}; got {_short(divergence)}")
    _check_snapshots(record["snapshots"], config, done, status)
    _check_history(record["history"], done)
    _check_segments(record["segments"], done)
    _check_probes(record.get("probes", {}), config)
    _check_data(_dict(record["data"], "data"))
    from .config import key_problem

    _dict(record["experiment"], "experiment")
    problem = key_problem(record)
    if problem:
        raise RecordError(f"its content does not match its key: {problem}")


def _check_snapshots(snapshots, config, done: int, status: str) -> None:
    if not isinstance(snapshots, list):
        raise RecordError(f"snapshots must be a list of one object per snapshot epoch; got {_short(snapshots)}")
    due = [e for e in config.epochs if e <= done and not (status == "diverged" and e == done)]
    epochs = [s.get("epoch") if isinstance(s, dict) else s for s in snapshots]
    if epochs != due:
        raise RecordError(f"snapshots are at epochs {epochs}; a run trained to epoch {done} with snapshot epochs "
                          f"{list(config.epochs)} must have them at {due}")
    for snap in snapshots:
        for name, value in snap.items():
            if name != "epoch":
                _number(value, f"snapshots[epoch {snap['epoch']}].{name}")


def _check_history(history, done: int) -> None:
    history = _dict(history, "history")
    for name in ("epoch", *TIMINGS):
        if name not in history:
            raise RecordError(f"history lacks the column {name!r}")
    for name, column in history.items():
        if not isinstance(column, list) or len(column) != done:
            raise RecordError(f"history.{name} must be a list of {done} values (one per epoch); "
                              f"got {_short(column)}")
        for i, value in enumerate(column):
            if value is not None:
                _number(value, f"history.{name}[{i}]")
    if history["epoch"] != list(range(1, done + 1)):
        raise RecordError(f"history.epoch must be 1 … {done}")


def _check_segments(segments, done: int) -> None:
    if not isinstance(segments, list) or (done and not segments):
        raise RecordError(f"segments must be a non-empty list of training sessions; got {_short(segments)}")
    previous = 0
    for i, segment in enumerate(segments):
        segment = _dict(segment, f"segments[{i}]")
        span = segment.get("epochs")
        if not (isinstance(span, list) and len(span) == 2 and span[0] == previous and span[1] >= span[0]):
            raise RecordError(f"segments[{i}].epochs must be [from, to] continuing at epoch {previous}; "
                              f"got {span!r}")
        previous = span[1]
        recording = _dict(segment.get("recording"), f"segments[{i}].recording")
        absent = [k for k in RECORDING if k not in recording]
        if absent:
            raise RecordError(f"segments[{i}].recording lacks {', '.join(absent)}")
    if segments and previous != done:
        raise RecordError(f"the last segment ends at epoch {previous}, not at epochs_done {done}")


def _check_probes(probes, config) -> None:
    probes = _dict(probes, "probes")
    unknown = sorted(set(probes) - set(config.probes))
    if unknown:
        raise RecordError(f"probes holds {', '.join(unknown)}, which config.probes does not list")
    for name, rows in probes.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("epoch"), int)
                                                 for r in rows):
            raise RecordError(f"probes.{name} must be a list of rows with an integer 'epoch'")


def _check_data(data: dict) -> None:
    for half in ("train_source", "test_source"):
        source = _dict(data.get(half), f"data.{half}")
        if "path" in source:
            raise RecordError(f"data.{half}.path records where the data lay on one machine; records name the "
                              "file and its checksum instead (`python -m rectifiers migrate`)")


def _dict(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise RecordError(f"{name} must be an object; got {_short(value)}")
    return value


def _int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise RecordError(f"{name} must be an integer >= 0; got {_short(value)}")


def _number(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise RecordError(f"{name} must be a finite number; got {_short(value)}")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

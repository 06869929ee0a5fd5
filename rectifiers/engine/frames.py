"""Stored runs into pandas, for the chapters: one row per snapshot, per epoch, or per probe measurement."""

from __future__ import annotations

import os
from collections.abc import Iterable

from .store import ResultsStore

_CONFIG_COLUMNS = ("dataset", "model", "activation", "alpha", "seed", "n_train", "n_test", "batch_size", "optimizer",
                   "learning_rate", "dropout", "depth", "width", "initializer")


def _run_columns(record: dict) -> dict:
    experiment = record.get("experiment", {})
    columns = {"key": record["key"], "status": record["status"], "epochs_done": record["epochs_done"]}
    for name in _CONFIG_COLUMNS:
        columns[name] = experiment.get(name, record["config"].get(name))
    columns["train_is_sample"] = record.get("data", {}).get("is_sample")
    return columns


def snapshots_frame(records: Iterable[dict]):
    """One row per (run, snapshot epoch): run columns + epoch, train/test loss and accuracy."""
    import pandas as pd

    rows = [{**_run_columns(r), **snap} for r in records for snap in r["snapshots"]]
    return pd.DataFrame(rows)


def history_frame(records: Iterable[dict]):
    """One row per (run, epoch): run columns + epoch, running train loss/accuracy, test loss/accuracy, timings."""
    import pandas as pd

    frames = []
    for r in records:
        frame = pd.DataFrame(r["history"])
        for name, value in _run_columns(r).items():
            frame[name] = value
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def probes_frame(records: Iterable[dict], probe: str):
    """One row per (run, measured epoch) of `probe`: run columns + epoch + the probe's values (dicts flattened
    to `<value>.<layer>` columns)."""
    import pandas as pd

    rows = [{**_run_columns(r), **row} for r in records for row in r.get("probes", {}).get(probe, [])]
    return pd.json_normalize(rows) if rows else pd.DataFrame()


def scan_runs(root: str | os.PathLike | None = None, **where) -> tuple[list[dict], list[str]]:
    """Stored runs whose experiment matches every `where` item, and one message per stored file the store could
    not use (with its path and what is wrong), for a chapter to say which runs it left out. Checkpoints are
    not looked at: a chapter reads records only."""
    records, problems = ResultsStore(root).scan(training=False)
    matching = [r for r in records if all(_run_columns(r).get(k) == v for k, v in where.items())]
    return matching, problems


def load_runs(root: str | os.PathLike | None = None, **where) -> list[dict]:
    """Stored runs whose experiment matches every `where` item, e.g. `load_runs(dataset="mnist", seed=0)`; a file
    that is not a valid record is skipped with a warning naming it (`scan_runs` returns them instead)."""
    import warnings

    records, problems = scan_runs(root, **where)
    for problem in problems:
        warnings.warn(f"skipped {problem}", stacklevel=2)
    return records

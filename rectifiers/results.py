"""The results store: one JSON file per training run, its checkpoints beside it, and loaders into pandas.

Layout under the results root (default: `results/` of the repository, or `$RECTIFIERS_RESULTS_DIR`)::

    runs/<key>.json                    one file per run (schema below), rewritten atomically at each checkpoint
    checkpoints/<key>/latest.npz       weights + optimiser state + progress, to resume a partial run
    checkpoints/<key>/epoch_0010.npz   the model's weights as they were at each snapshot epoch

A run file (`"schema": "rectifiers.run/1"`) holds:

- `key`: `<dataset>-<activation>[-a<alpha>]-s<seed>-<12 hex>`, the hex being a SHA-256 of `experiment`;
- `status`: "partial" (trained to `epochs_done` < the last snapshot epoch, resumable) or "complete";
- `epochs_done`: epochs trained so far;
- `config`: every field of `training.RunConfig`; `experiment`: the fields that define the training trajectory
  (the key's input), with the data actually used (sample or published set, sizes);
- `data`: where the images came from (`data.Dataset.provenance()`);
- `snapshots`: list of {epoch, train_loss, train_accuracy, test_loss, test_accuracy, eval_s}: the model as it
  was at that epoch, evaluated on the full train and test sets;
- `history`: columns {epoch, train_loss, train_accuracy (Keras' running means during the epoch), test_loss,
  test_accuracy (the test set after the epoch; null where not evaluated), fit_s, eval_s (seconds of training and
  of evaluation), save_s (seconds to write the checkpoint; null where none was written)};
- `segments`: one entry per training session (a resumed run has several): epochs [from, to], start and end
  time, wall seconds, backend, device, hardware, library versions, git commit, and the session's
  `recording` settings (checkpoint_every, test_every, eval_batch_size; `config` holds the latest session's);
- `created`, `updated`: ISO times (UTC).

Writes are atomic (temporary file, fsync, rename). A file that is not valid JSON, not a run file, or whose key
does not match its name is reported (`StoreError`, `ResultsStore.scan`) and never overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

SCHEMA = "rectifiers.run/1"
RESULTS_ENV = "RECTIFIERS_RESULTS_DIR"
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "results"


class StoreError(RuntimeError):
    """A results or checkpoint file is corrupt, foreign, or inconsistent with the run asked for."""


def default_root() -> Path:
    """`$RECTIFIERS_RESULTS_DIR` if set, else the repository's `results/` folder."""
    return Path(os.environ.get(RESULTS_ENV) or DEFAULT_ROOT)


class ResultsStore:
    """Run records and checkpoints under one root folder."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_root()
        self.runs_dir = self.root / "runs"
        self.checkpoints_dir = self.root / "checkpoints"

    def __repr__(self) -> str:
        return f"ResultsStore({str(self.root)!r})"

    def run_path(self, key: str) -> Path:
        return self.runs_dir / f"{key}.json"

    def checkpoint_path(self, key: str) -> Path:
        return self.checkpoints_dir / key / "latest.npz"

    def snapshot_weights_path(self, key: str, epoch: int) -> Path:
        return self.checkpoints_dir / key / f"epoch_{epoch:04d}.npz"

    def get(self, key: str) -> dict | None:
        """The run stored under `key`, None if there is none; StoreError if its file is corrupt or foreign."""
        path = self.run_path(key)
        if not path.exists():
            return None
        return read_run(path, expected_key=key)

    def put(self, record: dict) -> Path:
        """Write a run record atomically; refuses to replace a file that is corrupt or belongs to another run."""
        check_record(record, where="record to store")
        path = self.run_path(record["key"])
        if path.exists():
            read_run(path, expected_key=record["key"])  # raises rather than overwrite something foreign
        write_json_atomic(path, record)
        return path

    def scan(self) -> tuple[list[dict], list[str]]:
        """All readable run records, and one message per file that is not one (never modified)."""
        records, problems = [], []
        if not self.runs_dir.is_dir():
            return records, problems
        for path in sorted(self.runs_dir.iterdir()):
            if path.name.startswith(".") or path.name == "README.md":
                continue
            if path.suffix != ".json":
                problems.append(f"{path}: not a run file (expected <key>.json)")
                continue
            try:
                records.append(read_run(path, expected_key=path.stem))
            except StoreError as error:
                problems.append(str(error))
        return records, problems

    def records(self, *, strict: bool = False) -> list[dict]:
        """All run records; with `strict`, a bad file raises instead of being skipped with a warning."""
        records, problems = self.scan()
        if problems:
            if strict:
                raise StoreError("; ".join(problems))
            import warnings

            for problem in problems:
                warnings.warn(f"skipped {problem}", stacklevel=2)
        return records


def read_run(path: Path, *, expected_key: str | None = None) -> dict:
    """A run record from `path`, checked to be one (and to carry `expected_key`)."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StoreError(f"{path}: not readable as JSON ({error}); left untouched") from error
    check_record(record, where=str(path))
    if expected_key is not None and record["key"] != expected_key:
        raise StoreError(f"{path}: holds run {record['key']!r}, not {expected_key!r}; left untouched")
    return record


def check_record(record, *, where: str) -> None:
    """Raise StoreError unless `record` looks like a run record of this schema."""
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        found = record.get("schema") if isinstance(record, dict) else type(record).__name__
        raise StoreError(f"{where}: not a run record of schema {SCHEMA!r} (found {found!r}); left untouched")
    missing = [k for k in ("key", "status", "epochs_done", "config", "snapshots", "history") if k not in record]
    if missing:
        raise StoreError(f"{where}: run record lacks {', '.join(missing)}; left untouched")
    if record["status"] not in ("partial", "complete"):
        raise StoreError(f"{where}: status must be 'partial' or 'complete'; got {record['status']!r}")


# --- atomic writes -------------------------------------------------------------------------------------------------


def _atomic_write(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; results are shared files
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def write_json_atomic(path: Path, obj) -> None:
    """Write `obj` as indented JSON to `path` so that a reader sees the old file or the new one, never a mix."""
    text = json.dumps(obj, indent=1, allow_nan=False, default=_json_default) + "\n"
    _atomic_write(path, lambda f: f.write(text.encode()))


def write_npz_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays as an uncompressed npz (no pickles) atomically."""
    _atomic_write(path, lambda f: np.savez(f, **arrays))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def provenance(parameters: dict, **details) -> dict:
    """How a stored result was made: its parameters, library versions, machine and date, plus `details`
    (e.g. made_by, wall_s, cpu_s, data). Shared by every chapter's stored results."""
    import datetime
    import platform

    from .training import versions

    return {
        "parameters": parameters,
        "versions": versions(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **details,
    }


# --- loaders for the chapters --------------------------------------------------------------------------------------

_CONFIG_COLUMNS = ("dataset", "activation", "alpha", "seed", "n_train", "n_test", "batch_size", "optimizer",
                   "learning_rate", "dropout")


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


def load_runs(root: str | os.PathLike | None = None, **where) -> list[dict]:
    """Stored runs whose experiment matches every `where` item, e.g. `load_runs(dataset="mnist", seed=0)`."""
    records = ResultsStore(root).records()
    out = []
    for r in records:
        columns = _run_columns(r)
        if all(columns.get(k) == v for k, v in where.items()):
            out.append(r)
    return out

"""The results store: one JSON record per run, its checkpoints beside it, all written atomically.

Layout under the results root (default: `results/` of the repository, or `$RECTIFIERS_RESULTS_DIR`)::

    runs/<key>.json                    one record per run (schema: `schema.py`, results/README.md)
    checkpoints/<key>/latest.npz       weights + optimiser state + progress, to resume a partial run
    checkpoints/<key>/epoch_0010.npz   the model's weights as they were at each snapshot epoch

Every record is validated when read; a file that is not a valid record is reported with its path and what is
wrong, and never overwritten. Writes go to a temporary `.<name>.*.tmp` beside the target, are fsynced and
renamed; a temporary file left by a killed writer is removed by `runs` and by the next training session once it
is a minute old and its run is not being trained.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from .schema import SCHEMA, RecordError, check_record

RESULTS_ENV = "RECTIFIERS_RESULTS_DIR"
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "results"
ORPHAN_AGE_S = 60
"""A temporary file older than this is a kill's debris: a write takes well under a second."""


class StoreError(RuntimeError):
    """A results or checkpoint file is corrupt, foreign, or inconsistent with the run asked for."""


class RunBusy(StoreError):
    """Another process (another `study` command, another worker) is training this run now."""


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

    def remove_checkpoint(self, key: str) -> None:
        """Delete an ended run's resumable checkpoint, and its folder if nothing else is in it."""
        path = self.checkpoint_path(key)
        path.unlink(missing_ok=True)
        if path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()

    @contextlib.contextmanager
    def run_lock(self, key: str, *, wait: bool = True):
        """Hold the run's lock while training it, so that two commands on one store never train a run twice.

        An exclusive `flock` on `.locks/<key>.lock`, released when the holder ends or dies (a kill leaves no stale
        lock); with `wait=False`, RunBusy if another process holds it. The file is removed by its holder, and a
        waiter that wakes on a removed file takes the new one, so that no two processes hold the lock at once.
        """
        path = self.root / ".locks" / f"{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                raise RunBusy(f"run {key} is being trained by another process now ({path} is locked)") from None
            try:
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    break  # the file is still the lock, not one its last holder removed
            except FileNotFoundError:
                pass
            os.close(fd)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            os.close(fd)  # releases the lock

    def check_root(self) -> None:
        """StoreError unless the root is a folder or can be made one (its nearest existing ancestor is a folder)."""
        existing = next(p for p in (self.root, *self.root.absolute().parents) if p.exists())
        if not existing.is_dir():
            raise StoreError(f"results folder {self.root} cannot be a folder: {existing} is a file")

    def get(self, key: str) -> dict | None:
        """The run stored under `key`, None if there is none; StoreError if its file is not a valid record."""
        path = self.run_path(key)
        if not path.exists():
            return None
        return read_run(path, expected_key=key)

    def put(self, record: dict) -> Path:
        """Write a run record atomically; refuses a record that is not valid, or to replace a foreign file."""
        try:
            check_record(record)
        except RecordError as error:
            raise StoreError(f"record to store ({record.get('key', '?') if isinstance(record, dict) else '?'}): "
                             f"{error}") from None
        path = self.run_path(record["key"])
        if path.exists():
            read_run(path, expected_key=record["key"])  # raises rather than overwrite something foreign
        write_json_atomic(path, record)
        return path

    def scan(self, *, training: bool = True) -> tuple[list[dict], list[str]]:
        """All valid run records, and one message per file that is not one; with `training`, also per missing
        or unreadable checkpoint of a resumable run (nothing is modified). Temporary files of interrupted writes
        are not problems: `clean_orphans` removes them."""
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
                record = read_run(path, expected_key=path.stem)
            except StoreError as error:
                problems.append(str(error))
                continue
            records.append(record)
            if training and record["status"] == "partial":
                problem = self.checkpoint_problem(record["key"])
                if problem:
                    problems.append(problem)
        return records, problems

    def records(self, *, strict: bool = False) -> list[dict]:
        """All valid run records; with `strict`, a bad file raises instead of being skipped with a warning."""
        records, problems = self.scan(training=False)
        if problems:
            if strict:
                raise StoreError("; ".join(problems))
            import warnings

            for problem in problems:
                warnings.warn(f"skipped {problem}", stacklevel=2)
        return records

    def checkpoint_problem(self, key: str) -> str | None:
        """Why the checkpoint of a partial run cannot resume it (missing, truncated), or None."""
        path = self.checkpoint_path(key)
        if not path.exists():
            return (f"{path}: checkpoint of partial run {key} is missing; the run cannot be resumed (move "
                    f"{self.run_path(key)} away to train it again from the start)")
        try:
            with np.load(path, allow_pickle=False) as f:
                json.loads(str(f["meta"]))
        except Exception as error:  # noqa: BLE001 - any failure to read means: not resumable
            return (f"{path}: checkpoint of partial run {key} is not readable ({type(error).__name__}: {error}); "
                    f"left untouched (move it and {self.run_path(key)} away to train the run again)")
        return None

    def orphans(self, min_age_s: float = 0) -> list[Path]:
        """Temporary files of interrupted writes, at least `min_age_s` old."""
        found = []
        for folder in (self.runs_dir, *(self.checkpoints_dir.glob("*") if self.checkpoints_dir.is_dir() else ())):
            if folder.is_dir():
                found += [p for p in folder.glob(".*.tmp") if time.time() - _mtime(p) >= min_age_s]
        return sorted(found)

    def clean_orphans(self) -> list[Path]:
        """Remove temporary files old enough to be a kill's debris, unless their run is being trained now (its
        lock is held); return them. A file that cannot be removed (a read-only store) is left and not returned."""
        removed = []
        for path in self.orphans(ORPHAN_AGE_S):
            key = path.parent.name if path.parent != self.runs_dir else path.name[1:].split(".json.")[0]
            if (self.root / ".locks" / f"{key}.lock").exists():
                try:
                    with self.run_lock(key, wait=False):
                        pass
                except (RunBusy, OSError):
                    continue  # its run's trainer may still be writing it
            try:
                path.unlink(missing_ok=True)
            except OSError:
                continue
            removed.append(path)
        return removed

    def check_writable(self) -> None:
        """StoreError, before any training, if runs or checkpoints cannot be written here."""
        self.check_root()
        for folder in (self.runs_dir, self.checkpoints_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test.", suffix=".tmp")
                os.close(fd)
                os.unlink(probe)
            except OSError as error:
                raise StoreError(f"results folder {folder} is not writable ({error.strerror or error}); "
                                 "nothing was trained (give --results a writable folder)") from None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


def _no_nan(name: str):
    raise ValueError(f"holds {name}, which JSON does not allow")


def read_json(path: Path):
    """Parsed JSON from `path`; StoreError naming the path if it is unreadable, not JSON, or holds NaN."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=_no_nan)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise StoreError(f"{path}: not readable as JSON ({error}); left untouched") from error


def read_run(path: Path, *, expected_key: str | None = None) -> dict:
    """A run record from `path`, validated against the schema (and to carry `expected_key`)."""
    record = read_json(path)
    try:
        check_record(record)
    except RecordError as error:
        raise StoreError(f"{path}: {error}; left untouched") from None
    if expected_key is not None and record["key"] != expected_key:
        raise StoreError(f"{path}: holds run {record['key']!r}, not {expected_key!r}; left untouched")
    return record


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
    try:
        text = json.dumps(obj, indent=1, allow_nan=False, default=_json_default) + "\n"
    except ValueError as error:  # NaN or infinity: JSON has no such numbers, and a record must not hold them
        raise StoreError(f"{path}: not written ({error}); a number to store is not finite") from None
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


__all__ = ["SCHEMA", "ResultsStore", "RunBusy", "StoreError", "default_root", "read_run", "read_json",
           "write_json_atomic", "write_npz_atomic"]

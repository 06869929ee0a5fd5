"""The results store: kept as a name for existing imports; it lives in `rectifiers.engine` (store, frames)."""

from .engine.environment import provenance
from .engine.frames import history_frame, load_runs, probes_frame, scan_runs, snapshots_frame
from .engine.schema import SCHEMA
from .engine.store import (DEFAULT_ROOT, RESULTS_ENV, ResultsStore, StoreError, default_root, read_run,
                           write_json_atomic, write_npz_atomic)

__all__ = ["DEFAULT_ROOT", "RESULTS_ENV", "SCHEMA", "ResultsStore", "StoreError", "default_root", "history_frame",
           "load_runs", "probes_frame", "provenance", "read_run", "scan_runs", "snapshots_frame",
           "write_json_atomic", "write_npz_atomic"]

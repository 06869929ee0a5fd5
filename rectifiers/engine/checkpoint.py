"""A run's progress and its checkpoint: every variable of the trainer plus the progress, as plain arrays.

`latest.npz` holds one array per variable (`<group>_<NNN>`, e.g. model_000, optimizer_012) and `meta`, a JSON
string with the key, the epoch, the snapshots, history, segments, probe rows and creation time, and the
variables' paths (checked against the model on load). No pickles. Checkpoints written by the first version of the
engine (before probes and divergence) load unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .store import StoreError, write_npz_atomic


@dataclass
class Progress:
    """A run's progress: what a checkpoint holds besides the variables."""

    columns: tuple[str, ...]
    epoch: int = 0
    snapshots: list = field(default_factory=list)
    history: dict = field(default_factory=dict)
    segments: list = field(default_factory=list)
    probes: dict = field(default_factory=dict)
    created: str = ""
    diverged_at: int | None = None
    divergence: dict | None = None  # where it was found: {"epoch", "found_in": "training"|"evaluation", "step"}

    def __post_init__(self):
        for name in self.columns:
            self.history.setdefault(name, [])

    def meta(self, key: str) -> dict:
        return {"key": key, "epoch": self.epoch, "snapshots": self.snapshots, "history": self.history,
                "segments": self.segments, "probes": self.probes, "created": self.created,
                "diverged_at": self.diverged_at, "divergence": self.divergence}


def arrays(prefix: str, variables) -> dict:
    return {f"{prefix}_{i:03d}": np.asarray(v.numpy() if hasattr(v, "numpy") else v) for i, v in enumerate(variables)}


def save_checkpoint(path: Path, key: str, trainer, state: Progress) -> None:
    meta = state.meta(key)
    out = {}
    for group, variables in trainer.variables().items():
        meta[f"{group}_variables"] = [v.path for v in variables]
        out.update(arrays(group, variables))
    out["meta"] = np.array(json.dumps(meta, allow_nan=False))
    write_npz_atomic(path, out)


def read_meta_and_arrays(path: Path) -> tuple[dict, dict]:
    """(meta, arrays) of a checkpoint; StoreError naming the path and what to do if it cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            values = {name: f[name] for name in f.files if name != "meta"}
    except FileNotFoundError:
        raise StoreError(f"{path}: checkpoint is missing") from None
    except Exception as error:  # noqa: BLE001 - BadZipFile, truncated arrays, bad JSON: all mean unreadable
        raise StoreError(f"{path}: checkpoint not readable ({type(error).__name__}: {error}); left untouched "
                         "(move the run's checkpoint folder and record away to train it again)") from error
    return meta, values


def load_checkpoint(path: Path, key: str, trainer, columns: tuple[str, ...]) -> Progress:
    """Restore `trainer`'s variables from the checkpoint at `path` and return the progress it holds."""
    from .migrate import upgrade_segments

    meta, values = read_meta_and_arrays(path)
    if meta.get("key") != key:
        raise StoreError(f"{path}: checkpoint of run {meta.get('key')!r}, not {key!r}; left untouched")
    for group, variables in trainer.variables().items():
        # Paths carry names Keras makes unique per process ("adam_3/..."): compare their last part and shapes.
        stored = [(n.rsplit("/", 1)[-1], values[f"{group}_{i:03d}"].shape)
                  for i, n in enumerate(meta.get(f"{group}_variables", []))]
        wanted = [(v.path.rsplit("/", 1)[-1], tuple(v.shape)) for v in variables]
        if stored != wanted:
            raise StoreError(f"{path}: its {group} variables {stored} do not match this model's {wanted}; "
                             "left untouched")
        for i, v in enumerate(variables):
            v.assign(values[f"{group}_{i:03d}"])
    return Progress(columns=columns, epoch=meta["epoch"], snapshots=meta["snapshots"], history=meta["history"],
                    segments=upgrade_segments(meta["segments"], meta["history"]), probes=meta.get("probes", {}),
                    created=meta["created"], diverged_at=meta.get("diverged_at"),
                    divergence=meta.get("divergence"))


def load_weights(path: Path, model) -> None:
    """Assign a snapshot's weights (`model_NNN` arrays) to `model`."""
    try:
        with np.load(path, allow_pickle=False) as f:
            for i, v in enumerate(model.variables):
                v.assign(f[f"model_{i:03d}"])
    except Exception as error:  # noqa: BLE001
        raise StoreError(f"{path}: snapshot weights not readable ({type(error).__name__}: {error})") from error

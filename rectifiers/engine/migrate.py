"""Upgrades of stored runs to the current record schema: `python -m rectifiers migrate [--results DIR]`.

From `rectifiers.run/1` (the first engine) to `rectifiers.run/2`:

- `data.*_source`: the folder the data lay in (`path`, an absolute path of one machine) becomes the file names
  and checksums they were verified with (`files`, `checksum`); `data.description` is rewritten without paths;
- `segments[].recording`: sessions recorded before it existed get what their history shows: `test_every` is
  inferred from the epochs whose test set was evaluated, the other settings are null (not recorded at the time),
  and `inferred: true` says so;
- the schema name. Keys do not change (the data's location never entered them); checkpoints are read as they
  are (their progress is upgraded when loaded), so runs keep resuming from them.

A record of an unknown schema, or one that is not valid after the upgrade, is reported and left untouched.
"""

from __future__ import annotations

from pathlib import Path

from ..data import IDX_FILES, PAYLOAD_MD5, Source, describe_data
from .schema import OLD_SCHEMAS, RECORDING, SCHEMA, RecordError, check_record
from .store import ResultsStore, StoreError, read_json, write_json_atomic


def upgrade_segments(segments: list, history: dict) -> list:
    """Segments with a `recording` each; one that lacks it gets what the history shows (see the module)."""
    out = []
    for segment in segments:
        if "recording" not in segment:
            first, last = segment["epochs"]
            evaluated = {e for e, loss in zip(history["epoch"], history.get("test_loss", [])) if loss is not None
                         and first < e <= last}
            segment = {**segment, "recording": {**dict.fromkeys(RECORDING), "test_every": _every(evaluated, first,
                                                                                                 last),
                                                "inferred": True}}
        out.append(segment)
    return out


def _every(evaluated: set, first: int, last: int) -> int | None:
    """The smallest k whose multiples in (first, last] are all evaluated epochs, or None if none explains them."""
    for k in range(1, last - first + 1):
        if all(e in evaluated for e in range(first + 1, last + 1) if e % k == 0):
            return k
    return 0 if not evaluated else None


def upgrade_record(record: dict) -> dict:
    """A `rectifiers.run/1` record as a `rectifiers.run/2` one (see the module); others are returned as they are."""
    if record.get("schema") not in OLD_SCHEMAS:
        return record
    data = dict(record["data"])
    sources = {}
    for half in ("train", "test"):
        sources[half] = _source(data[f"{half}_source"], data["name"], half)
        data[f"{half}_source"] = sources[half].record()
    data["description"] = describe_data(data["name"], data["n_train"], data["n_test"], data["subset_seed"],
                                        sources["train"], sources["test"])
    return {**record, "schema": SCHEMA, "data": data,
            "segments": upgrade_segments(record["segments"], record["history"])}


def _source(old: dict, name: str, half: str) -> Source:
    if "path" not in old:
        return Source(old["kind"], "", old["n_images"], old["is_sample"], old["checksum"], tuple(old["files"]))
    path = Path(old["path"])
    files, checksum = (path.name,), old["checksum"]
    if checksum == "md5 of IDX payload":  # verified against the published checksums, so these are its md5s
        files = IDX_FILES[half]
        checksum = (f"md5 of the uncompressed files {PAYLOAD_MD5[name][files[0]]}, "
                    f"{PAYLOAD_MD5[name][files[1]]}")
    return Source(old["kind"], "", old["n_images"], old["is_sample"], checksum, files)


def migrate_store(store: ResultsStore | None = None) -> tuple[list[str], list[str]]:
    """Upgrade every old record of `store` in place (atomically); return (keys upgraded, problems)."""
    store = store or ResultsStore()
    upgraded, problems = [], []
    if not store.runs_dir.is_dir():
        raise StoreError(f"results folder {store.root} has no runs/ folder")
    for path in sorted(store.runs_dir.glob("*.json")):
        try:
            record = read_json(path)
        except StoreError as error:
            problems.append(str(error))
            continue
        if not isinstance(record, dict) or record.get("schema") not in OLD_SCHEMAS:
            continue
        try:
            new = upgrade_record(record)
            check_record(new)
        except (RecordError, KeyError, TypeError, ValueError) as error:
            problems.append(f"{path}: cannot be upgraded ({type(error).__name__}: {error}); left untouched")
            continue
        write_json_atomic(path, new)
        upgraded.append(new["key"])
    return upgraded, problems


__all__ = ["migrate_store", "upgrade_record", "upgrade_segments"]

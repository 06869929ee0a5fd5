"""A stored study's records, for a chapter: every run of a study, read from the results store (the one reader every
chapter uses).

A chapter that shows a study must not silently show part of it: a run that is missing, partial or blocked stops
the chapter with the number of such runs, every stored file it could not use (path and what is wrong), one key of
the untrained runs, and the command that trains them. A diverged run is a result and is returned like a complete
one.
"""

from __future__ import annotations

from pathlib import Path

from .study import REPOSITORY, Study

_DATA: dict = {}  # (dataset, n_train, n_test, data_seed) -> Dataset, loaded once per process


def study_records(study: Study | str | Path, store=None, *, file: str | None = None) -> list[dict]:
    """The records of every run of `study` (a Study, or the path of a study file: a relative one is taken from the
    repository), in the study's order; FileNotFoundError naming what is not stored and the command that trains it
    (`python -m rectifiers study FILE`, FILE the study's file, or `file`).

    Keys are computed directly: the engine's `plan`, which also times the store, is asked only to say what is missing."""
    from . import ResultsStore, load_run_data, load_study, plan, run_key
    from .store import StoreError, default_root

    store = store if store is not None else ResultsStore()
    if isinstance(study, Study):
        shown = study.source or study.name
        file = file or study.source.split(" ")[0]  # a source may add "(with [...] set)"
    else:
        path = Path(study) if Path(study).is_absolute() else REPOSITORY / study
        shown = path.relative_to(REPOSITORY) if path.is_relative_to(REPOSITORY) else path
        study, file = load_study(path), file or shown
    records = []
    for config in study.configs():
        which = (config.dataset, config.n_train, config.n_test, config.data_seed)
        if which not in _DATA:
            _DATA[which] = load_run_data(config)
        try:
            record = store.get(run_key(config, _DATA[which]))
        except StoreError:
            record = None  # the plan below names the file and what is wrong with it
        if record is None or record["status"] == "partial":
            break
        records.append(record)
    else:
        return records
    planned = plan(study, store)
    # The store's folder only where it is not the default: a page that quotes the command names no folder of the
    # machine that built it.
    elsewhere = "" if store.root.resolve() == default_root().resolve() else f" --results {store.root}"
    message = unusable_message(planned, f"python -m rectifiers study {file}{elsewhere}")
    if message:
        raise FileNotFoundError(f"{shown}: {message}")
    return [store.get(r.key) for r in planned.runs]  # stored meanwhile by another command


def unusable_message(planned, command: str) -> str:
    """Which runs of a plan a chapter cannot use, and why ('' if none): every stored file the store refused,
    named with its path and what is wrong (training cannot fix those: move the file away or repair it), then the
    runs not trained far enough and `command`, which trains them."""
    broken = [r for r in planned.runs if r.status == "blocked"]
    untrained = [r for r in planned.runs if r.status in ("missing", "partial")]
    if not broken and not untrained:
        return ""
    lines = [f"{len(broken) + len(untrained)} of the {len(planned.runs)} runs cannot be used."]
    if broken:
        lines.append(f"{len(broken)} stored file(s) could not be used:")
        lines += [f"  - {r.problem}" for r in broken]
    if untrained:
        first = untrained[0]
        lines.append(f"{len(untrained)} run(s) not trained to their last epoch (e.g. {first.key}: {first.status}, "
                     f"{first.epochs_done}/{first.target} epochs); train them with: {command}")
    return "\n".join(lines)


def training_seconds(segments) -> float:
    """Wall seconds of training over `segments`: a segment trained stacked (`stacked_runs` runs as one program)
    counts its group's time once, shared between the runs."""
    return sum(s["wall_s"] / s.get("stacked_runs", 1) for s in segments)


def runs_scale(records: list[dict]) -> dict:
    """The scale of a set of stored runs, read from their records (the one home of every chapter's "scale of these
    runs" sentence): runs, seeds, images, epochs, training time, dates, machine, libraries."""
    segments = [s for r in records for s in r["segments"]]
    versions, hardware = segments[-1].get("versions", {}), segments[-1]["hardware"]
    done = [r["epochs_done"] for r in records]
    wall_s = training_seconds(segments)
    return {"runs": len(records), "seeds": sorted({r["config"]["seed"] for r in records}),
            "n_seeds": len({r["config"]["seed"] for r in records}),
            "n_train": sorted({r["experiment"]["n_train"] for r in records}),
            "n_test": sorted({r["experiment"]["n_test"] for r in records}),
            "epochs": sorted({r["config"]["epochs"][-1] for r in records}),
            "epochs_done_min": min(done), "epochs_done_max": max(done), "epochs_trained": sum(done),
            "train_minutes": wall_s / 60, "wall_hours": wall_s / 3600,
            "s_per_epoch": wall_s / sum(done) if sum(done) else float("nan"),
            "first": min(s["started"][:10] for s in segments), "last": max(s["finished"][:10] for s in segments),
            "machine": f"{hardware.get('cpu')}, {hardware.get('cores')} cores, {segments[-1]['device']}",
            "versions": f"TensorFlow {versions.get('tensorflow')}, Keras {versions.get('keras')}",
            "backends": sorted({s["backend"] for s in segments}), "devices": sorted({s["device"] for s in segments}),
            "cpus": sorted({s["hardware"]["cpu"] for s in segments}),
            "cores": sorted({s["hardware"].get("cores") for s in segments if s["hardware"].get("cores")}),
            "dataset": records[0]["data"]["name"], "data": records[0]["data"]["description"],
            "batch_size": records[0]["config"]["batch_size"]}


def runs_note(name: str, records: list[dict]) -> str:
    """One line under a chapter on the stored runs of `name` (a study): how many, when, how long, on what."""
    scale = runs_scale(records)
    seeds = f"{scale['n_seeds']} seed" + ("" if scale["n_seeds"] == 1 else "s")
    return (f"{name}: {scale['runs']} runs, {seeds}, trained {scale['first']} to {scale['last']}, "
            f"{scale['train_minutes']:.1f} min of training on {scale['machine']} ({scale['versions']})")

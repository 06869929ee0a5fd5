"""A stored study's records, for a chapter: every run of the study file, read from the results store.

A chapter that shows a study must not silently show part of it: a run that is missing, partial or blocked stops
the chapter with the number of such runs, every stored file it could not use (path and what is wrong), one key of
the untrained runs, and the command that trains them. A diverged run is a result and is returned like a complete
one.
"""

from __future__ import annotations

from pathlib import Path

from .study import REPOSITORY


def study_records(path, *, store=None) -> list[dict]:
    """The records of every run of the study at `path` (relative paths are taken from the repository), in the
    study's order; FileNotFoundError naming what is not stored and the command that trains it."""
    from . import ResultsStore, load_study, plan

    store = store if store is not None else ResultsStore()
    path = Path(path) if Path(path).is_absolute() else REPOSITORY / path
    planned = plan(load_study(path), store)
    shown = path.relative_to(REPOSITORY) if path.is_relative_to(REPOSITORY) else path
    message = unusable_message(planned, f"python -m rectifiers study {shown} --results {store.root}")
    if message:
        raise FileNotFoundError(f"{shown}: {message}")
    return [store.get(r.key) for r in planned.runs]


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

"""A stored study's records, for a chapter: every run of the study file, read from the results store.

A chapter that shows a study must not silently show part of it: a run that is missing, partial or blocked stops
the chapter with the number of such runs, one key, and the command that trains them. A diverged run is a result
and is returned like a complete one.
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
    unusable = [r for r in planned.runs if r.status not in ("done", "diverged")]
    if unusable:
        shown = path.relative_to(REPOSITORY) if path.is_relative_to(REPOSITORY) else path
        first = unusable[0]
        raise FileNotFoundError(
            f"{len(unusable)} of the {len(planned.runs)} runs of {shown} are not complete in {store.root} "
            f"(e.g. {first.key}: {first.status}{'; ' + first.problem if first.problem else ''}); train them with: "
            f"python -m rectifiers study {shown} --results {store.root}"
        )
    return [store.get(r.key) for r in planned.runs]

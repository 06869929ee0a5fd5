"""Executors: who trains a plan's runs. In this process one after another, or as Dask tasks on a cluster.

`run_plan(plan, store, executor=...)` trains every run of a `study.Plan` that has epochs to go and returns the
stored records of the plan's runs. Runs whose record or checkpoint the store cannot use ("blocked") are left
alone and reported; they never stop the others. Runs that say `stacked: true` are trained in groups, each group
as one program (`stacked.py`, grouped by `stacking.group_runs`).
"""

from __future__ import annotations

from .progress import ProgressReport
from .run import train
from .stacked import train_group
from .stacking import group_runs
from .store import ResultsStore, RunBusy, StoreError
from .study import Plan


def run_plan(plan: Plan, store: ResultsStore, *, executor: str = "dask", scheduler: str | None = None,
             workers: int | None = None, progress: bool = True) -> tuple[list[dict], list[str]]:
    """Train the plan's runs; return (records of every run of the plan that has one, problems met)."""
    runs = plan.to_train
    if runs:
        store.check_writable()
        store.clean_orphans()
    if executor == "sequential" or not runs:
        problems = _run_here(plan, store, runs, progress)
    elif executor == "dask":
        from .dask_executor import run_on_dask

        problems = run_on_dask(plan, store, runs, scheduler=scheduler, workers=workers, progress=progress)
    else:
        raise ValueError(f"executor must be one of 'dask', 'sequential'; got {executor!r}")
    records = []
    for r in plan.runs:
        try:
            record = store.get(r.key)
        except StoreError as error:
            problems.append(str(error))
            continue
        if record is not None:
            records.append(record)
    return records, plan.problems + problems


def _run_here(plan: Plan, store: ResultsStore, runs, progress: bool) -> list[str]:
    report, problems = ProgressReport(plan, enabled=progress), []

    def train_one(r, wait: bool) -> bool:
        """Train run `r`; False if another command is training it now (and `wait` is False)."""
        try:
            record = train(r.config, store=store, until_epoch=r.target, data=plan.data_for(r.config), progress=False,
                           wait=wait)
        except RunBusy:
            return False
        except Exception as error:  # noqa: BLE001 - one run's failure (a full disk, a bad file) is reported with
            # its key and the other runs go on, as on Dask
            message = str(error) if isinstance(error, StoreError) else f"{type(error).__name__}: {error}"
            message = message if r.key in message else f"{r.key}: {message}"
            problems.append(message)
            report.run_finished(r, None, f"not trained: {message}")
            return True
        report.run_finished(r, record)
        return True

    def train_stacked(unit) -> bool:
        """Train a stacked group as one program (`stacked.train_group`); its runs are reported one by one."""
        first = unit[0]
        try:
            records = train_group([r.config for r in unit], store=store, until_epoch=first.target,
                                  data=plan.data_for(first.config))
        except Exception as error:  # noqa: BLE001 - as for one run: reported with the keys, the others go on
            message = str(error) if isinstance(error, StoreError) else f"{type(error).__name__}: {error}"
            for r in unit:
                problems.append(message if r.key in message else f"{r.key}: {message}")
                report.run_finished(r, None, f"not trained: {message}")
            return True
        for r, record in zip(unit, records):
            report.run_finished(r, record)
        return True

    # Stacked runs train in groups as one program, the others one by one; a single run another command is
    # training now waits until the rest are done, then continues or returns what that command stored.
    units = group_runs(runs)
    busy = [u for u in units if not (train_stacked(u) if u[0].config.stacked else train_one(u[0], wait=False))]
    for unit in busy:
        train_one(unit[0], wait=True)
    return problems


def run_study(study, store: ResultsStore | None = None, *, until_epoch: int | None = None, progress: bool = True,
              executor: str = "sequential", scheduler: str | None = None, workers: int | None = None) -> list[dict]:
    """Train every run of `study` (a Study or a YAML path) that is not yet done; return the records of its runs.

    In this process by default (notebooks, tests); `executor="dask"` spreads the runs over a Dask cluster.
    Raises StoreError if a run could not be trained (the others are trained first).
    """
    from .study import Study, load_study, plan

    if not isinstance(study, Study):
        study = load_study(study)
    store = store or ResultsStore()
    the_plan = plan(study, store, until_epoch=until_epoch)
    records, problems = run_plan(the_plan, store, executor=executor, scheduler=scheduler, workers=workers,
                                 progress=progress)
    if problems:
        raise StoreError("; ".join(problems))
    return records

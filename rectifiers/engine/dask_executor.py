"""Running a plan's runs as Dask tasks: on a local cluster sized for this machine, or on an existing one.

Why processes with one thread each: on the 2-core machine this book was made on, a 2-thread TensorFlow process
keeps its two cores only partly busy on the seed CNN's small batches (1.5-1.6 CPU-seconds per 1.2-1.5 s epoch),
while two 1-thread processes side by side each keep one busy: a 4-run study of 10 epochs per run trained at
1.78× the throughput of one process (1.41× for the whole command, worker start-up included; `make bench` part 4
measures it again). So the default local cluster has one worker process per core, one thread each, and each
task limits TensorFlow to one thread.

Each run is one task, and so is each group of stacked runs (`stacked.py`; a study's groups are cut so that every
worker gets one). A worker trains it with `run.train` (a group with `stacked.train_group`) and writes its
checkpoints and records into the store itself (atomically), so the store must be a folder every worker sees (one
machine, or a shared file system with `--scheduler`). If a worker dies mid-run, Dask gives the task to another
worker, which resumes the run (or every run of the group) from its last checkpoint: the final record equals an
undisturbed run's. A task never writes a record the store already holds at the same or a later epoch (`train`
returns the stored one), so each record reaches the store once per checkpoint, whole.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from .stacking import group_runs
from .store import ResultsStore, StoreError

THREAD_ENV = {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
              "TF_CPP_MIN_LOG_LEVEL": "3"}  # TensorFlow's C++ log of graph rewrites, not errors of ours: raised anyway
CONNECT_TIMEOUT_S = 10


def default_workers() -> int:
    """One worker process per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def local_cluster(workers: int | None = None):
    """A LocalCluster on loopback: `workers` processes (default: one per core) of one thread each."""
    from distributed import LocalCluster

    # The workers import the same `rectifiers` as this process, wherever it was imported from.
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**THREAD_ENV, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    return LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address=None, env=env, silence_logs=logging.ERROR)


def connect(scheduler: str | None = None, workers: int | None = None):
    """(client, cluster or None): the scheduler at `scheduler` or $DASK_SCHEDULER_ADDRESS, else a local cluster."""
    import dask
    from distributed import Client

    address = scheduler or dask.config.get("scheduler-address", None)
    if address:
        try:
            return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s"), None
        except (OSError, TimeoutError, ValueError) as error:
            source = "--scheduler" if scheduler else "DASK_SCHEDULER_ADDRESS"
            raise ValueError(f"cannot reach the Dask scheduler at {address!r} ({source}) within "
                             f"{CONNECT_TIMEOUT_S} s: {error}; nothing was trained") from None
    cluster = local_cluster(workers)
    return Client(cluster), cluster


def run_on_dask(plan, store: ResultsStore, runs, *, scheduler=None, workers=None, progress=True,
                client=None) -> list[str]:
    """Train `runs` of `plan` as Dask tasks; return the problems met (runs that could not be trained)."""
    from distributed import as_completed

    from .executors import ProgressReport

    own = client is None
    cluster = None
    if own:
        client, cluster = connect(scheduler, workers)
    report, problems = ProgressReport(plan, enabled=progress), []
    try:
        root = str(store.root.resolve())
        futures = {}
        for unit in group_runs(runs, parts=_worker_count(client)):  # a stacked group is one task
            r = unit[0]
            future = (client.submit(train_task, r.config.to_dict(), root, r.target, key=f"train-{r.key}-to-{r.target}",
                                    pure=False) if len(unit) == 1 and not r.config.stacked else
                      client.submit(train_group_task, [u.config.to_dict() for u in unit], root, r.target,
                                    key=f"train-stacked-{len(unit)}-{r.key}-to-{r.target}", pure=False))
            futures[future] = unit
        for future in as_completed(futures):
            unit = futures[future]
            try:
                summaries = future.result()
            except Exception as error:  # noqa: BLE001 - one run's failure (or its worker's, KilledWorker) is
                # reported; the other runs go on
                message = str(error) if isinstance(error, StoreError) else f"{type(error).__name__}: {error}"
                for run in unit:
                    problems.append(f"{run.key}: {message}" if run.key not in message else message)
                    report.run_finished(run, None, f"not trained: {message}")
                continue
            for run, summary in zip(unit, summaries if isinstance(summaries, list) else [summaries]):
                report.run_finished(run, summary)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return problems


def train_task(config: dict, store_root: str, until_epoch: int) -> dict:
    """A Dask task: train one run (resuming from its checkpoint) and return its status.

    TensorFlow gets one thread per task: a worker runs as many tasks at once as it has threads, so its cores are
    shared between runs, not between the threads of one run (the faster split on CPUs, see the module).
    """
    _one_tensorflow_thread()
    from .config import RunConfig
    from .run import train

    run_config = RunConfig.from_dict(config)
    record = train(run_config, store=ResultsStore(store_root), until_epoch=until_epoch,
                   data=_dataset(run_config.dataset, run_config.n_train, run_config.n_test, run_config.data_seed),
                   progress=False)
    return {"key": record["key"], "status": record["status"], "epochs_done": record["epochs_done"]}


def train_group_task(configs: list[dict], store_root: str, until_epoch: int) -> list[dict]:
    """A Dask task: train one stacked group of runs (`stacked.train_group`) and return their statuses."""
    _one_tensorflow_thread()
    from .config import RunConfig
    from .stacked import train_group

    run_configs = [RunConfig.from_dict(c) for c in configs]
    first = run_configs[0]
    records = train_group(run_configs, store=ResultsStore(store_root), until_epoch=until_epoch,
                          data=_dataset(first.dataset, first.n_train, first.n_test, first.data_seed))
    return [{"key": r["key"], "status": r["status"], "epochs_done": r["epochs_done"]} for r in records]


def _worker_count(client) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # noqa: BLE001 - a count for sharing groups only; one group per kind of run is fine
        return 1


@functools.lru_cache(maxsize=4)
def _dataset(name: str, n_train, n_test, seed: int):
    """Loaded once per worker process and shared by the runs it trains."""
    from ..data import load_dataset

    return load_dataset(name, n_train=n_train, n_test=n_test, seed=seed)


@functools.lru_cache(maxsize=1)
def _one_tensorflow_thread() -> None:
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # already initialised in this process (the environment variables then applied)
            pass

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
returns the stored one), so each record reaches the store once per checkpoint, whole. Dask cannot interrupt a running task: once the study's
command is interrupted (it cancels its tasks) or the worker loses its scheduler, a single run's task ends its
session at the next checkpoint (a stacked group's task runs to the end of its session).
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
        source = "--scheduler" if scheduler else "DASK_SCHEDULER_ADDRESS"
        problem = scheduler_problem(address, 0.8 * CONNECT_TIMEOUT_S)  # leaves the client time to connect
        if problem is None:
            try:
                return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s"), None
            except (OSError, TimeoutError, ValueError) as error:
                problem = str(error)
        raise ValueError(f"cannot reach the Dask scheduler at {address!r} ({source}) within {CONNECT_TIMEOUT_S} s: "
                         f"{problem}; nothing was trained")
    cluster = local_cluster(workers)
    return Client(cluster), cluster


def scheduler_problem(address: str, timeout_s: float) -> str | None:
    """Why `address` is not a Dask scheduler answering within `timeout_s` seconds (None if it is one).

    Asked the way Dask's own client asks ("identity"), under one deadline for the connection, the handshake and the
    answer: a silent port, an HTTP server (e.g. the dashboard's port) or a service that sends a banner would
    otherwise hang the client or make it read a banner's bytes as a message length."""
    import asyncio

    from distributed.comm import connect

    async def ask():
        comm = await connect(address, timeout=timeout_s)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        answer = asyncio.run(asyncio.wait_for(ask(), timeout_s))
    except (TimeoutError, asyncio.TimeoutError):
        return "no answer"
    except Exception as error:  # noqa: BLE001 - whatever a foreign service makes the reader do: one line
        text = str(error).splitlines()[0][:120] if str(error) else ""
        if isinstance(error, MemoryError):  # a banner's first bytes read as a message length
            return "it answered, but not as a Dask scheduler (it sent something that is not a Dask message)"
        return f"{type(error).__name__}: {text}" if text else type(error).__name__
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        kind = answer.get("type") if isinstance(answer, dict) else type(answer).__name__
        return f"it answered as {kind!r}, not as a Dask scheduler"
    return None


def run_on_dask(plan, store: ResultsStore, runs, *, scheduler=None, workers=None, progress=True,
                client=None) -> list[str]:
    """Train `runs` of `plan` as Dask tasks; return the problems met (runs that could not be trained)."""
    from distributed import as_completed

    from .progress import ProgressReport

    own = client is None
    cluster = None
    if own:
        client, cluster = connect(scheduler, workers)
    report, problems = ProgressReport(plan, enabled=progress), []
    futures = {}
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
    except KeyboardInterrupt:  # Ctrl-C: a running task stops after its next checkpoint (`train_task`), a queued
        # one never starts, on every worker of the cluster
        client.cancel(list(futures), force=True)
        raise
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
                   progress=False, should_stop=_task_stopped())
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


def _task_stopped():
    """For the running task: a check that says True once its study has stopped caring (the command was
    interrupted and cancelled it, or closed its client) or the worker lost its scheduler and is closing: Dask
    cannot interrupt a running task, so the task asks after each checkpoint and ends its session there."""
    from distributed import get_worker
    from distributed.worker import WORKER_ANY_RUNNING

    try:
        worker = get_worker()
    except ValueError:  # not in a worker (a test calling the task directly)
        return None
    key = worker.get_current_task()

    def stopped() -> bool:
        task = worker.state.tasks.get(key)
        return worker.status not in WORKER_ANY_RUNNING or task is None or task.state not in ("executing",
                                                                                             "long-running")

    return stopped


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

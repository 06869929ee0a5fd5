"""Where and how a run was made: time, backend, device, hardware, library versions, git commit.

Imports nothing heavy at module level, so the command line stays fast; Keras is imported only by the
functions that describe it. What cannot change while a process runs (device, hardware, library versions, and the
git commit of the code it imported) is looked up once per process: a Dask worker training hundreds of short runs
asks git once, not once per run.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
import subprocess
from pathlib import Path


def now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def device() -> str:
    """The accelerator Keras trains on: a GPU's name, or "CPU"."""
    return _device()


@functools.lru_cache(maxsize=1)
def _device() -> str:
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                return "GPU " + tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
        elif backend == "jax":
            import jax

            d = jax.devices()[0]
            return "CPU" if d.platform == "cpu" else f"{d.platform.upper()} {d.device_kind}"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return "GPU " + torch.cuda.get_device_name(0)
    except Exception as error:  # noqa: BLE001 - a description, never a reason to stop training
        return f"unknown ({error!r})"
    return "CPU"


def hardware() -> dict:
    """CPU model, cores usable by this process, memory."""
    return dict(_hardware())


@functools.lru_cache(maxsize=1)
def _hardware() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "machine": platform.machine(), "system": platform.system()}


def versions() -> dict:
    """Versions of Python and the libraries that shape the numbers."""
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def _versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("rectifiers", "keras", "tensorflow", "jax", "torch", "numpy"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return out


def threads() -> dict:
    """The threads the backend sums with: TensorFlow's intra-op and inter-op pools (its default, 0, resolved to
    what TensorFlow then uses: $TF_NUM_*_THREADS, else the cores this process may use). A float32 sum split over
    another number of threads adds in another order, so numbers differ in their last digits."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return {}
    import tensorflow as tf

    cores = hardware()["cores"]
    intra = tf.config.threading.get_intra_op_parallelism_threads()
    inter = tf.config.threading.get_inter_op_parallelism_threads()
    return {"intra_op": intra or int(os.environ.get("TF_NUM_INTRAOP_THREADS") or cores),
            "inter_op": inter or int(os.environ.get("TF_NUM_INTEROP_THREADS") or cores)}


def executor() -> str:
    """Who runs this session: "dask" inside a Dask worker's task, else "process" (the sequential executor, a
    notebook, a direct `train` call)."""
    import sys

    if "distributed" in sys.modules:
        from distributed import get_worker

        try:
            get_worker()
            return "dask"
        except ValueError:
            pass
    return "process"


NUMERICS = ("backend", "device", "threads")
NUMERIC_LIBRARIES = ("keras", "tensorflow", "jax", "torch")


def resume_problem(previous: dict, session: dict) -> str | None:
    """Why a session (a record's segment) would not continue `previous` with the same numbers, or None.

    What sets the numbers beyond the run's config: backend, device, the backend's thread counts, and the versions of
    Keras and its backend. A field either segment lacks (a session recorded before it was kept) is not compared.
    """
    differ = [f"{name} {previous[name]!r} → {session[name]!r}" for name in NUMERICS
              if name in previous and name in session and previous[name] != session[name]]
    old, new = previous.get("versions") or {}, session.get("versions") or {}
    differ += [f"{name} {old[name]} → {new[name]}" for name in NUMERIC_LIBRARIES
               if name in old and name in new and old[name] != new[name]]
    return "; ".join(differ) or None


def git_commit() -> dict:
    """The project's git commit and whether the package had uncommitted changes, when this process first asked
    (its code was imported then: a commit made while it runs is not the code it runs)."""
    return dict(_git_commit())


@functools.lru_cache(maxsize=1)
def _git_commit() -> dict:
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "rectifiers"], cwd=root, capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "package_modified": None, "package_sha256": package_sha256()}
    if commit.returncode != 0:
        return {"commit": None, "package_modified": None, "package_sha256": package_sha256()}
    return {"commit": commit.stdout.strip(), "package_modified": bool(dirty.stdout.strip()),
            "package_sha256": package_sha256()}


def package_sha256() -> str:
    """SHA-256 over the package's Python files (their paths and bytes, in order): names the code that ran even
    when it was not committed (`package_modified`), so two records can be told to come from the same code."""
    import hashlib

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def provenance(parameters: dict, **details) -> dict:
    """How a stored result was made: its parameters, library versions, machine and date, plus `details`
    (e.g. made_by, wall_s, cpu_s, data). Shared by every chapter's stored results."""
    return {
        "parameters": parameters,
        "versions": versions(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "date": now(),
        **details,
    }

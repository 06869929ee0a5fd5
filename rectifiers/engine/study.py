"""Studies: a grid of training runs described by a small YAML file, checked before anything trains.

    name: mnist_seed_replication
    datasets: [mnist]
    activations: [relu, leaky_relu]
    alphas: [0.01]            # used by leaky_relu and prelu only; ReLU is one run per seed whatever α says
    seeds: [0, 1, 2, 3, 4]
    epochs: [1, 10, 100, 1000]
    n_train: null             # null: every training image available
    grid:                     # optional: more settings to cross, each with a list of values
      learning_rate: [0.001, 0.01]

Any other `RunConfig` setting (model, depth, width, initializer, heads, block, batch_size, optimizer, learning_rate,
weight_decay, schedule, warmup_epochs, dropout, n_test, data_seed, probes, probe_every, stacked, checkpoint_every,
test_every, keep_weights) may be given once for the whole study. `stacked: true` trains the study's small MLP runs in
groups, each group as one program (`stacked.py`; results equal to float32 rounding, keyed apart from runs trained
alone).
`plan` says what is done, partial, missing, diverged or blocked (a record or checkpoint the store cannot use)
and how long the rest should take; `executors.run_plan` trains what is missing.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from ..data import Dataset
from ..validation import check_finite, check_int
from .config import MAX_SEED, RECORDING_FIELDS, RunConfig, load_run_data, run_key
from ..names import SLOPED
from ..paths import REPOSITORY
from .store import ResultsStore, StoreError
from .yaml_files import read_yaml

DEFAULT_S_PER_TRAIN_IMAGE = 0.5e-3
DEFAULT_S_PER_TEST_IMAGE = 0.1e-3
"""Fallback estimate when no stored run has been timed: seconds per training image per epoch (batch 32) and per
test image evaluated, as measured on this project's 2-core CPU with TensorFlow (2.5 s per 5,000 images,
1 s per 10,000 test images)."""

STARTUP_S = {"sequential": 20.0, "dask": 70.0}
"""Seconds a `study` command spends that do not scale with epochs, by executor: importing TensorFlow, building and
compiling each run's model, and for "dask" starting the local cluster's worker processes, each importing
TensorFlow. Measured on this project's 2-core CPU at a load average of about 18 with a 2-run study of 1 epoch of
200 images: 25 s sequential and 75 s on the default local cluster, about 4 s of each being the plan itself."""

_GRID = ("datasets", "activations", "alphas", "seeds")
_SHARED = tuple(f.name for f in dataclasses.fields(RunConfig) if f.name not in ("dataset", "activation", "alpha",
                                                                                   "seed"))
_CROSSED = tuple(name for name in _SHARED if name not in RECORDING_FIELDS)  # a grid over these makes new runs


@dataclass(frozen=True)
class Study:
    """A named grid of runs sharing every other setting."""

    name: str
    datasets: tuple[str, ...]
    activations: tuple[str, ...]
    seeds: tuple[int, ...]
    alphas: tuple[float, ...] = (0.01,)
    description: str = ""
    settings: dict = dataclasses.field(default_factory=dict)  # RunConfig fields shared by every run
    grid: dict = dataclasses.field(default_factory=dict)  # RunConfig field -> tuple of values to cross
    source: str = ""  # the file it was read from
    results: str | None = None  # its results folder, relative to the repository (None: the default store)

    def results_root(self) -> Path | None:
        """The study's own results folder (e.g. the smoke study's scratch folder), or None for the default."""
        return None if self.results is None else REPOSITORY / self.results

    def configs(self) -> list[RunConfig]:
        """Every run of the grid, seed by seed (so that a study stopped early holds complete paired seeds)."""
        out = []
        extra = [dict(zip(self.grid, values)) for values in itertools.product(*self.grid.values())]
        for dataset, seed, more, activation in itertools.product(self.datasets, self.seeds, extra, self.activations):
            for alpha in self.alphas if activation in SLOPED else self.alphas[:1]:
                out.append(RunConfig(dataset=dataset, activation=activation, alpha=alpha, seed=seed,
                                     **self.settings, **more))
        return out


def study_from_dict(values: dict, *, source: str = "") -> Study:
    """A checked Study from a parsed YAML mapping; every problem is named before any training."""
    where = f"{source}: " if source else ""
    if not isinstance(values, dict):
        raise ValueError(f"{where}a study must be a mapping of settings; got {type(values).__name__}")
    known = {"name", "description", "grid", "results", *_GRID, *_SHARED}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{where}unknown study setting(s) {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(sorted(known))}")
    missing = [k for k in ("name", "datasets", "activations", "seeds") if k not in values]
    if missing:
        raise ValueError(f"{where}a study needs {', '.join(missing)}")
    name = values["name"]
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}name must be a non-empty string; got {name!r}")
    grid = {key: _items(values.get(key, [0.01] if key == "alphas" else None), key, where) for key in _GRID}
    grid["alphas"] = tuple(check_finite(f"alphas[{i}]", a) for i, a in enumerate(grid["alphas"]))
    grid["seeds"] = tuple(check_int(f"seeds[{i}]", s, low=0, high=MAX_SEED) for i, s in enumerate(grid["seeds"]))
    more = values.get("grid") or {}
    if not isinstance(more, dict):
        raise ValueError(f"{where}grid must be a mapping of setting -> list of values; got {more!r}")
    bad = sorted(set(more) - set(_CROSSED)) + sorted(set(more) & set(values))
    if bad:
        raise ValueError(f"{where}grid may cross these settings (each given once, not also outside grid): "
                         f"{', '.join(_CROSSED)}; got {', '.join(map(repr, bad))} (recording settings "
                         f"{', '.join(RECORDING_FIELDS)} say how a run is recorded, not which run: give them once)")
    more = {k: tuple(tuple(v) if isinstance(v, list) else v for v in _items(items, f"grid.{k}", where))
            for k, items in more.items()}
    settings = {k: tuple(values[k]) if isinstance(values[k], list) else values[k] for k in _SHARED if k in values}
    results = values.get("results")
    if results is not None and (not isinstance(results, str) or Path(results).is_absolute() or ".." in
                                Path(results).parts):
        raise ValueError(f"{where}results must be a folder inside the repository, as a relative path; "
                         f"got {results!r}")
    study = Study(name=name, description=str(values.get("description", "")), settings=settings, grid=more,
                  source=source, results=results, **grid)
    try:
        study.configs()  # validates datasets, activations and every shared setting
    except ValueError as error:
        raise ValueError(f"{where}{error}") from None
    return study


def _items(items, key: str, where: str) -> tuple:
    if not isinstance(items, list) or not items:
        raise ValueError(f"{where}{key} must be a non-empty list; got {items!r}")
    if len(set(map(repr, items))) != len(items):
        raise ValueError(f"{where}{key} lists an item twice: {items!r}")
    return tuple(items)


def load_study(path: str | os.PathLike) -> Study:
    """Read and check a study YAML file (see `yaml_files.read_yaml` for what the reader accepts)."""
    return study_from_dict(read_yaml(Path(path), what="study file"), source=str(path))


@dataclass
class PlannedRun:
    config: RunConfig
    key: str
    status: str  # "done", "partial" (resumable), "missing", "diverged", "blocked" (see `problem`)
    epochs_done: int
    target: int  # the epoch this session trains to
    problem: str = ""  # why a blocked run cannot be trained (its record or checkpoint), with the path

    @property
    def epochs_to_go(self) -> int:
        return 0 if self.status in ("blocked", "diverged") else max(0, self.target - self.epochs_done)


STATUSES = ("done", "partial", "missing", "diverged", "blocked")


@dataclass
class Plan:
    study: Study
    runs: list[PlannedRun]
    data: dict  # dataset name -> Dataset
    s_per_epoch: dict  # dataset name -> (seconds per epoch, how it was obtained)
    until_epoch: int | None
    datasets: dict = dataclasses.field(default_factory=dict)  # (name, n_train, n_test, data_seed) -> Dataset
    executor: str | None = None  # who will train it ("sequential", "dask"; None: a running scheduler's workers)

    @property
    def startup_s(self) -> float:
        """The command's start-up for this executor (`STARTUP_S`), 0 when nothing is left to train."""
        return STARTUP_S.get(self.executor, 0.0) if self.to_train else 0.0

    def data_for(self, config: RunConfig) -> Dataset:
        """The dataset a run of this plan trains on (loaded once per plan)."""
        return self.datasets[config.dataset, config.n_train, config.n_test, config.data_seed]

    @property
    def epochs_to_go(self) -> int:
        return sum(r.epochs_to_go for r in self.runs)

    @property
    def estimated_s(self) -> float:
        return sum(r.epochs_to_go * self.s_per_epoch[r.config.dataset][0] for r in self.runs if r.epochs_to_go)

    @property
    def to_train(self) -> list[PlannedRun]:
        return [r for r in self.runs if r.epochs_to_go > 0]

    @property
    def problems(self) -> list[str]:
        return [r.problem for r in self.runs if r.problem]

    def counts(self) -> dict:
        counts = {s: sum(r.status == s for r in self.runs) for s in STATUSES}
        return {s: n for s, n in counts.items() if n or s in ("done", "partial", "missing")}

    def describe(self) -> str:
        """The plan as text: data, one line per run, totals and the time estimate with its basis."""
        study, last = self.study, self.study.configs()[0].epochs
        target = f"epoch {self.until_epoch} now (--until-epoch) of snapshots {list(last)}" if self.until_epoch \
            else f"snapshots at epochs {list(last)}"
        lines = [f"Study {study.name!r}{f' ({study.source})' if study.source else ''}: {len(self.runs)} runs, "
                 f"{target}"]
        if study.description:
            lines.append(f"  {study.description.strip()}")
        for name, data in self.data.items():
            lines.append(f"  data: {data.describe()}")
            s, basis = self.s_per_epoch[name]
            lines.append(f"  time: {s:.2f} s/epoch for {name} ({basis})")
        width = max(len(r.key) for r in self.runs)
        lines.append(f"  {'run':<{width}}  {'status':<8} {'done':>5} {'to go':>6} {'estimate':>9}")
        for r in self.runs:
            est = r.epochs_to_go * self.s_per_epoch[r.config.dataset][0]
            lines.append(f"  {r.key:<{width}}  {r.status:<8} {r.epochs_done:>5} {r.epochs_to_go:>6} "
                         f"{duration(est):>9}")
        counts = ", ".join(f"{n} {s}" for s, n in self.counts().items())
        line = f"{counts}; {self.epochs_to_go:,} epochs to train, estimated {duration(self.estimated_s)}"
        if self.startup_s:
            line += f" plus about {duration(self.startup_s)} to start ({self.executor} executor)"
            if self.executor == "dask" and self.estimated_s < STARTUP_S["dask"] - STARTUP_S["sequential"]:
                line += f"; a study this small ends sooner with --executor sequential (about " \
                        f"{duration(STARTUP_S['sequential'])} to start)"
        lines.append(line)
        lines += [f"blocked: {p}" for p in self.problems]
        return "\n".join(lines)


def plan(study: Study, store: ResultsStore | None = None, *, until_epoch: int | None = None) -> Plan:
    """What running `study` would do: each run's key and status, and the time it should take."""
    store = store or ResultsStore()
    store.check_root()
    if until_epoch is not None:
        until_epoch = check_int("until_epoch", until_epoch, low=1)
    configs = study.configs()
    data = {}
    for c in configs:
        if (c.dataset, c.n_train, c.n_test, c.data_seed) not in data:
            data[c.dataset, c.n_train, c.n_test, c.data_seed] = load_run_data(c)
    runs, keys = [], set()
    for c in configs:
        key = run_key(c, data[c.dataset, c.n_train, c.n_test, c.data_seed])
        if key in keys:
            continue  # the same run listed twice (alphas: [1, 1.0]): planned, trained and counted once
        keys.add(key)
        target = c.last_epoch if until_epoch is None else min(until_epoch, c.last_epoch)
        try:
            record = store.get(key)
        except StoreError as error:
            runs.append(PlannedRun(c, key, "blocked", 0, target, str(error)))
            continue
        done = record["epochs_done"] if record else 0
        problem = store.checkpoint_problem(key) if record and done < target and record["status"] != "diverged" \
            else None
        status = ("missing" if record is None else "diverged" if record["status"] == "diverged"
                  else "done" if done >= target else "blocked" if problem else "partial")
        runs.append(PlannedRun(c, key, status, done, target, problem or ""))
    by_name = {}
    for (name, *_), d in data.items():
        by_name.setdefault(name, d)
    s_per_epoch = _Estimates(lambda name: _seconds_per_epoch(store, configs[0], by_name[name]))
    return Plan(study, runs, by_name, s_per_epoch, until_epoch, data)


class _Estimates(dict):
    """Seconds per epoch by dataset name, each measured from the store when first asked for: a chapter that only
    reads a study's stored runs never asks, and so never scans every record of the store to estimate a time."""

    def __init__(self, estimate):
        super().__init__()
        self._estimate = estimate

    def __missing__(self, name):
        self[name] = self._estimate(name)
        return self[name]


def _seconds_per_epoch(store: ResultsStore, config: RunConfig, data: Dataset) -> tuple[float, str]:
    """Mean wall seconds per epoch of stored runs on this kind of data and machine, or the default estimate."""
    from .environment import hardware

    cpu = hardware()["cpu"]
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    times, runs = [], 0
    for record in store.scan()[0]:
        exp = record.get("experiment", {})
        segments = record.get("segments") or [{}]
        if (exp.get("dataset"), exp.get("model"), exp.get("n_train"), exp.get("n_test"), exp.get("batch_size")) != (
            data.name, config.model, len(data.y_train), len(data.y_test), config.batch_size
        ) or segments[-1].get("hardware", {}).get("cpu") != cpu or segments[-1].get("backend") != backend:
            continue
        h = record["history"]
        compiled = {s["epochs"][0] + 1 for s in record.get("segments", [])}  # a session's first epoch compiles
        per_epoch = [sum(v or 0.0 for v in (h["fit_s"][i], h["eval_s"][i], h["save_s"][i]))
                     for i, epoch in enumerate(h["epoch"]) if epoch not in compiled and epoch != 1]
        if per_epoch:
            times += per_epoch
            runs += 1
    if times:
        return sum(times) / len(times), f"measured: mean of {len(times):,} epochs of {runs} stored runs here"
    test_share = len(data.y_test) / max(config.test_every, 1) if config.test_every else 0
    s = DEFAULT_S_PER_TRAIN_IMAGE * len(data.y_train) + DEFAULT_S_PER_TEST_IMAGE * test_share
    return s, "default estimate for a 2-core CPU: no stored run on this machine to measure from"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"

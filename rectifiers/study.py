"""Studies: a grid of training runs (datasets × activations × α × seeds) described by a small YAML file.

    name: mnist_seed_replication
    datasets: [mnist]
    activations: [relu, leaky_relu]
    alphas: [0.01]            # used by leaky_relu and prelu only; ReLU is one run per seed whatever α says
    seeds: [0, 1, 2, 3, 4]
    epochs: [1, 10, 100, 1000]
    n_train: null             # null: every training image available

Any other `training.RunConfig` setting (batch_size, optimizer, learning_rate, dropout, n_test, data_seed,
checkpoint_every, test_every) may be given once for the whole study. Everything is checked before any training.
`plan` says what is done, partial or missing and how long the rest should take; `run_study` trains what is
missing, run after run, and can be stopped and restarted at any time.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from .activations import SLOPED
from .data import Dataset
from .results import ResultsStore
from .training import RunConfig, load_run_data, run_key, train
from .validation import check_finite, check_int

DEFAULT_S_PER_TRAIN_IMAGE = 0.5e-3
DEFAULT_S_PER_TEST_IMAGE = 0.1e-3
"""Fallback estimate when no stored run has been timed: seconds per training image per epoch (batch 32) and per
test image evaluated, as measured on this project's 2-core CPU with TensorFlow (2.5 s per 5,000 images,
1 s per 10,000 test images)."""

_GRID = ("datasets", "activations", "alphas", "seeds")
_SHARED = tuple(f.name for f in dataclasses.fields(RunConfig) if f.name not in ("dataset", "activation", "alpha",
                                                                                   "seed"))


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
    source: str = ""  # the file it was read from

    def configs(self) -> list[RunConfig]:
        """Every run of the grid, seed by seed (so that a study stopped early holds complete paired seeds)."""
        out = []
        for dataset, seed, activation in itertools.product(self.datasets, self.seeds, self.activations):
            for alpha in self.alphas if activation in SLOPED else self.alphas[:1]:
                out.append(RunConfig(dataset=dataset, activation=activation, alpha=alpha, seed=seed,
                                     **self.settings))
        return out


def study_from_dict(values: dict, *, source: str = "") -> Study:
    """A checked Study from a parsed YAML mapping; every problem is named before any training."""
    where = f"{source}: " if source else ""
    if not isinstance(values, dict):
        raise ValueError(f"{where}a study must be a mapping of settings; got {type(values).__name__}")
    known = {"name", "description", *_GRID, *_SHARED}
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
    grid = {}
    for key in _GRID:
        items = values.get(key, [0.01] if key == "alphas" else None)
        if not isinstance(items, list) or not items:
            raise ValueError(f"{where}{key} must be a non-empty list; got {items!r}")
        if len(set(map(repr, items))) != len(items):
            raise ValueError(f"{where}{key} lists an item twice: {items!r}")
        grid[key] = tuple(items)
    grid["alphas"] = tuple(check_finite(f"alphas[{i}]", a) for i, a in enumerate(grid["alphas"]))
    grid["seeds"] = tuple(check_int(f"seeds[{i}]", s, low=0) for i, s in enumerate(grid["seeds"]))
    settings = {k: values[k] for k in _SHARED if k in values}
    if isinstance(settings.get("epochs"), list):
        settings["epochs"] = tuple(settings["epochs"])
    study = Study(name=name, description=str(values.get("description", "")), settings=settings, source=source,
                  **grid)
    try:
        study.configs()  # validates datasets, activations and every shared setting
    except ValueError as error:
        raise ValueError(f"{where}{error}") from None
    return study


def load_study(path: str | os.PathLike) -> Study:
    """Read and check a study YAML file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"study file {str(path)!r} does not exist")
    try:
        values = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from error
    return study_from_dict(values, source=str(path))


@dataclass
class PlannedRun:
    config: RunConfig
    key: str
    status: str  # "done", "partial" (resumable), "missing"
    epochs_done: int
    target: int  # the epoch this session trains to

    @property
    def epochs_to_go(self) -> int:
        return max(0, self.target - self.epochs_done)


@dataclass
class Plan:
    study: Study
    runs: list[PlannedRun]
    data: dict  # dataset name -> Dataset
    s_per_epoch: dict  # dataset name -> (seconds per epoch, how it was obtained)
    until_epoch: int | None

    @property
    def epochs_to_go(self) -> int:
        return sum(r.epochs_to_go for r in self.runs)

    @property
    def estimated_s(self) -> float:
        return sum(r.epochs_to_go * self.s_per_epoch[r.config.dataset][0] for r in self.runs)

    def counts(self) -> dict:
        return {s: sum(r.status == s for r in self.runs) for s in ("done", "partial", "missing")}

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
                         f"{_duration(est):>9}")
        counts = self.counts()
        lines.append(f"{counts['done']} done, {counts['partial']} partial, {counts['missing']} missing; "
                     f"{self.epochs_to_go:,} epochs to train, estimated {_duration(self.estimated_s)}")
        return "\n".join(lines)


def plan(study: Study, store: ResultsStore | None = None, *, until_epoch: int | None = None) -> Plan:
    """What `run_study` would do: each run's key and status, and the time it should take."""
    store = store or ResultsStore()
    if until_epoch is not None:
        until_epoch = check_int("until_epoch", until_epoch, low=1)
    configs = study.configs()
    data = {}
    for c in configs:
        if c.dataset not in data:
            data[c.dataset] = load_run_data(c)
    runs = []
    for c in configs:
        key = run_key(c, data[c.dataset])
        record = store.get(key)
        target = c.last_epoch if until_epoch is None else min(until_epoch, c.last_epoch)
        done = record["epochs_done"] if record else 0
        status = "missing" if record is None else ("done" if done >= target else "partial")
        runs.append(PlannedRun(c, key, status, done, target))
    s_per_epoch = {name: _seconds_per_epoch(store, configs[0], d) for name, d in data.items()}
    return Plan(study, runs, data, s_per_epoch, until_epoch)


def run_study(study: Study | str | os.PathLike, store: ResultsStore | None = None, *,
              until_epoch: int | None = None, progress: bool = True) -> list[dict]:
    """Train every run of `study` that is not yet done (to `until_epoch` if given); return all run records."""
    if not isinstance(study, Study):
        study = load_study(study)
    store = store or ResultsStore()
    the_plan = plan(study, store, until_epoch=until_epoch)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=the_plan.epochs_to_go, desc=study.name, unit="epoch")
    records = []
    try:
        for r in the_plan.runs:
            if bar is not None:
                bar.set_description(f"{study.name}: {r.config.label()}")
            records.append(train(r.config, store=store, until_epoch=r.target, data=the_plan.data[r.config.dataset],
                                 progress=bar if bar is not None else False))
    finally:
        if bar is not None:
            bar.close()
    return records


def _seconds_per_epoch(store: ResultsStore, config: RunConfig, data: Dataset) -> tuple[float, str]:
    """Mean wall seconds per epoch of stored runs on this kind of data and machine, or the default estimate."""
    from .training import hardware

    cpu = hardware()["cpu"]
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    times, runs = [], 0
    for record in store.records():
        exp = record.get("experiment", {})
        segments = record.get("segments") or [{}]
        if (exp.get("dataset"), exp.get("n_train"), exp.get("n_test"), exp.get("batch_size")) != (
            data.name, len(data.y_train), len(data.y_test), config.batch_size
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


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"

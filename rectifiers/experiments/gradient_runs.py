"""Chapter 2's training runs: deep MLPs trained by the engine with plain SGD while probes watch their gradients.

Every run is a `rectifiers.engine` run: an `mlp` with the activation's customary initialisation, trained with
SGD, its `gradient_norms` (and, for the saturation runs, `activation_stats`) measured on a fixed batch of test
images before training and after every epoch, stored once in the results store and read back as a
`TrainingTrace`. The long sigmoid runs are the study `studies/ch2_saturation_long.yaml`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..probes.activation_stats import ActivationStatistics

SATURATION_STUDY = "studies/ch2_saturation_long.yaml"
"""Glorot & Bengio's saturation experiment run long (3 seeds, 30,000 SGD steps each)."""


@dataclass
class TrainingTrace:
    """Probes recorded on a fixed batch while a model trains: one entry per measurement (before training and after
    every epoch), arrays indexed [record, layer]."""

    steps: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    gradient_norms: list[np.ndarray] = field(default_factory=list)
    statistics: list[ActivationStatistics] = field(default_factory=list)
    seed: int = 0
    key: str = ""  # the engine's run key in the results store

    def array(self, name: str) -> np.ndarray:
        """A statistic stacked over records: 'gradient_norms', 'mean', 'std', 'percentiles', 'saturated', …."""
        if name == "gradient_norms":
            return np.array(self.gradient_norms)
        return np.array([getattr(s, name) for s in self.statistics])

    @classmethod
    def from_record(cls, record: dict) -> TrainingTrace:
        """The trace of a stored engine run that recorded `gradient_norms` (and maybe `activation_stats`)."""
        probes = record.get("probes", {})
        if "gradient_norms" not in probes:
            raise ValueError(f"run {record['key']} did not record the gradient_norms probe "
                             f"(its probes: {record['config'].get('probes')})")
        config, nan = record["config"], float("nan")
        per_epoch = math.ceil(record["experiment"]["n_train"] / config["batch_size"])  # the last batch may be short
        rows = probes["gradient_norms"]
        trace = cls(steps=[row["epoch"] * per_epoch for row in rows], epochs=[float(row["epoch"]) for row in rows],
                    loss=[nan if row["loss"] is None else row["loss"] for row in rows],
                    gradient_norms=[np.array(row["gradient_norms"], dtype=np.float64) for row in rows],
                    seed=config["seed"], key=record["key"])
        for row in probes.get("activation_stats", []):
            arrays = {name: np.array(row[name], dtype=np.float64) for name in
                      ("mean", "std", "percentiles", "saturated", "zero_gradient")}
            trace.statistics.append(ActivationStatistics(levels=tuple(row["levels"]), threshold=row["threshold"],
                                                         **arrays))
        return trace


def run_config(
    activation: str,
    *,
    depth: int,
    width: int,
    alpha: float = 0.01,
    seed: int = 0,
    epochs: int,
    n_train: int,
    n_probe: int,
    data_seed: int = 0,
    batch_size: int,
    learning_rate: float,
    statistics: bool = False,
):
    """The engine's config of one deep MLP trained with plain SGD (as Glorot & Bengio did) and probed every epoch.

    The probe batch is the run's test set (`n_probe` stratified test images). `statistics` adds the activation
    statistics to the gradient norms.
    """
    from ..engine import RunConfig
    from ..models import customary_initializer

    probes = ("activation_stats", "gradient_norms") if statistics else ("gradient_norms",)
    return RunConfig(dataset="mnist", model="mlp", depth=depth, width=width, activation=activation, alpha=alpha,
                     initializer=customary_initializer(activation), seed=seed, epochs=(epochs,), n_train=n_train,
                     n_test=n_probe, data_seed=data_seed, batch_size=batch_size, optimizer="sgd",
                     learning_rate=learning_rate, probes=probes)


def trained_traces(configs: Sequence, *, store=None, data=None, progress=False, train_into=None) -> list[TrainingTrace]:
    """The trace of each run: read from the store, or trained by the engine if it is not there yet, into
    `train_into` (a scratch store, so that a chapter's reader never writes into the committed results), or into
    the store itself when `train_into` is None.

    `data`: the `Dataset` the configs name, if the caller has it already (else each distinct one is loaded once).
    """
    from ..engine import ResultsStore, load_run_data, run_key, train

    store = store if store is not None else ResultsStore()
    loaded, traces = {}, []
    for config in configs:
        where = (config.n_train, config.n_test, config.data_seed)
        if where not in loaded:
            loaded[where] = data if data is not None else load_run_data(config)
        record = store.get(run_key(config, loaded[where]))
        if record is None or record["status"] == "partial":
            record = train(config, store=store if train_into is None else train_into, data=loaded[where],
                           progress=progress)
        traces.append(TrainingTrace.from_record(record))
    return traces


def study_traces(path=SATURATION_STUDY, *, store=None) -> tuple[list[dict], list[TrainingTrace]]:
    """The records of a stored study (see `stored_studies.study_records`) and their traces."""
    from ..engine.stored_studies import study_records

    records = study_records(path, store=store)
    return records, [TrainingTrace.from_record(r) for r in records]


def saturation_escape(trace: TrainingTrace, *, layer: int = -1, factor: float = 2.0) -> dict:
    """When a layer's mean activation bottoms out, and the first record after that where it is `factor` × higher.

    Returns min_mean, min_step, escape_step (None if it never rises that far) and, at the end, end_mean.
    """
    mean = trace.array("mean")[:, layer]
    lowest = int(np.argmin(mean))
    later = np.flatnonzero(mean[lowest:] >= factor * mean[lowest])
    return {
        "min_mean": float(mean[lowest]),
        "min_step": int(trace.steps[lowest]),
        "escape_step": int(trace.steps[lowest + later[0]]) if len(later) else None,
        "end_mean": float(mean[-1]),
    }

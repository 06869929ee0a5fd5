"""Training runs that are never done twice, survive being killed, and record how every number was made.

A `RunConfig` names one experiment: data, model, activation, seed, optimiser, snapshot epochs. `train(config)`
trains the seed CNN to the last snapshot epoch (or only `until_epoch` now), evaluating the model on the full
train and test sets at each snapshot epoch, and stores the run in a `results.ResultsStore`. Asking again for a
stored run returns it without training; a partial run resumes from its checkpoint.

Determinism: weights depend only on the seed (`models.seed_cnn`), the order of the training images in epoch `e`
is a permutation drawn from `numpy.random.default_rng([seed, e])`, and on TensorFlow deterministic ops are
enabled, so a resumed run repeats the uninterrupted one exactly (same backend and machine).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .activations import DEFAULT_ALPHA, SLOPED, check_activation
from .data import DATASETS, Dataset, load_dataset
from .results import SCHEMA, ResultsStore, StoreError, write_npz_atomic
from .validation import check_choice, check_finite, check_increasing_ints, check_int

DEFAULT_EPOCHS = (1, 10, 100, 1000)
"""The seed article's epoch counts; one run evaluated at each gives the same curves as four runs."""

OPTIMIZERS = ("adam", "sgd", "rmsprop")
MODELS = ("seed_cnn",)

_KEY_FIELDS = ("model", "dataset", "n_train", "n_test", "data_seed", "activation", "alpha", "seed", "epochs",
               "batch_size", "optimizer", "learning_rate", "dropout")


@dataclass(frozen=True)
class RunConfig:
    """One training run. Fields after `model` only say how the run is recorded, not what it computes."""

    dataset: str = "mnist"
    activation: str = "relu"
    alpha: float = DEFAULT_ALPHA  # negative slope of leaky_relu / initial slope of prelu; ignored by the others
    seed: int = 0  # initial weights and the order of the training images
    epochs: tuple[int, ...] = DEFAULT_EPOCHS  # snapshot epochs; the run trains to the last one
    n_train: int | None = None  # None: every training image available
    n_test: int | None = None  # None: the whole test set
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    dropout: float = 0.0
    data_seed: int = 0  # which stratified subset when n_train / n_test are given
    model: str = "seed_cnn"
    # How the run is recorded (not part of its key):
    checkpoint_every: int = 1  # epochs between checkpoints (snapshot epochs and the last epoch always get one)
    test_every: int = 1  # evaluate the test set after every `test_every` epochs for the history (0: never)
    eval_batch_size: int = 500  # evaluation only: changes speed, and losses in the 7th digit (float32 sums)

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 - frozen dataclass
        check_choice("dataset", self.dataset, DATASETS)
        check_choice("model", self.model, MODELS)
        activation, alpha = check_activation(self.activation, self.alpha)
        set_("alpha", alpha)
        set_("seed", check_int("seed", self.seed, low=0))
        set_("epochs", check_increasing_ints("epochs", list(self.epochs) if isinstance(self.epochs, tuple)
                                             else self.epochs, low=1))
        for name in ("n_train", "n_test"):
            if getattr(self, name) is not None:
                set_(name, check_int(name, getattr(self, name), low=1))
        set_("batch_size", check_int("batch_size", self.batch_size, low=1))
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        lr = check_finite("learning_rate", self.learning_rate)
        if lr <= 0:
            raise ValueError(f"learning_rate must be a finite real number > 0; got {self.learning_rate!r}")
        set_("learning_rate", lr)
        set_("dropout", check_finite("dropout", self.dropout, low=0.0, high=0.99))
        set_("data_seed", check_int("data_seed", self.data_seed, low=0))
        set_("checkpoint_every", check_int("checkpoint_every", self.checkpoint_every, low=1))
        set_("test_every", check_int("test_every", self.test_every, low=0))
        set_("eval_batch_size", check_int("eval_batch_size", self.eval_batch_size, low=1))

    @property
    def last_epoch(self) -> int:
        return self.epochs[-1]

    def to_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        """A config from a dict (a stored run's `config`, a YAML entry); unknown names are errors."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown run setting(s) {', '.join(map(repr, unknown))}; "
                             f"known: {', '.join(sorted(known))}")
        values = dict(values)
        if "epochs" in values:
            values["epochs"] = tuple(values["epochs"]) if isinstance(values["epochs"], list) else values["epochs"]
        return cls(**values)

    def label(self) -> str:
        alpha = f" α={self.alpha:g}" if self.activation in SLOPED else ""
        return f"{self.dataset} {self.activation}{alpha} seed {self.seed}"


def experiment(config: RunConfig, data: Dataset) -> dict:
    """What defines a run's training trajectory: the config's experiment fields and the data actually used."""
    out = {name: getattr(config, name) for name in _KEY_FIELDS}
    out["epochs"] = list(config.epochs)
    if config.activation not in SLOPED:
        out["alpha"] = None  # so a ReLU run is one run whatever α a study grid lists
    out["n_train"], out["n_test"] = len(data.y_train), len(data.y_test)
    out["train_pool"] = {"is_sample": data.is_sample, "n_images": data.train_source.n_images}
    out["test_pool"] = {"is_sample": data.test_source.is_sample, "n_images": data.test_source.n_images}
    return out


def run_key(config: RunConfig, data: Dataset) -> str:
    """`<dataset>-<activation>[-a<alpha>]-s<seed>-<12 hex of SHA-256 of the experiment>`."""
    exp = experiment(config, data)
    digest = hashlib.sha256(json.dumps(exp, sort_keys=True).encode()).hexdigest()[:12]
    alpha = f"-a{config.alpha:g}" if config.activation in SLOPED else ""
    return f"{config.dataset}-{config.activation}{alpha}-s{config.seed}-{digest}"


def load_run_data(config: RunConfig) -> Dataset:
    """The dataset a config asks for (stratified subsets drawn with `data_seed`)."""
    return load_dataset(config.dataset, n_train=config.n_train, n_test=config.n_test, seed=config.data_seed)


# --- training ------------------------------------------------------------------------------------------------------


@dataclass
class _Progress:
    """A run's progress: what a checkpoint holds besides the weights."""

    epoch: int = 0
    snapshots: list = field(default_factory=list)
    history: dict = field(default_factory=lambda: {k: [] for k in _HISTORY_COLUMNS})
    segments: list = field(default_factory=list)
    created: str = ""


_HISTORY_COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "fit_s", "eval_s", "save_s")


def train(
    config: RunConfig,
    *,
    store: ResultsStore | None = None,
    until_epoch: int | None = None,
    data: Dataset | None = None,
    progress=True,
) -> dict:
    """Train (or resume, or just return) the run `config` names; return its stored record.

    `until_epoch` stops this session early (the run stays "partial" and keeps its key); `progress` is True for a
    progress bar, False for none, or a tqdm bar to advance by one per epoch (the study runner's).
    """
    store = store or ResultsStore()
    data = data if data is not None else load_run_data(config)
    key = run_key(config, data)
    target = config.last_epoch if until_epoch is None else min(check_int("until_epoch", until_epoch, low=1),
                                                               config.last_epoch)
    record = store.get(key)
    if record is not None and record["epochs_done"] >= target:
        return record

    model = _compiled_model(config)
    state = _Progress(created=_now())
    checkpoint = store.checkpoint_path(key)
    if record is not None and record["epochs_done"] > 0:
        if not checkpoint.exists():
            raise StoreError(
                f"run {key} is stored as partial at epoch {record['epochs_done']} but its checkpoint {checkpoint} "
                "is missing; it cannot be resumed (move the run file away to train it again from the start)"
            )
        state = _load_checkpoint(checkpoint, key, model)
    elif checkpoint.exists():  # killed before its first record was written, or the record was removed
        state = _load_checkpoint(checkpoint, key, model)

    segment = _segment_start(state.epoch, model)
    segment["recording"] = {"checkpoint_every": config.checkpoint_every, "test_every": config.test_every,
                            "eval_batch_size": config.eval_batch_size}
    state.segments.append(segment)
    bar, own_bar = _progress_bar(progress, config, state.epoch, target)
    snapshot_epochs = set(config.epochs)
    test_n = len(data.y_test)
    started = time.perf_counter()
    try:
        for epoch in range(state.epoch + 1, target + 1):
            order = np.random.default_rng([config.seed, epoch]).permutation(len(data.y_train))
            t0 = time.perf_counter()
            fit = model.fit(data.x_train[order], data.y_train[order], batch_size=config.batch_size, epochs=1,
                            shuffle=False, verbose=0)
            t1 = time.perf_counter()
            row = {"epoch": epoch, "train_loss": fit.history["loss"][0], "train_accuracy": fit.history["accuracy"][0],
                   "test_loss": None, "test_accuracy": None, "fit_s": t1 - t0}
            if epoch in snapshot_epochs:
                snap = {"epoch": epoch, **_evaluate(model, data.x_train, data.y_train, "train", config),
                        **_evaluate(model, data.x_test, data.y_test, "test", config)}
                snap["eval_s"] = time.perf_counter() - t1
                state.snapshots.append(snap)
                row["test_loss"], row["test_accuracy"] = snap["test_loss"], snap["test_accuracy"]
                write_npz_atomic(store.snapshot_weights_path(key, epoch), _arrays("model", model.variables))
            elif config.test_every and epoch % config.test_every == 0 and test_n:
                row.update(_evaluate(model, data.x_test, data.y_test, "test", config))
            t2 = time.perf_counter()
            row["eval_s"] = t2 - t1
            row["save_s"] = None  # filled in once the checkpoint is written
            _append(state.history, row)
            state.epoch = epoch
            if epoch % config.checkpoint_every == 0 or epoch in snapshot_epochs or epoch == target:
                segment.update(epochs=[segment["epochs"][0], epoch], finished=_now(),
                               wall_s=time.perf_counter() - started)
                _save_checkpoint(checkpoint, key, model, state)
                state.history["save_s"][-1] = time.perf_counter() - t2
                record = _record(config, key, data, state)
                store.put(record)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{row['train_loss']:.4f}", acc=f"{row['train_accuracy']:.4f}", refresh=False)
    finally:
        if own_bar and bar is not None:
            bar.close()
    if record is None or record["epochs_done"] != state.epoch:  # the checkpoint was ahead of the record
        record = _record(config, key, data, state)
        store.put(record)
    return record


def _compiled_model(config: RunConfig):
    import keras

    from .models import seed_cnn

    keras.utils.set_random_seed(config.seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    model = seed_cnn(config.activation, config.alpha, seed=config.seed, dropout=config.dropout)
    optimizer = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
                 "rmsprop": keras.optimizers.RMSprop}[config.optimizer](learning_rate=config.learning_rate)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    optimizer.build(model.trainable_variables)
    return model


def _evaluate(model, x, y, prefix: str, config: RunConfig) -> dict:
    loss, accuracy = model.evaluate(x, y, batch_size=config.eval_batch_size, verbose=0)
    return {f"{prefix}_loss": float(loss), f"{prefix}_accuracy": float(accuracy)}


def _append(history: dict, row: dict) -> None:
    for name in _HISTORY_COLUMNS:
        value = row.get(name)
        history[name].append(None if value is None else (int(value) if name == "epoch" else float(value)))


def _record(config: RunConfig, key: str, data: Dataset, state: _Progress) -> dict:
    return {
        "schema": SCHEMA,
        "key": key,
        "status": "complete" if state.epoch >= config.last_epoch else "partial",
        "epochs_done": state.epoch,
        "config": config.to_dict(),
        "experiment": experiment(config, data),
        "data": data.provenance(),
        "snapshots": state.snapshots,
        "history": state.history,
        "segments": state.segments,
        "created": state.created,
        "updated": _now(),
    }


# --- checkpoints ---------------------------------------------------------------------------------------------------


def _arrays(prefix: str, variables) -> dict:
    return {f"{prefix}_{i:03d}": np.asarray(v.numpy() if hasattr(v, "numpy") else v) for i, v in enumerate(variables)}


def _save_checkpoint(path: Path, key: str, model, state: _Progress) -> None:
    meta = {"key": key, "epoch": state.epoch, "snapshots": state.snapshots, "history": state.history,
            "segments": state.segments, "created": state.created,
            "model_variables": [v.path for v in model.variables],
            "optimizer_variables": [v.path for v in model.optimizer.variables]}
    arrays = {**_arrays("model", model.variables), **_arrays("optimizer", model.optimizer.variables),
              "meta": np.array(json.dumps(meta))}
    write_npz_atomic(path, arrays)


def _load_checkpoint(path: Path, key: str, model) -> _Progress:
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            arrays = {name: f[name] for name in f.files if name != "meta"}
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as error:
        raise StoreError(f"{path}: checkpoint not readable ({error}); left untouched") from error
    if meta.get("key") != key:
        raise StoreError(f"{path}: checkpoint of run {meta.get('key')!r}, not {key!r}; left untouched")
    for prefix, variables in (("model", model.variables), ("optimizer", model.optimizer.variables)):
        # Paths carry names Keras makes unique per process ("adam_3/..."): compare their last part and shapes.
        stored = [(n.rsplit("/", 1)[-1], arrays[f"{prefix}_{i:03d}"].shape)
                  for i, n in enumerate(meta[f"{prefix}_variables"])]
        wanted = [(v.path.rsplit("/", 1)[-1], tuple(v.shape)) for v in variables]
        if stored != wanted:
            raise StoreError(f"{path}: its {prefix} variables {stored} do not match this model's {wanted}; "
                             "left untouched")
        for i, v in enumerate(variables):
            v.assign(arrays[f"{prefix}_{i:03d}"])
    return _Progress(epoch=meta["epoch"], snapshots=meta["snapshots"], history=meta["history"],
                     segments=meta["segments"], created=meta["created"])


def load_model(record: dict, epoch: int | None = None, *, store: ResultsStore | None = None):
    """The trained model of a stored run, with its weights as they were at snapshot `epoch` (default: latest)."""
    store = store or ResultsStore()
    config = RunConfig.from_dict(record["config"])
    model = _compiled_model(config)
    if epoch is None:
        _load_checkpoint(store.checkpoint_path(record["key"]), record["key"], model)
        return model
    path = store.snapshot_weights_path(record["key"], check_int("epoch", epoch, low=1))
    if not path.exists():
        raise StoreError(f"no weights of run {record['key']} at epoch {epoch} ({path}); "
                         f"snapshot epochs done: {[s['epoch'] for s in record['snapshots']]}")
    with np.load(path, allow_pickle=False) as f:
        for i, v in enumerate(model.variables):
            v.assign(f[f"model_{i:03d}"])
    return model


# --- where and how a run was made ----------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _segment_start(epoch: int, model) -> dict:
    import keras

    return {"epochs": [epoch, epoch], "started": _now(), "finished": None, "wall_s": 0.0,
            "backend": keras.backend.backend(), "device": device(), "jit_compile": bool(model.jit_compile),
            "hardware": hardware(), "versions": versions(), "git": git_commit()}


def device() -> str:
    """The accelerator Keras trains on: a GPU's name, or "CPU"."""
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
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("rectifiers", "keras", "tensorflow", "jax", "torch", "numpy"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return out


def git_commit() -> dict:
    """The project's git commit and whether the package had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "rectifiers"], cwd=root, capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "package_modified": None}
    if commit.returncode != 0:
        return {"commit": None, "package_modified": None}
    return {"commit": commit.stdout.strip(), "package_modified": bool(dirty.stdout.strip())}


def _progress_bar(progress, config: RunConfig, done: int, target: int):
    if progress is False or progress is None:
        return None, False
    if progress is True:
        from tqdm.auto import tqdm

        return tqdm(total=target, initial=done, desc=config.label(), unit="epoch"), True
    return progress, False

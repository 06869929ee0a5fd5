"""Chapter 3's training runs: networks trained by the engine while the `dead_units` probe watches them.

Every run is a `rectifiers.engine` run (a `RunConfig` with `probes=("dead_units",)`, measured before training and
after every epoch on all the run's training images), stored once in the results store and read back as a
`DyingRun`, the view the chapter's tables and figures use. The chapter's grids are studies:

- `studies/ch3_learning_rates_mlp.yaml`, `studies/ch3_learning_rates_cnn.yaml`: a 4 × 32 MLP and the seed CNN at
  several Adam learning rates, ReLU and Leaky ReLU (α = 0.01, 0.1, 0.3), one seed;
- `studies/ch3_widths.yaml`: 4-layer MLPs of width 2 to 64, ReLU and Leaky ReLU (α = 0.01), three seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..probes.layers import check_images, preactivation_layers
from ..validation import check_choice, check_finite, check_int

ARCHITECTURES = ("mlp", "seed_cnn")
OPTIMIZERS = ("adam", "sgd")
SWEEP_STUDIES = ("studies/ch3_learning_rates_mlp.yaml", "studies/ch3_learning_rates_cnn.yaml")
WIDTH_STUDY = "studies/ch3_widths.yaml"


@dataclass
class DyingRun:
    """One training run watched for dead units: dead fractions (over the training images) before training and
    after every epoch, per probed layer, with the dead masks, losses and accuracies."""

    architecture: str
    activation: str
    alpha: float
    learning_rate: float
    optimizer: str
    epochs: int
    batch_size: int
    seed: int
    n_train: int
    n_test: int
    mlp_depth: int
    mlp_width: int
    layers: list[str]
    dead_fraction: list[list[float]]  # [epoch 0 … epochs][layer]; NaN when the model produced NaN (diverged)
    dead_masks: list[list[list[int]]]  # [epoch][layer][unit], 1 = dead
    active_fraction: list[list[float]]  # [layer][unit] after the last epoch: share of (image, position) > 0
    train_loss: list[float]  # per epoch 1 … epochs
    train_accuracy: list[float]
    test_accuracy: list[float]
    wall_s: float = 0.0
    key: str = ""  # the engine's run key in the results store
    model: object = field(default=None, repr=False, compare=False)  # the trained Keras model; not stored

    @property
    def label(self) -> str:
        return "ReLU" if self.activation == "relu" else f"Leaky ReLU (α={self.alpha:g})"

    @property
    def diverged(self) -> bool:
        return any(math.isnan(f) for f in self.dead_fraction[-1]) or not math.isfinite(self.train_loss[-1])

    def total_dead_fraction(self, epoch: int = -1) -> float:
        """Fraction of all probed units (all layers together) dead after `epoch` (0 = at initialisation)."""
        if any(math.isnan(f) for f in self.dead_fraction[epoch]):
            return float("nan")
        masks = self.dead_masks[epoch]
        return float(sum(map(sum, masks)) / sum(map(len, masks)))

    def revived(self) -> list[int]:
        """Per layer, how many units were dead after some epoch and alive after a later one."""
        out = []
        for layer in range(len(self.layers)):
            masks = np.array([epoch[layer] for epoch in self.dead_masks], dtype=bool)  # (epochs + 1, units)
            alive_later = np.flip(np.logical_or.accumulate(np.flip(~masks, 0), 0), 0)  # alive at e or after
            revived = masks[:-1] & alive_later[1:]
            out.append(int(revived.any(axis=0).sum()))
        return out

    @classmethod
    def from_record(cls, record: dict) -> DyingRun:
        """The view of a stored engine run that recorded the `dead_units` probe."""
        config, history = record["config"], record["history"]
        rows = record.get("probes", {}).get("dead_units")
        if not rows:
            raise ValueError(f"run {record['key']} did not record the dead_units probe (its probes: "
                             f"{config.get('probes')}); it cannot be shown as a dying run")
        nan = float("nan")
        fractions = [[nan if f is None else f for f in row["dead_fraction"]] for row in rows]
        masks = [row["dead_masks"] for row in rows]
        while len(fractions) < record["epochs_done"] + 1:  # a diverged epoch is not measured: NaN, as the model
            fractions.append([nan] * len(rows[0]["layers"]))
            masks.append(masks[-1])
        mlp = config["model"] == "mlp"
        value = lambda column: [nan if v is None else v for v in history[column]]  # noqa: E731
        return cls(
            architecture=config["model"], activation=config["activation"],
            alpha=float(config["alpha"]) if config["activation"] != "relu" else 0.0,
            learning_rate=config["learning_rate"], optimizer=config["optimizer"], epochs=record["epochs_done"],
            batch_size=config["batch_size"], seed=config["seed"], n_train=record["experiment"]["n_train"],
            n_test=record["experiment"]["n_test"], mlp_depth=config["depth"] if mlp else 0,
            mlp_width=config["width"] if mlp else 0, layers=list(rows[0]["layers"]), dead_fraction=fractions,
            dead_masks=masks, active_fraction=rows[-1]["active_fraction"], train_loss=value("train_loss"),
            train_accuracy=value("train_accuracy"), test_accuracy=value("test_accuracy"),
            wall_s=sum(s["wall_s"] for s in record["segments"]), key=record["key"],
        )


def run_config(
    architecture: str = "mlp",
    activation: str = "relu",
    alpha: float = 0.01,
    learning_rate: float = 1e-3,
    *,
    optimizer: str = "adam",
    epochs: int = 5,
    batch_size: int = 32,
    seed: int = 0,
    mlp_depth: int = 4,
    mlp_width: int = 32,
    n_train: int = 2000,
    n_test: int = 2000,
    data_seed: int = 0,
):
    """The engine's config of one network watched for dead units after every epoch (as the studies define them)."""
    from ..engine import RunConfig

    check_choice("architecture", architecture, ARCHITECTURES)
    check_choice("activation", activation, ("relu", "leaky_relu"))
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_finite("learning_rate", learning_rate, low=1e-8, high=10.0)
    epochs = check_int("epochs", epochs, low=1)
    shape = dict(depth=mlp_depth, width=mlp_width) if architecture == "mlp" else {}
    return RunConfig(dataset="mnist", model=architecture, activation=activation, alpha=alpha, seed=seed,
                     epochs=(epochs,), n_train=n_train, n_test=n_test, data_seed=data_seed, batch_size=batch_size,
                     optimizer=optimizer, learning_rate=learning_rate, probes=("dead_units",), **shape)


def watch_run(config, *, store=None, data=None, progress=False) -> DyingRun:
    """Train the run `config` names through the engine (or read it, if stored) and return it with its model."""
    from ..engine import ResultsStore, load_model, train

    store = store if store is not None else ResultsStore()
    record = train(config, store=store, data=data, progress=progress)
    run = DyingRun.from_record(record)
    run.model = load_model(record, store=store)
    return run


def study_runs(paths, *, store=None) -> list[DyingRun]:
    """The runs of the studies at `paths` (relative to the repository), read from the results store."""
    from ..engine.stored_studies import study_records

    paths = [paths] if isinstance(paths, str) else paths
    return [DyingRun.from_record(record) for path in paths for record in study_records(path, store=store)]


def incoming_gradient_norms(model, images, labels, layer: str, *, batch_size: int = 500) -> np.ndarray:
    """Per unit of `layer`, the norm of the gradient of the total training loss w.r.t. its incoming weights and bias.

    Summed over all `images` in batches: a unit dead on them under ReLU gets exactly 0.
    """
    import tensorflow as tf

    images = check_images(images, model)
    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},); got {labels.shape}")
    check_choice("layer", layer, preactivation_layers(model))
    target = model.get_layer(layer)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(reduction="sum")
    total = [np.zeros(tuple(v.shape), dtype=np.float64) for v in (target.kernel, target.bias)]
    for start in range(0, len(images), batch_size):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels[start : start + batch_size], model(images[start : start + batch_size], training=False))
        for acc, g in zip(total, tape.gradient(loss, [target.kernel, target.bias])):
            acc += np.asarray(g, dtype=np.float64)
    kernel = total[0].reshape(-1, total[0].shape[-1])
    return np.sqrt((kernel**2).sum(axis=0) + total[1] ** 2)


def preactivations(model, images, layer: str, units, *, batch_size: int = 500) -> np.ndarray:
    """Pre-activations of some units of `layer` for every image (and position): shape (values, len(units))."""
    import keras

    images = check_images(images, model)
    check_choice("layer", layer, preactivation_layers(model))
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, model.get_layer(layer).output)
    units = [check_int("units[i]", u, low=0, high=probe.output.shape[-1] - 1) for u in units]
    out = []
    for start in range(0, len(images), batch_size):
        z = np.asarray(probe(images[start : start + batch_size], training=False))
        out.append(z.reshape(-1, z.shape[-1])[:, units])
    return np.concatenate(out)



# --- Tables for the chapter --------------------------------------------------------------------------------------


def sweep_table(runs: list[DyingRun]) -> "pandas.DataFrame":
    """One row per run: dead share after the first and the last epoch, units revived, final test accuracy."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "network": "seed CNN" if r.architecture == "seed_cnn" else f"MLP {r.mlp_depth}x{r.mlp_width}",
                "activation": r.label,
                "learning rate": r.learning_rate,
                "dead after epoch 1": r.total_dead_fraction(1),
                "dead at the end": r.total_dead_fraction(),
                "dead per layer at the end": ", ".join(f"{f:.2f}" for f in r.dead_fraction[-1]),
                "units revived": sum(r.revived()),
                "test accuracy": r.test_accuracy[-1],
            }
            for r in runs
        ]
    )


def width_table(runs: list[DyingRun]) -> "pandas.DataFrame":
    """Mean and spread of test accuracy and dead share over seeds, per width and activation."""
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "width": r.mlp_width,
                "activation": r.label,
                "seed": r.seed,
                "test accuracy": r.test_accuracy[-1],
                "dead at the end": r.total_dead_fraction(),
            }
            for r in runs
        ]
    )
    return (
        frame.groupby(["width", "activation"])
        .agg(
            seeds=("seed", "count"),
            accuracy_mean=("test accuracy", "mean"),
            accuracy_min=("test accuracy", "min"),
            accuracy_max=("test accuracy", "max"),
            dead_mean=("dead at the end", "mean"),
        )
        .reset_index()
    )


def dead_and_live_unit(run: DyingRun) -> tuple[str, int, int]:
    """(layer, a dead unit, the unit most often active) in the first layer that has a dead unit after training."""
    for i, name in enumerate(run.layers):
        dead = np.flatnonzero(run.dead_masks[-1][i])
        if len(dead):
            return name, int(dead[0]), int(np.argmax(run.active_fraction[i]))
    raise ValueError("this run has no dead unit after training; try a higher learning rate")



# --- Values the chapter quotes (glued by name) ----------------------------------------------------------------------


def sweep_values(runs: list[DyingRun]) -> dict:
    """Per run <architecture>_<relu|leaky{α}>_lr{rate}_dead / _acc (dots dropped), revival totals, sweep settings."""
    values = {}
    for r in runs:
        name = "relu" if r.activation == "relu" else f"leaky{r.alpha:g}"
        key = f"{r.architecture}_{name}_lr{r.learning_rate:g}".replace(".", "")
        values[f"{key}_dead"] = r.total_dead_fraction()
        values[f"{key}_acc"] = r.test_accuracy[-1]
    relu = [r for r in runs if r.activation == "relu"]
    leaky = [r for r in runs if r.activation == "leaky_relu" and math.isclose(r.alpha, 0.01)]
    values["relu_runs"] = len(relu)
    values["relu_first_layer_revived"] = sum(r.revived()[0] for r in relu)
    values["relu_deeper_revived"] = sum(sum(r.revived()[1:]) for r in relu)
    values["leaky_first_layer_revived"] = sum(r.revived()[0] for r in leaky)
    values["sweep_runs"] = len(runs)
    values["sweep_images"] = runs[0].n_train
    for architecture in ARCHITECTURES:
        chosen = [r for r in runs if r.architecture == architecture]
        if chosen:
            values[f"{architecture}_epochs"] = chosen[0].epochs
            values[f"{architecture}_rates"] = ", ".join(f"{lr:g}" for lr in sorted({r.learning_rate for r in chosen}))
            for r in chosen:
                if r.activation == "relu" or math.isclose(r.alpha, 0.01):
                    kind = "relu" if r.activation == "relu" else "leaky"
                    counts = ", ".join(f"{sum(m)} of {len(m)} in {n}" for n, m in zip(r.layers, r.dead_masks[-1]))
                    values[f"{architecture}_channels_{kind}_lr{r.learning_rate:g}".replace(".", "")] = counts
    values["sweep_alphas"] = ", ".join(f"{a:g}" for a in sorted({r.alpha for r in runs if r.activation == "leaky_relu"}))
    return values


def width_values(runs: list[DyingRun]) -> dict:
    """width{w}_{relu|leaky}_acc / _min / _max / _dead, the sweep's settings, and how many of the narrowest ReLU
    networks had a whole layer dead before training."""
    values = {}
    for row in width_table(runs).itertuples():
        key = f"width{row.width}_{'relu' if row.activation == 'ReLU' else 'leaky'}"
        values[f"{key}_acc"], values[f"{key}_min"] = row.accuracy_mean, row.accuracy_min
        values[f"{key}_max"], values[f"{key}_dead"] = row.accuracy_max, row.dead_mean
    narrowest = min(r.mlp_width for r in runs)
    first = runs[0]
    values.update(
        width_list=", ".join(str(w) for w in sorted({r.mlp_width for r in runs})),
        width_seeds=len({r.seed for r in runs}),
        width_rate=first.learning_rate,
        width_epochs=first.epochs,
        width_images=first.n_train,
        width_test_images=first.n_test,
        narrowest_width=narrowest,
        narrow_relu_born_dead=sum(
            1 for r in runs if r.activation == "relu" and r.mlp_width == narrowest and max(r.dead_fraction[0]) == 1.0
        ),
    )
    return values

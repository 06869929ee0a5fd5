"""Dead rectifier units: finding them in a network, how often deep narrow networks are born dead, how training
kills them.

The definitions the chapter uses:

- A unit (a Dense unit, or a convolutional channel) is *dead on a dataset* when its pre-activation is <= 0 for
  every example (for a channel: at every position of every example). A dead ReLU unit outputs 0 and passes zero
  gradient to its weights for every example, so gradient descent on that dataset cannot move them. A Leaky
  ReLU unit that is "dead" in this sense still passes the gradient α · upstream; its weights keep learning.
- A network is *born dead* on an input domain when, at initialisation, its output is the same for every input in
  the domain. In the Monte Carlo the input is a scalar x in [0, 1] or [-1, 1] (one input, as in the 1-D examples of
  Lu et al. 2019), the network has `depth` hidden layers of `width` units and a linear output layer.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

# Dead units of a Keras model are measured by the `dead_units` probe; re-exported here for the chapter.
from .probes.dead_units import UnitActivity, dead_unit_fraction, dead_units, unit_activity  # noqa: F401
from .probes.layers import ACTIVATION_LAYER_TYPES, preactivation_layers  # noqa: F401
from .probes.layers import check_images as _check_images
from .results import provenance as results_provenance
from .validation import check_choice, check_finite, check_increasing_ints, check_int

# --- Born dead: the theory -------------------------------------------------------------------------------------


def active_units_chain(width: int, depth: int) -> np.ndarray:
    """P(K_l = k) for l = 1 … depth and k = 0 … width: the number of active units at one input, layer by layer.

    Zero biases, weights i.i.d. from a continuous distribution symmetric about 0. Given a nonzero layer input h,
    unit j's pre-activation w_j · h is symmetric and continuous, so it is positive with probability 1/2,
    independently across units: K_l ~ Binomial(width, 1/2) whatever K_{l-1} > 0 was, and K = 0 is absorbing.
    """
    width = check_int("width", width, low=1)
    depth = check_int("depth", depth, low=1)
    k = np.arange(width + 1)
    binomial = np.array([math.comb(width, int(i)) for i in k], dtype=float) / 2.0**width
    transition = np.zeros((width + 1, width + 1))
    transition[0, 0] = 1.0
    transition[1:, :] = binomial
    state = np.zeros(width + 1)
    state[1] = 1.0  # the input x != 0 is "alive"
    out = np.empty((depth, width + 1))
    for layer in range(depth):
        state = state @ transition
        out[layer] = state
    return out


def born_dead_theory(width, depth):
    """P(the output at one input x != 0 is 0) = 1 - (1 - 2**-width)**depth: exact for the domain [0, 1].

    With zero biases a ReLU network is positively homogeneous, f(c·x) = c·f(x) for c > 0, so on [0, 1] it is
    constant exactly when it is 0 at x = 1. Arrays broadcast.
    """
    width = np.asarray(width, dtype=float)
    depth = np.asarray(depth, dtype=float)
    if np.any(width < 1) or np.any(depth < 1):
        raise ValueError(f"width and depth must be >= 1; got width={width!r}, depth={depth!r}")
    return 1.0 - (1.0 - 2.0**-width) ** depth


def two_sided_bounds(width, depth) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on P(born dead on [-1, 1]): the rays x > 0 and x < 0 must both die, each with probability p.

    p = `born_dead_theory`; P(both) <= p, and P(both) >= 2p - 1 (Fréchet). If the two rays died independently
    the probability would be p**2; it is not a bound.
    """
    p = born_dead_theory(width, depth)
    return np.maximum(0.0, 2.0 * p - 1.0), p


def wilson_interval(successes, trials, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (arrays broadcast); well behaved at 0 and 1."""
    confidence = check_finite("confidence", confidence, low=0.5, high=0.999999)
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1; got {successes!r} of {trials!r}")
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))  # exact ends, free of rounding
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


# --- Born dead: the Monte Carlo ----------------------------------------------------------------------------------

INITIALISATIONS = ("symmetric", "symmetric_bias", "rai")
"""`symmetric`: He-normal weights N(0, 2/fan_in), zero biases (the case of the theory). `symmetric_bias`: weights
and biases N(0, σ²/fan_in). `rai`: Lu et al.'s randomized asymmetric initialisation as we implement it: like
`symmetric_bias`, then in each unit one entry of (weights, bias), chosen uniformly, is replaced by a Beta(2, 1) draw."""

DOMAINS = ("[0,1]", "[-1,1]")
"""Input domains of the born-dead Monte Carlo (a scalar input)."""

MC_ACTIVATIONS = ("relu", "leaky_relu")

RAI_SIGMA = 0.6007
"""σ of the symmetric part of RAI, and Beta(2, 1) its positive entry: the values Lu et al. (2019) recommend."""

_CHUNK = 4096  # networks simulated at once: bounds memory, and fixes how the random stream is used


@dataclass
class BornDead:
    """Monte Carlo counts of born-dead networks: `dead[l - 1]` of `n_networks` are dead at depth l."""

    width: int
    depth: int
    activation: str
    alpha: float
    init: str
    domain: str
    n_networks: int
    n_inputs: int  # inputs per network at which "same output" is checked
    seed: int
    dead: np.ndarray = field(repr=False)  # (depth,) int counts
    wall_s: float = 0.0

    @property
    def depths(self) -> np.ndarray:
        return np.arange(1, self.depth + 1)

    @property
    def probability(self) -> np.ndarray:
        return self.dead / self.n_networks

    def interval(self, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        return wilson_interval(self.dead, self.n_networks, confidence)

    def at(self, depth: int) -> dict:
        """Estimate and 95 % Wilson interval at one depth."""
        depth = check_int("depth", depth, low=1, high=self.depth)
        low, high = wilson_interval(self.dead[depth - 1], self.n_networks)
        return {
            "depth": depth,
            "dead": int(self.dead[depth - 1]),
            "n": self.n_networks,
            "p": float(self.probability[depth - 1]),
            "low": float(low),
            "high": float(high),
        }

    def to_dict(self) -> dict:
        out = asdict(self)
        out["dead"] = [int(d) for d in self.dead]
        return out

    @classmethod
    def from_dict(cls, record: dict) -> "BornDead":
        record = dict(record)
        record["dead"] = np.asarray(record["dead"], dtype=np.int64)
        return cls(**record)


def monte_carlo_inputs(domain: str, init: str, activation: str, n_inputs: int) -> np.ndarray:
    """The scalar inputs at which a network's outputs are compared.

    Zero-bias ReLU and Leaky ReLU networks are positively homogeneous, so the ends of the domain and 0 decide
    exactly whether the output is constant on the whole domain. With biases, `n_inputs` evenly spaced points.
    """
    check_choice("domain", domain, DOMAINS)
    check_choice("init", init, INITIALISATIONS)
    check_choice("activation", activation, MC_ACTIVATIONS)
    low = 0.0 if domain == "[0,1]" else -1.0
    if init == "symmetric":
        return np.array([0.0, 1.0]) if low == 0.0 else np.array([-1.0, 0.0, 1.0])
    n_inputs = check_int("n_inputs", n_inputs, low=2)
    return np.linspace(low, 1.0, n_inputs)


def born_dead_monte_carlo(
    width: int,
    depth: int,
    *,
    activation: str = "relu",
    alpha: float = 0.01,
    init: str = "symmetric",
    domain: str = "[-1,1]",
    n_networks: int = 10_000,
    n_inputs: int = 33,
    seed: int = 0,
) -> BornDead:
    """Draw `n_networks` random networks and count, for every depth 1 … `depth`, those born dead on `domain`.

    A depth-l network is the first l hidden layers of a deeper one (plus an output layer), so one pass gives every
    depth. A network counts as dead at depth l when one of its first l hidden layers is zero at every input: from
    there on every layer, and the output, is constant. With random continuous weights the converse holds with
    probability 1 (a layer whose input varies is constant only if all its units are <= 0 throughout), so this is
    "output constant on the domain". A Leaky ReLU unit is zero only where its pre-activation is exactly 0, so a
    leaky network is never dead: it is injective in x (invertible square weight matrices, injective activation).
    Vectorised over networks, seeded: the same arguments give the same counts.
    """
    width = check_int("width", width, low=1, high=4096)
    depth = check_int("depth", depth, low=1, high=10_000)
    check_choice("activation", activation, MC_ACTIVATIONS)
    alpha = check_finite("alpha", alpha, low=0.0, high=1.0)
    n_networks = check_int("n_networks", n_networks, low=1)
    seed = check_int("seed", seed, low=0)
    x = monte_carlo_inputs(domain, init, activation, n_inputs)
    slope = 0.0 if activation == "relu" else alpha
    start = time.perf_counter()
    dead = np.zeros(depth, dtype=np.int64)
    chunks = [min(_CHUNK, n_networks - i) for i in range(0, n_networks, _CHUNK)]
    for size, chunk_seed in zip(chunks, np.random.SeedSequence(seed).spawn(len(chunks))):
        died_at = _simulate_chunk(np.random.default_rng(chunk_seed), size, width, depth, x, slope, init)
        dead += np.bincount(died_at[died_at <= depth], minlength=depth + 1)[1:].cumsum()
    recorded_alpha = alpha if activation != "relu" else 0.0
    wall = time.perf_counter() - start
    return BornDead(width, depth, activation, recorded_alpha, init, domain, n_networks, len(x), seed, dead, wall)


def _simulate_chunk(rng, n, width, depth, x, slope, init) -> np.ndarray:
    """For each of `n` networks, the first depth at which a hidden layer is zero at every input (else depth + 1)."""
    died_at = np.full(n, depth + 1)
    alive = np.arange(n)
    h = x[None, :, None]  # (networks, inputs, units)
    for layer in range(1, depth + 1):
        fan_in = h.shape[2]
        weights, biases = _draw_layer(rng, len(alive), fan_in, width, init)
        z = (h * weights if fan_in == 1 else h @ weights) + biases
        h = np.where(z > 0, z, slope * z)
        silent = ~np.any(h != 0, axis=(1, 2))  # every unit <= 0 at every input: only ReLU can do this
        died_at[alive[silent]] = layer
        alive, h = alive[~silent], h[~silent]
        if not len(alive):
            break
        if init == "symmetric":  # positively homogeneous: rescaling changes nothing but keeps floats in range
            h = h / np.abs(h).max(axis=(1, 2), keepdims=True)
    return died_at


def _draw_layer(rng, n, fan_in, width, init):
    """Weights (n, fan_in, width) and biases (n, 1, width) of one layer for `n` networks."""
    if init == "symmetric":
        return rng.standard_normal((n, fan_in, width)) * math.sqrt(2.0 / fan_in), np.zeros((n, 1, width))
    entries = rng.standard_normal((n, fan_in + 1, width)) * (RAI_SIGMA / math.sqrt(fan_in))
    if init == "rai":
        chosen = rng.integers(0, fan_in + 1, size=(n, width))
        entries[np.arange(n)[:, None], chosen, np.arange(width)[None, :]] = rng.beta(2.0, 1.0, size=(n, width))
    return entries[:, :fan_in, :], entries[:, fan_in:, :]


# --- Killed in training ------------------------------------------------------------------------------------------

ARCHITECTURES = ("mlp", "seed_cnn")
OPTIMIZERS = ("adam", "sgd")


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

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "model"}
        out["revived"] = self.revived()
        return out

    @classmethod
    def from_dict(cls, record: dict) -> "DyingRun":
        names = {f.name for f in fields(cls)} - {"model"}
        return cls(**{k: v for k, v in record.items() if k in names})


def build_network(architecture: str, activation: str, alpha: float, *, seed: int, mlp_depth: int, mlp_width: int):
    """The seed CNN, or an MLP of `mlp_depth` hidden layers of `mlp_width` units (He initialisation, zero biases)."""
    from .models import mlp, seed_cnn

    check_choice("architecture", architecture, ARCHITECTURES)
    if architecture == "seed_cnn":
        return seed_cnn(activation, alpha, seed=seed)
    return mlp(mlp_depth, mlp_width, activation, alpha, seed=seed)


def train_and_watch(
    data,
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
) -> DyingRun:
    """Train one network on `data` (a `rectifiers.data.Dataset`) and record its dead units after every epoch.

    Dead = pre-activation <= 0 for every training image the network trains on, so a dead ReLU unit's incoming
    weights get exactly zero gradient from every batch (Adam's momentum can still move them for a few steps).
    """
    import keras

    from .activations import check_activation

    check_choice("architecture", architecture, ARCHITECTURES)
    check_choice("activation", activation, ("relu", "leaky_relu"))
    check_activation(activation, alpha)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    learning_rate = check_finite("learning_rate", learning_rate, low=1e-8, high=10.0)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    seed = check_int("seed", seed, low=0)
    mlp_depth = check_int("mlp_depth", mlp_depth, low=1)
    mlp_width = check_int("mlp_width", mlp_width, low=1)
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)  # the order of the batches
    model = build_network(architecture, activation, alpha, seed=seed, mlp_depth=mlp_depth, mlp_width=mlp_width)
    opt = keras.optimizers.Adam(learning_rate) if optimizer == "adam" else keras.optimizers.SGD(learning_rate)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    layers = preactivation_layers(model)
    fractions, masks, last = [], [], {}

    def watch():
        activity = unit_activity(model, data.x_train, layers=layers)
        fractions.append([activity[name].dead_fraction for name in layers])
        masks.append([activity[name].dead.astype(int).tolist() for name in layers])
        last["activity"] = activity

    watch()
    history = model.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(data.x_test, data.y_test),
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: watch())],
        verbose=0,
    )
    return DyingRun(
        architecture=architecture,
        activation=activation,
        alpha=float(alpha) if activation != "relu" else 0.0,
        learning_rate=learning_rate,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        n_train=int(len(data.y_train)),
        n_test=int(len(data.y_test)),
        mlp_depth=mlp_depth if architecture == "mlp" else 0,
        mlp_width=mlp_width if architecture == "mlp" else 0,
        layers=layers,
        dead_fraction=fractions,
        dead_masks=masks,
        active_fraction=[[round(float(v), 6) for v in last["activity"][name].active_fraction] for name in layers],
        train_loss=[float(v) for v in history.history["loss"]],
        train_accuracy=[float(v) for v in history.history["accuracy"]],
        test_accuracy=[float(v) for v in history.history["val_accuracy"]],
        wall_s=time.perf_counter() - start,
        model=model,
    )


def incoming_gradient_norms(model, images, labels, layer: str, *, batch_size: int = 500) -> np.ndarray:
    """Per unit of `layer`, the norm of the gradient of the total training loss w.r.t. its incoming weights and bias.

    Summed over all `images` in batches: a unit dead on them under ReLU gets exactly 0.
    """
    import tensorflow as tf

    images = _check_images(images, model)
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

    images = _check_images(images, model)
    check_choice("layer", layer, preactivation_layers(model))
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, model.get_layer(layer).output)
    units = [check_int("units[i]", u, low=0, high=probe.output.shape[-1] - 1) for u in units]
    out = []
    for start in range(0, len(images), batch_size):
        z = np.asarray(probe(images[start : start + batch_size], training=False))
        out.append(z.reshape(-1, z.shape[-1])[:, units])
    return np.concatenate(out)


# --- The stored grids ---------------------------------------------------------------------------------------------

GRID_SETTINGS = (
    ("relu", 0.0, "symmetric"),
    ("relu", 0.0, "symmetric_bias"),
    ("relu", 0.0, "rai"),
    ("leaky_relu", 0.01, "symmetric"),
    ("leaky_relu", 0.1, "symmetric"),
    ("leaky_relu", 0.3, "symmetric"),
)
"""(activation, α, initialisation) of the born-dead grid behind the heat map."""

SWEEP_ACTIVATIONS = (("relu", 0.0), ("leaky_relu", 0.01), ("leaky_relu", 0.1), ("leaky_relu", 0.3))


def born_dead_grid(
    widths=(1, 2, 3, 4, 5, 6, 8, 10, 12, 16),
    max_depth: int = 64,
    *,
    settings=GRID_SETTINGS,
    domains=DOMAINS,
    n_networks: int = 5000,
    n_inputs: int = 33,
    seed: int = 0,
) -> list[BornDead]:
    """Born-dead counts for every width, depth 1 … `max_depth`, setting and domain (one record per width/setting)."""
    widths = check_increasing_ints("widths", list(widths))
    records = []
    for activation, alpha, init in settings:
        for domain in domains:
            for width in widths:
                records.append(
                    born_dead_monte_carlo(
                        width, max_depth, activation=activation, alpha=alpha, init=init, domain=domain,
                        n_networks=n_networks, n_inputs=n_inputs, seed=seed,
                    )
                )
    return records


def training_sweep(
    data,
    *,
    architectures=ARCHITECTURES,
    activations=SWEEP_ACTIVATIONS,
    learning_rates: dict | None = None,
    epochs: dict | None = None,
    seed: int = 0,
    **kwargs,
) -> list[DyingRun]:
    """`train_and_watch` for every architecture × (activation, α) × learning rate; models are dropped."""
    learning_rates = learning_rates or {"mlp": (1e-3, 1e-2, 3e-2, 1e-1), "seed_cnn": (1e-3, 1e-2, 5e-2)}
    epochs = epochs or {"mlp": 5, "seed_cnn": 3}
    runs = []
    for architecture in architectures:
        for lr in learning_rates[architecture]:
            for activation, alpha in activations:
                run = train_and_watch(
                    data, architecture, activation, alpha, lr, epochs=epochs[architecture], seed=seed, **kwargs
                )
                run.model = None
                runs.append(run)
    return runs


def width_sweep(
    data,
    widths=(2, 4, 8, 16, 32, 64),
    *,
    activations=(("relu", 0.0), ("leaky_relu", 0.01)),
    seeds=(0, 1, 2),
    learning_rate: float = 1e-3,
    epochs: int = 5,
    mlp_depth: int = 4,
) -> list[DyingRun]:
    """MLPs of several widths, both activations and several seeds, trained alike: accuracy against width."""
    widths = check_increasing_ints("widths", list(widths))
    runs = []
    for width in widths:
        for seed in seeds:
            for activation, alpha in activations:
                run = train_and_watch(
                    data, "mlp", activation, alpha, learning_rate, epochs=epochs, seed=seed,
                    mlp_depth=mlp_depth, mlp_width=width,
                )
                run.model = None
                runs.append(run)
    return runs


RESULT_FILES = {"born_dead": "born_dead_grid.json", "training": "training_sweep.json", "width": "width_sweep.json"}
"""The stored results of the chapter, by name, as files in a results folder (results/dying in the repository)."""

REPOSITORY = Path(__file__).resolve().parent.parent


def results_folder(results_dir) -> Path:
    """`results_dir` as a path; a relative one is taken from the repository root, wherever the notebook runs."""
    path = Path(results_dir)
    return path if path.is_absolute() else REPOSITORY / path


def load_stored_results(results_dir="results/dying") -> dict[str, tuple[dict, list]]:
    """{name: (how, records)} for every stored result of the chapter."""
    folder = results_folder(results_dir)
    return {name: read_result(folder / filename) for name, filename in RESULT_FILES.items()}


def provenance(function: str, parameters: dict, wall_s: float, cpu_s: float, data=None) -> dict:
    """How a stored result was made: function, parameters, library versions, date, wall and CPU time, data.

    The machine is shared, so wall time depends on the load; CPU time (all threads) is the steadier cost.
    """
    return results_provenance(parameters, made_by=f"rectifiers.dying.{function}", wall_s=round(wall_s, 1),
                              cpu_s=round(cpu_s, 1), data=None if data is None else data.provenance())


def write_result(path, how: dict, records: list) -> Path:
    """Write {"how": …, "records": […]} as plain JSON (NaN written as null), records as their `to_dict()`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # "how" indented for a reader; one record per line so the file stays small and diffs stay legible.
    lines = [json.dumps(_nan_to_none(r.to_dict()), allow_nan=False, separators=(",", ":")) for r in records]
    how_text = json.dumps(_nan_to_none(how), indent=1, allow_nan=False)
    path.write_text('{"how": ' + how_text + ',\n"records": [\n' + ",\n".join(lines) + "\n]}\n")
    return path


def read_result(path) -> tuple[dict, list]:
    """Read a stored result; returns (how, records as BornDead or DyingRun)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: run the chapter with recompute=True, or "
            f"rectifiers.dying.compute_stored_results('{path.parent}')"
        )
    payload = json.loads(path.read_text())
    kind = BornDead if path.name == RESULT_FILES["born_dead"] else DyingRun
    records = [kind.from_dict(_none_to_nan(r)) for r in payload["records"]]
    return payload["how"], records


def compute_stored_results(
    results_dir="results/dying",
    *,
    which=tuple(RESULT_FILES),
    grid: dict | None = None,
    n_train: int = 2000,
    n_test: int = 2000,
    data_seed: int = 0,
    sweep: dict | None = None,
    widths: dict | None = None,
) -> dict:
    """Compute the chapter's stored grids and write them under `results_dir`; returns {name: path}.

    `grid`, `sweep`, `widths` are keyword arguments for `born_dead_grid`, `training_sweep`, `width_sweep`.
    """
    from .data import load_dataset

    for name in which:
        check_choice("which", name, RESULT_FILES)
    grid, sweep, widths = dict(grid or {}), dict(sweep or {}), dict(widths or {})
    results_dir = results_folder(results_dir)
    written = {}
    if "born_dead" in which:
        start, cpu = time.perf_counter(), time.process_time()
        records = born_dead_grid(**grid)
        how = provenance(
            "born_dead_grid", _jsonable(grid) or "defaults", time.perf_counter() - start, time.process_time() - cpu
        )
        how["defaults"] = _jsonable(_defaults(born_dead_grid))
        written["born_dead"] = write_result(Path(results_dir) / RESULT_FILES["born_dead"], how, records)
    data = None
    for name, function, kwargs in (("training", training_sweep, sweep), ("width", width_sweep, widths)):
        if name not in which:
            continue
        data = data or load_dataset("mnist", n_train=n_train, n_test=n_test, seed=data_seed)
        start, cpu = time.perf_counter(), time.process_time()
        records = function(data, **kwargs)
        how = provenance(
            function.__name__, _jsonable(kwargs) or "defaults", time.perf_counter() - start,
            time.process_time() - cpu, data,
        )
        how["defaults"] = _jsonable(_defaults(function))
        written[name] = write_result(Path(results_dir) / RESULT_FILES[name], how, records)
    return written


def _defaults(function) -> dict:
    import inspect

    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.default is not inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD
    }


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _nan_to_none(value):
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, np.ndarray):
        return _nan_to_none(value.tolist())
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _none_to_nan(record: dict) -> dict:
    out = dict(record)
    for key in ("dead_fraction", "train_loss", "train_accuracy", "test_accuracy"):
        if key in out:
            out[key] = _replace_none(out[key])
    return out


def _replace_none(value):
    if isinstance(value, list):
        return [_replace_none(v) for v in value]
    return float("nan") if value is None else value


# --- Tables for the chapter --------------------------------------------------------------------------------------


def born_dead_table(one_ray: list[BornDead], two_sided: list[BornDead], depths) -> "pandas.DataFrame":
    """Measured P(born dead) on [0, 1] and [-1, 1] next to the theory, for each width (records) and depth."""
    import pandas as pd

    depths = check_increasing_ints("depths", list(depths))
    rows = []
    for a, b in zip(one_ray, two_sided):
        if a.width != b.width or a.domain != "[0,1]" or b.domain != "[-1,1]":
            raise ValueError("one_ray and two_sided must be records on [0,1] and [-1,1] for the same widths, in order")
        for depth in depths:
            x, y = a.at(depth), b.at(depth)
            low, high = two_sided_bounds(a.width, depth)
            rows.append(
                {
                    "width": a.width,
                    "depth": depth,
                    "measured on [0,1]": x["p"],
                    "95 % CI [0,1]": f"[{x['low']:.4f}, {x['high']:.4f}]",
                    "theory": float(born_dead_theory(a.width, depth)),
                    "measured on [-1,1]": y["p"],
                    "95 % CI [-1,1]": f"[{y['low']:.4f}, {y['high']:.4f}]",
                    "bounds on [-1,1]": f"[{float(low):.4f}, {float(high):.4f}]",
                    "networks": a.n_networks,
                }
            )
    return pd.DataFrame(rows)


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


def born_dead_values(one_ray: list[BornDead], two_sided: list[BornDead], depths) -> dict:
    """Estimates, intervals and theory by name, e.g. born_dead_w2_d10, born_dead_two_sided_w2_d10_low, theory_w2_d10."""
    values = {}
    for a, b in zip(one_ray, two_sided):
        for d in check_increasing_ints("depths", list(depths)):
            for prefix, record in (("born_dead", a), ("born_dead_two_sided", b)):
                at = record.at(d)
                values[f"{prefix}_w{a.width}_d{d}"] = at["p"]
                values[f"{prefix}_w{a.width}_d{d}_low"] = at["low"]
                values[f"{prefix}_w{a.width}_d{d}_high"] = at["high"]
            theory = float(born_dead_theory(a.width, d))
            values[f"theory_w{a.width}_d{d}"] = theory
            values[f"independent_w{a.width}_d{d}"] = theory**2
    return values


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

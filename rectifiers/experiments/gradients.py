"""Probes of gradient flow and saturation in a network built by `rectifiers.models.mlp`.

What they measure, layer by layer (hidden layers are the `dense_i` → `act_i` pairs, i = 1 … depth):

- `weight_gradient_norms`: the norm of ∂loss/∂W_i, the gradient that training applies to each hidden layer's
  weights (loss: mean sparse categorical cross-entropy, the training loss of every model in the book);
- `activation_statistics`: mean, spread and percentiles of each layer's outputs, and how many units are
  *saturated* (their derivative is below a tenth of its peak) or pass *no* gradient at all;
- `chain_derivatives`: d x_L / d x_0 through a chain of scalar units, against which a bound can be checked;
- `gradient_profile`: gradient norms at initialisation, over several seeds;
- `gradient_grid`: the chapter's grid of profiles at initialisation, stored as JSON under results/gradients/
  with how it was made (see the README there).

Networks in training are engine runs read from the results store (`rectifiers.experiments.gradient_runs`; `TrainingTrace`
and `saturation_escape` are re-exported here). The per-layer measurements are the probes `gradient_norms` and
`activation_stats` (`rectifiers.probes`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ..activations import DEFAULT_ALPHA, SLOPED, activation_layer, check_activation
from .gradient_runs import TrainingTrace, saturation_escape  # noqa: F401
from ..models import INITIALIZERS, customary_initializer, mlp, mlp_initializers
from ..probes import activation_stats as probe_stats
from ..probes import gradient_norms as probe_norms
from ..probes.activation_stats import PERCENTILES, SATURATION_THRESHOLD, ActivationStatistics  # noqa: F401
from ..engine import provenance as results_provenance
from ..validation import check_choice, check_finite, check_int

GRID_PATH = Path(__file__).resolve().parents[2] / "results" / "gradients" / "grid.json"
"""Where the chapter's precomputed grid (static sliders) is stored."""


def check_batch(images, labels=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Images as float32 (and labels as int32) if the batch is non-empty, finite and the lengths agree."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 0 or images.shape[0] == 0:
        raise ValueError(f"images must hold at least one example; got an array of shape {images.shape}")
    if not np.all(np.isfinite(images)):
        raise ValueError("images must be finite; got NaN or infinite values")
    if labels is None:
        return images, None
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"labels must be one integer per image ({images.shape[0]}); got an array of shape {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers (class indices); got dtype {labels.dtype}")
    return images, labels.astype(np.int32)


def hidden_layers(model: keras.Model) -> list[tuple[keras.layers.Layer, keras.layers.Layer]]:
    """The (dense_i, act_i) pairs of a model, i = 1, 2, … in order."""
    names = {layer.name: layer for layer in model.layers}
    pairs = []
    while f"dense_{len(pairs) + 1}" in names and f"act_{len(pairs) + 1}" in names:
        i = len(pairs) + 1
        pairs.append((names[f"dense_{i}"], names[f"act_{i}"]))
    if not pairs:
        raise ValueError(
            f"model {model.name!r} has no hidden layers named dense_1/act_1, …; build it with rectifiers.models.mlp"
        )
    return pairs


def weight_gradient_norms(model: keras.Model, images, labels) -> np.ndarray:
    """Frobenius norm of ∂loss/∂W_i for each hidden layer i = 1 … depth (mean cross-entropy over the batch)."""
    hidden_layers(model)
    images, labels = check_batch(images, labels)
    return probe_norms.weight_gradient_norms(model, images, labels)


def batch_loss(model: keras.Model, images, labels) -> float:
    """Mean cross-entropy of the model on a batch."""
    images, labels = check_batch(images, labels)
    return probe_norms.loss_and_gradient_norms(model, images, labels)[0]


def activation_statistics(model: keras.Model, images, **kwargs) -> ActivationStatistics:
    """Mean, std, percentiles and saturated / zero-gradient fractions of each hidden layer's outputs on `images`."""
    hidden_layers(model)
    images, _ = check_batch(images)
    return probe_stats.activation_statistics(model, images, **kwargs)


def chain_derivatives(
    activation: str, depth: int, x0, *, weight: float = 1.0, alpha: float = DEFAULT_ALPHA
) -> np.ndarray:
    """d x_l / d x_0 for l = 1 … depth through the scalar chain x_l = f(weight · x_{l-1}), for each start x0.

    Returns an array of shape (len(x0), depth), measured by automatic differentiation.
    """
    activation, alpha = check_activation(activation, alpha)
    depth = check_int("depth", depth, low=1)
    weight = check_finite("weight", weight)
    x0 = np.atleast_1d(np.asarray(x0, dtype=np.float32))
    if x0.size == 0 or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must hold at least one finite starting value; got {x0!r}")
    layer = activation_layer(activation, alpha)
    start = tf.Variable(x0[:, None])
    with tf.GradientTape(persistent=True) as tape:
        x, outputs = start, []
        for _ in range(depth):
            x = layer(weight * x)
            outputs.append(x)
    derivatives = np.concatenate([tape.gradient(x_l, start).numpy() for x_l in outputs], axis=1)
    del tape
    return derivatives.astype(np.float64)


def sigmoid_chain_bound(depth: int, weight: float = 1.0) -> np.ndarray:
    """Upper bound (|weight| / 4)^l on |d x_l / d x_0| through l sigmoid units, since σ' ≤ 1/4; l = 1 … depth."""
    depth = check_int("depth", depth, low=1)
    weight = check_finite("weight", weight)
    return (abs(weight) / 4.0) ** np.arange(1, depth + 1, dtype=np.float64)


def reinitialise(
    model: keras.Model,
    initializer: str,
    *,
    alpha: float = DEFAULT_ALPHA,
    init_scale: float = 1.0,
    seed: int = 0,
    bias: float = 0.0,
) -> keras.Model:
    """Give an `mlp` the weights `mlp(..., initializer, init_scale, seed)` would have started with, in place.

    Cheaper than building a new model for every seed; tests check that the weights are identical.
    """
    check_choice("initializer", initializer, INITIALIZERS)
    seed = check_int("seed", seed, low=0)
    denses = [dense for dense, _ in hidden_layers(model)]
    fan_in, width = denses[0].kernel.shape if denses else (0, 0)
    hidden, classifier_kernel = mlp_initializers(initializer, fan_in, len(denses), width, alpha=alpha,
                                                 scale=init_scale, bias=bias, seed=seed)
    for dense, (kernel, biases) in zip(denses, hidden):
        dense.kernel.assign(kernel(dense.kernel.shape))
        dense.bias.assign(biases(dense.bias.shape))
    classifier = model.get_layer("classifier")
    classifier.kernel.assign(classifier_kernel(classifier.kernel.shape))
    classifier.bias.assign(np.zeros(classifier.bias.shape, dtype=np.float32))
    return model


_PROBE_MODELS: dict = {}
_PROBE_MODELS_KEPT = 16


def probe_model(depth: int, width: int, activation: str, alpha: float = DEFAULT_ALPHA, *, input_shape=(28, 28, 1)):
    """An `mlp` of this shape, reused between calls (with its compiled probes); callers `reinitialise` it first.

    Building a deep Keras model and tracing its gradient function cost about a second each; the chapter and its
    live sliders measure the same shapes many times.
    """
    alpha = float(alpha) if activation in SLOPED else DEFAULT_ALPHA  # α only shapes the leaky units
    key = (depth, width, activation, alpha, tuple(input_shape))
    if key not in _PROBE_MODELS:
        if len(_PROBE_MODELS) >= _PROBE_MODELS_KEPT:
            _PROBE_MODELS.pop(next(iter(_PROBE_MODELS)))  # the oldest
        _PROBE_MODELS[key] = mlp(depth, width, activation, alpha, input_shape=input_shape)
    return _PROBE_MODELS[key]


def _check_seeds(seeds) -> tuple[int, ...]:
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty list of integers >= 0; got {seeds!r}")
    return tuple(check_int(f"seeds[{i}]", s, low=0) for i, s in enumerate(seeds))


@dataclass(frozen=True)
class GradientProfile:
    """Hidden-layer weight-gradient norms of one network configuration at initialisation, one row per seed."""

    activation: str
    alpha: float
    initializer: str
    init_scale: float
    width: int
    seeds: tuple[int, ...]
    norms: np.ndarray  # (len(seeds), depth)

    @property
    def depth(self) -> int:
        return self.norms.shape[1]

    def centre(self) -> np.ndarray:
        """Geometric mean over seeds, layer by layer (norms span orders of magnitude).

        A norm that underflowed float32 to exactly 0 (deep sigmoid stacks) makes the layer's mean 0.
        """
        with np.errstate(divide="ignore"):
            return np.exp(np.log(self.norms).mean(axis=0))

    def low(self) -> np.ndarray:
        return self.norms.min(axis=0)

    def high(self) -> np.ndarray:
        return self.norms.max(axis=0)

    def first_to_last(self) -> np.ndarray:
        """Per seed: gradient norm of the first hidden layer divided by that of the last one."""
        return self.norms[:, 0] / self.norms[:, -1]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["norms"] = self.norms.tolist()
        out["seeds"] = list(self.seeds)
        return out


def gradient_profile(
    images,
    labels,
    *,
    depth: int,
    width: int = 128,
    activation: str = "relu",
    alpha: float = DEFAULT_ALPHA,
    initializer: str | None = None,
    init_scale: float = 1.0,
    seeds: Sequence[int] = (0, 1, 2),
) -> GradientProfile:
    """Weight-gradient norm of every hidden layer of a freshly initialised `mlp`, for each seed.

    `initializer=None` uses the activation's customary initialisation (see `customary_initializer`).
    """
    images, labels = check_batch(images, labels)
    activation, alpha = check_activation(activation, alpha)
    depth = check_int("depth", depth, low=1)
    width = check_int("width", width, low=1)
    initializer = customary_initializer(activation) if initializer is None else initializer
    check_choice("initializer", initializer, INITIALIZERS)
    init_scale = check_finite("init_scale", init_scale, low=0.0)
    seeds = _check_seeds(seeds)
    model = probe_model(depth, width, activation, alpha, input_shape=images.shape[1:])
    rows = []
    for seed in seeds:
        reinitialise(model, initializer, alpha=alpha, init_scale=init_scale, seed=seed)
        rows.append(weight_gradient_norms(model, images, labels))
    return GradientProfile(activation, alpha, initializer, init_scale, width, seeds, np.array(rows))


def provenance(**parameters) -> dict:
    """How a result was made: parameters, library versions, machine, date (wall time is added by the caller)."""
    return results_provenance(parameters)


GRID_SCHEMA = (
    "norms[d][a][s] is the list, over seeds, of lists over hidden layers 1..depths[d] of the Frobenius norm of "
    "d(mean cross-entropy)/d(kernel) at initialisation, for depth depths[d], Leaky ReLU slope alphas[a] "
    "(0 = ReLU) and initial scale init_scales[s] (standard deviation = init_scale x He's sqrt(2/fan_in))."
)


def gradient_grid(
    images,
    labels,
    *,
    depths: Sequence[int],
    alphas: Sequence[float],
    init_scales: Sequence[float],
    seeds: Sequence[int] = (0, 1, 2),
    width: int = 128,
    data: str = "",
    made_by: str = "",
) -> dict:
    """Gradient profiles at initialisation over depth × α × init scale (He initialisation scaled), as plain JSON.

    The result records its schema and how it was made (parameters, seeds, versions, date, wall time).
    """
    images, labels = check_batch(images, labels)
    depths = [check_int(f"depths[{i}]", d, low=1) for i, d in enumerate(depths)]
    alphas = [check_finite(f"alphas[{i}]", a, low=0.0) for i, a in enumerate(alphas)]
    init_scales = [check_finite(f"init_scales[{i}]", s, low=0.0) for i, s in enumerate(init_scales)]
    if not depths or not alphas or not init_scales:
        raise ValueError("depths, alphas and init_scales must each hold at least one value")
    seeds = _check_seeds(seeds)
    width = check_int("width", width, low=1)
    start = time.perf_counter()
    norms = []
    for depth in depths:
        by_alpha = []
        for alpha in alphas:
            model = probe_model(depth, width, "leaky_relu", alpha, input_shape=images.shape[1:])
            by_scale = []
            for scale in init_scales:
                rows = []
                for seed in seeds:
                    reinitialise(model, "he", alpha=alpha, init_scale=scale, seed=seed)
                    rows.append([float(f"{v:.6g}") for v in weight_gradient_norms(model, images, labels)])
                by_scale.append(rows)
            by_alpha.append(by_scale)
        norms.append(by_alpha)
    made = provenance(
        function="rectifiers.experiments.gradients.gradient_grid", depths=depths, alphas=alphas, init_scales=init_scales,
        seeds=list(seeds), width=width, initializer="he", activation="leaky_relu", n_images=int(len(images)),
        data=data,
    )
    made["made_by"] = made_by
    made["wall_time_s"] = round(time.perf_counter() - start, 1)
    return {"schema": GRID_SCHEMA, "made": made, "depths": depths, "alphas": alphas, "init_scales": init_scales,
            "seeds": list(seeds), "norms": norms}


def _rounded(value):
    """Floats to 7 significant digits (float32's precision), recursively."""
    if isinstance(value, float):
        return float(f"{value:.7g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def save_result(result: dict, path) -> Path:
    """Write a result (`gradient_grid`) as indented JSON, each innermost list of numbers on a line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_rounded(result), indent=1, ensure_ascii=False)
    text = re.sub(r"\[\s*([-+0-9.eE,\s]+?)\s*\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    path.write_text(text + "\n")
    return path


def load_grid(path) -> dict:
    """Read a grid written by `save_result`, checking that its shape matches its axes."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no gradient grid at {path}; run the chapter with recompute=True to create it")
    grid = json.loads(path.read_text())
    for key in ("depths", "alphas", "init_scales", "seeds", "norms", "made"):
        if key not in grid:
            raise ValueError(f"{path} is not a gradient grid: it lacks {key!r}")
    for d, depth in enumerate(grid["depths"]):
        for a in range(len(grid["alphas"])):
            for s in range(len(grid["init_scales"])):
                rows = grid["norms"][d][a][s]
                if len(rows) != len(grid["seeds"]) or any(len(r) != depth for r in rows):
                    raise ValueError(f"{path}: norms for depth {depth} do not match the grid's axes")
    return grid


def grid_profile(grid: dict, depth: int, alpha: float, init_scale: float) -> GradientProfile:
    """One configuration of a stored grid as a GradientProfile."""
    try:
        d, a, s = grid["depths"].index(depth), grid["alphas"].index(alpha), grid["init_scales"].index(init_scale)
    except ValueError:
        raise ValueError(
            f"(depth, alpha, init_scale) = ({depth}, {alpha}, {init_scale}) is not in the grid; it holds depths "
            f"{grid['depths']}, alphas {grid['alphas']}, init_scales {grid['init_scales']}"
        ) from None
    return GradientProfile("leaky_relu", float(alpha), "he", float(init_scale), grid["made"]["parameters"]["width"],
                           tuple(grid["seeds"]), np.array(grid["norms"][d][a][s]))


def depth_growth(grid: dict, *, alpha: float) -> dict[float, float]:
    """Per init scale: the factor by which the first layer's gradient grows per added hidden layer.

    Least-squares slope of log(geometric-mean norm) against depth over the grid's depths, exponentiated:
    1 means depth does not matter, above 1 the gradient explodes with depth, below 1 it vanishes.
    """
    depths = np.array(grid["depths"], dtype=np.float64)
    if len(depths) < 2:
        raise ValueError(f"the grid must hold at least two depths to measure growth; it holds {grid['depths']}")
    growth = {}
    for scale in grid["init_scales"]:
        first = [np.log(grid_profile(grid, int(d), alpha, scale).centre()[0]) for d in depths]
        growth[float(scale)] = float(np.exp(np.polyfit(depths, first, 1)[0]))
    return growth


def profile_table(profiles):
    """A table per profile: first and last hidden layer's gradient norm and their ratio (geometric mean, range)."""
    import pandas as pd

    rows = []
    for p in profiles:
        ratio = ratio_summary(p.first_to_last())
        rows.append({
            "activation": p.activation,
            "α": p.alpha if p.activation in ("leaky_relu", "prelu") else None,
            "initialisation": p.initializer if p.init_scale == 1 else f"{p.initializer} × {p.init_scale:g}",
            "first layer ‖∂L/∂W‖": p.centre()[0],
            "last layer ‖∂L/∂W‖": p.centre()[-1],
            "first / last": ratio["mean"],
            "first / last, min": ratio["min"],
            "first / last, max": ratio["max"],
            "second / last": float(np.exp(np.log(p.norms[:, min(1, p.depth - 1)] / p.norms[:, -1]).mean())),
        })
    return pd.DataFrame(rows).set_index("activation")


def ratio_summary(ratios) -> dict:
    """Geometric mean, min and max of positive ratios (e.g. `GradientProfile.first_to_last()`)."""
    ratios = np.asarray(ratios, dtype=np.float64)
    with np.errstate(divide="ignore"):  # a ratio of exactly 0 (underflow) gives a mean of 0
        mean = float(np.exp(np.log(ratios).mean()))
    return {"mean": mean, "min": float(ratios.min()), "max": float(ratios.max())}


"""Chapter 5, deep and narrow: why ReLU with RAI initialisation can be collapsed at initialisation with no layer dead.

A network's output collapses (`deep_narrow.COLLAPSE_SPREAD`) when it no longer varies between images. He-initialised
ReLU gets there by dying: a layer dead on every image. RAI (Lu et al. 2019) stops that (one positive weight or bias
per unit), but it draws the rest of each layer from N(0, σ²/fan-in) with σ = `models.RAI_SIGMA` = 0.6007, the published
value: a variance 0.18 of He's 2/fan-in. The part of the signal that differs between images then shrinks in every
layer, and fifty layers compound it. `initial_fading` measures this directly: it draws networks the way the engine
does (`models.rai_entries`, He-normal with zero biases) and pushes real test images through them in numpy, without
training, recording each hidden layer's spread (per unit the standard deviation over the images, the largest over the
units: the same statistic as the `output_spread` probe, one layer down).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..models import RAI_SIGMA, rai_entries
from ..validation import check_choice, check_int

INITS = {"he": "He-normal, zero biases", "rai": "RAI", "rai_symmetric": "RAI's σ without its positive entry"}
"""The initialisations `initial_fading` compares: He's, RAI's, and RAI's scale alone (its symmetric part only)."""


def _layer(init: str, rng: np.random.Generator, n: int, fan_in: int, width: int) -> np.ndarray:
    """Weights and biases of one hidden layer in `n` networks, shape (n, fan_in + 1, width), the bias last."""
    if init == "he":
        entries = rng.standard_normal((n, fan_in + 1, width)) * math.sqrt(2.0 / fan_in)
        entries[:, -1, :] = 0.0
        return entries
    return rai_entries(rng, n, fan_in, width, asymmetric=init == "rai")


def layer_spreads(images: np.ndarray, init: str, *, width: int, depth: int, networks: int,
                  seed: int = 0) -> np.ndarray:
    """Spread of every hidden layer of `networks` fresh ReLU networks on `images` (rows: flattened inputs), shape
    (depth, networks)."""
    check_choice("init", init, list(INITS))
    width, depth = check_int("width", width, low=1), check_int("depth", depth, low=1)
    networks = check_int("networks", networks, low=1)
    rng = np.random.default_rng(seed)
    signal = np.broadcast_to(images.astype(np.float64), (networks, *images.shape))
    spreads = []
    for _ in range(depth):
        entries = _layer(init, rng, networks, signal.shape[-1], width)
        signal = np.maximum(np.einsum("nbi,nio->nbo", signal, entries[:, :-1]) + entries[:, -1][:, None, :], 0.0)
        spreads.append(signal.std(axis=1).max(axis=1))
    return np.array(spreads)


def initial_fading(images: np.ndarray, *, widths=(16,), depth: int = 50, networks: int = 200, threshold: float = 1e-6,
                   seed: int = 0) -> pd.DataFrame:
    """One row per initialisation (`INITS`) and width: the median per-layer *gain* of the spread over layers 11 to
    `depth` (the geometric mean ratio of a layer's spread to the one below it, once the first layers have settled;
    0 if the network died), the median spread of the last hidden layer, the share of networks whose last hidden layer
    varies less than `threshold` between images, and the share with a hidden layer exactly dead (spread 0)."""
    depth = check_int("depth", depth, low=12)
    rows = []
    for width in widths:
        for init, name in INITS.items():
            spreads = layer_spreads(images, init, width=width, depth=depth, networks=networks, seed=seed)
            start, end = spreads[9], spreads[-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                gain = np.where(start > 0, (end / np.where(start > 0, start, 1.0)) ** (1.0 / (depth - 10)), 0.0)
            rows.append({"init": init, "initialisation": name, "width": int(width), "depth": depth,
                         "networks": networks, "gain": float(np.median(gain)), "spread": float(np.median(end)),
                         "below": float(np.mean(end < threshold)), "dead": float(np.mean((spreads == 0).any(axis=0)))})
    return pd.DataFrame(rows)


def fading_sentence(table: pd.DataFrame, width: int, threshold: float = 1e-6) -> str:
    """What `initial_fading` found at one width, in words, for the chapter's RAI paragraph."""
    rows = {r.init: r for r in table[table.width == width].itertuples()}
    he, rai, sym = rows["he"], rows["rai"], rows["rai_symmetric"]
    return (f"Drawn afresh ({rai.networks} networks per initialisation, {rai.depth} layers of {width} units, real "
            f"test images pushed through them without training), RAI's networks have a "
            f"layer dead in {rai.dead * 100:.0f} % of cases, yet the differences between images shrink by a median factor "
            f"of {rai.gain:.2f} per layer, against {he.gain:.2f} for He's initialisation; after {rai.depth} layers "
            f"the median spread is {rai.spread:.1e} (He: {he.spread:.1e}), and {rai.below * 100:.0f} % of RAI's networks "
            f"vary less than {threshold:g} between images (He: {he.below * 100:.0f} %). RAI draws its weights with variance "
            f"{RAI_SIGMA:g}²/fan-in, {RAI_SIGMA ** 2 / 2:.2f} of He's 2/fan-in, the value Lu et al. publish: without "
            f"its positive entry that scale alone shrinks the differences by {sym.gain:.2f} per layer. So the "
            f"positive entry keeps every unit alive, as designed, but not the differences between images: at this "
            f"depth RAI trades dying for fading, a property of its scale, not an error of this implementation.")


def sample_images(n: int = 128) -> np.ndarray:
    """The first `n` of the deep-and-narrow studies' MNIST test images (2,000 drawn with data seed 0), flattened."""
    from ..data import load_dataset

    n = check_int("n", n, low=2, high=2000)
    images = load_dataset("mnist", n_train=10, n_test=2000, seed=0).x_test[:n]
    return images.reshape(n, -1)

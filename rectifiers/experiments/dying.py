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

Dead units are measured by the `dead_units` probe (`rectifiers.probes`); networks killed in training are engine
runs read from the results store (`rectifiers.experiments.dying_runs`). Both are re-exported here for the chapter.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .dying_runs import (  # noqa: F401
    DyingRun,
    dead_and_live_unit,
    incoming_gradient_norms,
    preactivations,
    run_config,
    sweep_table,
    sweep_values,
    watch_run,
    width_table,
    width_values,
)
from ..probes.dead_units import UnitActivity, dead_unit_fraction, dead_units, unit_activity  # noqa: F401
from ..probes.layers import ACTIVATION_LAYER_TYPES, preactivation_layers  # noqa: F401
from ..engine import provenance as results_provenance
from ..stats import wilson_bounds as wilson_interval  # noqa: F401 - the born-dead tables' intervals
from ..validation import check_choice, check_finite, check_increasing_ints, check_int
from ..models import rai_entries
from ..paths import REPOSITORY

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


# --- Born dead: the Monte Carlo ----------------------------------------------------------------------------------

INITIALISATIONS = ("symmetric", "symmetric_bias", "rai")
"""`symmetric`: He-normal weights N(0, 2/fan_in), zero biases (the case of the theory). `symmetric_bias`: weights
and biases N(0, σ²/fan_in). `rai`: Lu et al.'s randomized asymmetric initialisation as we implement it: like
`symmetric_bias`, then in each unit one entry of (weights, bias), chosen uniformly, is replaced by a Beta(2, 1) draw."""

DOMAINS = ("[0,1]", "[-1,1]")
"""Input domains of the born-dead Monte Carlo (a scalar input)."""

MC_ACTIVATIONS = ("relu", "leaky_relu")

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
    entries = rai_entries(rng, n, fan_in, width, asymmetric=init == "rai")
    return entries[:, :fan_in, :], entries[:, fan_in:, :]


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


BORN_DEAD_FILE = "born_dead_grid.json"
"""The born-dead grid's file in the chapter's results folder (results/dying in the repository)."""


def results_folder(results_dir) -> Path:
    """`results_dir` as a path; a relative one is taken from the repository root, wherever the notebook runs."""
    path = Path(results_dir)
    return path if path.is_absolute() else REPOSITORY / path


def load_stored_results(results_dir="results/dying", *, store=None) -> dict:
    """The chapter's stored results: {"born_dead": (how, records)} from `results_dir`, and the training studies'
    runs from the results store ({"training": [DyingRun], "width": [DyingRun]})."""
    from .dying_runs import SWEEP_STUDIES, WIDTH_STUDY, study_runs

    return {"born_dead": read_born_dead(results_folder(results_dir) / BORN_DEAD_FILE),
            "training": study_runs(SWEEP_STUDIES, store=store), "width": study_runs(WIDTH_STUDY, store=store)}


def stored_results_or_missing(results_dir="results/dying", *, store=None) -> tuple[dict, list[str]]:
    """`load_stored_results` part by part, for a chapter that still reads when some are not stored: a part that is
    missing is None (the born-dead grid) or [] (a training study), and the list says what is missing and how to
    make it (the FileNotFoundError messages, which name the command)."""
    from .dying_runs import SWEEP_STUDIES, WIDTH_STUDY, study_runs

    parts = {"born_dead": lambda: read_born_dead(results_folder(results_dir) / BORN_DEAD_FILE),
             "training": lambda: study_runs(SWEEP_STUDIES, store=store),
             "width": lambda: study_runs(WIDTH_STUDY, store=store)}
    stored, missing = {}, []
    for name, read in parts.items():
        try:
            stored[name] = read()
        except FileNotFoundError as error:
            stored[name] = None if name == "born_dead" else []
            missing.append(str(error))
    return stored, missing


_PART_NUMBERS = {  # the chapter's quoted numbers, by the part of the stored results they are computed from
    "born_dead": r"init_depth|grid_networks|\w+_w\d+_deep",
    "training": r"(mlp|seed_cnn)_.+|(relu|leaky)_(runs|first_layer_revived|deeper_revived)|sweep_.+",
    "width": r"width.*|narrow.+",
}


def missing_values(part: str) -> dict[str, str]:
    """Each number Chapter 3 quotes from `part` of its stored results ("born_dead", "training" or "width"), as
    "— (runs missing)": what the chapter glues in place of the values when that part is not stored."""
    import re

    from ..prose import MISSING, quoted_names

    pattern = re.compile(_PART_NUMBERS[check_choice("part", part, list(_PART_NUMBERS))])
    return {name: MISSING for name in sorted(quoted_names("03_dying_relu")) if pattern.fullmatch(name)}


def provenance(function: str, parameters: dict, wall_s: float, cpu_s: float) -> dict:
    """How a stored result was made: function, parameters, library versions, date, wall and CPU time.

    The machine is shared, so wall time depends on the load; CPU time (all threads) is the steadier cost.
    """
    return results_provenance(parameters, made_by=f"rectifiers.experiments.dying.{function}", wall_s=round(wall_s, 1),
                              cpu_s=round(cpu_s, 1), data=None)


def write_born_dead(path, how: dict, records: list[BornDead]) -> Path:
    """Write {"how": …, "records": […]} as plain JSON, one record per line (small file, legible diffs)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(_jsonable(r.to_dict()), allow_nan=False, separators=(",", ":")) for r in records]
    how_text = json.dumps(_jsonable(how), indent=1, allow_nan=False)
    path.write_text('{"how": ' + how_text + ',\n"records": [\n' + ",\n".join(lines) + "\n]}\n")
    return path


def read_born_dead(path) -> tuple[dict, list[BornDead]]:
    """Read a stored born-dead grid; returns (how, records)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: run the chapter with recompute=True, or "
            f"rectifiers.experiments.dying.compute_born_dead_grid('{path.parent}')"
        )
    payload = json.loads(path.read_text())
    return payload["how"], [BornDead.from_dict(r) for r in payload["records"]]


def compute_born_dead_grid(results_dir="results/dying", **grid) -> Path:
    """Compute the born-dead grid (`born_dead_grid(**grid)`) and write it under `results_dir`; returns its path."""
    results_dir = results_folder(results_dir)
    start, cpu = time.perf_counter(), time.process_time()
    records = born_dead_grid(**grid)
    how = provenance("born_dead_grid", _jsonable(grid) or "defaults", time.perf_counter() - start,
                     time.process_time() - cpu)
    how["defaults"] = _jsonable(_defaults(born_dead_grid))
    return write_born_dead(results_dir / BORN_DEAD_FILE, how, records)


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



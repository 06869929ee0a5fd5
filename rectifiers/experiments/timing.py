"""What an activation costs: forward + backward passes timed on one tensor, in interleaved, shuffled order.

Timing on a shared machine is noisy, and its load drifts. So every repeat times each activation once, in a
fresh random order, and comparisons use the per-repeat ratio (paired), summarised by its median, its
interquartile range and a bootstrap confidence interval of the median.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..activations import ACTIVATIONS, DEFAULT_ALPHA, activation_layer, check_activation
from ..tf_logging import quiet_retracing
from ..validation import check_choice, check_finite, check_int

ROW = 1024
"""Units per row of the timed tensor: a tensor of `size` floats has shape (size / 1024, 1024)."""


@dataclass(frozen=True)
class RatioSummary:
    """The distribution of paired ratios a/b over repeats."""

    median: float
    q25: float
    q75: float
    ci_low: float
    ci_high: float
    confidence: float
    n: int


@dataclass
class Timings:
    """Seconds per forward + backward call, one array per activation, and how they were measured.

    `times` is wall-clock time; `cpu_times` is the CPU time of this process (all threads), which waiting for a
    core on a busy machine does not inflate.
    """

    times: dict[str, np.ndarray]
    cpu_times: dict[str, np.ndarray]
    size: int
    repeats: int
    alpha: float
    seed: int
    wall_s: float
    environment: dict = field(default_factory=dict)

    def milliseconds(self, name: str) -> float:
        """Median time of one forward + backward call, in ms."""
        return float(np.median(self.times[name]) * 1e3)

    def to_dict(self) -> dict:
        """Plain JSON-able record of the measurement."""
        record = asdict(self)
        record["times"] = {name: t.tolist() for name, t in self.times.items()}
        record["cpu_times"] = {name: t.tolist() for name, t in self.cpu_times.items()}
        return record


def check_size(size, name: str = "size") -> int:
    """A timed tensor size: a positive multiple of `ROW` floats; errors name the parameter `name`."""
    size = check_int(name, size, low=ROW)
    if size % ROW:
        raise ValueError(f"{name} must be a positive multiple of {ROW} (rows of {ROW} units); got {size!r}")
    return size


def forward_backward_step(name: str, alpha: float = DEFAULT_ALPHA):
    """A compiled function (x, upstream) → (y, dy/dx and any weight gradients) through the Keras layer."""
    import tensorflow as tf

    name, alpha = check_activation(name, alpha)
    layer = activation_layer(name, alpha)

    @tf.function
    def step(x, upstream):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
        # As in backpropagation: the incoming gradient times f′(x), plus PReLU's slope gradients.
        return y, tape.gradient(y, [x, *layer.trainable_weights], output_gradients=upstream)

    return step


def time_activations(
    names=("relu", "leaky_relu"),
    alpha: float = DEFAULT_ALPHA,
    *,
    size: int = 4 * 1024 * 1024,
    repeats: int = 50,
    warmup: int = 3,
    seed: int = 0,
) -> Timings:
    """Time one forward + backward pass of each activation on `size` standard-normal float32 values.

    Each of `repeats` rounds times every activation once, in an order shuffled with `seed`; `warmup` untimed
    rounds first compile the functions and warm the caches.
    """
    import tensorflow as tf

    names = tuple(check_choice("activation", n, ACTIVATIONS) for n in names)
    if not names:
        raise ValueError(f"names must list at least one of {', '.join(map(repr, ACTIVATIONS))}; got ()")
    alpha = check_finite("alpha", alpha, low=0.0)
    size = check_size(size)
    repeats = check_int("repeats", repeats, low=1)
    warmup = check_int("warmup", warmup, low=0)
    seed = check_int("seed", seed, low=0)

    rng = np.random.default_rng(seed)
    shape = (size // ROW, ROW)
    x = tf.constant(rng.standard_normal(shape, dtype=np.float32))
    upstream = tf.constant(rng.standard_normal(shape, dtype=np.float32))
    environment = describe_environment()
    start = time.perf_counter()
    with quiet_retracing():
        steps = {name: forward_backward_step(name, alpha) for name in names}
        for _ in range(warmup):
            for name in names:
                steps[name](x, upstream)
        times = {name: np.empty(repeats) for name in names}
        cpu_times = {name: np.empty(repeats) for name in names}
        for r in range(repeats):
            for i in rng.permutation(len(names)):
                name = names[i]
                c0, t0 = time.process_time(), time.perf_counter()
                _, grads = steps[name](x, upstream)
                grads[0].numpy()  # the result exists before the clock stops
                times[name][r] = time.perf_counter() - t0
                cpu_times[name][r] = time.process_time() - c0
    environment["load_average_after"] = _load_average()
    return Timings(times, cpu_times, size, repeats, alpha, seed, time.perf_counter() - start, environment)


def paired_ratio(numerator, denominator, *, confidence: float = 0.95, n_boot: int = 4000, seed: int = 0) -> RatioSummary:
    """Median, quartiles and a percentile-bootstrap confidence interval of the median of numerator/denominator."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if numerator.shape != denominator.shape or numerator.ndim != 1 or len(numerator) == 0:
        raise ValueError(
            f"numerator and denominator must be equally long 1-d sequences of times; got shapes "
            f"{numerator.shape} and {denominator.shape}"
        )
    if not (np.all(np.isfinite(numerator)) and np.all(denominator > 0) and np.all(np.isfinite(denominator))):
        raise ValueError("numerator must be finite and denominator finite and > 0")
    confidence = check_finite("confidence", confidence, low=0.5, high=0.999)
    n_boot = check_int("n_boot", n_boot, low=100)
    ratios = numerator / denominator
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    medians = np.median(rng.choice(ratios, size=(n_boot, len(ratios)), replace=True), axis=1)
    tail = (1 - confidence) / 2
    q25, q75 = np.percentile(ratios, [25, 75])
    low, high = np.quantile(medians, [tail, 1 - tail])
    return RatioSummary(
        float(np.median(ratios)), float(q25), float(q75), float(low), float(high), confidence, len(ratios)
    )


def describe_timing(summary: RatioSummary, environment: dict, name: str = "Leaky ReLU",
                   reference: str = "ReLU") -> str:
    """The micro-benchmark in words: the ratio, its interval and the machine's load, and no "faster"/"slower".

    A build-time timing of one kernel on a shared machine changes sign between builds (0.55 in one, 1.11 in the
    one before): it is a curiosity about this machine at that moment, not a verdict on cost. The book's cost
    verdict comes from whole training epochs (`comparison_cost.training_cost`)."""
    load, cores = environment.get("load_average_before"), environment.get("cpu_count")
    machine = (f"; the machine's 1-minute load average was {load:.1f} on {cores} cores when the timing began"
               if load is not None and cores else "")
    return (f"{name}'s time per call ÷ {reference}'s: median {summary.median:.2f} "
            f"({summary.confidence:.0%} CI of the median {summary.ci_low:.2f}–{summary.ci_high:.2f}, "
            f"{summary.n} repeats){machine}")


def busy_cores(environment: dict) -> bool | None:
    """Whether other work ran on the cores when the timing started (1-minute load above half the cores)."""
    load, cores = environment.get("load_average_before"), environment.get("cpu_count")
    if load is None or not cores:
        return None
    return load > cores / 2


def what_was_timed(timings: Timings) -> str:
    """What was timed, and on what, in words for the verdict."""
    env = timings.environment
    shared = busy_cores(env)
    machine = {True: ", shared with other work at the time", False: ", otherwise idle", None: ""}[shared]
    return (f"one forward and one backward pass of the activation alone over {timings.size:,} float32 values, "
            f"{timings.repeats} repeats in shuffled order, TensorFlow {env.get('tensorflow', '')} on "
            f"{env.get('cpu_count', '?')} CPU cores{machine}")


def compare(timings: Timings, name: str = "leaky_relu", reference: str = "relu", *, seed: int = 0) -> dict:
    """The numbers the chapter quotes about `name` against `reference`: times, ratios, verdict, conditions."""
    from ..activations import LABELS

    for role, value in (("name", name), ("reference", reference)):
        check_choice(role, value, tuple(timings.times))
    wall = paired_ratio(timings.times[name], timings.times[reference], seed=seed)
    cpu = paired_ratio(timings.cpu_times[name], timings.cpu_times[reference], seed=seed)
    return {
        f"{reference}_ms": timings.milliseconds(reference),
        f"{name}_ms": timings.milliseconds(name),
        "ratio_median": wall.median,
        "ratio_q25": wall.q25,
        "ratio_q75": wall.q75,
        "ratio_ci_low": wall.ci_low,
        "ratio_ci_high": wall.ci_high,
        "cpu_ratio_median": cpu.median,
        "curiosity": describe_timing(wall, timings.environment, LABELS[name], LABELS[reference]),
        "what": what_was_timed(timings),
        "size": timings.size,
        "repeats": timings.repeats,
        "cpu_count": timings.environment.get("cpu_count"),
    }


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not available on this platform
        return None


def describe_environment() -> dict:
    """What the timings ran on: CPU count, load, TensorFlow's threads and version."""
    import tensorflow as tf

    return dict(
        cpu_count=os.cpu_count(),
        load_average_before=_load_average(),
        tensorflow=tf.__version__,
        intra_op_threads=tf.config.threading.get_intra_op_parallelism_threads(),
        inter_op_threads=tf.config.threading.get_inter_op_parallelism_threads(),
        machine=platform.machine(),
        python=platform.python_version(),
    )

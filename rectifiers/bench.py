"""Benchmark of the training engine (`make bench`): seconds per epoch against plain `model.fit`, the Dask
executor's throughput against one process, and what else helps.

Same model (the seed CNN, Leaky ReLU α = 0.01), same data (MNIST: the training images available, the full test
set) and batch size 32 throughout. Part 1 compares, in one process and alternating, plain
`model.fit(x, y, batch_size=32, epochs=N)` with the engine (`training.train`) with and without the per-epoch
test-set evaluation; the first epoch of each (compilation) is left out. Part 2 times the engine's snapshot
evaluation and checkpoint writes. Part 3 tries, each in a fresh process, what might make an epoch faster without
changing the experiment: TensorFlow's thread pools, a tf.data pipeline, XLA compilation, other Keras backends.
Part 4 runs one 4-run study (ReLU and Leaky ReLU, seeds 0 and 1) twice, side by side in time, as a user would:
`python -m rectifiers study FILE` (Dask, the default local cluster) and the same with `--executor sequential`
(one run after another in one process), each command timed from start to end, and prints the throughput ratio.

    python -m rectifiers.bench [--epochs N] [--n-train N] [--n-test N] [--rounds N] [--no-variants]
                               [--executor-epochs N] [--no-executor]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VARIANTS = {
    "TF default threads": {},
    "intra-op 2, inter-op 1": {"intra": 2, "inter": 1},
    "intra-op 1, inter-op 1": {"intra": 1, "inter": 1},
    "intra-op 2, inter-op 2": {"intra": 2, "inter": 2},
    "tf.data pipeline (prefetch)": {"pipeline": "tf.data"},
    "jit_compile=True (XLA)": {"jit": True},
    "JAX backend": {"backend": "jax"},
    "PyTorch backend": {"backend": "torch"},
}


def _clock() -> tuple[float, float]:
    """(wall, CPU) seconds now; CPU time counts every thread of this process and is less disturbed than wall
    time by other programs sharing the cores."""
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


class _EpochClock:
    """Stands in for a tqdm bar: the engine calls update() once per epoch; we keep the time of each call."""

    def __init__(self):
        self.times = [_clock()]

    def update(self, n=1):
        self.times.append(_clock())

    def set_postfix(self, *args, **kwargs):
        pass

    def per_epoch(self) -> list[tuple[float, float]]:
        return [(b[0] - a[0], b[1] - a[1]) for a, b in zip(self.times, self.times[1:])]


def _plain_fit_epochs(data, epochs: int, *, jit=False, pipeline=None) -> list[float]:
    import keras

    from .models import seed_cnn

    keras.utils.set_random_seed(0)
    model = seed_cnn("leaky_relu", 0.01, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit)
    times = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = _clock()

        def on_epoch_end(self, epoch, logs=None):
            times.append(_since(self.start))

    if pipeline == "tf.data":
        import tensorflow as tf

        ds = (tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
              .shuffle(len(data.y_train), seed=0).batch(32).prefetch(tf.data.AUTOTUNE))
        model.fit(ds, epochs=epochs, verbose=0, callbacks=[Clock()])
    else:
        model.fit(data.x_train, data.y_train, batch_size=32, epochs=epochs, shuffle=True, verbose=0,
                  callbacks=[Clock()])
    return times


def _engine_epochs(data, epochs: int, store, **settings) -> tuple[list[float], dict]:
    from .engine import RunConfig, train

    config = RunConfig(activation="leaky_relu", alpha=0.01, seed=0, epochs=(epochs,), n_train=len(data.y_train),
                       n_test=len(data.y_test), **settings)
    clock = _EpochClock()
    record = train(config, store=store, data=data, progress=clock)
    return clock.per_epoch(), record


def _mean(values) -> float:
    return sum(values) / len(values)


def _means(pairs) -> tuple[float, float]:
    """Mean wall and mean CPU seconds of (wall, cpu) pairs."""
    return _mean([p[0] for p in pairs]), _mean([p[1] for p in pairs])


def _worker(name: str, n_train: int, epochs: int) -> None:
    """Part 3, in a fresh process: plain fit with one variant; prints JSON."""
    variant = VARIANTS[name]
    if "backend" in variant:
        os.environ["KERAS_BACKEND"] = variant["backend"]
        try:
            __import__(variant["backend"])
        except ImportError:
            print(json.dumps({"skipped": f"{variant['backend']} is not installed"}))
            return
    if "intra" in variant:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(variant["intra"])
        tf.config.threading.set_inter_op_parallelism_threads(variant["inter"])
    from .data import load_dataset

    data = load_dataset("mnist", n_train=n_train)
    times = _plain_fit_epochs(data, epochs + 1, jit=variant.get("jit", False), pipeline=variant.get("pipeline"))
    wall, cpu = _means(times[1:])
    print(json.dumps({"wall": wall, "cpu": cpu, "epochs": epochs}))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per timed run, the first is left out")
    parser.add_argument("--n-train", type=int, default=None, help="training images (default: all available)")
    parser.add_argument("--n-test", type=int, default=None, help="test images (default: all 10,000)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of plain fit and engine")
    parser.add_argument("--no-variants", action="store_true", help="skip part 3 (one process per variant)")
    parser.add_argument("--executor-epochs", type=int, default=5, help="epochs of each run of part 4's study")
    parser.add_argument("--no-executor", action="store_true", help="skip part 4 (Dask against one process)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # show each line as it is measured, also through a pipe
    from .data import load_dataset

    if args.worker:
        _worker(args.worker, args.n_train, args.epochs)
        return 0

    import keras

    from .engine import ResultsStore
    from .engine.environment import device, hardware

    data = load_dataset("mnist", n_train=args.n_train, n_test=args.n_test)
    print(f"Benchmark: seed CNN, Leaky ReLU α=0.01, batch 32, {data.describe()}")
    print(f"machine: {hardware()}, backend {keras.backend.backend()}, device {device()}")
    print(f"Part 1: {args.rounds} alternating rounds of {args.epochs} epochs each; first epoch (compilation) left out")
    plain, bare, curves, saves, fits, evals = [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            plain += _plain_fit_epochs(data, args.epochs)[1:]
            # The engine trains one epoch more: its last epoch is a snapshot, timed in part 2 instead.
            t, rec = _engine_epochs(data, args.epochs + 1, ResultsStore(f"{tmp}/bare{r}"), test_every=0)
            bare += t[1:-1]
            saves += [s for s in rec["history"]["save_s"][1:] if s is not None]
            fits += rec["history"]["fit_s"][1:-1]
            t, rec = _engine_epochs(data, args.epochs + 1, ResultsStore(f"{tmp}/curves{r}"), test_every=1)
            curves += t[1:-1]
            evals += rec["history"]["eval_s"][1:-1]  # the last epoch is a snapshot (train + test)
            snapshot_s = rec["snapshots"][-1]["eval_s"]
    (p, pc), (b, bc), (c, cc) = _means(plain), _means(bare), _means(curves)
    print(f"  {'':<42} {'wall s/epoch':>12} {'ratio':>6} {'CPU s/epoch':>12} {'ratio':>6}")
    print(f"  {'plain model.fit(batch_size=32)':<42} {p:12.3f} {1:6.3f} {pc:12.3f} {1:6.3f}  ({len(plain)} epochs)")
    print(f"  {'engine, no per-epoch test evaluation':<42} {b:12.3f} {b / p:6.3f} {bc:12.3f} {bc / pc:6.3f}")
    print(f"  {'engine, test set evaluated every epoch':<42} {c:12.3f} {c / p:6.3f} {cc:12.3f} {cc / pc:6.3f}")
    print(f"  engine overhead against plain fit: {(b / p - 1) * 100:+.1f} % wall, {(bc / pc - 1) * 100:+.1f} % CPU "
          "(target: at most +5 %)")
    print(f"  engine parts (wall): fit call {_mean(fits):.3f} s, checkpoint {_mean(saves) * 1000:.0f} ms, "
          f"test evaluation {_mean(evals):.3f} s")
    print("Part 2: snapshots and checkpoints")
    print(f"  one snapshot (full train + test evaluation + weights file): {snapshot_s:.2f} s; 4 snapshots over "
          f"1,000 epochs add {4 * snapshot_s / (1000 * b) * 100:.3f} % to a run")
    print(f"  one checkpoint (weights + Adam state, atomic, fsync): {_mean(saves) * 1000:.0f} ms, "
          f"{_mean(saves) / b * 100:.2f} % of an epoch at checkpoint_every=1")
    model = __import__("rectifiers.models", fromlist=["seed_cnn"]).seed_cnn("relu")
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for batch in (32, 500, 2000):
        model.evaluate(data.x_test[: 2 * batch], data.y_test[: 2 * batch], batch_size=batch, verbose=0)  # compile
        start = time.perf_counter()
        model.evaluate(data.x_test, data.y_test, batch_size=batch, verbose=0)
        print(f"  evaluating {len(data.y_test):,} test images at batch {batch:>4}: {time.perf_counter() - start:.2f} s")
    if not args.no_variants:
        _variants(args)
    if not args.no_executor:
        _executor(args)
    return 0


def _variants(args) -> None:
    print(f"Part 3: plain fit, {args.epochs - 1} timed epochs, each variant in a fresh process")
    for name in VARIANTS:
        command = [sys.executable, "-m", "rectifiers.bench", "--worker", name, "--epochs", str(args.epochs - 1)]
        if args.n_train:
            command += ["--n-train", str(args.n_train)]
        out = subprocess.run(command, capture_output=True, text=True)
        try:
            result = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            print(f"  {name:<30} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        if "skipped" in result:
            print(f"  {name:<30} skipped: {result['skipped']}")
        else:
            print(f"  {name:<30} {result['wall']:6.3f} s/epoch wall, {result['cpu']:6.3f} s/epoch CPU")


def _executor(args) -> None:
    """Part 4: the same 4-run study through the default Dask local cluster and sequentially in one process."""
    from .engine import ResultsStore
    from .engine.dask_executor import default_workers

    study = {"name": "bench_executor", "datasets": ["mnist"], "activations": ["relu", "leaky_relu"],
             "seeds": [0, 1], "epochs": [args.executor_epochs], "n_train": args.n_train, "n_test": args.n_test,
             "test_every": 0}
    print(f"Part 4: a 4-run study of {args.executor_epochs} epochs per run, {args.rounds} alternating rounds; "
          f"local cluster: {default_workers()} worker processes x 1 thread")
    walls, spans = {"dask": [], "sequential": []}, {"dask": [], "sequential": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "study.yaml")
        with open(path, "w") as f:
            json.dump(study, f)  # JSON is YAML
        for r in range(args.rounds):
            for executor in ("sequential", "dask") if r % 2 == 0 else ("dask", "sequential"):
                results = os.path.join(tmp, f"{executor}{r}")
                command = [sys.executable, "-m", "rectifiers", "study", path, "--no-progress", "--executor", executor,
                           "--results", results]
                start = time.perf_counter()
                out = subprocess.run(command, capture_output=True, text=True)
                wall = time.perf_counter() - start
                if out.returncode != 0 or "4 complete" not in out.stdout:
                    print(f"  {executor}: failed ({out.returncode}): {out.stderr.strip().splitlines()[-3:]}")
                    return
                walls[executor].append(wall)
                records = ResultsStore(results).scan()[0]
                spans[executor].append(_training_span(records))
                fit = _mean([s for r in records for s in r["history"]["fit_s"][1:]])
                print(f"  round {r + 1}: {executor:<10} {wall:7.1f} s from start to end, "
                      f"{spans[executor][-1]:7.1f} s from the first run's first epoch to the last run's last; "
                      f"{fit:.2f} s per epoch of a run (compiling epoch left out)")
    for name, values in (("whole command (start-up included)", walls), ("training (start-up left out)", spans)):
        seq, dask = _mean(values["sequential"]), _mean(values["dask"])
        print(f"  throughput, Dask local cluster vs one process, {name}: {seq / dask:.2f}x "
              f"({seq:.1f} s against {dask:.1f} s for 4 runs; target: at least 1.35x)")


def _training_span(records) -> float:
    """Seconds from the earliest training session's start to the latest one's end (ISO times, 1 s resolution)."""
    import datetime as dt

    sessions = [s for r in records for s in r["segments"]]
    start = min(dt.datetime.fromisoformat(s["started"]) for s in sessions)
    end = max(dt.datetime.fromisoformat(s["finished"]) for s in sessions)
    return (end - start).total_seconds()


if __name__ == "__main__":
    sys.exit(main())

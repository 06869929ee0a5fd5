"""Benchmark of the training engine (`make bench`): seconds per epoch against plain `model.fit`, the Dask
executor's throughput against one process, and what else helps.

Same model (the seed CNN, Leaky ReLU α = 0.01), same data (MNIST: the training images available, the full test
set) and batch size 32 throughout. Part 1 compares, in one process and alternating, plain
`model.fit(x, y, batch_size=32, epochs=N)` with the engine (`engine.train`): its one `fit` call per session, the
generic one-`fit`-per-epoch loop (`Trainer.fit_epochs`, what a trainer without a multi-epoch fit gets, and the
engine's loop before), and with the per-epoch test-set evaluation. Every epoch is timed from the end of the one
before, so whatever the engine does between epochs counts; the first epoch (compilation) and the engine's last
(a snapshot, timed in part 2) are left out. Part 3 tries, each in a fresh process, what might make an epoch faster
without changing the experiment: TensorFlow's thread pools, a tf.data pipeline, XLA compilation, other Keras
backends. Part 4 runs one 4-run study (ReLU and Leaky ReLU, seeds 0 and 1) twice per round, as a user would:
`python -m rectifiers study FILE` (Dask, the default local cluster) and the same with `--executor sequential` (one
run after another in one process), each command timed from start to end, and prints the throughput ratio of the
whole commands and of their training (start-up left out). Part 5 trains the same small MLP runs (20 seeds of a
4×32 MLP and 20 of a 20×4 one, ReLU, 2 epochs) through the same executor (one process) one by one and stacked
(`stacked: true`, `engine/stacked.py`), each timed from plan to last record, and prints the throughput ratio. The
last lines put the targets side by side.

The machine this book is made on is shared: every part prints the load average, and CPU seconds (less disturbed
by other programs than wall time) next to wall seconds.

    python -m rectifiers.bench [--quick] [--epochs N] [--n-train N] [--n-test N] [--rounds N] [--no-variants]
                               [--executor-epochs N] [--no-executor] [--stack-seeds N] [--stack-epochs N]
                               [--no-stacked]
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


def _plain_fit_epochs(data, epochs: int, *, jit=False, pipeline=None) -> list[tuple[float, float]]:
    import keras

    from .models import seed_cnn

    keras.utils.set_random_seed(0)
    model = seed_cnn("leaky_relu", 0.01, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit)
    clock = _EpochClock()

    class Clock(keras.callbacks.Callback):  # timed like the engine: from the end of one epoch to the next's
        def on_train_begin(self, logs=None):
            clock.times = [_clock()]

        def on_epoch_end(self, epoch, logs=None):
            clock.update()

    if pipeline == "tf.data":
        import tensorflow as tf

        ds = (tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
              .shuffle(len(data.y_train), seed=0).batch(32).prefetch(tf.data.AUTOTUNE))
        model.fit(ds, epochs=epochs, verbose=0, callbacks=[Clock()])
    else:
        model.fit(data.x_train, data.y_train, batch_size=32, epochs=epochs, shuffle=True, verbose=0,
                  callbacks=[Clock()])
    return clock.per_epoch()


def _engine_epochs(data, epochs: int, store, *, per_epoch_fit=False, **settings) -> tuple[list[float], dict]:
    """Per-epoch (wall, CPU) of an engine run; `per_epoch_fit`: with the generic loop of one `fit` per epoch."""
    from .engine import RunConfig, train
    from .engine.trainers import ClassifierTrainer, Trainer

    config = RunConfig(activation="leaky_relu", alpha=0.01, seed=0, epochs=(epochs,), n_train=len(data.y_train),
                       n_test=len(data.y_test), **settings)
    clock = _EpochClock()
    own = ClassifierTrainer.fit_epochs
    if per_epoch_fit:
        ClassifierTrainer.fit_epochs = Trainer.fit_epochs
    try:
        record = train(config, store=store, data=data, progress=clock)
    finally:
        ClassifierTrainer.fit_epochs = own
    return clock.per_epoch(), record


def _load() -> str:
    """The load average (1, 5, 15 minutes) of the machine: how many programs wanted its cores meanwhile."""
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


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
    parser.add_argument("--quick", action="store_true",
                        help="a few minutes: 2,000 images, 1 round, 3-epoch runs, no part 3 (less precise)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per timed run, the first is left out")
    parser.add_argument("--n-train", type=int, default=None, help="training images (default: all available)")
    parser.add_argument("--n-test", type=int, default=None, help="test images (default: all 10,000)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each comparison")
    parser.add_argument("--no-variants", action="store_true", help="skip part 3 (one process per variant)")
    parser.add_argument("--executor-epochs", type=int, default=10, help="epochs of each run of part 4's study")
    parser.add_argument("--no-executor", action="store_true", help="skip part 4 (Dask against one process)")
    parser.add_argument("--stack-seeds", type=int, default=20, help="seeds per MLP shape in part 5")
    parser.add_argument("--stack-epochs", type=int, default=2, help="epochs of each run of part 5")
    parser.add_argument("--no-stacked", action="store_true", help="skip part 5 (stacked runs against one by one)")
    parser.add_argument("--only-stacked", action="store_true", help="run part 5 alone")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_train, args.n_test, args.rounds, args.no_variants = args.n_train or 2000, args.n_test or 2000, 1, True
        args.epochs, args.executor_epochs = min(args.epochs, 3), min(args.executor_epochs, 3)
        args.stack_seeds = min(args.stack_seeds, 10)
    sys.stdout.reconfigure(line_buffering=True)  # show each line as it is measured, also through a pipe
    from .data import load_dataset

    if args.worker:
        _worker(args.worker, args.n_train, args.epochs)
        return 0

    import keras

    from .engine import ResultsStore
    from .engine.environment import device, hardware

    if args.only_stacked:
        print(f"machine: {hardware()}, backend {keras.backend.backend()}, device {device()}; {_load()}")
        _stacked(args)
        return 0
    data = load_dataset("mnist", n_train=args.n_train, n_test=args.n_test)
    print(f"Benchmark: seed CNN, Leaky ReLU α=0.01, batch 32, {data.describe()}")
    print(f"machine: {hardware()}, backend {keras.backend.backend()}, device {device()}; {_load()}")
    print(f"Part 1: {args.rounds} alternating rounds of {args.epochs} epochs each; first epoch (compilation) left out")
    rows = {"plain": [], "engine": [], "per_epoch_fit": [], "curves": []}
    saves, fits, evals = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            rows["plain"] += _plain_fit_epochs(data, args.epochs)[1:]
            # The engine trains one epoch more: its last epoch is a snapshot, timed in part 2 instead.
            t, rec = _engine_epochs(data, args.epochs + 1, ResultsStore(f"{tmp}/bare{r}"), test_every=0)
            rows["engine"] += t[1:-1]
            saves += [s for s in rec["history"]["save_s"][1:] if s is not None]
            fits += rec["history"]["fit_s"][1:-1]
            t, _ = _engine_epochs(data, args.epochs + 1, ResultsStore(f"{tmp}/loop{r}"), test_every=0,
                                  per_epoch_fit=True)
            rows["per_epoch_fit"] += t[1:-1]
            t, rec = _engine_epochs(data, args.epochs + 1, ResultsStore(f"{tmp}/curves{r}"), test_every=1)
            rows["curves"] += t[1:-1]
            evals += rec["history"]["eval_s"][1:-1]  # the last epoch is a snapshot (train + test)
            snapshot_s = rec["snapshots"][-1]["eval_s"]
    (p, pc), (b, bc) = _means(rows["plain"]), _means(rows["engine"])
    labels = {"plain": "plain model.fit(batch_size=32)", "engine": "engine, no per-epoch test evaluation",
              "per_epoch_fit": "  the same with one fit call per epoch",
              "curves": "engine, test set evaluated every epoch"}
    print(f"  {'':<42} {'wall s/epoch':>12} {'ratio':>6} {'CPU s/epoch':>12} {'ratio':>6}")
    for name, label in labels.items():
        w, c = _means(rows[name])
        print(f"  {label:<42} {w:12.3f} {w / p:6.3f} {c:12.3f} {c / pc:6.3f}  ({len(rows[name])} epochs)")
    overhead = f"{(b / p - 1) * 100:+.1f} % wall, {(bc / pc - 1) * 100:+.1f} % CPU"
    print(f"  engine overhead against plain fit: {overhead} (target: at most +5 %)")
    print(f"  engine parts (wall): fit {_mean(fits):.3f} s, checkpoint {_mean(saves) * 1000:.0f} ms, "
          f"test evaluation {_mean(evals):.3f} s; {_load()}")
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
    executor = None if args.no_executor else _executor(args)
    stacked = None if args.no_stacked else _stacked(args)
    print(f"Targets ({_load()}):")
    print(f"  engine vs plain model.fit: {overhead} per epoch (target: at most +5 %)")
    if executor:
        print(f"  4-run study, Dask local cluster vs one process: x{executor['span']:.2f} throughput of the "
              f"training, x{executor['whole']:.2f} of the whole command with start-up (target: at least x1.35)")
    if stacked:
        print(f"  small MLP runs, stacked vs one by one: ×{stacked:.1f} throughput (target: at least ×5)")
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


def _executor(args) -> dict | None:
    """Part 4: the same 4-run study through the default Dask local cluster and sequentially in one process."""
    import resource

    from .engine import ResultsStore
    from .engine.dask_executor import default_workers

    study = {"name": "bench_executor", "datasets": ["mnist"], "activations": ["relu", "leaky_relu"],
             "seeds": [0, 1], "epochs": [args.executor_epochs], "n_train": args.n_train, "n_test": args.n_test,
             "test_every": 0, "keep_weights": "none"}
    print(f"Part 4: a 4-run study of {args.executor_epochs} epochs per run, {args.rounds} alternating rounds; "
          f"local cluster: {default_workers()} worker processes x 1 thread; {_load()}")
    walls, spans, cpus = ({"dask": [], "sequential": []} for _ in range(3))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "study.yaml")
        with open(path, "w") as f:
            json.dump(study, f)  # JSON is YAML
        for r in range(args.rounds):
            for executor in ("sequential", "dask") if r % 2 == 0 else ("dask", "sequential"):
                results = os.path.join(tmp, f"{executor}{r}")
                command = [sys.executable, "-m", "rectifiers", "study", path, "--no-progress", "--executor", executor,
                           "--results", results]
                start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
                out = subprocess.run(command, capture_output=True, text=True)
                wall = time.perf_counter() - start
                used = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its worker processes
                if out.returncode != 0 or "4 complete" not in out.stdout:
                    print(f"  {executor}: failed ({out.returncode}): {out.stderr.strip().splitlines()[-3:]}")
                    return None
                walls[executor].append(wall)
                cpus[executor].append(used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime)
                records = ResultsStore(results).scan()[0]
                spans[executor].append(_training_span(records))
                fit = _mean([s for r in records for s in r["history"]["fit_s"][1:]])
                print(f"  round {r + 1}: {executor:<10} {wall:6.1f} s from start to end ({cpus[executor][-1]:5.1f} "
                      f"CPU-s), {spans[executor][-1]:5.0f} s from the first run's start to the last run's end; "
                      f"{fit:.2f} s per epoch of a run (compiling epoch left out); {_load()}")
    ratios = {}
    for name, values in (("whole", walls), ("span", spans)):
        seq, dask = _mean(values["sequential"]), _mean(values["dask"])
        ratios[name] = seq / dask
    print(f"  throughput, Dask local cluster vs one process: x{ratios['span']:.2f} training (start-up left out: "
          f"{_mean(spans['sequential']):.0f} s against {_mean(spans['dask']):.0f} s), x{ratios['whole']:.2f} whole "
          f"command ({_mean(walls['sequential']):.1f} s against {_mean(walls['dask']):.1f} s); CPU-s per study "
          f"{_mean(cpus['sequential']):.0f} one process, {_mean(cpus['dask']):.0f} Dask (target: at least x1.35)")
    return ratios


def _stacked(args) -> float:
    """Part 5: the same small MLP runs one by one and stacked, through the sequential executor in this process."""
    from .engine import ResultsStore, plan, run_plan, study_from_dict

    seeds, epochs = list(range(args.stack_seeds)), args.stack_epochs
    print(f"Part 5: {len(seeds)} seeds each of a 4×32 and a 20×4 MLP (ReLU, He init, Adam 0.001, batch 32), "
          f"{epochs} epochs on {args.n_train or 'all'} training images, one process; {_load()}")
    totals = {False: [0.0, 0.0], True: [0.0, 0.0]}
    with tempfile.TemporaryDirectory() as tmp:
        for depth, width in ((4, 32), (20, 4)):
            seconds = {}
            for stacked in (False, True):
                study = study_from_dict({
                    "name": f"bench_stacked_{depth}x{width}", "datasets": ["mnist"], "activations": ["relu"],
                    "seeds": seeds, "model": "mlp", "depth": depth, "width": width, "initializer": "he",
                    "epochs": [epochs], "n_train": args.n_train, "n_test": args.n_test or 2000, "test_every": 0,
                    "keep_weights": "none", "stacked": stacked})
                store = ResultsStore(os.path.join(tmp, f"{depth}x{width}-{stacked}"))
                start = _clock()
                records, problems = run_plan(plan(study, store), store, executor="sequential", progress=False)
                wall, cpu = (b - a for a, b in zip(start, _clock()))
                if problems or len(records) != len(seeds):
                    raise RuntimeError(f"part 5: {len(records)} of {len(seeds)} runs stored; {problems}")
                seconds[stacked] = wall
                totals[stacked][0] += wall
                totals[stacked][1] += cpu
                what = "stacked   " if stacked else "one by one"
                print(f"  {depth:>2}×{width:<2} {what}: {wall:6.1f} s wall, {cpu:6.1f} CPU-s for {len(seeds)} runs "
                      f"({wall / len(seeds):.2f} s per run); {_load()}")
            print(f"  {depth:>2}×{width:<2} stacked vs one by one: ×{seconds[False] / seconds[True]:.1f}")
    ratio = totals[False][0] / totals[True][0]
    print(f"stacked vs one by one: ×{ratio:.1f} ({totals[False][0]:.0f} s against {totals[True][0]:.0f} s wall, "
          f"{totals[False][1]:.0f} against {totals[True][1]:.0f} CPU-s; {_load()})")
    return ratio


def _training_span(records) -> float:
    """Seconds from the earliest training session's start to the latest one's end (ISO times, 1 s resolution)."""
    import datetime as dt

    sessions = [s for r in records for s in r["segments"]]
    start = min(dt.datetime.fromisoformat(s["started"]) for s in sessions)
    end = max(dt.datetime.fromisoformat(s["finished"]) for s in sessions)
    return (end - start).total_seconds()


if __name__ == "__main__":
    sys.exit(main())

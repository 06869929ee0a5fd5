"""Command line: `python -m rectifiers study FILE`, `runs`, `migrate`, `calibrate` (see `python -m rectifiers --help`).

Only training imports TensorFlow: checking a study, `--dry-run`, `runs`, `migrate` and every error answer in
about a second.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EXIT_BAD_INPUT, EXIT_PROBLEMS, EXIT_INTERRUPTED = 2, 1, 130


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rectifiers", description="Training studies of the book "
                                "'ReLU or Leaky ReLU?': plan them, run them (on Dask), list and upgrade stored runs.")
    results = argparse.ArgumentParser(add_help=False)
    results.add_argument("--results", default=argparse.SUPPRESS, help="results folder (default: the study's "
                         "`results` setting, else $RECTIFIERS_RESULTS_DIR, else the repo's results/)")
    p.add_argument("--results", help=argparse.SUPPRESS)
    commands = p.add_subparsers(dest="command", required=True)
    study = commands.add_parser("study", parents=[results], help="plan or run a study described by a YAML file")
    study.add_argument("file", help="the study, e.g. studies/smoke.yaml")
    study.add_argument("--dry-run", action="store_true", help="print the plan and time estimate; train nothing")
    study.add_argument("--until-epoch", type=int, metavar="N", help="train each run only up to epoch N for now")
    study.add_argument("--no-progress", action="store_true", help="no progress lines")
    study.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: $DASK_SCHEDULER_ADDRESS, "
                            "else a local cluster of 1-thread worker processes)")
    study.add_argument("--workers", type=int, metavar="N", help="worker processes of the local cluster "
                       "(default: one per core)")
    study.add_argument("--executor", choices=("dask", "sequential"), default="dask",
                       help="'sequential': one run after another in this process, no Dask")
    commands.add_parser("runs", parents=[results], help="list the stored runs and every file the store cannot use")
    commands.add_parser("migrate", parents=[results],
                        help="upgrade stored runs to the current record schema (keys unchanged)")
    calibrate = commands.add_parser("calibrate", help="simulate situations with a known truth: how often the "
                                    "decision procedure names a winner by luck, and its power")
    calibrate.add_argument("--null", type=int, default=1000, metavar="N", help="null situations (default 1000)")
    calibrate.add_argument("--per-case", type=int, default=100, metavar="N", help="situations per power case")
    calibrate.add_argument("--seed", type=int, default=0)
    calibrate.add_argument("--write", action="store_true", help="store the result in results/calibration.json")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return _command(args)
    except KeyboardInterrupt:
        print("interrupted: every stored run and checkpoint is kept; the same command resumes", file=sys.stderr)
        return EXIT_INTERRUPTED


def _command(args) -> int:
    from .store import ResultsStore, StoreError

    if args.command == "calibrate":
        from ..calibration import main as calibrate

        if min(args.null, args.per_case) < 1:
            print("error: --null and --per-case must be integers >= 1", file=sys.stderr)
            return EXIT_BAD_INPUT
        return calibrate(args.null, args.per_case, args.seed, args.write)

    if args.command in ("runs", "migrate"):
        store = ResultsStore(args.results)
        if not store.root.is_dir():
            print(f"error: results folder {store.root} does not exist" if not store.root.exists()
                  else f"error: results folder {store.root} is not a folder", file=sys.stderr)
            return EXIT_BAD_INPUT
        return _list_runs(store) if args.command == "runs" else _migrate(store)

    from .executors import run_plan
    from .study import load_study, plan

    if args.workers is not None and args.workers < 1:
        print(f"error: --workers must be an integer >= 1; got {args.workers}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        the_study = load_study(args.file)
        store = ResultsStore(args.results if args.results is not None else the_study.results_root())
        the_plan = plan(the_study, store, until_epoch=args.until_epoch)
    except (ValueError, FileNotFoundError, StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    external = args.executor == "dask" and (args.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS"))
    the_plan.executor = None if external else args.executor
    print(the_plan.describe(), flush=True)
    _report_problems(store, [p for p in store.scan()[1] if p not in the_plan.problems])
    if args.dry_run or the_plan.epochs_to_go == 0:
        return EXIT_PROBLEMS if the_plan.problems else 0
    try:
        records, problems = run_plan(the_plan, store, executor=args.executor, scheduler=args.scheduler,
                                     workers=args.workers, progress=not args.no_progress)
    except (ValueError, StoreError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    counts = {s: sum(r["status"] == s for r in records) for s in ("complete", "partial", "diverged")}
    print(f"{len(records)} runs stored in {store.runs_dir}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    for problem in problems:
        print(f"not trained: {problem}", file=sys.stderr)
    return EXIT_PROBLEMS if problems else 0


def _list_runs(store) -> int:
    records, problems = store.scan()
    left = store.orphans()
    removed = store.clean_orphans()
    for path in removed:
        print(f"removed {path}: a temporary file left by an interrupted write", file=sys.stderr)
    for path in sorted(set(left) - set(removed)):
        print(f"ignored {path}: a temporary file being written now (or that cannot be removed)", file=sys.stderr)
    for r in sorted(records, key=lambda r: r["key"]):
        last = r["snapshots"][-1] if r["snapshots"] else {}
        acc = (f"test acc {last['test_accuracy']:.4f} at epoch {last['epoch']}" if "test_accuracy" in last
               else f"test Fréchet {last['test_frechet']:.2f} at epoch {last['epoch']}" if "test_frechet" in last
               else "no snapshot yet")
        if r["status"] == "diverged":
            acc = f"diverged at epoch {r['diverged_at']}"
        print(f"{r['key']}  {r['status']:<8} {r['epochs_done']:>5} epochs  {acc}")
    print(f"{len(records)} runs in {store.runs_dir}")
    _report_problems(store, problems)
    return EXIT_PROBLEMS if problems else 0


def _migrate(store) -> int:
    from .migrate import migrate_store
    from .store import StoreError

    try:
        upgraded, problems = migrate_store(store)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{len(upgraded)} runs upgraded in {store.runs_dir}")
    _report_problems(store, problems)
    return EXIT_PROBLEMS if problems else 0


def _report_problems(store, problems) -> None:
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)

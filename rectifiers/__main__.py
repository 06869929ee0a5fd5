"""Command line: `python -m rectifiers study STUDY.yaml [--dry-run] [--until-epoch N]`, `python -m rectifiers runs`."""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rectifiers", description=__doc__.split(":")[0])
    parser.add_argument("--results", help="results folder (default: $RECTIFIERS_RESULTS_DIR or the repo's results/)")
    commands = parser.add_subparsers(dest="command", required=True)
    study = commands.add_parser("study", help="plan or run a study described by a YAML file")
    study.add_argument("file", help="the study, e.g. studies/smoke.yaml")
    study.add_argument("--dry-run", action="store_true", help="print the plan and time estimate; train nothing")
    study.add_argument("--until-epoch", type=int, metavar="N", help="train each run only up to epoch N for now")
    study.add_argument("--no-progress", action="store_true", help="no progress bar")
    commands.add_parser("runs", help="list the stored runs and any file that is not one")
    args = parser.parse_args(argv)

    from .results import ResultsStore

    store = ResultsStore(args.results)
    if args.command == "runs":
        return _list_runs(store)

    from .results import StoreError
    from .study import load_study, plan, run_study

    try:
        the_study = load_study(args.file)
        the_plan = plan(the_study, store, until_epoch=args.until_epoch)
    except (ValueError, FileNotFoundError, StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(the_plan.describe())
    _report_problems(store)
    if args.dry_run or the_plan.epochs_to_go == 0:
        return 0
    records = run_study(the_study, store, until_epoch=args.until_epoch, progress=not args.no_progress)
    complete = sum(r["status"] == "complete" for r in records)
    print(f"{len(records)} runs stored in {store.runs_dir}: {complete} complete, {len(records) - complete} partial")
    return 0


def _list_runs(store) -> int:
    records, problems = store.scan()
    for r in sorted(records, key=lambda r: r["key"]):
        last = r["snapshots"][-1] if r["snapshots"] else {}
        acc = f"test acc {last['test_accuracy']:.4f} at epoch {last['epoch']}" if last else "no snapshot yet"
        print(f"{r['key']}  {r['status']:<8} {r['epochs_done']:>5} epochs  {acc}")
    print(f"{len(records)} runs in {store.runs_dir}")
    _report_problems(store, problems)
    return 1 if problems else 0


def _report_problems(store, problems=None) -> None:
    if problems is None:
        problems = store.scan()[1]
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

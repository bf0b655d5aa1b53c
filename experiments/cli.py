"""``sovai sweep``: run an experiment file, and ``sovai sweep status DIR``.

Only argparse is imported here: the sweep machinery (pandas, Dask) loads when the command runs, so
``sovai --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

USAGE = """sovai sweep FILE [--out DIR] [--workers N] [--scheduler ADDRESS | --scheduler-file F | --slurm | --pbs]
                   [--samples N] [--replications R] [--batch-size K] [--fresh] [--model MODULE:FUNCTION]
                   [--checkpoint-every SECONDS] [--run-timeout SECONDS]
       sovai sweep status DIR"""

DESCRIPTION = """Run every run of an experiment file (TOML, or a shipped one by name: `sovai experiments` lists them)
and stream the results to DIR as Parquet.
Runs go to a local Dask cluster with one worker process per core unless told otherwise.
Interrupted sweeps resume where they stopped: run the same command again."""

EPILOG = """examples:
  sovai sweep experiments/levers_lhs.toml
  sovai sweep levers_lhs --samples 20 --replications 1         # a small trial, in its own folder
  sovai sweep experiments/levers_lhs.toml --workers 1          # in this process, for debugging
  sovai sweep my.toml --model mymodels.py:ishigami --out results/ishigami
  sovai sweep experiments/levers_lhs.toml --slurm              # workers as Slurm jobs, see [cluster]
  sovai sweep status results/levers-lhs
see docs/experiments.md for the file format and the results layout."""


def register(subparsers: Any) -> None:
    """Add the ``sweep`` and ``experiments`` subcommands."""
    listing = subparsers.add_parser(
        "experiments",
        help="list the shipped experiment and compare files",
        description="The experiment files (for `sovai sweep NAME`) and compare files (for `sovai compare NAME`) "
        "that come with sovai, with where they are.",
    )
    listing.set_defaults(func=list_experiments)
    parser = subparsers.add_parser(
        "sweep",
        help="run an experiment (many runs over levers and uncertainties), resumable",
        usage=USAGE,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="experiment file (TOML); or 'status' followed by DIR")
    parser.add_argument("dir", metavar="DIR", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--out", metavar="DIR", type=Path, help="results folder (default: results/<experiment name>)")
    add_pool_arguments(parser)
    parser.add_argument(
        "--batch-size",
        metavar="K",
        type=_positive_int,
        help="runs per task (default: chosen so a task holds about 0.5 s of work)",
    )
    parser.add_argument(
        "--samples",
        metavar="N",
        type=_positive_int,
        help="try the design small: N instead of the file's samples (own folder, results/<name>-trial-...)",
    )
    parser.add_argument(
        "--replications",
        metavar="R",
        type=_positive_int,
        help="replications instead of the file's (as --samples)",
    )
    parser.add_argument("--fresh", action="store_true", help="discard results already in DIR and start over")
    parser.add_argument(
        "--model",
        metavar="MODULE:FUNCTION",
        help="run f(*, seed, **params) -> dict instead of the built-in model "
        "(MODULE may be a dotted name or a .py file)",
    )
    parser.add_argument(
        "--checkpoint-every",
        metavar="SECONDS",
        type=_positive_float,
        default=10.0,
        help="write finished runs to disk at least this often (default: 10)",
    )
    parser.add_argument(
        "--run-timeout",
        metavar="SECONDS",
        type=_non_negative_float,
        help="record a run that takes longer as failed and go on (default: the file's run_timeout_s, "
        "else 600; 0: no limit)",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the subcommand; return its exit code."""
    from sim.errors import UserError

    if args.file == "status" and (args.dir or not Path("status").is_file()):
        if not args.dir:
            raise UserError("sweep status needs the results folder: sovai sweep status DIR")
        return status(args.dir)
    if args.dir:
        raise UserError(f"unexpected argument {args.dir!r}: sovai sweep takes one experiment file")
    return sweep(args)


def sweep(args: argparse.Namespace) -> int:
    """``sovai sweep FILE``."""
    from experiments.sweep import SweepOptions, format_summary, run_sweep

    options = SweepOptions(
        **run_options(args),
        batch_size=args.batch_size,
        samples=args.samples,
        replications=args.replications,
        checkpoint_seconds=args.checkpoint_every,
        run_timeout=args.run_timeout,
    )
    with sigterm_stops():
        summary = run_sweep(args.file, options)
    print(format_summary(summary))
    return 0


def list_experiments(args: argparse.Namespace) -> int:
    """``sovai experiments``: the shipped files, one line each, as ``sovai scenarios`` lists scenarios."""
    from experiments.shipped import SHIPPED_DIR, shipped_files

    files = shipped_files()
    width = max(map(len, files))
    for name, (command, description) in files.items():
        print(f"{name.ljust(width)}  sovai {command.ljust(7)}  {description}")
    print(f"\n(in {SHIPPED_DIR}; copy one to change it)")
    return 0


def status(folder: str) -> int:
    """``sovai sweep status DIR``: runs done, failed and remaining."""
    from experiments.store import Store

    store = Store(folder, damaged="skip")
    manifest = store.read_manifest()
    damaged = store.damaged_batches()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the damaged files are listed below
        counts = store.status_counts()
    ok, failed = counts.get("ok", 0), counts.get("failed", 0)
    total = int(manifest["n_runs"])
    remaining = total - ok - failed
    state = "complete" if remaining == 0 else "incomplete: run the same `sovai sweep` command to finish it"
    if damaged:
        state = "damaged: run the same `sovai sweep` command to set the damaged files aside and re-run their runs"
    print(
        f"sweep {manifest['name']!r} in {store.root} ({manifest['design']} design, "
        f"{manifest['n_points']} points x {manifest['replications']} replications)"
    )
    print(f"  runs:      {total}")
    print(f"  done:      {ok + failed} ({ok} ok, {failed} failed)")
    print(f"  remaining: {remaining}")
    for path, reason in damaged.items():
        print(f"  damaged:   {path} ({reason})")
    for path in store.set_aside_files():
        print(f"  set aside: {path} (damaged earlier; its runs were run again)")
    print(f"  status:    {state}")
    return 0


# --- what sweeps and searches share: where their runs go ------------------------------------------------


def add_pool_arguments(parser: argparse.ArgumentParser) -> None:
    """``--workers``, and where workers run: ``--scheduler``, ``--scheduler-file``, ``--slurm`` or ``--pbs``."""
    parser.add_argument(
        "--workers",
        metavar="N",
        type=_positive_int,
        help="local worker processes (default: one per core; 1 runs in this process without Dask)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="use a running Dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--scheduler-file", metavar="F", help="use the Dask scheduler described by this file")
    where.add_argument("--slurm", action="store_true", help="start workers as Slurm jobs ([cluster] table)")
    where.add_argument("--pbs", action="store_true", help="start workers as PBS jobs ([cluster] table)")


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`experiments.pools.RunOptions` fields a command line sets, checked.

    They come from ``--out``, ``--model``, ``--fresh`` and the options of :func:`add_pool_arguments`.
    """
    from sim.errors import UserError

    if args.workers and (args.scheduler or args.scheduler_file or args.slurm or args.pbs):
        raise UserError(
            "--workers sets the size of the local cluster; with --scheduler, --scheduler-file, "
            "--slurm or --pbs the cluster decides (see [cluster] in docs/experiments.md)"
        )
    return {
        "out": args.out,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "scheduler_file": args.scheduler_file,
        "jobqueue": "slurm" if args.slurm else "pbs" if args.pbs else None,
        "model": args.model,
        "fresh": args.fresh,
    }


@contextlib.contextmanager
def sigterm_stops() -> Iterator[None]:
    """A batch system's SIGTERM stops the command as Ctrl-C does: cleanly, finished work kept."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1e9:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds ≥ 0 (0: no limit)")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value

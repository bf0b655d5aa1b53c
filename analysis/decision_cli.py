"""``sovai discover SWEEP_DIR --where EXPR`` and ``sovai optimise FILE``: decision support.

Only argparse is imported here; the analysis modules (pandas, EMA Workbench, optuna, Dask) load
when a command runs, so ``sovai --help`` stays fast. Bad input raises a
:class:`sim.errors.UserError` subclass, which the ``sovai`` entry point prints as one line with
exit code 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from experiments.cli import add_pool_arguments, run_options, sigterm_stops

DISCOVER_EPILOG = """examples:
  sovai sweep experiments/plan_failure.toml
  sovai discover results/plan-failure --where "digital_deficit_total_jpy_bn_fy2030 > 10000"
  sovai discover results/plan-failure --where "capability_gap_fy2030 > 30" --boxes 2
the expression is a pandas DataFrame.eval condition on the run table (outcomes and swept parameters);
writes SWEEP_DIR/discovery/<expression>/: boxes.csv, trajectory.csv, cart_leaves.csv,
feature_scores.csv, figures, report.md, report.html (see docs/decisions.md)"""

OPTIMISE_EPILOG = """examples:
  sovai optimise experiments/robust_split.toml
  sovai optimise experiments/robust_split.toml --workers 2
  sovai optimise my.toml --model analysis.testfunctions:zdt1 --out results/zdt1
killed at any moment, the same command resumes: finished evaluations are kept in DIR/study.db
(optuna's SQLite storage). The file format is in docs/decisions.md."""


def register(subparsers: Any) -> None:
    """Add the ``discover`` and ``optimise`` subcommands."""
    disc = subparsers.add_parser(
        "discover",
        help="scenario discovery on a sweep: PRIM boxes, CART and feature scores for a condition",
        description="Find the combinations of swept inputs under which a condition holds (e.g. the plan misses a "
        "goal): PRIM boxes with coverage, density, peeling trajectory, restricted inputs and their significance; "
        "a CART tree; feature scores (EMA Workbench). Prints the boxes and writes tables, figures and a report.",
        epilog=DISCOVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    disc.add_argument("dir", metavar="SWEEP_DIR", type=Path, help="results folder of `sovai sweep`")
    disc.add_argument("--where", required=True, metavar="EXPR", help="condition marking the runs of interest")
    disc.add_argument(
        "--inputs", metavar="NAMES", help="comma-separated swept parameters to explain with (default: all)"
    )
    disc.add_argument("--out", metavar="DIR", type=Path, help="where to write (default: SWEEP_DIR/discovery/<EXPR>)")
    disc.add_argument("--boxes", type=int, default=1, help="PRIM boxes to find, each among the runs left (default 1)")
    disc.add_argument("--min-coverage", type=float, default=0.5, help="lowest coverage of a reported box (0.5)")
    disc.add_argument("--peel-alpha", type=float, default=0.05, help="share of runs one PRIM peel removes (0.05)")
    disc.add_argument("--paste-alpha", type=float, default=0.05, help="share of runs one PRIM paste adds (0.05)")
    disc.add_argument("--mass-min", type=float, default=0.05, help="smallest share of runs in a box or leaf (0.05)")
    disc.add_argument("--seed", type=int, default=1, help="seed of CART tie-breaks and the extra trees (1)")
    disc.add_argument("--no-figures", action="store_true", help="skip the figures")
    disc.set_defaults(func=cmd_discover)

    opt = subparsers.add_parser(
        "optimise",
        aliases=["optimize"],
        help="many-objective robust search over levers, scored on an ensemble of futures (resumable)",
        description="Search the levers of an optimise file for policies that perform well across an ensemble of "
        "uncertain futures (NSGA-II from optuna; every policy meets the same futures with the same seeds). "
        "Evaluations run on the same pools as sweeps; finished evaluations are kept in DIR/study.db, so a killed "
        "run resumes. Writes the Pareto set with confidence intervals, a parallel-coordinates figure and a report.",
        epilog=OPTIMISE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    opt.add_argument("file", metavar="FILE", type=Path, help="optimise file (TOML)")
    opt.add_argument("--out", metavar="DIR", type=Path, help="results folder (default: results/<name>)")
    add_pool_arguments(opt)
    opt.add_argument("--model", metavar="MODULE:FUNCTION", help="run f(*, seed, **params) -> dict instead of sovai")
    opt.add_argument("--evaluations", type=int, help="override the file's budget of evaluations")
    opt.add_argument("--fresh", action="store_true", help="discard the evaluations already in DIR and start over")
    opt.set_defaults(func=cmd_optimise)


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def cmd_discover(args: argparse.Namespace) -> int:
    """``sovai discover SWEEP_DIR --where EXPR``."""
    from analysis.discovery import default_out, discover, load_cases, summary_text, write_result
    from sim.outputs import check_output_dir

    cases = load_cases(args.dir, args.where, inputs=_names(args.inputs))
    out = check_output_dir(args.out or default_out(args.dir, args.where), kind="discovery", label="--out")
    result = discover(
        cases,
        peel_alpha=args.peel_alpha,
        paste_alpha=args.paste_alpha,
        mass_min=args.mass_min,
        min_coverage=args.min_coverage,
        max_boxes=args.boxes,
        seed=args.seed,
    )
    write_result(result, out, with_figures=not args.no_figures)
    print(summary_text(result))
    print(f"\nwrote {out}/ (boxes.csv, trajectory.csv, cart_leaves.csv, feature_scores.csv, report.md, report.html)")
    return 0


def cmd_optimise(args: argparse.Namespace) -> int:
    """``sovai optimise FILE``."""
    from analysis.optimise import OptimiseOptions, optimise, summary_text

    options = OptimiseOptions(**run_options(args), evaluations=args.evaluations)
    with sigterm_stops():
        result = optimise(args.file, options)
    print(summary_text(result))
    return 0

"""``sovai sensitivity DIR``, ``sovai compare FILE`` and ``sovai report RUN_DIR``.

Only argparse is imported here; the analysis modules (pandas, SALib, matplotlib) load when a
command runs, so ``sovai --help`` stays fast. Bad input raises a :class:`sim.errors.UserError`
subclass, which the ``sovai`` entry point prints as one line with exit code 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SENSITIVITY_EPILOG = """examples:
  sovai sweep experiments/levers_sobol.toml && sovai sensitivity results/levers-sobol
  sovai sensitivity results/levers-sobol --method delta --outputs domestic_share_fy2030
  sovai sensitivity results/morris-screening --top 10
writes DIR/analysis/: indices.csv, s2.csv, convergence.csv, time_resolved.csv, figures/, report.md, report.html"""

COMPARE_EPILOG = """example:
  sovai compare experiments/instrument_comparison.toml
the compare file format is in docs/analysis.md (and analysis/compare.py)"""


def register(subparsers: Any) -> None:
    """Add the ``sensitivity``, ``compare`` and ``report`` subcommands."""
    sens = subparsers.add_parser(
        "sensitivity",
        help="sensitivity indices of a finished sweep (Sobol, Morris, delta, PAWN, FAST)",
        description="Compute global sensitivity indices (SALib) for every outcome of a sweep, print them ranked, "
        "and write tables, figures and a report into DIR/analysis.",
        epilog=SENSITIVITY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sens.add_argument("dir", metavar="DIR", type=Path, help="results folder of `sovai sweep`")
    sens.add_argument(
        "--method",
        choices=("sobol", "morris", "fast", "delta", "pawn"),
        help="default: the design's own method (sobol, morris, fast), else delta",
    )
    sens.add_argument("--outputs", metavar="NAMES", help="comma-separated outcomes to analyse (default: all stored)")
    sens.add_argument("--out", metavar="DIR", type=Path, help="where to write (default: DIR/analysis)")
    sens.add_argument("--conf-level", type=float, default=0.95, help="confidence level of the intervals (0.95)")
    sens.add_argument("--resamples", type=int, help="bootstrap resamples (default 100; 20 for delta, which is slow)")
    sens.add_argument("--seed", type=int, default=1, help="seed of the bootstrap (default 1)")
    sens.add_argument("--top", type=int, help="rows per outcome in the printed table (default: all)")
    sens.add_argument("--no-convergence", action="store_true", help="skip the N/4, N/2 convergence check")
    sens.add_argument("--no-time-resolved", action="store_true", help="skip the indices per fiscal year")
    sens.add_argument("--no-figures", action="store_true", help="skip the figures")
    sens.set_defaults(func=cmd_sensitivity)

    comp = subparsers.add_parser(
        "compare",
        help="equal-cost comparison of programmes and mixes against no policy",
        description="Spend the same budget through each programme alone and through named mixes; compare each "
        "with the no-policy counterfactual using common random numbers over replications; print the differences "
        "with confidence intervals and the cost-effectiveness, and write tables, a figure and a report.",
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    comp.add_argument("file", metavar="FILE", type=Path, help="compare file (TOML)")
    comp.add_argument("--out", metavar="DIR", type=Path, help="output folder (default: results/compare-<name>)")
    comp.add_argument("--workers", type=int, help="worker processes (default: one per core; 1: in this process)")
    comp.add_argument("--replications", type=int, help="override the file's replications")
    comp.add_argument("--quarters", type=int, help="override the file's quarters")
    comp.add_argument("--model", metavar="MODULE:FUNCTION", help="run another model f(*, seed, **params) -> dict")
    comp.set_defaults(func=cmd_compare)

    rep = subparsers.add_parser(
        "report",
        help="one Markdown/HTML page for a `sovai run` output folder",
        description="Write report.md and report.html for the output folder of `sovai run`: the summary table "
        "(with the no-policy run of the same seed), the levers, the parameters that differ from the defaults, "
        "and the figures.",
    )
    rep.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="output folder of `sovai run`")
    rep.add_argument("--out", metavar="DIR", type=Path, help="where to write the page (default: RUN_DIR)")
    rep.add_argument("--no-counterfactual", action="store_true", help="skip the no-policy run beside the summary")
    rep.set_defaults(func=cmd_report)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``sovai sensitivity DIR``."""
    from analysis.sensitivity import SensitivityError, analyse_sweep, load_sweep, ranked_table
    from analysis.sensitivity_report import write_analysis

    if not 0 < args.conf_level < 1:
        raise SensitivityError(f"--conf-level {args.conf_level}: must lie between 0 and 1, e.g. 0.95")
    if args.resamples is not None and args.resamples < 2:
        raise SensitivityError(f"--resamples {args.resamples}: need at least 2 bootstrap resamples")
    if args.top is not None and args.top < 1:
        raise SensitivityError(f"--top {args.top}: must be at least 1")
    from sim.limits import check_fits_in_memory
    from sim.outputs import check_output_dir

    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()] if args.outputs else None
    sweep = load_sweep(args.dir)
    if args.resamples is not None:  # the bootstrap holds resamples x runs numbers
        check_fits_in_memory(
            args.resamples,
            len(sweep.runs),
            what="the bootstrap",
            hint="lower --resamples",
            error=SensitivityError,
            rows_name="resamples",
        )
    check_output_dir(args.out or Path(sweep.root) / "analysis", kind="sensitivity", label="--out")  # before the work
    analysis = analyse_sweep(
        sweep,
        args.method,
        outputs=outputs,
        with_convergence=not args.no_convergence,
        with_time_resolved=not args.no_time_resolved,
        conf_level=args.conf_level,
        num_resamples=args.resamples,
        seed=args.seed,
    )
    out = write_analysis(sweep, analysis, args.out, figures=not args.no_figures)
    counts = analysis.counts
    print(
        f"sovai sensitivity: {sweep.manifest.get('name', sweep.root)} ({sweep.design} design, "
        f"{counts['ok']} ok runs, {counts['failed']} failed runs dropped, {counts['pending']} not run)\n"
    )
    print(ranked_table(analysis, top=args.top))
    for note in analysis.notes:
        print(f"note: {note}")
    for name, why in analysis.skipped.items():
        print(f"note: {name} not analysed: {why}")
    print(f"\nwrote {out}/ (indices.csv, report.md, report.html{'' if args.no_figures else ', figures/'})")
    return 0


def default_compare_folder(name: str, args: argparse.Namespace) -> str:
    """``compare-<name>``, or a trial's own folder when the command line scales the file down.

    A trial (``--replications`` or ``--quarters``) never shares the full study's folder, as with sweeps.
    """
    trial = "".join(
        f"-{tag}{value}" for tag, value in (("R", args.replications), ("Q", args.quarters)) if value is not None
    )
    return f"compare-{name}" + (f"-trial{trial}" if trial else "")


def cmd_compare(args: argparse.Namespace) -> int:
    """``sovai compare FILE``."""
    from analysis.compare import CompareError, compare, load_comparison, summary_text, write_result

    if args.workers is not None and args.workers < 1:
        raise CompareError(f"--workers {args.workers}: must be at least 1")
    if args.replications is not None and args.replications < 2:
        raise CompareError(f"--replications {args.replications}: confidence intervals need at least 2")
    if args.quarters is not None and args.quarters < 1:
        raise CompareError(f"--quarters {args.quarters}: must be at least 1")
    from sim.outputs import check_output_dir

    comp = load_comparison(args.file, model=args.model, replications=args.replications, quarters=args.quarters)
    out = check_output_dir(
        args.out or Path("results") / default_compare_folder(comp.name, args), kind="compare", label="--out"
    )
    result = compare(comp, workers=args.workers)
    out = write_result(result, out)
    print(summary_text(result))
    print(f"\nwrote {out}/ (cost_effectiveness.csv, differences.csv, runs.csv, comparison.png, report.md, report.html)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``sovai report RUN_DIR``."""
    from analysis.report import write_report

    md, html = write_report(args.run_dir, args.out, with_counterfactual=not args.no_counterfactual)
    print(f"wrote {md} and {html}")
    return 0

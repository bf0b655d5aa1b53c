"""``sovai calibrate [--check] [--seeds N]``: compare the model with its calibration targets.

Prints, for every target in :data:`analysis.calibration.TARGETS`, the model value (mean and
standard deviation over seeds), the target and its tolerance, and pass or fail, then each target's
source. With ``--check`` the command exits with status 1 when any target fails (for CI and tests).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.errors import UserError

DEFAULT_SEEDS = 5


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand."""
    cal = sub.add_parser(
        "calibrate",
        help="compare the model with its calibration targets (figures from the public sources in docs/sources.md)",
        description="Run the model over several seeds and compare the seed means with the calibration "
        "targets: target, model value, tolerance, pass/fail and source.",
    )
    cal.add_argument("--check", action="store_true", help="exit with status 1 if any target fails")
    cal.add_argument(
        "--seeds",
        type=int,
        default=DEFAULT_SEEDS,
        help=f"replications (seeds 1..N) averaged per target (default {DEFAULT_SEEDS})",
    )
    cal.add_argument("--scenario", default="baseline", help="scenario name or TOML file (default: baseline)")
    cal.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="override a parameter (repeatable)"
    )
    cal.add_argument("--brief", action="store_true", help="print the table without the sources")
    cal.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``sovai calibrate``: print the calibration table; with ``--check``, fail when a target fails."""
    from analysis.calibration import evaluate, format_table
    from sim.params import parse_sets
    from sim.scenarios import load_scenario

    if args.seeds < 1:
        raise UserError(f"--seeds {args.seeds}: need at least one seed")
    overrides = load_scenario(args.scenario) | parse_sets(args.sets)
    if "quarters" in overrides:
        raise UserError("calibrate: the targets span FY2026–FY2035, so 'quarters' cannot be set")
    results = evaluate(overrides, seeds=args.seeds)
    print(f"Calibration of scenario {Path(args.scenario).stem!r}, {args.seeds} seed(s)")
    print(format_table(results, sources=not args.brief))
    failed = [r.target.name for r in results if r.status == "FAIL"]
    if args.check and failed:
        print(f"calibration check failed: {', '.join(failed)}")
        return 1
    return 0

"""``sovai validate``: the lever-by-lever validation table (analysis/validation.py).

Runs every lever's base and probe over common seeds on the sweep's pools, prints the table and,
with ``--out FILE.md``, writes the Markdown page and ``FILE.csv`` beside it. A file is overwritten
only if ``sovai validate`` wrote it (its first line says so); anything else is left alone.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from sim.errors import UserError

EPILOG = """examples:
  sovai validate                                   # 20 seeds, 2,000 agents, print the table
  sovai validate --seeds 20 --agents 2000 --out docs/validation.md
  sovai validate --levers budget_0,grid_x0.3 --seeds 8 --agents 500 --check
writes FILE.md and FILE.csv with --out; --check exits 1 if a pinned direction does not hold"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    from analysis.validation import DEFAULT_AGENTS, DEFAULT_MASTER_SEED, DEFAULT_SEEDS

    val = sub.add_parser(
        "validate",
        help="lever-by-lever probes paired on seeds, against the directions a domain expert expects",
        description="Move each policy lever and world condition one at a time from the baseline, pair every probe "
        "with its base run on the same seed, and report the mean paired effect at FY2030Q4 (and FY2035Q4) with a t "
        "interval, the direction expected and a verdict.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    val.add_argument(
        "--seeds",
        type=int,
        default=DEFAULT_SEEDS,
        help=f"seeds per parameter set, common to base and probe (default {DEFAULT_SEEDS})",
    )
    val.add_argument(
        "--agents", type=int, default=DEFAULT_AGENTS, help=f"user agents per run (default {DEFAULT_AGENTS:,})"
    )
    val.add_argument("--quarters", type=int, default=40, help="quarters per run, at least 20 (default 40)")
    val.add_argument("--seed", type=int, default=DEFAULT_MASTER_SEED, help="master seed (default %(default)s)")
    val.add_argument("--workers", type=int, help="worker processes (default: one per core; 1: in this process)")
    val.add_argument("--levers", metavar="NAMES", help="comma-separated levers to probe (default: all)")
    val.add_argument("--out", metavar="FILE.md", type=Path, help="write the page here and FILE.csv beside it")
    val.add_argument("--check", action="store_true", help="exit 1 if a pinned direction does not agree")
    val.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """``sovai validate``: run the probes, print the table, write the page and CSV."""
    from analysis.validation import AGREES, LEVERS, PROBES, markdown, text_table, validate

    if args.seeds < 2:
        raise UserError(f"--seeds {args.seeds}: need at least 2 seeds for a confidence interval")
    if args.quarters < 20:
        raise UserError(f"--quarters {args.quarters}: need at least 20 quarters to reach FY2030Q4")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: need at least 1")
    probes = PROBES
    if args.levers:
        wanted = [n.strip() for n in args.levers.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in LEVERS]
        if unknown or not wanted:
            raise UserError(
                f"--levers {args.levers!r}: unknown lever {unknown[0] if unknown else ''!r}; "
                f"levers: {', '.join(LEVERS)}"
            )
        probes = tuple(p for p in PROBES if p.lever in wanted)
    targets = _outputs(args.out) if args.out else ()
    for path in targets:
        _refuse_foreign(path)
    from sim.params import ParameterError

    try:
        result = validate(
            probes,
            seeds=args.seeds,
            agents=args.agents,
            quarters=args.quarters,
            master_seed=args.seed,
            workers=args.workers,
        )
    except ParameterError as err:
        raise UserError(f"--agents/--quarters: {err}") from None
    print(text_table(result))
    if targets:
        md, csv = targets
        command = command_line(args)
        from sim.outputs import write_file_atomically

        md.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomically(md, markdown(result, command=command, csv_name=csv.name))
        write_file_atomically(csv, result.table.to_csv(index=False))
        print(f"wrote {md} and {csv}")
    pinned = result.table[result.table["pinned"]]
    if args.check and (pinned["verdict"] != AGREES).any():
        print("validation check failed: " + ", ".join(pinned.loc[pinned["verdict"] != AGREES, "key"]))
        return 1
    return 0


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (every setting spelled out)."""
    parts = ["sovai", "validate", "--seeds", str(args.seeds), "--agents", str(args.agents)]
    parts += ["--quarters", str(args.quarters), "--seed", str(args.seed)]
    if args.levers:
        parts += ["--levers", args.levers]
    if args.out:
        parts += ["--out", str(args.out)]
    return shlex.join(parts)


def _outputs(out: Path) -> tuple[Path, Path]:
    if out.suffix != ".md":
        raise UserError(f"--out {str(out)!r}: give a Markdown file name ending in .md (the CSV goes beside it)")
    return out, out.with_suffix(".csv")


def _refuse_foreign(path: Path) -> None:
    """Refuse to overwrite a file that ``sovai validate`` did not write."""
    from analysis.validation import MARKER

    if not path.exists():
        return
    if path.is_dir():
        raise UserError(f"--out: {str(path)!r} is a folder; give a file name")
    try:
        with path.open(encoding="utf-8") as f:
            first = f.readline().rstrip("\n")
    except (OSError, UnicodeDecodeError):
        first = ""
    ours = first == MARKER if path.suffix == ".md" else first.startswith("key,lever,base,probe,outcome")
    if not ours:
        raise UserError(f"--out: {str(path)!r} exists and was not written by `sovai validate`; not overwriting it")

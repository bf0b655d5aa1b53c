"""Where a small run's work goes: instructions per Python function, counted by callgrind.

    python benchmarks/instructions.py                  # 2 runs at 100 users; ~2 minutes
    python benchmarks/instructions.py --total-only     # the exact total, for a before/after

The fixed cost of a run is spread over hundreds of small Python functions, where timings on a
shared machine are too noisy and cProfile's own cost per call distorts the small ones. Valgrind's
callgrind counts instructions instead, the same count for the same code whatever else runs. Python
3.12's perf trampolines (``sys.activate_stack_trampoline("perf")``) give every Python function its
own native stub, listed in ``/tmp/perf-<pid>.map``; callgrind counts each stub's inclusive cost, so
each Python function gets its exact inclusive instructions (its callees included; a recursive
function counts once). The stubs add ~11% to the total: ``--total-only`` runs without them and gives
the exact total to compare two versions of the code by.

Only the measured runs are counted: the child makes a warm-up run first (imports, caches) and
calls ``os.getppid()`` before and after the runs, where callgrind dumps its counters.
"""

from __future__ import annotations

import argparse
import bisect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

THIS = Path(__file__).resolve()
#: A line of ``callgrind_annotate --inclusive=yes`` for a function with no symbol: its cost and address.
_UNNAMED = re.compile(r"^\s*([\d,]+) .*\?\?\?:0x([0-9a-f]+)")
_TOTAL = re.compile(r"^\s*([\d,]+) .*PROGRAM TOTALS")


@dataclass(frozen=True)
class Stub:
    """A perf trampoline: where it starts, how long it is, and the Python function it runs."""

    start: int
    size: int
    function: str


def read_perf_map(path: Path) -> list[Stub]:
    """The trampolines of a ``perf-<pid>.map`` file (``start size py::qualname:file``), sorted by start."""
    stubs = []
    for line in path.read_text().splitlines():
        start, size, name = line.split(" ", 2)
        stubs.append(Stub(int(start, 16), int(size, 16), name.removeprefix("py::")))
    return sorted(stubs, key=lambda s: s.start)


def attribute(annotated: str, stubs: list[Stub]) -> tuple[int, dict[str, int]]:
    """The total and each Python function's inclusive instructions, from ``callgrind_annotate`` output.

    Args:
        annotated: The text ``callgrind_annotate --inclusive=yes`` printed.
        stubs: The trampolines of the same process (:func:`read_perf_map`).

    Returns:
        The program's total, and each function's inclusive count (a function called through more
        than one stub, as happens for a code object seen twice, keeps its largest).
    """
    starts = [s.start for s in stubs]
    total, by_function = 0, {}
    for line in annotated.splitlines():
        if not total and (m := _TOTAL.match(line)):
            total = int(m.group(1).replace(",", ""))
        if not (m := _UNNAMED.match(line)):
            continue
        count, address = int(m.group(1).replace(",", "")), int(m.group(2), 16)
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < stubs[i].start + stubs[i].size:
            name = stubs[i].function
            by_function[name] = max(by_function.get(name, 0), count)
    return total, by_function


def child(users: int, runs: int, quarters: int, stubs: bool) -> None:
    """The measured process (under callgrind): a warm-up run, then ``runs`` runs between two dumps."""
    if stubs:
        sys.activate_stack_trampoline("perf")
    import sim

    sim.run({"n_user_agents": users}, seed=0, quarters=quarters)
    os.getppid()  # callgrind dumps the warm-up here
    for seed in range(1, runs + 1):
        sim.run({"n_user_agents": users}, seed=seed, quarters=quarters)
    os.getppid()  # ... and the measured runs here
    print(os.getpid())


def count_instructions(program: list[str]) -> tuple[int, dict[str, int]]:
    """Run the Python command ``program`` under callgrind; count what it did between its two ``os.getppid()``.

    The program prints its process id last. If it activated the perf trampolines, each Python
    function gets its inclusive count (:func:`attribute`); its ``perf-<pid>.map`` is removed after.

    Raises:
        subprocess.CalledProcessError: The program failed under valgrind (its stderr is on the error).
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        # Hash randomisation changes the order of sets and dicts of text, and with it the count.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--dump-before=getppid", f"--callgrind-out-file={out}", *program],
            capture_output=True,
            text=True,
            env=env,
            cwd=common.ROOT,
            check=True,
        )
        perf_map = Path(f"/tmp/perf-{int(done.stdout.split()[-1])}.map")
        try:
            annotated = subprocess.run(
                ["callgrind_annotate", "--inclusive=yes", "--threshold=100", f"{out}.2"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            return attribute(annotated, read_perf_map(perf_map) if perf_map.exists() else [])
        finally:
            perf_map.unlink(missing_ok=True)  # the program's, written by Python's trampolines


def main() -> None:
    """Measure, print the table, write the JSON record."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=4, metavar=("USERS", "RUNS", "QUARTERS", "STUBS"), help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=100, help="users per run")
    parser.add_argument("--runs", type=int, default=2, help="runs counted, after a warm-up run")
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--top", type=int, default=60, help="functions listed")
    parser.add_argument("--total-only", action="store_true", help="no trampolines: the exact total only")
    parser.add_argument("--json", default="results/bench/instructions.json", help="where to write the record")
    args = parser.parse_args()
    if args.child:
        users, runs, quarters, stubs = (int(x) for x in args.child)
        child(users, runs, quarters, bool(stubs))
        return
    for name, value in (("--users", args.users), ("--runs", args.runs), ("--quarters", args.quarters)):
        if value < 1:
            parser.error(f"argument {name}: {value} is below the least allowed, 1")
    from sim.params import ParameterError, resolve

    try:  # here, not minutes later under valgrind
        resolve({"n_user_agents": args.users, "quarters": args.quarters})
    except ParameterError as err:
        parser.error(str(err))
    missing = [tool for tool in ("valgrind", "callgrind_annotate") if shutil.which(tool) is None]
    if missing:
        sys.exit(
            f"instructions: {' and '.join(missing)} not found: install valgrind (Debian: apt-get install valgrind)"
        )
    if sys.version_info < (3, 12) and not args.total_only:
        sys.exit("instructions: per-function counts need Python 3.12's perf trampolines (or pass --total-only)")

    started, load_before = time.perf_counter(), common.load()
    child_args = [str(args.users), str(args.runs), str(args.quarters), "0" if args.total_only else "1"]
    try:
        total, by_function = count_instructions([sys.executable, str(THIS), "--child", *child_args])
    except subprocess.CalledProcessError as err:
        sys.exit(f"instructions: the measured process failed under valgrind:\n{(err.stderr or '')[-2000:]}")
    per_run = total / args.runs
    counted = f"{args.runs} run{'s' if args.runs > 1 else ''} counted"
    stubs = "" if args.total_only else ", with perf trampolines: ~11% over the plain total"
    print(f"# instructions per run ({args.users} users x {args.quarters} quarters, {counted}{stubs})\n")
    print(f"total: {per_run / 1e6:.2f}M instructions a run\n")
    rows = []
    for name, count in sorted(by_function.items(), key=lambda kv: -kv[1])[: args.top]:
        function, _, path = name.partition(":")
        rows.append([function, Path(path).name, f"{count / args.runs / 1e6:.2f}", f"{100 * count / total:.1f}%"])
    if rows:
        print(common.table(["function", "file", "M instructions a run (inclusive)", "share"], rows))
    results = {
        "users": args.users,
        "runs": args.runs,
        "quarters": args.quarters,
        "trampolines": not args.total_only,
        "instructions_per_run": per_run,
        "functions": {name: count / args.runs for name, count in by_function.items()},
    }
    path = common.write_record(args.json, "instructions", results, started, load_before)
    print(f"\nrecord: {path}")


if __name__ == "__main__":
    main()

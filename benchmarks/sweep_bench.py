"""Sweep engine benchmark: per-run overhead, and the speed-up of 2 workers over 1.

    python benchmarks/sweep_bench.py            # about 2 minutes on 2 cores
    python benchmarks/sweep_bench.py --quick    # smaller, about 30 s
    python benchmarks/sweep_bench.py --real     # also the built-in model (adds about 2 minutes)
    python benchmarks/sweep_bench.py --tiny --real   # a few seconds: checks the script still works

1. Engine overhead: a model that does nothing, run N times; overhead per run = (wall time - time
   inside the model) / N, for the in-process pool (with and without the per-run time limit, which
   runs each run in a thread) and for a 2-worker LocalCluster (target ≤ 5 ms).
2. Scaling: a CPU-bound model (a pure-Python loop of about ``--cpu-ms`` ms) on 1 worker (in
   process) and on a 2-worker LocalCluster (target ≥ 1.8x when the machine is otherwise idle).
   The cluster's start-up (about 1-3 s) is included in its wall time, so the speed-up is a lower bound;
   for the built-in model it is also timed alone (a 2-run sweep) and the speed-up given without it.
   A "hardware ceiling" row first runs the same function in 1 and in 2 bare processes (no sweep
   engine): the best speed-up the machine offers at that moment.
The load average before each measurement is printed: other work on the machine lowers the speed-up.
The tables and the machine (versions, command) are also written as JSON to ``--json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

THIS = Path(__file__).resolve()


def trivial(*, seed: int, **params: float) -> dict[str, float]:
    """A model that does nothing: what remains is the engine's own cost."""
    return {"y": 0.0}


def cpu_bound(*, seed: int, x: float = 0.0, ms: float = 50.0, **params: float) -> dict[str, float]:
    """About ``ms`` milliseconds of pure-Python arithmetic (holds the GIL, so only processes scale)."""
    total, i = 0.0, 0
    n = int(ms * 12_000)  # ~12k iterations per ms on a 2020s core; only the ratio 1 vs 2 workers matters
    while i < n:
        total += (i % 7) * x
        i += 1
    return {"y": total}


def _experiment(
    folder: Path, name: str, runs: int, outputs: str = '["y"]', parameter: str = "x", extra: str = ""
) -> Path:
    """An LHS experiment file of ``runs`` runs over one parameter on [0, 1]."""
    path = folder / f"{name}.toml"
    path.write_text(
        f"[experiment]\ndesign = 'lhs'\nsamples = {runs}\nseed = 1\noutputs = {outputs}\n{extra}\n"
        f"[parameters.{parameter}]\nlow = 0\nhigh = 1\n"
    )
    return path


def _sweep(
    path: Path, out: Path, model: str, workers: int, run_timeout: float | None = None
) -> tuple[float, float, int]:
    """Run a sweep; return (wall seconds, seconds inside the model, runs)."""
    import experiments
    from experiments.sweep import SweepOptions, run_sweep

    start = time.perf_counter()
    summary = run_sweep(
        path,
        SweepOptions(
            out=out,
            workers=workers,
            model=model,
            fresh=True,
            progress=False,
            echo=lambda message: None,
            run_timeout=run_timeout,
        ),
    )
    wall = time.perf_counter() - start
    inside = float(experiments.load(out)["elapsed_s"].sum())
    return wall, inside, summary.ok + summary.failed


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def overhead(folder: Path, runs: int) -> list[str]:
    """Rows of the overhead table."""
    path = _experiment(folder, "trivial", runs)
    rows = []
    # The per-run time limit runs each run in a thread of its own; 0 switches it off, to show its cost.
    for workers, limit in ((1, None), (1, 0.0), (2, None)):
        load = _load()
        wall, inside, n = _sweep(path, folder / f"trivial-{workers}-{limit}", f"{THIS}:trivial", workers, limit)
        per_run_ms = (wall - inside) / n * 1000
        pool = "in-process" if workers == 1 else "LocalCluster, 2 workers (start-up included)"
        pool += ", no run time limit" if limit == 0 else ""
        rows.append(f"| trivial model, {pool} | {n} | {wall:.2f} s | {per_run_ms:.3f} ms | {load} |")
    return rows


def scaling(folder: Path, path: Path, model: str, label: str, startup_path: Path | None = None) -> list[str]:
    """Rows of the scaling table for one model.

    With ``startup_path`` (a sweep of 2 runs) it also times the cluster's start-up alone, and gives the
    speed-up without it: what a sweep long enough for the start-up not to count would reach.
    """
    walls = {}
    rows = []
    for workers in (1, 2):
        load = _load()
        wall, inside, n = _sweep(path, folder / f"{label}-{workers}", model, workers)
        walls[workers] = wall
        pool = "1 worker (in-process)" if workers == 1 else "2 workers (LocalCluster)"
        rows.append(f"| {label}, {pool} | {n} | {wall:.1f} s | {inside / n * 1000:.1f} ms | {load} |")
    rows.append(f"| **speed-up 2 vs 1 workers** | | **{walls[1] / walls[2]:.2f}x** | | |")
    if startup_path is not None:
        load = _load()
        startup, inside, n = _sweep(startup_path, folder / f"{label}-startup", model, 2)
        rows.append(f"| {label}, 2 workers' start-up (a {n}-run sweep) | {n} | {startup:.1f} s | | {load} |")
        rest = walls[2] - startup
        speedup = f"{walls[1] / rest:.2f}x" if rest > 0 else "n/a (the sweep is shorter than the start-up)"
        rows.append(f"| speed-up 2 vs 1 workers, start-up excluded | | {speedup} | | |")
    return rows


def _burn(calls: int, ms: float) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        cpu_bound(seed=0, x=0.5, ms=ms)
    return time.perf_counter() - start


def ceiling(calls: int, ms: float) -> list[str]:
    """The machine's own limit: the same work in 1 and in 2 bare processes, no sweep engine."""
    from concurrent.futures import ProcessPoolExecutor

    load = _load()
    one = _burn(calls, ms)
    with ProcessPoolExecutor(2) as pool:
        start = time.perf_counter()
        list(pool.map(_burn, [calls // 2] * 2, [ms] * 2))
        two = time.perf_counter() - start
    return [
        f"| hardware ceiling: {calls} calls in 1 vs 2 bare processes | {calls} | {one:.1f} s vs {two:.1f} s | "
        f"**{one / two:.2f}x** | {load} |"
    ]


def main() -> None:
    """Run the benchmarks, print markdown tables and write the JSON record."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--tiny", action="store_true", help="a handful of runs: only checks that the script works")
    parser.add_argument("--real", action="store_true", help="also sweep the built-in model")
    parser.add_argument(
        "--real-runs", type=int, default=1000, help="runs of the built-in model (1,000: about a minute on 1 worker)"
    )
    parser.add_argument("--real-users", type=int, default=None, help="n_user_agents of the built-in model")
    parser.add_argument("--cpu-ms", type=float, default=50.0, help="work per run of the CPU-bound model")
    parser.add_argument("--json", default="results/bench/sweep_bench.json", help="where to write the record")
    args = parser.parse_args()
    trivial_runs = 50 if args.tiny else 5_000 if args.quick else 20_000
    cpu_runs = 8 if args.tiny else 200 if args.quick else 800
    cpu_ms = 5.0 if args.tiny else args.cpu_ms
    real_runs = 4 if args.tiny else args.real_runs
    real_users = 200 if args.tiny and args.real_users is None else args.real_users
    started, load_before = time.perf_counter(), common.load()
    tables: dict[str, list[str]] = {"overhead": [], "scaling": []}
    print(f"# sweep benchmark on {os.cpu_count()} cores ({time.strftime('%Y-%m-%d %H:%M')})\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("| engine overhead | runs | wall | overhead per run | load avg |")
        print("|---|---|---|---|---|")
        for row in overhead(folder, trivial_runs):
            tables["overhead"].append(row)
            print(row, flush=True)
        print("\n| scaling | runs | wall | model time per run | load avg |")
        print("|---|---|---|---|---|")
        rows = ceiling(cpu_runs // 4, cpu_ms)
        cpu = _experiment(folder, "cpu", cpu_runs, extra=f"[constants]\nms = {cpu_ms}")
        rows += scaling(folder, cpu, f"{THIS}:cpu_bound", f"CPU-bound model ({cpu_ms:g} ms)")
        for row in rows:
            print(row, flush=True)
        if args.real:
            users = "" if real_users is None else f"[constants]\nn_user_agents = {real_users}"
            real, startup = (
                _experiment(
                    folder, name, runs, outputs='["domestic_share_final"]', parameter="sovereignty_rule", extra=users
                )
                for name, runs in (("real", real_runs), ("startup", 2))
            )
            label = f"sovai baseline ({'default' if real_users is None else f'{real_users:,}'} users)"
            for row in scaling(folder, real, "sovai", label, startup):
                rows.append(row)
                print(row, flush=True)
        tables["scaling"] = rows
    path = common.write_record(args.json, "sweep_bench", tables, started, load_before)
    print(f"\nrecord: {path}")


if __name__ == "__main__":
    main()

"""The levers Sobol' study end to end: `sovai sweep` then `sovai sensitivity` (`make bench-sobol`).

    python benchmarks/sobol_bench.py                # 5,120 runs; minutes to a quarter of an hour
    python benchmarks/sobol_bench.py --samples 4 --users 100   # seconds: checks the script works

Runs experiments/levers_sobol.toml as shipped (N = 256, 2 replications: 10 x 256 x 2 = 5,120 runs
at 2,000 users) on a local cluster with ``--workers`` processes, into a temporary folder, then its
sensitivity analysis. Prints the wall time of each part, the time spent inside the model (summed
over runs), the CPU time of the sweep's processes and the load average; writes a JSON record to
``--json``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

STUDY = common.ROOT / "experiments" / "levers_sobol.toml"


def study_file(folder: Path, samples: int | None, users: int | None) -> Path:
    """The study's experiment file, with N and the population changed when asked."""
    text = STUDY.read_text()
    for key, value in (("samples", samples), ("n_user_agents", users)):
        if value is not None:
            text, found = re.subn(rf"^{key} = \d+", f"{key} = {value}", text, count=1, flags=re.M)
            if not found:
                raise SystemExit(f"{STUDY}: no line '{key} = ...' to change")
    path = folder / STUDY.name
    path.write_text(text)
    return path


def _timed(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return its wall time and the CPU time of it and every process it started (s).

    The CPU is read from the process tree every 0.2 s (the sweep's workers live as long as it does;
    a process that ends between two readings loses its last 0.2 s), so it says how much of the
    machine the study got: a wall time well above CPU / cores means other work took the cores.
    """
    import psutil

    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, cwd=common.ROOT, stdout=subprocess.DEVNULL, stderr=err, text=True)
        root, cpu = psutil.Process(proc.pid), {}
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for p in tree:
                try:
                    times = p.cpu_times()
                    cpu[p.pid] = times.user + times.system  # not its children's: they are read themselves
                except psutil.Error:  # gone between the listing and the reading
                    pass
            time.sleep(0.2)
        wall = time.perf_counter() - start
        if proc.wait() != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{err.read()[-3000:]}")
    return wall, sum(cpu.values())


def main() -> None:
    """Run the study, print the times and write the record."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=None, help="Sobol' N (default: the file's, 256)")
    parser.add_argument("--users", type=int, default=None, help="n_user_agents (default: the file's, 2,000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", default="results/bench/sobol_bench.json", help="where to write the record")
    args = parser.parse_args()
    import experiments

    sovai = str(Path(sys.executable).with_name("sovai"))
    started, load_before = time.perf_counter(), common.load()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, out = study_file(folder, args.samples, args.users), folder / "levers-sobol"
        sweep_s, sweep_cpu = _timed([sovai, "sweep", str(path), "--out", str(out), "--workers", str(args.workers)])
        load_mid = common.load()
        print(f"sweep: {sweep_s:.1f} s wall (load before {load_before})", flush=True)  # kept if the analysis fails
        analysis_s, _ = _timed([sovai, "sensitivity", str(out), "--no-figures"])
        runs = experiments.load(out)
        model_s = float(runs["elapsed_s"].sum())
        n_runs = len(runs)
    total = sweep_s + analysis_s
    results = {
        "runs": n_runs,
        "workers": args.workers,
        "sweep_wall_s": sweep_s,
        "sensitivity_wall_s": analysis_s,
        "total_wall_s": total,
        "model_s_summed": model_s,
        "sweep_cpu_s": sweep_cpu,
        "cores": common.machine()["cores"],
        "load_before": load_before,
        "load_after_sweep": load_mid,
    }
    print(f"# levers Sobol' study, {n_runs:,} runs, {args.workers} workers ({time.strftime('%Y-%m-%d %H:%M')})\n")
    print(
        common.table(
            ["part", "wall", "load avg before"],
            [
                ["sweep (`sovai sweep`)", f"{sweep_s:.1f} s", load_before],
                ["sensitivity (`sovai sensitivity --no-figures`)", f"{analysis_s:.1f} s", load_mid],
                ["**end to end** (goal <= 120 s on 2 idle cores)", f"**{total:.1f} s**", ""],
            ],
        )
    )
    print(
        f"\nInside the model: {model_s:.1f} s summed over runs ({model_s / n_runs * 1000:.1f} ms a run), "
        f"{model_s / (args.workers * sweep_s):.0%} of the workers' time in the sweep"
    )
    cores = results["cores"]
    print(
        f"CPU of the sweep's processes (driver, scheduler, workers): {sweep_cpu:.1f} s "
        f"({sweep_cpu / n_runs * 1000:.1f} ms a run), {sweep_cpu / (cores * sweep_s):.0%} of the "
        f"{cores} cores over its wall time"
    )
    record = common.write_record(args.json, "sobol_bench", results, started, load_before)
    print(f"\nrecord: {record}")


if __name__ == "__main__":
    main()

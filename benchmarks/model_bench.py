"""Model benchmark: the full model against per-agent Mesa and a numpy kernel of its user rule.

    python benchmarks/model_bench.py                    # 5k-1M users; about 5 minutes on 2 cores
    python benchmarks/model_bench.py --sizes 5000 50000 --large   # skip 500k and 1M

1. Side by side, at each size of ``--sizes`` (default 5,000 and 50,000 users), ``--repeats``
   rounds of: the full model (construction and 40 quarters, records included), the same
   adoption and provider-choice rule as idiomatic per-agent Mesa, and as a numpy kernel
   (benchmarks/user_rule.py). The three alternate, so load on the machine falls on all three alike;
   ratios are taken round by round on CPU time and summarised by their median.
2. Scale: the full model (and the numpy kernel) ``--large-repeats`` times at each of ``--large``
   (default 500,000 and 1,000,000 users), with peak memory.
3. Fixed cost: ``--fixed-blocks`` blocks of ``--fixed-runs`` runs of ``sim.run`` (what a sweep calls
   for each run: the model, its records and its outcomes) at 100 users x 40 quarters, each block in
   one process after a warm-up run: what every run of a sweep pays whatever its size.

Absolute times (the fixed cost, and the scale ratio, whose two sizes are not measured side by side)
are judged, as ``timeit`` judges its repeats, by the fastest: what else runs on the machine only
ever adds time, and on a shared host the speed of a whole block can swing by half (30 Nov: blocks
of the same 20 runs took 20.4 to 35.6 ms a run). Every block's figure is printed beside it.

Every measurement but the fixed cost runs in its own process (peak memory is that process's).
Times are printed, never judged; the load average is printed beside them. A JSON record (machine,
versions, command, every measurement) goes to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

THIS = Path(__file__).resolve()
IMPLEMENTATIONS = ("model", "mesa", "numpy")
LABELS = {
    "model": "full model",
    "run": "sim.run",
    "mesa": "user rule, per-agent Mesa",
    "numpy": "user rule, numpy kernel",
}


def child(impl: str, n: int, seed: int, quarters: int, runs: int) -> dict[str, float]:
    """One measurement in this (fresh) process: ``runs`` runs of ``impl`` at ``n`` users."""
    import user_rule

    import sim
    from sim.model import SovereignAIModel
    from sim.single_run import scalar_outcomes

    base = common.peak_rss_mb()
    setting = user_rule.setting(n, seed) if impl in ("mesa", "numpy") else None
    if impl in ("model", "run"):  # one warm-up run, so the fixed cost excludes first-call imports and caches
        sim.run({"n_user_agents": n}, seed=seed, quarters=quarters)
    walls, cpus, constructs, outcome = [], [], [], 0.0
    for r in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        if impl == "model":
            model = SovereignAIModel(rng=seed + r, n_user_agents=n, quarters=quarters)
            constructs.append(time.process_time() - cpu)
            model.run_for(quarters)
            outcome = scalar_outcomes(model.datacollector.get_model_vars_dataframe())["adoption_rate_final"]
            del model
        elif impl == "run":
            outcome = sim.run({"n_user_agents": n}, seed=seed + r, quarters=quarters)["adoption_rate_final"]
        elif impl == "mesa":
            outcome = user_rule.mesa_users(setting, seed + r, quarters)
        else:
            outcome = user_rule.numpy_kernel(setting, seed + r, quarters)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return {
        "cpu_s": statistics.median(cpus),
        "wall_s": statistics.median(walls),
        "construct_cpu_s": statistics.median(constructs) if constructs else None,
        "peak_rss_mb": common.peak_rss_mb(),
        "import_rss_mb": base,
        "adoption_rate_final": outcome,
    }


def measure(impl: str, n: int, seed: int, quarters: int, runs: int = 1) -> dict[str, float]:
    """Run :func:`child` in a fresh process; add the load average and the set-up."""
    load = common.load()
    out = common.in_child(THIS, impl, str(n), str(seed), str(quarters), str(runs))
    return {"impl": impl, "users": n, "quarters": quarters, "runs": runs, "load": load, **out}


def _fmt(x: float | None, digits: int = 3) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def _at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer no smaller than ``minimum``."""

    def integer(text: str) -> int:
        value = int(text)  # not a number: argparse says "invalid integer value"
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the least allowed, {minimum}")
        return value

    return integer


def main() -> None:
    """Run the benchmark, print the tables, write the JSON record."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=5, metavar=("IMPL", "N", "SEED", "QUARTERS", "RUNS"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="*", default=[5_000, 50_000], help="users, side by side")
    parser.add_argument("--large", type=int, nargs="*", default=[500_000, 1_000_000], help="users, model only")
    parser.add_argument("--repeats", type=_at_least(1), default=3, help="rounds side by side")
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--large-repeats", type=_at_least(1), default=2, help="measurements at each large size")
    parser.add_argument(
        "--fixed-runs", type=_at_least(0), default=20, help="runs at 100 users per block of the fixed cost (0: none)"
    )
    parser.add_argument("--fixed-blocks", type=_at_least(1), default=5, help="blocks of the fixed cost's runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default="results/bench/model_bench.json", help="where to write the record")
    args = parser.parse_args()
    if args.child:
        impl, n, seed, quarters, runs = args.child
        print(json.dumps(child(impl, int(n), int(seed), int(quarters), int(runs))))
        return

    started, load_before = time.perf_counter(), common.load()
    print(f"# model benchmark ({time.strftime('%Y-%m-%d %H:%M')}, {common.machine()['cores']} cores)\n", flush=True)
    side: list[dict] = []
    for n in args.sizes:
        for r in range(args.repeats):
            for impl in IMPLEMENTATIONS:
                side.append({**measure(impl, n, args.seed + r, args.quarters), "round": r})
                print(f"  {n:>9,} users, round {r + 1}: {impl:<5} {side[-1]['cpu_s']:.3f} s", flush=True)
    large = [
        {**measure(impl, n, args.seed, args.quarters), "round": r}
        for n in args.large
        for r in range(args.large_repeats)
        for impl in ("model", "numpy")
    ]
    fixed = None
    if args.fixed_runs:
        blocks = [measure("run", 100, args.seed, args.quarters, args.fixed_runs) for _ in range(args.fixed_blocks)]
        fixed = {**min(blocks, key=lambda b: b["cpu_s"]), "blocks": blocks}

    rows = []
    for m in [*side, *large]:
        rows.append(
            [
                f"{m['users']:,}",
                LABELS[m["impl"]],
                m.get("round", 0) + 1,
                _fmt(m["cpu_s"]),
                _fmt(m["wall_s"]),
                _fmt(m["construct_cpu_s"]),
                f"{m['peak_rss_mb']:.0f}",
                _fmt(m["adoption_rate_final"]),
                m["load"],
            ]
        )
    header = ["users", "implementation", "round", "CPU s", "wall s", "construction CPU s", "peak MB", "adoption"]
    print(common.table([*header, "load"], rows))

    ratios = {}
    ratio_rows = []
    for n in args.sizes:
        per_round = {
            impl: [m["cpu_s"] for m in side if m["users"] == n and m["impl"] == impl] for impl in IMPLEMENTATIONS
        }
        mesa_x = [a / b for a, b in zip(per_round["mesa"], per_round["model"], strict=True)]
        numpy_x = [a / b for a, b in zip(per_round["model"], per_round["numpy"], strict=True)]
        ratios[n] = {"mesa_over_model": statistics.median(mesa_x), "model_over_numpy": statistics.median(numpy_x)}
        ratio_rows.append(
            [
                f"{n:,}",
                f"**{ratios[n]['mesa_over_model']:.1f}x** ({min(mesa_x):.1f}-{max(mesa_x):.1f})",
                f"**{ratios[n]['model_over_numpy']:.1f}x** ({min(numpy_x):.1f}-{max(numpy_x):.1f})",
            ]
        )
    print("\nRatios of CPU time, median of the rounds (range):\n")
    print(
        common.table(
            ["users", "per-agent Mesa / model (goal >= 20x at 50k)", "model / numpy kernel (goal <= 5x)"], ratio_rows
        )
    )

    # The two sizes of the scale ratio are measured minutes apart: each is its fastest measurement.
    model_cpu: dict[int, float] = {}
    for m in [*side, *large]:
        if m["impl"] == "model":
            model_cpu[m["users"]] = min(model_cpu.get(m["users"], m["cpu_s"]), m["cpu_s"])
    scale = []
    if 50_000 in model_cpu:
        for n in args.large:
            scale.append([f"{n:,}", f"{model_cpu[n] / model_cpu[50_000]:.1f}x", f"{n / 50_000:.0f}x"])
        if scale:
            print(
                "\nScale (full model, fastest CPU time against 50,000 users' fastest; "
                "goal at 1M: <= 22x, peak < 1.5 GB):\n"
            )
            print(common.table(["users", "time / time at 50k", "users / 50k"], scale))
    if fixed:
        each = ", ".join(f"{b['cpu_s'] * 1000:.1f}" for b in fixed["blocks"])
        print(
            f"\nFixed cost: {fixed['cpu_s'] * 1000:.1f} ms CPU per sim.run at 100 users x {args.quarters} quarters "
            f"(the fastest of {args.fixed_blocks} blocks' medians of {args.fixed_runs} runs; goal <= 20 ms); "
            f"every block: {each} ms; load {fixed['load']}"
        )
    path = common.write_record(
        args.json,
        "model_bench",
        {"side_by_side": side, "large": large, "fixed": fixed, "ratios": {str(k): v for k, v in ratios.items()}},
        started,
        load_before,
    )
    print(f"\nrecord: {path}")


if __name__ == "__main__":
    main()

"""Every benchmark script runs at a tiny size, so `make bench` cannot rot between measurements.

Only that the scripts finish and record what they measured is checked; their times are not judged.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MACHINE_KEYS = {"cpu", "cores", "memory_gb", "python", "versions", "git_commit"}


def _run(script, tmp_path, *args):
    record = tmp_path / f"{script}.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args, "--json", str(record)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # generous: on a loaded shared machine a tiny run can take minutes
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(record.read_text())
    assert MACHINE_KEYS <= set(data["machine"]) and data["machine"]["versions"]["mesa"]
    assert script in data["command"] and data["load_before"] >= 0
    return done.stdout, data["results"]


def test_model_bench(tmp_path):
    out, results = _run(
        "model_bench.py",
        tmp_path,
        "--sizes",
        "300",
        "--large",
        "400",
        "--repeats",
        "1",
        "--quarters",
        "3",
        "--fixed-runs",
        "2",
        "--fixed-blocks",
        "2",
        "--large-repeats",
        "2",
    )
    impls = [(m["impl"], m["users"], m["round"]) for m in results["side_by_side"]]
    assert impls == [("model", 300, 0), ("mesa", 300, 0), ("numpy", 300, 0)]  # side by side, one round
    large = sorted((m["impl"], m["users"], m["round"]) for m in results["large"])
    assert large == [("model", 400, 0), ("model", 400, 1), ("numpy", 400, 0), ("numpy", 400, 1)]
    for m in [*results["side_by_side"], *results["large"], results["fixed"]]:
        assert m["cpu_s"] > 0 and m["peak_rss_mb"] >= m["import_rss_mb"] > 0 and 0 <= m["adoption_rate_final"] <= 1
    assert results["fixed"]["users"] == 100 and results["fixed"]["runs"] == 2
    assert results["fixed"]["impl"] == "run"  # the fixed cost is what a sweep pays: sim.run
    # Judged by the fastest block (what else runs only adds time), every block kept beside it.
    blocks = results["fixed"]["blocks"]
    assert len(blocks) == 2 and results["fixed"]["cpu_s"] == min(b["cpu_s"] for b in blocks)
    assert set(results["ratios"]["300"]) == {"mesa_over_model", "model_over_numpy"}
    assert "per-agent Mesa / model" in out and "Fixed cost" in out


def test_model_bench_can_skip_the_fixed_cost(tmp_path):
    out, results = _run("model_bench.py", tmp_path, "--sizes", "--large", "--fixed-runs", "0")
    assert results["fixed"] is None and "Fixed cost" not in out


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--repeats", "0"),
        ("--fixed-runs", "-1"),
        ("--fixed-runs", "x"),
        ("--fixed-blocks", "0"),
        ("--large-repeats", "0"),
    ],
)
def test_model_bench_refuses_bad_counts(tmp_path, option, value):
    record = tmp_path / "never.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "model_bench.py"), option, value, "--json", str(record)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and f"argument {option}" in done.stderr and value in done.stderr
    assert "Traceback" not in done.stderr and not record.exists()


def test_user_rule_yardsticks_agree():
    """The per-agent Mesa version and the numpy kernel run the same rule: their adoption agrees."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import user_rule
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    setting = user_rule.setting(3000, 1)
    mesa = [user_rule.mesa_users(setting, seed, 20) for seed in (1, 2)]
    kernel = [user_rule.numpy_kernel(setting, seed, 20) for seed in (1, 2)]
    start = user_rule.numpy_kernel(setting, 1, 0)
    assert sum(mesa) / 2 == pytest.approx(sum(kernel) / 2, abs=0.02)
    assert min(mesa) > start + 0.1  # adoption spreads in both


def test_sweep_bench(tmp_path):
    out, results = _run("sweep_bench.py", tmp_path, "--tiny", "--real")
    assert len(results["overhead"]) >= 2 and any("sovai baseline" in row for row in results["scaling"])
    assert "speed-up 2 vs 1 workers" in out


def test_sobol_bench(tmp_path):
    out, results = _run("sobol_bench.py", tmp_path, "--samples", "2", "--users", "60", "--workers", "1")
    assert results["runs"] == 10 * 2 * 2  # (2D + 2) N runs, D = 4 factors, 2 replications
    assert results["total_wall_s"] >= results["sweep_wall_s"] > 0 and results["model_s_summed"] > 0
    assert results["sweep_cpu_s"] > 0 and results["cores"] >= 1  # the CPU the sweep's processes used
    assert "end to end" in out

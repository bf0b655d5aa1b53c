import subprocess
import sys
import tomllib

import pandas as pd
import pytest

import sim
from sim.scenarios import list_scenarios
from sovai.cli import main

REQUIRED = {
    "baseline",
    "no_policy",
    "double_budget",
    "gpu_shock",
    "power_crunch",
    "foreign_outage",
    "cheap_foreign",
    "strong_sovereignty",
    "bass_check",
}


def test_required_scenarios_ship_with_descriptions():
    scenarios = list_scenarios()
    assert REQUIRED <= set(scenarios)
    assert all(desc for desc in scenarios.values())


@pytest.mark.parametrize("name", sorted(list_scenarios()))
def test_every_scenario_runs(name):
    r = sim.run({**sim.load_scenario(name), "n_user_agents": 300}, seed=2, quarters=8)
    assert len(r["timeseries"]) == 8 and 0 <= r["adoption_rate_final"] <= 1


def test_run_writes_outputs_and_reproduces_from_params(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--set", "n_user_agents=300", "--quarters", "8", "--seed", "9", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "digital deficit, AI part" in printed and "no policy" in printed
    for name in ("timeseries.parquet", "timeseries.csv", "params.toml"):
        assert (out / name).is_file()
    assert len(list((out / "figures").glob("*.png"))) == 5
    params = tomllib.loads((out / "params.toml").read_text())
    assert params["seed"] == 9 and params["parameters"]["n_user_agents"] == 300
    again = tmp_path / "again"
    assert main(["run", "--params", str(out / "params.toml"), "--out", str(again), "--no-figures"]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "timeseries.parquet"), pd.read_parquet(again / "timeseries.parquet")
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "budget_totl_jpy_bn=5"], "did you mean budget_total_jpy_bn"),
        (["--set", "sovereignty_rule=2"], "out of range; allowed: 0 to 1"),
        (["--set", "share_data=0.5"], "shares must sum to 1"),
        (["--set", "oops"], "expected KEY=VALUE"),
        (["--scenario", "nope"], "unknown scenario 'nope'"),
    ],
)
def test_bad_input_one_message_exit_2_nothing_written(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier work")
    assert main(["run", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_malformed_and_bad_scenario_files_name_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\n[parameters]\nbudget_total_jpy_bn = 5\nbass_qq = 0.3\n')
    assert main(["run", "--scenario", str(bad)]) == 2
    assert f"{bad}:4: unknown parameter 'bass_qq'" in capsys.readouterr().err
    broken = tmp_path / "broken.toml"
    broken.write_text('description = "x"\n[parameters\n')
    assert main(["run", "--scenario", str(broken)]) == 2
    assert "malformed TOML" in capsys.readouterr().err and "line 2" in capsys.readouterr().err + "line 2"


def test_console_script_scenarios_and_params():
    done = subprocess.run([sys.executable, "-m", "sovai", "scenarios"], capture_output=True, text=True)
    assert done.returncode == 0 and "bass_check" in done.stdout
    done = subprocess.run([sys.executable, "-m", "sovai", "params"], capture_output=True, text=True)
    assert done.returncode == 0 and "budget_total_jpy_bn" in done.stdout and "source:" in done.stdout

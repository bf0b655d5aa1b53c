"""Sweeps of the built-in model (small population, few quarters) and the shipped experiment files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

import experiments
import sim
from experiments.design import build_design
from experiments.spec import load_experiment
from sim.params import SHARE_NAMES

ROOT = Path(__file__).resolve().parents[2]
SMALL = """
[experiment]
name = "small"
scenario = "{scenario}"
design = "lhs"
samples = 4
replications = 2
seed = 3
outputs = ["domestic_share_final", "budget_spent_jpy_bn_final", "digital_deficit_ai_jpy_bn_final"]
timeseries = ["domestic_share", "adoption_rate"]
[constants]
n_user_agents = 150
quarters = 6
[parameters.budget_total_jpy_bn]
low = 0
high = 3000
[parameters.share_rnd]
low = 0
high = 0.5
[parameters.budget_years]
low = 1
high = 5
[parameters.unspent_policy]
"""


def test_sweep_of_the_model_records_what_was_run(write, sweep, tmp_path):
    summary = sweep(write(SMALL.format(scenario="double_budget")))
    assert (summary.ok, summary.failed) == (8, 0)
    frame = experiments.load(tmp_path / "out")
    assert len(frame) == frame["run_id"].nunique() == 8
    np.testing.assert_allclose(frame[list(SHARE_NAMES)].sum(axis=1), 1.0)
    assert frame["budget_years"].dtype == np.int64 and set(frame["unspent_policy"]) <= {"carry_over", "lapse"}
    manifest = experiments.load_manifest(tmp_path / "out")
    assert manifest["base_parameters"] == {**sim.load_scenario("double_budget"), "n_user_agents": 150, "quarters": 6}
    assert manifest["normalised_shares"] == list(SHARE_NAMES)
    series = experiments.load_timeseries(tmp_path / "out")
    assert len(series) == 8 * 6 and series["quarter"].iloc[0] == "FY2026Q1"

    # Re-running a row by hand, from the values as run and the recorded seed, gives the stored outcomes.
    row = frame.iloc[5]
    params = {
        name: row[name].item() if hasattr(row[name], "item") else row[name]
        for name in ["budget_total_jpy_bn", "budget_years", "unspent_policy", *SHARE_NAMES]
    }
    again = sim.run({**manifest["base_parameters"], **params}, seed=int(row["seed"]), quarters=6)
    for name in manifest["outputs"]:
        assert again[name] == pytest.approx(row[name], rel=1e-12, abs=1e-12)


def _sweep_files() -> list[str]:
    """Experiment files for `sovai sweep` (other commands' files, e.g. `sovai compare`, have no [experiment])."""
    return sorted(
        p.name
        for p in (ROOT / "experiments").glob("*.toml")
        if "experiment" in tomllib.loads(p.read_text(encoding="utf-8"))
    )


@pytest.mark.parametrize("name", _sweep_files())
def test_shipped_experiment_files_are_valid(name):
    exp = load_experiment(ROOT / "experiments" / name)
    design = build_design(exp)
    assert design.n_points > 0
    result = sim.run({"n_user_agents": 100}, seed=1, quarters=1)
    missing = [o for o in exp.outputs or () if o not in result]
    assert not missing, f"{name}: the model returns no {missing}"
    assert set(exp.timeseries) <= set(result["timeseries"].columns)

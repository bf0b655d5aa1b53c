"""`sovai validate`: the probe table's machinery (pairing, verdicts, missing levers and columns, files)."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis import validation as val
from sim.params import SHARE_NAMES, defaults
from sovai.cli import main

TINY = ["--seeds", "2", "--agents", "60", "--quarters", "20", "--workers", "1"]


def test_verdicts():
    assert val.verdict("+", 0.1, 0.5) == val.AGREES
    assert val.verdict("-", 0.1, 0.5) == val.OPPOSITE
    assert val.verdict("-", -0.5, -0.1) == val.AGREES
    assert val.verdict("+", -0.1, 0.5) == val.NOT_SIGNIFICANT
    assert val.verdict("+", 0.0, 0.0) == val.NOT_SIGNIFICANT  # identical runs: no effect
    assert val.verdict("0", -0.1, 0.1) == val.AGREES
    assert val.verdict("0", 0.2, 0.3) == val.DIFFERS
    assert val.verdict("+", math.nan, math.nan) == val.NOT_SIGNIFICANT


def test_share_shift_moves_money_to_one_programme_and_keeps_the_sum():
    d = defaults()
    shares = val.shift_share("share_data", by=0.2)
    assert math.isclose(sum(shares.values()), 1.0)
    assert math.isclose(shares["share_data"], d["share_data"] + 0.2)
    others = [n for n in SHARE_NAMES if n != "share_data"]
    ratios = [shares[n] / d[n] for n in others if d[n] > 0]
    assert np.allclose(ratios, ratios[0]) and ratios[0] < 1  # the others shrink in proportion


def test_table_is_consistent():
    keys = [p.key for p in val.PROBES]
    assert len(keys) == len(set(keys))
    assert {p.lever for p in val.PROBES} <= set(val.LEVERS)
    for share in SHARE_NAMES:
        assert share in val.LEVERS, f"every programme share is a lever ({share})"
    for lever in ("budget_0", "budget_3tn", "capex_subsidy", "tax_credit", "sovereignty_rule", "grid_x0.3", "yen"):
        assert lever in val.LEVERS


def test_levers_this_model_lacks_are_named():
    assert val.Lever("x", {"no_such_parameter": 1}, "a", "b").missing() == "no parameter 'no_such_parameter'"
    assert val.Lever("x", {"capex_subsidy_rate": 7.0}, "a", "b").missing().startswith("probe rejected")
    assert val.Lever("x", {"capex_subsidy_rate": 0.5}, "a", "b").missing() == ""


def fake_runs(effects: dict[str, np.ndarray]) -> pd.DataFrame:
    """Runs of two sets over 4 replicates: set 1 = set 0 + effect."""
    rng = np.random.default_rng(0)
    rows = []
    base = {name: rng.normal(10, 3, 4) for name in effects}
    for s in (0, 1):
        for r in range(4):
            row = {"set": s, "replicate": r, "status": "ok"}
            for name, eff in effects.items():
                row[name] = base[name][r] + (eff[r] if s else 0.0)
            rows.append(row)
    return pd.DataFrame(rows)


def test_summary_pairs_on_seeds_and_reports_what_is_missing():
    runs = fake_runs({"up_fy2030": np.array([1.0, 1.1, 0.9, 1.0]), "flat_fy2030": np.zeros(4)})
    levers = {
        "l": val.Lever("l", {"capex_subsidy_rate": 0.5}, "a", "b"),
        "l2": val.Lever("l2", {"capex_subsidy_rate": 0.5}, "a", "b"),
        "gone": val.Lever("gone", {"no_such_parameter": 1}, "a", "b"),
    }
    probes = [
        val.Probe("l", "up", "+"),
        val.Probe("l2", "up", "-"),
        val.Probe("l", "flat", "0"),
        val.Probe("l", "nowhere", "+"),
        val.Probe("l", "up", "+", when="fy2035"),
        val.Probe("gone", "up", "+"),
    ]
    pairs = {"l": (0, 1), "l2": (0, 1), "gone": "no parameter 'no_such_parameter'"}
    table = val.summarise(runs, probes, levers, pairs).set_index("key")
    up = table.loc["l:up@fy2030"]
    # The base varies by ±3 across seeds but the pairs differ by ~1: pairing finds the effect.
    assert up.verdict == val.AGREES and math.isclose(up.difference, 1.0) and up.n == 4
    assert table.loc["l:up@fy2030", "base_mean"] < table.loc["l:up@fy2030", "probe_mean"]
    assert list(table["verdict"]) == [val.AGREES, val.OPPOSITE, val.AGREES, val.MISSING, val.MISSING, val.MISSING]
    assert table.loc["l:nowhere@fy2030", "note"] == "no column 'nowhere'"
    assert "FY2035Q4" in table.loc["l:up@fy2035", "note"]
    assert table.loc["gone:up@fy2030", "note"] == "no parameter 'no_such_parameter'"


def test_probe_model_reads_fy2030_and_counts_events():
    out = val.probe_model(seed=1, n_user_agents=60, quarters=20)
    assert "domestic_compute_eflops_fy2030" in out and "domestic_compute_eflops_fy2035" not in out
    assert all(isinstance(v, float) for v in out.values())
    events = pd.Series(
        ["", "GPU supply shock begins", None, float("nan"), "x: 50 MW build started; GPU supply shock ends"]
    )
    assert val.event_list(events) == ["GPU supply shock begins", "x: 50 MW build started", "GPU supply shock ends"]


def test_cli_writes_page_and_csv_and_overwrites_only_its_own(tmp_path, capsys):
    out = tmp_path / "v.md"
    assert main(["validate", *TINY, "--levers", "export_partnership", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith(val.MARKER)
    assert "sovai validate --seeds 2 --agents 60" in page and "export_partnership" in page
    csv = pd.read_csv(tmp_path / "v.csv")
    assert set(csv["lever"]) == {"export_partnership"} and (csv["n"] == 2).all()
    assert "export_partnership" in capsys.readouterr().out
    assert main(["validate", *TINY, "--levers", "export_partnership", "--out", str(out)]) == 0  # its own: rewritten


@pytest.mark.parametrize(
    "args",
    [
        ["--seeds", "1"],
        ["--quarters", "8"],
        ["--levers", "no_such_lever"],
        ["--agents", "5"],
        ["--workers", "0"],
        ["--out", "x.txt"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, capsys):
    assert main(["validate", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sovai: error:") and "\n" not in err


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path, capsys):
    mine = tmp_path / "notes.md"
    mine.write_text("# my notes\n", encoding="utf-8")
    assert main(["validate", *TINY, "--levers", "yen", "--out", str(mine)]) == 2
    assert mine.read_text(encoding="utf-8") == "# my notes\n"
    assert "not overwriting" in capsys.readouterr().err

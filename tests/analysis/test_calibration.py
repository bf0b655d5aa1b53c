"""`sovai calibrate --check` passes for the baseline and fails when the model misses a target."""

import re

import numpy as np
import pandas as pd

from analysis.calibration import TARGETS, Target, band, evaluate, format_table, fy_mean
from sovai.cli import main


def test_baseline_meets_every_target(capsys):
    """Every target is met or a known miss explained in the target (printed as MISS); none fails."""
    code = main(["calibrate", "--check", "--seeds", "3"])
    out = capsys.readouterr().out
    for t in TARGETS:
        assert t.name in out
    failed = out.split("calibration check failed:")[1].strip() if "calibration check failed:" in out else ""
    assert code == 0 and "FAIL" not in out, f"targets missed: {failed}"


def test_every_band_is_a_check():
    # A band that accepts both 0 and twice its target checks nothing.
    for t in TARGETS:
        assert not (t.accepts(0.0) and t.accepts(2 * t.target)), t.name
        assert t.low < t.high or t.tolerance == 0, t.name


def test_every_target_cites_a_dated_source():
    for t in TARGETS:
        assert re.search(r"\b(19|20)\d\d\b", t.source), f"{t.name}: the source needs its date: {t.source}"
        assert "MODEL.md" not in t.source, f"{t.name}: cite the public source itself"


def test_a_column_the_model_lacks_is_a_reported_miss():
    lacking = Target("x", "x", unit="-", source="s 2026", measure=fy_mean("no_such_column", 2026), **band(1.0, 2.0))
    (result,) = evaluate({"n_user_agents": 300}, seeds=1, targets=(lacking,))
    assert not result.passed and "no_such_column" in result.missing
    table = format_table([result])
    assert "FAIL (missing)" in table and "not in this model" in table


def test_check_fails_when_a_target_is_missed(capsys):
    # No budget: the FY2026 appropriation target cannot be met.
    assert (
        main(
            [
                "calibrate",
                "--check",
                "--seeds",
                "1",
                "--brief",
                "--set",
                "budget_total_jpy_bn=0",
                "--set",
                "investment_tax_credit_rate=0",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "FAIL" in out and "budget_fy2026" in out.split("calibration check failed:")[1]


def test_bad_input_is_a_user_error(capsys):
    assert main(["calibrate", "--seeds", "0"]) == 2
    assert main(["calibrate", "--set", "no_such_param=1"]) == 2
    assert main(["calibrate", "--set", "quarters=8"]) == 2


def test_every_target_is_sourced_and_sensible():
    names = [t.name for t in TARGETS]
    assert len(set(names)) == len(names)
    for t in TARGETS:
        assert t.source.strip() and t.quantity.strip() and t.unit.strip(), t.name
        assert t.tolerance >= 0 and t.kind in ("calibration", "plausibility"), t.name


def test_target_arithmetic():
    t = Target("x", "x", unit="-", source="s", measure=fy_mean("v", 2026), **band(2.0, 4.0))
    assert (t.target, t.tolerance, t.low, t.high) == (3.0, 1.0, 2.0, 4.0)
    assert t.accepts(4.0) and not t.accepts(4.1) and not t.accepts(float("nan"))
    record = pd.DataFrame(
        {"quarter": ["FY2026Q1", "FY2026Q2", "FY2026Q3", "FY2026Q4", "FY2027Q1"], "v": [1.0, 2.0, 3.0, 4.0, 100.0]}
    )
    assert t.measure(record) == 2.5


def test_evaluate_reports_seed_spread():
    (result,) = evaluate({"n_user_agents": 300}, seeds=2, targets=(TARGETS[0],))
    assert result.n_seeds == 2 and np.isfinite(result.sd) and result.passed


def test_odd_lists_the_current_targets():
    from pathlib import Path

    from analysis.calibration import targets_markdown

    odd = (Path(__file__).resolve().parents[2] / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert targets_markdown() in odd, "docs/ODD.md section 8: paste analysis.calibration.targets_markdown()"

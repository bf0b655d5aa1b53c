"""`sovai discover`: PRIM recovers a known box through the whole pipeline; bad input is one line, exit 2."""

import textwrap

import pandas as pd
import pytest

from analysis import discovery
from analysis.testfunctions import TRUE_BOX
from experiments.sweep import SweepOptions, run_sweep
from sovai.cli import main

BOX_SWEEP = """
[experiment]
name = "box"
model = "analysis.testfunctions:box_outcome"
design = "lhs"
samples = 2000
seed = 3
outputs = ["y"]
""" + "".join(f"[parameters.x{i}]\nlow = 0\nhigh = 1\n" for i in range(1, 7))


@pytest.fixture(scope="module")
def box_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("discover")
    path = tmp / "box.toml"
    path.write_text(textwrap.dedent(BOX_SWEEP))
    out = tmp / "sweep"
    summary = run_sweep(path, SweepOptions(out=out, workers=1, progress=False, echo=lambda _: None))
    assert summary.ok == 2000
    return out


def test_prim_recovers_the_known_box(box_sweep, tmp_path, capsys):
    out = tmp_path / "found"
    assert main(["discover", str(box_sweep), "--where", "y > 0.5", "--out", str(out)]) == 0
    boxes = pd.read_csv(out / "boxes.csv")
    assert sorted(boxes["input"]) == ["x1", "x2"]  # the four inert inputs are left free
    for row in boxes.itertuples():
        low, high = TRUE_BOX[row.input]
        assert abs(row.low - low) <= 0.05 and abs(row.high - high) <= 0.05, row
        assert row.qp_low < 0.05 and row.qp_high < 0.05  # both restrictions significant
    assert boxes["density"].iloc[0] > 0.95 and boxes["coverage"].iloc[0] > 0.5
    trajectory = pd.read_csv(out / "trajectory.csv")
    assert trajectory["coverage"].iloc[0] == 1.0 and trajectory["coverage"].is_monotonic_decreasing
    scores = pd.read_csv(out / "feature_scores.csv")
    assert set(scores["input"].head(2)) == {"x1", "x2"}
    leaves = pd.read_csv(out / "cart_leaves.csv")
    assert leaves["density"].min() >= 0.5 and "x1" in leaves["rule"].iloc[0]
    page = (out / "report.md").read_text()
    assert "## PRIM box 1" in page and "| `x1` |" in page and "prim_box1_trajectory.png" in page
    for name in ("prim_box1_trajectory.png", "prim_box1_limits.png", "cart_tree.png", "feature_scores.png"):
        assert (out / "figures" / name).stat().st_size > 1000
    assert "<table>" in (out / "report.html").read_text()
    assert "PRIM box 1" in capsys.readouterr().out


@pytest.mark.parametrize(
    "where, name",
    [
        ("capability_gap_fy2030 > 30", "capability_gap_fy2030_gt_30"),
        ("capability_gap_fy2030>30", "capability_gap_fy2030_gt_30"),  # the same condition, the same folder
        ("capability_gap_fy2030 <= 30", "capability_gap_fy2030_le_30"),
        ("x > -0.5 and not y", "x_gt_minus_0.5_and_not_y"),
        ("a_FY2035Q4 < a_FY2030Q4", "a_FY2035Q4_lt_a_FY2030Q4"),
        ("(a > 1) and b", "a_gt_1_and_b_6a3b93d0"),  # parentheses dropped: a hash tells it from "a > (1 and b)"
    ],
)
def test_the_default_folder_spells_the_condition(where, name, tmp_path):
    assert discovery.default_out(tmp_path, where) == tmp_path / "discovery" / name


def test_different_conditions_get_different_default_folders(tmp_path):
    # A goal and its opposite once shared a folder, so running one replaced the other's results.
    conditions = [
        "capability_gap_fy2030 > 30",
        "capability_gap_fy2030 < 30",
        "capability_gap_fy2030 >= 30",
        "(a > 1) and b",
        "a > (1 and b)",
        "sector == 'finance'",
        "sector == 'banking'",
        "x" * 100 + " > 1",
        "x" * 100 + " > 2",
    ]
    folders = [discovery.default_out(tmp_path, c) for c in conditions]
    assert len(set(folders)) == len(conditions)
    for folder in folders:
        assert len(folder.name) <= discovery.SLUG_MAX
        assert not folder.name.startswith(".")


def test_choose_box_takes_the_densest_box_with_enough_coverage():
    trajectory = pd.DataFrame({"coverage": [1.0, 0.9, 0.8, 0.6, 0.4], "density": [0.2, 0.5, 0.9, 0.9, 1.0]})
    assert discovery.choose_box(trajectory, 0.5) == 2  # 0.9 at coverage 0.8 beats 0.9 at 0.6; 1.0 has too little
    assert discovery.choose_box(trajectory, 0.3) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "yy > 0.5"], "has no column 'yy'; did you mean y?"),
        (["--where", "y >> > 0.5"], "does not parse as a condition"),
        (["--where", "y + 1"], "is not a true/false condition"),
        (["--where", "y > 5"], "no run meets the condition"),
        (["--where", "y > 0.5", "--inputs", "x1,x9"], "'x9' is not a swept parameter"),
        (["--where", "y > 0.5", "--mass-min", "2"], "--mass-min 2.0: must lie between 0 and 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(box_sweep, tmp_path, capsys, args, message):
    assert main(["discover", str(box_sweep), *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "x").exists()


def test_a_folder_that_is_not_a_sweep_is_refused(tmp_path, capsys):
    assert main(["discover", str(tmp_path), "--where", "y > 0"]) == 2
    assert "is not a sweep results folder" in capsys.readouterr().err


def test_a_goal_dated_at_a_quarter_reads_the_kept_series(tmp_path, capsys):
    path = tmp_path / "shift.toml"
    path.write_text(
        textwrap.dedent(
            """
            [experiment]
            model = "analysis.testfunctions:shifting_linear"
            design = "lhs"
            samples = 300
            timeseries = ["y"]
            [parameters.x1]
            low = 0
            high = 1
            [parameters.x2]
            low = 0
            high = 1
            """
        )
    )
    sweep = tmp_path / "sweep"
    run_sweep(path, SweepOptions(out=sweep, workers=1, progress=False, echo=lambda _: None))
    out = tmp_path / "found"
    # in the first quarter y = x1, so the runs with y > 0.5 then are those with x1 > 0.5
    assert main(["discover", str(sweep), "--where", "y_FY2026Q1 > 0.5", "--out", str(out), "--no-figures"]) == 0
    boxes = pd.read_csv(out / "boxes.csv")
    assert boxes["input"].tolist() == ["x1"] and abs(boxes["low"].iloc[0] - 0.5) < 0.05
    assert main(["discover", str(sweep), "--where", "y_FY2040Q1 > 0.5"]) == 2
    assert "no quarter FY2040Q1 (they cover FY2026Q1 to FY2028Q4)" in capsys.readouterr().err
    assert main(["discover", str(sweep), "--where", "z_FY2026Q1 > 0.5"]) == 2
    assert "did not keep; add it to timeseries" in capsys.readouterr().err


def test_a_folder_holding_other_files_is_not_written(box_sweep, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["discover", str(box_sweep), "--where", "y > 0.5", "--out", str(out)]) == 2
    assert "holds files sovai did not write ('notes.txt')" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]

"""What a reader of the figures and reports trips on: legends over lines, axes not named, clipped lines,
stacked shares past 1, indices of an outcome that hardly varies, small samples."""

import numpy as np
import pandas as pd
import pytest

from analysis import figures
from analysis import sensitivity_plots as plots
from analysis import sensitivity_report as report
from sim.params import PROGRAMMES
from sovai.cli import main


def _timeseries(n=12):
    q = np.arange(n, dtype=float)
    ts = pd.DataFrame(
        {
            "quarter": [f"FY{2026 + i // 4}Q{i % 4 + 1}" for i in range(n)],
            "domestic_compute_eflops": 40 + 5 * q,
            "dc_power_mw": 300 + 50 * q,
            "dc_power_draw_mw": 30 + 5 * q,
            "budget_appropriated_jpy_bn": np.minimum(300 + 175 * (q // 4), 1000),
        }
    )
    for i, p in enumerate(PROGRAMMES):
        ts[f"spent_{p}_jpy_bn"] = (i + 1) * 2.0 * q
    return ts


def test_compute_and_power_names_each_lines_axis_and_keeps_the_legend_off_the_plot():
    fig = figures.compute_and_power(_timeseries())
    left = fig.axes[0]
    assert left.get_legend() is None and len(fig.legends) == 1
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [
        "compute, EFLOPS (left axis)",
        "built capacity, MW (right axis)",
        "average draw, MW (right axis)",
    ]
    assert "left axis" in left.get_ylabel() and "right axis" in fig.axes[1].get_ylabel()


def test_budget_chart_leaves_room_above_the_highest_line():
    ts = _timeseries()
    ax = figures.budget_by_programme(ts).axes[0]
    top = max(ts["budget_appropriated_jpy_bn"].max(), ts[[f"spent_{p}_jpy_bn" for p in PROGRAMMES]].sum(axis=1).max())
    assert ax.get_ylim()[1] > top * 1.03


def test_stacked_first_order_shares_never_pass_one():
    years = [2026, 2027, 2028]
    frame = pd.DataFrame(
        [
            {"year": y, "parameter": p, "S1": s1}
            for y, shares in zip(years, ([0.9, 0.88], [0.5, 0.2], [0.3, 0.1]), strict=True)
            for p, s1 in zip(["budget", "fx"], shares, strict=True)
        ]
    )
    fig = plots.stacked_area(frame, "sobol", "adoption")
    ax = fig.axes[0]
    assert ax.get_ylim() == (0.0, 1.0)
    tops = np.sum([poly.get_paths()[0].vertices[:, 1].max() for poly in ax.collections[:1]])
    assert tops <= 1.0 + 1e-9
    assert "1 of 3 years had ΣS1 > 1 (up to 1.78): scaled to 1" in ax.get_title()
    assert "stacked" in ax.get_ylabel()


def test_an_outcome_that_hardly_varies_is_flagged_and_a_small_n_warned():
    text, flat = report.outcome_spread(np.array([0.402, 0.405, 0.409, np.nan]))
    assert flat and text == "over the design it ranged 0.402 to 0.409 (mean 0.405)"
    assert report.outcome_spread(np.array([1.0, 2.0]))[1] is False
    warnings = report.outcome_warnings("sobol", 64, flat, text)
    assert len(warnings) == 2 and "hardly varies" in warnings[0] and "N = 64 is small" in warnings[1]
    assert report.outcome_warnings("sobol", 1024, False, "") == []


def test_bar_chart_shows_the_outcomes_spread():
    table = pd.DataFrame({"parameter": ["a", "b"], "S1": [0.5, 0.1], "S1_conf": [0.1, 0.1], "ST": [0.6, 0.2]})
    table["ST_conf"] = 0.1
    fig = plots.bar_chart(table, "sobol", "adoption_rate_fy2030", 64, "over the design it ranged 0.402 to 0.409")
    assert fig.axes[0].get_title().endswith("over the design it ranged 0.402 to 0.409")


@pytest.mark.parametrize("name", ["a_rather_long_parameter_name_for_labels"])
def test_s2_heatmap_makes_room_for_long_labels(name):
    s2 = pd.DataFrame({"parameter": [name, name], "other": ["b", "c"], "S2": [0.1, 0.2], "S2_conf": [0.05, 0.05]})
    fig = plots.s2_heatmap(s2, "outcome", 64)
    fig.canvas.draw()
    box = fig.bbox
    for label in fig.axes[0].get_xticklabels() + fig.axes[0].get_yticklabels():
        extent = label.get_window_extent()
        assert extent.x0 >= box.x0 - 1 and extent.y0 >= box.y0 - 1, label.get_text()


def test_report_puts_each_outcomes_spread_beside_its_indices(tmp_path):
    path = tmp_path / "morris.toml"
    path.write_text(
        '[experiment]\nname = "morris"\nmodel = "analysis.testfunctions:sobol_g"\ndesign = "morris"\n'
        "samples = 6\nseed = 5\n" + "".join(f"[parameters.x{i}]\nlow = 0.0\nhigh = 1.0\n" for i in range(1, 4))
    )
    out = tmp_path / "morris"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0
    assert main(["sensitivity", str(out), "--no-figures"]) == 0
    text = (out / "analysis" / "report.md").read_text()
    assert "N = 6; over the design it ranged" in text
    assert "N = 6 is small for morris" in text

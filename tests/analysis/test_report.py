"""`sovai report RUN_DIR`: one Markdown/HTML page for a `sovai run` output folder."""

import shutil

import pytest

from analysis import pages
from sovai.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    code = main(
        [
            "run",
            "--set",
            "n_user_agents=200",
            "--set",
            "sovereignty_rule=0.6",
            "--quarters",
            "24",
            "--seed",
            "3",
            "--out",
            str(out),
            "--no-figures",
        ]
    )
    assert code == 0
    return out


def test_report_has_summary_levers_changes_and_figures(run_dir, capsys):
    assert main(["report", str(run_dir)]) == 0
    assert "report.html" in capsys.readouterr().out
    md = (run_dir / "report.md").read_text()
    assert md.startswith("# sovai run: scenario baseline, seed 3")
    assert "| outcome | unit | FY2030Q4 | FY2031Q4 | no policy FY2030Q4 | no policy FY2031Q4 |" in md
    assert "| `sovereignty_rule` | 0.6 | 0.25 | share |" in md  # differs from the default
    for name in (
        "adoption_by_provider",
        "digital_deficit",
        "compute_and_power",
        "capability_vs_frontier",
        "budget_by_programme",
    ):
        assert (run_dir / "figures" / f"{name}.png").is_file()  # drawn because the run had --no-figures
        assert f"](figures/{name}.png)" in md
    html = (run_dir / "report.html").read_text()
    assert "<table>" in html and '<img src="figures/digital_deficit.png" alt="digital_deficit"' in html


def test_report_elsewhere_links_back_to_the_figures(run_dir, tmp_path):
    out = tmp_path / "pages"
    assert main(["report", str(run_dir), "--out", str(out), "--no-counterfactual"]) == 0
    md = (out / "report.md").read_text()
    assert "no policy" not in md and "figures/digital_deficit.png" in md and "../" in md


@pytest.mark.parametrize("make", ["missing", "empty", "sweep"])
def test_bad_folders_are_one_line_and_exit_2(tmp_path, capsys, run_dir, make):
    folder = tmp_path / make
    if make == "empty":
        folder.mkdir()
    if make == "sweep":
        shutil.copytree(run_dir, folder)
        (folder / "manifest.json").write_text("{}")
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sovai: error:") and err.count("\n") == 1 and "Traceback" not in err


def test_markdown_subset_to_html():
    md = "# T\n\nSome `code` and **bold**.\n\n- one\n- two\n\n" + pages.table(["a", "b|c"], [[1, "x"]]) + "\n"
    html = pages.to_html(md, title="t")
    assert "<h1>T</h1>" in html and "<code>code</code>" in html and "<strong>bold</strong>" in html
    compact = html.replace("\n", "")
    assert "<ul><li>one</li><li>two</li></ul>" in compact and "<th>b|c</th>" in html and "<td>x</td>" in html

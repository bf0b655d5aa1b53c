"""Every mistake one line (issue 10, rows 5 and 9): exit 2 for the user's input, nothing written."""

from __future__ import annotations

import pytest

from sovai.cli import main


def _one_line(capsys, code_expected, argv) -> str:
    assert main(argv) == code_expected
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sovai: error: ") and "Traceback" not in err, err
    assert len(err) < 400
    return err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "nested.toml",
            "description = 'x'\n[parameters]\nbudget_total_jpy_bn = " + "[" * 3000 + "]" * 3000,
            "nested too deeply",
        ),
        ("binary.toml", bytes(range(256)) * 4, "not a text file"),
        ("desc.toml", "description = 5\n[parameters]\n", "must be text"),
    ],
)
def test_bad_scenario_files(name, content, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert message in _one_line(capsys, 2, ["run", "--scenario", str(path), "--no-figures"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 4, "not a text file"),
        ("[experiment]\ndesign = 'lhs'\nsamples = 2\nx = " + "[" * 3000 + "]" * 3000, "nested too deeply"),
        (
            "[experiment]\ndesign = 'lhs'\nsamples = 1000000000000\n[parameters.sovereignty_rule]\nlow = 0\nhigh = 1\n",
            "GiB of memory",
        ),
    ],
)
def test_bad_experiment_files_write_nothing(content, message, tmp_path, capsys):
    path = tmp_path / "exp.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out"
    assert message in _one_line(capsys, 2, ["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert not out.exists()  # not even a .lock


def test_a_huge_number_is_refused_in_a_short_line(capsys):
    err = _one_line(capsys, 2, ["run", "--set", "n_user_agents=1e308"])
    assert "1e+308" in err and "out of range" in err


def test_a_comparison_too_big_for_memory_is_refused_before_running(tmp_path, capsys):
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[2] / "experiments" / "instrument_comparison.toml"
    out = tmp_path / "cmp"
    argv = ["compare", str(shipped), "--replications", "1000000000000", "--out", str(out), "--workers", "1"]
    assert "GiB of memory" in _one_line(capsys, 2, argv)
    assert not out.exists()

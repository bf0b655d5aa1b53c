"""Outputs never destroy: every command with an output path refuses what sovai did not write (issue 10, rows 1, 2, 6, 7)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from sim.outputs import MARKER, OutputError, check_output_dir, default_run_name, write_atomically
from sovai.cli import main

FAST = ["--set", "n_user_agents=100", "--quarters", "2", "--no-figures"]


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def users_folder(tmp_path):
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("a week of work")
    (folder / "sub" / "data.csv").write_text("1,2,3")
    return folder


def _refused(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sovai: error: ") and "Traceback" not in err
    return err


def test_run_refuses_a_folder_of_the_users_files(users_folder, capsys):
    before = _listing(users_folder)
    err = _refused(["run", "--out", str(users_folder), *FAST], capsys)
    assert "notes.txt" in err and "sub" in err
    assert _listing(users_folder) == before


def test_every_output_command_refuses_the_users_folder(users_folder, capsys, tmp_path, monkeypatch):
    """sensitivity, compare and report go through the same check (nothing is computed first when it fails)."""
    before = _listing(users_folder)
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "run"
    assert main(["run", "--out", str(run_dir), *FAST]) == 0
    capsys.readouterr()
    _refused(["report", str(run_dir), "--out", str(users_folder), "--no-counterfactual"], capsys)
    with pytest.raises(OutputError):
        check_output_dir(users_folder, kind="sensitivity")
    with pytest.raises(OutputError):
        write_atomically(users_folder, lambda folder: (folder / "x.csv").write_text("x"), kind="compare")
    assert _listing(users_folder) == before


def test_sweep_refuses_the_users_folder(users_folder, capsys, tmp_path, monkeypatch):
    exp = tmp_path / "exp.toml"
    exp.write_text(
        '[experiment]\ndesign = "lhs"\nsamples = 2\n[parameters.budget_total_jpy_bn]\nlow = 500\nhigh = 900\n'
    )
    before = _listing(users_folder)
    _refused(["sweep", str(exp), "--out", str(users_folder), "--workers", "1"], capsys)
    assert _listing(users_folder) == before
    monkeypatch.chdir(users_folder)
    assert "is the current folder" in _refused(["sweep", str(exp), "--out", "", "--workers", "1"], capsys)
    assert _listing(users_folder) == before


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "is the current folder"),
        (".", "is the current folder"),
        ("..", "a parent of the current folder"),
        ("/", "a parent of the current folder"),
        ("/dev/null", "is a device"),
        ("file.txt", "is a file"),
        ("file.txt/inside", "is a file, not a folder"),
        ("a" * 300, "too long"),
        ("link", "symbolic link"),
    ],
)
def test_files_devices_the_current_folder_and_its_parents_are_never_targets(
    target, message, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("keep me")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    before = sorted(os.listdir(tmp_path))
    err = _refused(["run", "--out", target, *FAST], capsys)
    assert message in err
    assert sorted(os.listdir(tmp_path)) == before and (tmp_path / "file.txt").read_text() == "keep me"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_the_source_tree_is_never_a_target(capsys, tmp_path, monkeypatch):
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)  # from elsewhere, so it is refused for its contents, not as the current folder
    err = _refused(["run", "--out", str(repo), *FAST], capsys)
    assert "sovai did not write" in err
    assert (repo / "sim" / "model.py").is_file()


def test_a_run_replaces_an_earlier_run_atomically_and_leaves_no_debris(tmp_path, capsys):
    out = tmp_path / "results" / "r"
    assert main(["run", "--out", str(out), "--seed", "1", *FAST]) == 0
    first = (out / "timeseries.csv").read_text()
    assert main(["run", "--out", str(out), "--seed", "2", *FAST]) == 0
    assert (out / "timeseries.csv").read_text() != first
    assert sorted(p.name for p in out.parent.iterdir()) == ["r"]
    assert (out / MARKER).is_file()


def test_a_failed_write_keeps_the_earlier_output_and_leaves_no_debris(tmp_path):
    out = tmp_path / "r"
    write_atomically(out, lambda folder: (folder / "runs.csv").write_text("old"), kind="compare")

    def fail(folder):
        (folder / "runs.csv").write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_atomically(out, fail, kind="compare")
    assert (out / "runs.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_killed_writes_leftover_is_removed_by_the_next_write(tmp_path):
    out = tmp_path / "r"
    leftover = tmp_path / ".r.sovai-tmp-999999999-abcdef"  # a pid that cannot be running
    leftover.mkdir()
    (leftover / MARKER).write_text(json.dumps({"kind": "compare", "host": os.uname().nodename, "pid": 999999999}))
    elsewhere = tmp_path / ".r.sovai-tmp-12-abcdef"  # another node's write in progress (shared filesystem): kept
    elsewhere.mkdir()
    (elsewhere / MARKER).write_text(json.dumps({"kind": "compare", "host": "another-node", "pid": 999999999}))
    users = tmp_path / ".r.sovai-tmp-notes"  # not ours: kept
    users.mkdir()
    write_atomically(out, lambda folder: (folder / "runs.csv").write_text("new"), kind="compare")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".r.sovai-tmp-12-abcdef", ".r.sovai-tmp-notes", "r"]


def test_files_added_to_an_output_folder_by_the_user_stop_its_replacement(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "--out", str(out), *FAST]) == 0
    (out / "my_notes.md").write_text("mine")
    err = _refused(["run", "--out", str(out), *FAST], capsys)
    assert "my_notes.md" in err and (out / "my_notes.md").read_text() == "mine"


def test_one_kind_of_output_never_replaces_another(tmp_path, capsys):
    out = tmp_path / "r"
    write_atomically(out, lambda folder: (folder / "runs.csv").write_text("x"), kind="compare")
    err = _refused(["run", "--out", str(out), *FAST], capsys)
    assert "holds a sovai compare output" in err and (out / "runs.csv").is_file()


def test_output_folders_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        out = write_atomically(tmp_path / "a" / "r", lambda folder: (folder / "x.csv").write_text("x"), kind="compare")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "x.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o755


def test_a_set_run_never_replaces_the_baseline(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["run", "--no-figures", "--set", "n_user_agents=100", "--quarters", "2"]
    assert main(args) == 0
    assert main([*args, "--set", "sovereignty_rule=1"]) == 0
    names = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert names == [
        "baseline-42-n_user_agents=100-quarters=2",
        "baseline-42-n_user_agents=100-quarters=2-sovereignty_rule=1",
    ]
    plain = tmp_path / "results" / names[0]
    assert "sovereignty_rule = 0.25" in (plain / "params.toml").read_text()
    # Reproducing a run from its params.toml lands in the same folder (same parameters), not a new one.
    assert main(["run", "--no-figures", "--params", str(plain / "params.toml")]) == 0
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == names


def test_default_names():
    assert default_run_name("baseline", 42, {}) == "baseline-42"
    assert default_run_name("baseline", 42, {"sovereignty_rule": 1.0}) == "baseline-42-sovereignty_rule=1"
    long = default_run_name("baseline", 42, {f"share_{i}": 0.123456 for i in range(20)})
    assert long.startswith("baseline-42-20changes-") and len(long) < 60
    assert "/" not in default_run_name("../x", 1, {"a": "b/c"})


def test_compare_and_sensitivity_refuse_the_users_folder_before_any_work(users_folder, tmp_path, capsys):
    before = _listing(users_folder)
    shipped = Path(__file__).resolve().parents[2] / "experiments" / "instrument_comparison.toml"
    err = _refused(["compare", str(shipped), "--out", str(users_folder), "--workers", "1"], capsys)
    assert "notes.txt" in err  # refused at once: the 240 runs were not made
    model = tmp_path / "toy.py"
    model.write_text("def f(*, seed, x=0.0):\n    return {'y': x * x}\n")
    exp = tmp_path / "exp.toml"
    exp.write_text('[experiment]\ndesign = "sobol"\nsamples = 8\n[parameters.x]\nlow = 0\nhigh = 1\n')
    sweep_dir = tmp_path / "sweep"
    assert main(["sweep", str(exp), "--out", str(sweep_dir), "--workers", "1", "--model", f"{model}:f"]) == 0
    capsys.readouterr()
    err = _refused(["sensitivity", str(sweep_dir), "--out", str(users_folder), "--no-figures"], capsys)
    assert "notes.txt" in err
    assert _listing(users_folder) == before
    assert "GiB of memory" in _refused(["sensitivity", str(sweep_dir), "--resamples", str(10**15)], capsys)
    assert main(["sensitivity", str(sweep_dir), "--no-figures", "--no-convergence", "--no-time-resolved"]) == 0
    assert main(["sensitivity", str(sweep_dir), "--no-figures", "--no-convergence", "--no-time-resolved"]) == 0
    assert sorted(p.name for p in sweep_dir.iterdir() if p.name.startswith(".analysis")) == []

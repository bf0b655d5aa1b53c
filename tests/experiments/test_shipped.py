"""Shipped experiment files by name (also from an installed wheel), `sovai experiments`, and trial sizes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import experiments
from experiments.errors import ExperimentError
from experiments.shipped import SHIPPED_DIR, find_file, shipped_files
from sovai.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_files_are_found_by_name_or_by_the_docs_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the repository: as after pip install
    assert find_file("levers_lhs", kind="experiment", error=ExperimentError) == SHIPPED_DIR / "levers_lhs.toml"
    assert find_file("experiments/levers_lhs.toml", kind="experiment", error=ExperimentError) == (
        SHIPPED_DIR / "levers_lhs.toml"
    )
    own = tmp_path / "levers_lhs.toml"
    own.write_text("[experiment]\n")
    assert find_file("levers_lhs.toml", kind="experiment", error=ExperimentError) == Path("levers_lhs.toml")
    with pytest.raises(ExperimentError, match=r"'levers_lsh' does not exist and is not a shipped one; did you mean"):
        find_file("levers_lsh", kind="experiment", error=ExperimentError)
    with pytest.raises(ExperimentError, match="is not a shipped one"):
        find_file("elsewhere/levers_lhs.toml", kind="experiment", error=ExperimentError)


def test_sovai_experiments_lists_them(capsys):
    assert main(["experiments"]) == 0
    out = capsys.readouterr().out
    for name, (command, _) in shipped_files().items():
        assert name in out and f"sovai {command}" in out
    assert "instrument_comparison" in out and "sovai compare" in out


def test_samples_and_replications_scale_a_design_down_into_its_own_folder(ishigami_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    toy = 'model = "sweep_toys:ishigami"'
    path = ishigami_file(name="ish", samples=40, replications=3, extra=toy)
    assert main(["sweep", str(path), "--samples", "8", "--replications", "2", "--workers", "1"]) == 0
    assert "16 of 16 runs done" in capsys.readouterr().out
    frame = experiments.load(tmp_path / "results" / "ish-trial-N8-R2")
    assert len(frame) == 16 and set(frame["replicate"]) == {0, 1}
    assert not (tmp_path / "results" / "ish").exists()  # the full study's folder is left alone
    # the file's rules still apply to the smaller N
    sobol = ishigami_file(name="sob", design="sobol", samples=64, file="sob.toml", extra=toy)
    assert main(["sweep", str(sobol), "--samples", "5", "--workers", "1"]) == 0
    assert "rounded up to 8" in capsys.readouterr().err
    assert (tmp_path / "results" / "sob-trial-N8-R1").is_dir()


@pytest.mark.slow
def test_an_installed_wheel_finds_its_shipped_files(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(wheels)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.skip(f"cannot build the wheel here (needs setuptools from the package index): {built.stderr[-300:]}")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), *wheels.glob("*.whl")],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}  # ahead of the editable install of this checkout
    probe = (
        "import sovai, experiments.spec as s; "
        "print(sovai.__file__); print(s.load_experiment('experiments/levers_lhs.toml').path); "
        "print(s.load_experiment('morris_screening').path)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        assert line.startswith(str(target)), done.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "sovai", "experiments"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0 and "levers_lhs" in listed.stdout and str(target) in listed.stdout
    assert (target / "experiments" / "slurm_example.sh").is_file()

"""A sweep whose driver is SIGKILLed midway resumes to exactly the full set of runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sweep_toys import with_series

import experiments
from experiments.store import Store

HERE = os.path.dirname(os.path.abspath(__file__))
N_RUNS = 200


def _start(path, out, checkpoint_every="0.05"):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable,
        "-c",
        "import sys; from sovai.cli import main; sys.exit(main())",
        "sweep",
        str(path),
        "--out",
        str(out),
        "--workers",
        "1",
        "--model",
        "sweep_toys:slow",
        "--batch-size",
        "5",
        "--checkpoint-every",
        checkpoint_every,
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(condition, process, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


def test_killed_driver_loses_and_duplicates_nothing(ishigami_file, sweep, tmp_path):
    path = ishigami_file(
        samples=N_RUNS // 2, replications=2, extra='timeseries = ["level"]\n[constants]\nsleep = 0.005'
    )
    out = tmp_path / "killed"
    store = Store(out)
    process = _start(path, out)
    _wait_for(lambda: len(store.batch_files()) >= 4, process)
    process.send_signal(signal.SIGKILL)  # no chance to clean up, as with kill -9 or a lost node
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
    done_before = len(store.done_run_ids())
    assert 0 < done_before < N_RUNS

    summary = sweep(path, out="killed", model="sweep_toys:slow")
    assert summary.resumed and summary.ran == N_RUNS - done_before

    frame = experiments.load(out)
    assert len(frame) == frame["run_id"].nunique() == N_RUNS and (frame["status"] == "ok").all()
    series = experiments.load_timeseries(out)
    assert len(series) == N_RUNS * 4 and not series.duplicated(["run_id", "step"]).any()
    for row in frame.sample(20, random_state=1).itertuples():  # every run is the run its seed defines
        assert with_series(seed=row.seed, x1=row.x1, x2=row.x2, x3=row.x3)["noise"] == row.noise
    assert not list(out.rglob("*.tmp"))


def test_sigterm_writes_finished_runs_then_stops(ishigami_file, tmp_path):
    path = ishigami_file(samples=N_RUNS, extra="[constants]\nsleep = 0.005")
    out = tmp_path / "termed"
    process = _start(path, out, checkpoint_every="1000")  # nothing is written before the signal
    _wait_for(lambda: (out / "manifest.json").exists(), process)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)  # what Slurm sends at the time limit
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "sovai: interrupted" in err.decode()
    frame = experiments.load(out)
    assert 0 < len(frame) < N_RUNS and frame["run_id"].is_unique

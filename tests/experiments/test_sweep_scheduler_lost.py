"""Losing the Dask scheduler mid-sweep: one line, exit 1, finished runs kept, the same command resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import experiments
from experiments.store import Store

HERE = os.path.dirname(os.path.abspath(__file__))
N_RUNS = 120


def _dask(*args, env):
    return subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_lost_scheduler_is_one_line_and_the_same_command_resumes(ishigami_file, sweep, tmp_path):
    path = ishigami_file(samples=N_RUNS, extra="[constants]\nsleep = 0.01")
    out = tmp_path / "lost"
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")])}
    scheduler = _dask("scheduler", "--scheduler-file", str(scheduler_file), "--port", "0", "--no-dashboard", env=env)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = _dask("worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--no-dashboard", env=env)
        driver = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sovai",
                "sweep",
                str(path),
                "--out",
                str(out),
                "--scheduler-file",
                str(scheduler_file),
                "--model",
                "sweep_toys:slow",
                "--batch-size",
                "4",
                "--checkpoint-every",
                "0.05",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        store = Store(out)
        deadline = time.monotonic() + 90
        while len(store.batch_files()) < 3 and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        scheduler.send_signal(signal.SIGKILL)  # the scheduler's node is gone
        _, err = driver.communicate(timeout=120)
    finally:
        for process in (scheduler, worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)  # only the processes this test started
                process.wait()
    assert driver.returncode == 1, err
    lines = [line for line in err.splitlines() if line.startswith("sovai:")]
    assert lines[-1].startswith("sovai: error: lost the Dask scheduler") and lines[-1].endswith(
        "run the same command to resume"
    )
    assert "Traceback" not in err
    done_before = len(store.done_run_ids())
    assert 0 < done_before < N_RUNS

    summary = sweep(path, out="lost", model="sweep_toys:slow")  # resumed in-process
    assert summary.resumed and summary.ran == N_RUNS - done_before
    frame = experiments.load(out)
    assert len(frame) == frame["run_id"].nunique() == N_RUNS and (frame["status"] == "ok").all()


class _Unreachable:
    """A client whose scheduler has gone: reconnecting times out as distributed reports it (a bare OSError)."""

    class scheduler:  # noqa: N801 - mimics the client's attribute
        address = "tcp://10.0.0.1:8786"

    def nthreads(self):
        raise OSError("Timed out trying to connect to tcp://10.0.0.1:8786 after 30 s")


def test_a_reconnect_that_times_out_is_the_lost_scheduler_not_a_disk_error():
    """Under load the loss can surface as distributed's connect timeout; it must read as the scheduler lost."""
    import pytest

    from experiments.errors import ClusterError
    from experiments.pools import DaskPool

    with pytest.raises(ClusterError, match="lost the Dask scheduler"):
        DaskPool(_Unreachable()).slots()


def test_a_tasks_own_file_error_is_not_read_as_the_scheduler_lost():
    """``future.result`` re-raises what the task raised: a missing file on a worker keeps its own message."""
    import pytest

    from experiments.pools import DaskPool

    pool = DaskPool(_Unreachable())
    with pytest.raises(FileNotFoundError, match="weights.csv"), pool._scheduler_lost():
        raise FileNotFoundError("weights.csv")


def test_a_closed_comm_is_the_lost_scheduler():
    """A comm closing under a call surfaces as CommClosedError, an OSError subclass: still the scheduler lost."""
    import pytest
    from distributed.comm import CommClosedError

    from experiments.errors import ClusterError
    from experiments.pools import DaskPool

    pool = DaskPool(_Unreachable())
    with pytest.raises(ClusterError, match="lost the Dask scheduler"), pool._scheduler_lost():
        raise CommClosedError("in <TCP (closed) ConnectionPool.ncores>: ConnectionResetError: [Errno 104]")

"""Fault injection (issue 10): hanging runs, killed drivers and workers, damaged batch files, a full disk.

Each test ends with the same check: every run of the design is in the results exactly once, and
equal to the run an uninterrupted sweep makes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import warnings

import pandas as pd
import pytest

import experiments
from experiments.errors import StoreError
from experiments.store import DAMAGED, SCALARS, TIMESERIES, Store
from sovai.cli import main

HERE = os.path.dirname(os.path.abspath(__file__))
OUTCOMES = ["y", "noise"]


def _same_runs(out, reference) -> pd.DataFrame:
    """Assert ``out`` holds every run once, equal (status, outcomes) to the uninterrupted ``reference``."""
    got = experiments.load(out, pending=True)
    want = experiments.load(reference, pending=True)
    assert got["run_id"].is_unique and len(got) == len(want)
    assert (got["status"] != "pending").all()
    columns = ["run_id", "seed", "status", *OUTCOMES]
    pd.testing.assert_frame_equal(got[columns], want[columns])
    return got


def _start(args, **popen):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable,
        "-c",
        "import sys; from sovai.cli import main; sys.exit(main())",
        "sweep",
        *map(str, args),
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)


# --- a run that never returns -------------------------------------------------------------------------


def test_a_hanging_run_is_recorded_as_failed_and_the_sweep_goes_on(ishigami_file, sweep, tmp_path):
    path = ishigami_file(samples=24, extra="run_timeout_s = 0.5\n[constants]\nsteps = 2")
    summary = sweep(path, model="sweep_toys:hangs_when_high", batch_size=4)
    frame = experiments.load(tmp_path / "out")
    hung = frame["x1"] > 2.5
    assert hung.any() and summary.ok + summary.failed == 24
    assert (frame.loc[hung, "status"] == "failed").all() and (frame.loc[~hung, "status"] == "ok").all()
    assert frame.loc[hung, "error"].str.contains("time limit of 0.5 s").all()
    assert frame.loc[hung, "y"].isna().all()


def test_a_run_looping_in_python_is_stopped_not_just_abandoned(ishigami_file, sweep, tmp_path):
    path = ishigami_file(samples=16, extra="[constants]\nsteps = 2")
    earlier = set(threading.enumerate())  # runs other tests left sleeping in this process

    def looping() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "sovai-run" and t not in earlier]

    sweep(path, model="sweep_toys:loops_when_high", run_timeout=0.3)  # --run-timeout beats the default
    frame = experiments.load(tmp_path / "out")
    assert (frame["x1"] > 2.5).any()
    assert frame.loc[frame["x1"] > 2.5, "error"].str.contains("time limit of 0.3 s").all()
    deadline = time.monotonic() + 10
    while looping() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not looping(), "the looping run's thread still runs"


def test_run_timeout_option_overrides_the_file(ishigami_file, tmp_path, capsys):
    path = ishigami_file(samples=12, extra="run_timeout_s = 1000\n[constants]\nsteps = 2")
    out = tmp_path / "cli"
    argv = ["sweep", str(path), "--out", str(out), "--workers", "1", "--run-timeout", "0.2"]
    assert main([*argv, "--model", "sweep_toys:hangs_when_high"]) == 0
    assert "time limit of 0.2 s" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["sweep", str(path), "--out", str(out), "--run-timeout", "-1"])
    assert exited.value.code == 2 and "must be a number of seconds" in capsys.readouterr().err


def test_finished_runs_reach_disk_while_a_run_hangs(ishigami_file, tmp_path):
    """The driver writes what is finished every --checkpoint-every seconds even if no other run ever ends."""
    hanging = tmp_path / "hanging"
    path = ishigami_file(samples=40, extra=f'[constants]\nsteps = 2\nhanging = "{hanging}"\nhang = 600')
    out = tmp_path / "out"
    # One process, batches of one: after the hanging run nothing else can finish.
    process = _start(
        [path, "--out", out, "--workers", "1", "--batch-size", "1", "--checkpoint-every", "1"]
        + ["--model", "sweep_toys:hangs_when_high"]
    )
    try:
        design_ready = time.monotonic() + 60
        while not (out / "design.parquet").exists() and time.monotonic() < design_ready:
            time.sleep(0.05)
        runs = pd.read_parquet(out / "design.parquet")
        before = int((runs["x1"] > 2.5).idxmax())  # runs done before the first hanging one
        store = Store(out)
        deadline = time.monotonic() + 60
        while len(store.done_run_ids()) < before and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        on_disk = time.time()
        assert process.poll() is None, process.stderr.read().decode()
        assert sorted(store.done_run_ids()) == list(range(before))
        latency = on_disk - float(hanging.read_text())
        print(f"\nfinished runs on disk {latency:.2f} s after the hang began (--checkpoint-every 1)")
    finally:
        process.kill()
        process.wait()


# --- a killed driver, a killed worker -----------------------------------------------------------------


def test_driver_killed_at_random_moments_resumes_to_the_uninterrupted_sweep(ishigami_file, sweep, tmp_path):
    # 120 runs of 0.05 s: 6 s of work, more than the three kills' 4.7 s together (seed 10), so the third
    # start cannot finish the sweep before its kill however fast the machine (at 0.01 s an idle one did).
    path = ishigami_file(
        samples=60, replications=2, extra='timeseries = ["level"]\n[constants]\nsleep = 0.05\nsteps = 2'
    )
    sweep(path, out="reference", model="sweep_toys:slow")
    out = tmp_path / "killed"
    rng = random.Random(10)
    for _ in range(3):
        process = _start(
            [path, "--out", out, "--workers", "1", "--model", "sweep_toys:slow", "--batch-size", "3"]
            + ["--checkpoint-every", "0.05"]
        )
        time.sleep(rng.uniform(0.5, 2.5))  # anywhere: starting up, writing the design, running, writing a batch
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL, process.stderr.read().decode()  # killed, not finished
    summary = sweep(path, out="killed", model="sweep_toys:slow")
    assert summary.remaining == 0
    _same_runs(out, tmp_path / "reference")
    assert not list(out.rglob("*.tmp"))


def test_resume_removes_the_temporary_files_of_a_writer_killed_mid_write(ishigami_file, sweep, tmp_path):
    # A kill between writing manifest.json's temporary file and renaming it leaves the temporary file
    # (the random kills above land there now and then): the resume deletes exactly those names.
    path = ishigami_file(samples=10)
    sweep(path, model="sweep_toys:ishigami")
    out = tmp_path / "out"
    ours = [out / "manifest.json.4242.tmp", out / "design.parquet.17.tmp", out / "sample.parquet.99.tmp"]
    not_ours = [out / "notes.tmp", out / "manifest.json.tmp", out / "manifest.json.old.tmp"]
    for leftover in (*ours, *not_ours):
        leftover.write_text("partial")
    assert sweep(path, model="sweep_toys:ishigami").remaining == 0
    assert not any(p.exists() for p in ours)
    assert all(p.read_text() == "partial" for p in not_ours)  # never delete what the user made


@pytest.mark.slow
def test_dask_sweep_survives_a_worker_killed_mid_batch_and_a_hanging_run(ishigami_file, sweep, tmp_path):
    flag = tmp_path / "killed-once"
    path = ishigami_file(samples=30, extra=f'run_timeout_s = 1\n[constants]\nsteps = 2\nflag = "{flag}"')
    (tmp_path / "no-kill").touch()
    reference = ishigami_file(
        samples=30, extra=f'run_timeout_s = 1\n[constants]\nsteps = 2\nflag = "{tmp_path / "no-kill"}"', file="r.toml"
    )
    sweep(reference, out="reference", model="sweep_toys:dies_once_mid_batch")
    summary = sweep(
        path, out="dask", model="sweep_toys:dies_once_mid_batch", workers=2, batch_size=5, checkpoint_seconds=0.3
    )
    assert flag.exists(), "no worker was killed"
    assert summary.remaining == 0
    frame = _same_runs(tmp_path / "dask", tmp_path / "reference")
    hung = frame["x1"] > 2.5
    assert hung.any() and frame.loc[hung, "error"].str.contains("time limit").all()


# --- a damaged batch file -------------------------------------------------------------------------------


def _damage(path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif how == "random":
        path.write_bytes(os.urandom(len(data)))
    else:  # flip bits in the middle of the file, where the data pages are
        for i in range(len(data) // 3, len(data) // 3 + 8):
            data[i] ^= 0xFF
        path.write_bytes(bytes(data))


def test_damaged_batch_files_are_named_set_aside_and_their_runs_run_again(ishigami_file, sweep, tmp_path, capsys):
    path = ishigami_file(samples=60, extra='timeseries = ["level"]\n[constants]\nsteps = 3')
    sweep(path, out="reference", model="sweep_toys:with_series")
    out = tmp_path / "out"
    sweep(path, model="sweep_toys:with_series", batch_size=5, checkpoint_seconds=1e-9)
    store = Store(out)
    scalars, series = store.batch_files(SCALARS), store.batch_files(TIMESERIES)
    assert len(scalars) >= 6
    _damage(scalars[1], "truncate")
    _damage(scalars[3], "flip")
    _damage(series[4], "random")
    bad = {scalars[1], scalars[3], series[4]}

    with pytest.raises(StoreError, match=scalars[1].name):
        experiments.load(out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        partial = experiments.load(out, damaged="skip")
    assert len(partial) == 60 - 10 and "damaged" in str(caught[0].message)

    assert main(["sweep", "status", str(out)]) == 0
    printed = capsys.readouterr().out
    assert all(str(p) in printed for p in bad) and "status:    damaged" in printed

    summary = sweep(path, model="sweep_toys:with_series", batch_size=5)
    assert sorted(p.name for p in summary.set_aside) == sorted(f"{p.parent.name}-{p.name}" for p in bad)
    assert summary.ran == 15 and summary.remaining == 0
    assert sorted(p.name for p in (out / DAMAGED).iterdir()) == sorted(
        [f"{kind}-{p.name}" for p in bad for kind in (SCALARS, TIMESERIES)]
    )
    _same_runs(out, tmp_path / "reference")
    series_frame = experiments.load_timeseries(out)
    assert len(series_frame) == 60 * 3 and not series_frame.duplicated(["run_id", "step"]).any()
    assert main(["sweep", "status", str(out)]) == 0
    assert "status:    complete" in capsys.readouterr().out


def test_a_damaged_design_is_rebuilt_and_a_damaged_manifest_is_named(ishigami_file, sweep, tmp_path):
    path = ishigami_file(samples=10)
    sweep(path, model="sweep_toys:ishigami")
    out = tmp_path / "out"
    sample = (out / "sample.parquet").read_bytes()
    _damage(out / "design.parquet", "truncate")
    _damage(out / "sample.parquet", "random")
    with pytest.raises(StoreError, match="design.parquet"):
        experiments.load(out)
    summary = sweep(path, model="sweep_toys:ishigami")
    assert summary.resumed and summary.ran == 0 and len(experiments.load(out)) == 10
    assert (out / "sample.parquet").read_bytes() == sample
    (out / "manifest.json").write_bytes(b"\x00garbage")
    with pytest.raises(StoreError, match="manifest.json is damaged"):
        experiments.load(out)


# --- a full disk, a read-only disk --------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 400 KiB tmpfs mounted for the test (needs root; skipped loudly otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root: the full-disk tests did not run")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}): the full-disk tests did not run")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _fill(disk, leave: int = 8192) -> None:
    """Fill the disk but for ``leave`` bytes."""
    with open(disk / "filler", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\1" * 4096)
        except OSError:
            pass
    os.truncate(disk / "filler", os.path.getsize(disk / "filler") - leave)


def test_a_full_disk_is_one_line_exit_1_and_keeps_the_earlier_run(small_disk, capsys):
    small = ["--set", "n_user_agents=100", "--quarters", "2", "--no-figures"]
    out = small_disk / "run"
    assert main(["run", "--out", str(out), *small]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    _fill(small_disk)
    assert main(["run", "--out", str(out), "--seed", "2", *small]) == 1
    assert "the disk is full" in _one_line(capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "run"]  # no temporary folder left


def test_a_sweep_on_a_full_disk_stops_in_one_line_and_resumes_once_there_is_room(
    small_disk, ishigami_file, sweep, tmp_path, capsys
):
    path = ishigami_file(samples=200, extra='timeseries = ["level", "noise"]\n[constants]\nsteps = 40')
    sweep(path, out="reference", model="sweep_toys:with_series")
    out = small_disk / "sweep"
    _fill(small_disk, leave=120_000)  # room for the design and about half the runs
    argv = ["sweep", str(path), "--out", str(out), "--workers", "1", "--model", "sweep_toys:with_series"]
    assert main([*argv, "--batch-size", "20", "--checkpoint-every", "0.000001"]) == 1
    assert "the disk is full" in _one_line(capsys)
    assert not list(out.rglob("*.tmp"))
    done = experiments.load(out)
    assert 0 < len(done) < 200 and done["run_id"].is_unique
    (small_disk / "filler").unlink()
    assert main(argv) == 0
    _same_runs(out, tmp_path / "reference")


def test_a_read_only_disk_is_one_line_exit_1(small_disk, ishigami_file, capsys):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    assert main(["run", "--out", str(small_disk / "run"), "--set", "n_user_agents=100", "--quarters", "2"]) == 1
    assert "read-only" in _one_line(capsys)
    path = ishigami_file(samples=4)
    argv = ["sweep", str(path), "--out", str(small_disk / "sweep"), "--workers", "1", "--model", "sweep_toys:ishigami"]
    assert main(argv) == 1
    assert "read-only" in _one_line(capsys)

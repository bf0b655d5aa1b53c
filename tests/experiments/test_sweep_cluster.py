"""Sweeps on a 2-worker LocalCluster (processes): same numbers as in-process; crashing runs end as failed."""

from __future__ import annotations

import pandas as pd

import experiments


def test_same_results_for_any_worker_count(ishigami_file, sweep):
    path = ishigami_file(samples=60, replications=2)
    one = sweep(path, out="one", workers=1, model="sweep_toys:raises_when_high")
    two = sweep(path, out="two", workers=2, model="sweep_toys:raises_when_high", batch_size=3)
    assert one.failed == two.failed > 0 and one.ok == two.ok
    frame_one = experiments.load(one.out).drop(columns="elapsed_s")
    frame_two = experiments.load(two.out).drop(columns="elapsed_s")
    assert len(frame_two) == frame_two["run_id"].nunique() == 120
    pd.testing.assert_frame_equal(frame_one, frame_two)


def test_a_run_that_kills_its_worker_ends_as_failed(ishigami_file, sweep):
    path = ishigami_file(samples=40)
    # allowed_failures=0: Dask gives up on a task after one worker death (keeps the test quick).
    summary = sweep(path, workers=2, model="sweep_toys:dies_when_high", batch_size=4, allowed_failures=0)
    frame = experiments.load(summary.out)
    poison = frame["x1"] > 2.9
    assert poison.any()
    assert len(frame) == frame["run_id"].nunique() == 40
    assert (frame.loc[poison, "status"] == "failed").all()
    assert frame.loc[poison, "error"].str.contains("worker process died").all()
    assert (frame.loc[~poison, "status"] == "ok").all()  # its batch-mates were re-run and succeeded


def test_local_workers_run_without_dasks_profiler(ishigami_file, sweep):
    """The statistical profiler and the 20 ms health tick cost a sweep CPU for a dashboard nobody opens."""
    path = ishigami_file(samples=4, outputs='["profiling", "tick_s"]')
    summary = sweep(path, workers=2, model="sweep_toys:worker_settings")
    frame = experiments.load(summary.out)
    assert (frame["status"] == "ok").all()
    assert (frame["profiling"] == 0.0).all()
    assert (frame["tick_s"] == 1.0).all()

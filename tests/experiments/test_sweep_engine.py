"""Sweeps in this process: results, failures, time series, resume, refusals, status."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import sobol as sobol_analyze

import experiments
from experiments.errors import ExperimentError, StoreError
from experiments.store import Store
from experiments.sweep import choose_batch_size
from sim.outputs import OutputError
from sovai.cli import main

ISH = "sweep_toys:ishigami"


def test_sobol_sweep_carries_what_salib_needs(ishigami_file, sweep, tmp_path):
    summary = sweep(ishigami_file(design="sobol", samples=200, replications=2), model=ISH)
    assert (summary.n_runs, summary.ok, summary.failed) == (256 * 8 * 2, 4096, 0)
    frame = experiments.load(tmp_path / "out")
    assert len(frame) == frame["run_id"].nunique() == 4096
    assert list(frame.columns[:6]) == ["run_id", "point", "replicate", "x1", "x2", "x3"]
    assert (frame["status"] == "ok").all() and frame["error"].isna().all()

    manifest = experiments.load_manifest(tmp_path / "out")
    assert manifest["design"] == "sobol" and manifest["N"] == 256 and manifest["samples_requested"] == 200
    assert manifest["calc_second_order"] is True and manifest["groups"] is None
    assert manifest["seeds"]["master_seed"] == 11 and manifest["replications"] == 2
    assert manifest["outputs"] == ["y", "noise"]
    # The analysis side needs nothing but the manifest and the outcomes in point order.
    y = frame.groupby("point")["y"].mean().to_numpy()
    indices = sobol_analyze.analyze(manifest["problem"], y, calc_second_order=manifest["calc_second_order"], seed=1)
    np.testing.assert_allclose(indices["ST"], [0.558, 0.442, 0.244], atol=0.1)  # Ishigami's analytic ST


def test_runs_are_reproducible_from_the_recorded_seed(ishigami_file, sweep, tmp_path):
    sweep(ishigami_file(replications=3), model=ISH)
    frame = experiments.load(tmp_path / "out")
    from sweep_toys import ishigami

    for row in frame.sample(5, random_state=0).itertuples():
        again = ishigami(seed=row.seed, x1=row.x1, x2=row.x2, x3=row.x3)
        assert again["noise"] == row.noise and again["y"] == row.y
    assert frame.groupby("point")["noise"].nunique().eq(3).all()  # replicates differ only by seed


def test_batch_size_does_not_change_results(ishigami_file, sweep):
    path = ishigami_file(samples=30, replications=2)
    frames = []
    for i, batch_size in enumerate((1, 7, None)):
        summary = sweep(path, out=f"o{i}", model=ISH, batch_size=batch_size)
        frames.append(experiments.load(summary.out).drop(columns="elapsed_s"))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    pd.testing.assert_frame_equal(frames[0], frames[2])


def test_failed_runs_are_recorded_and_the_sweep_goes_on(ishigami_file, sweep, tmp_path):
    summary = sweep(ishigami_file(samples=60), model="sweep_toys:raises_when_high")
    frame = experiments.load(tmp_path / "out")
    high = frame["x1"] > 2.0
    assert high.any() and (~high).any()
    assert (frame.loc[high, "status"] == "failed").all() and (frame.loc[~high, "status"] == "ok").all()
    assert frame.loc[high, "error"].str.startswith("ValueError: x1 = ").all()
    assert frame.loc[high, "error"].str.contains("sweep_toys.py").all()  # where it was raised
    assert frame.loc[high, ["y", "noise"]].isna().all().all()
    assert summary.failed == int(high.sum()) and summary.ok == int((~high).sum())
    assert summary.errors and summary.errors[0][1].startswith("ValueError")


def test_a_sweep_where_every_run_fails_still_completes(write, sweep, tmp_path):
    path = write("[experiment]\ndesign = 'lhs'\nsamples = 12\n[parameters.x1]\nlow = 2.5\nhigh = 3\n")
    summary = sweep(path, model="sweep_toys:raises_when_high")
    assert (summary.ok, summary.failed, summary.remaining) == (0, 12, 0)
    frame = experiments.load(tmp_path / "out")
    assert len(frame) == 12 and (frame["status"] == "failed").all()


def test_time_series_are_kept(ishigami_file, sweep, tmp_path):
    path = ishigami_file(samples=10, replications=2, extra='timeseries = ["level"]')
    sweep(path, model="sweep_toys:with_series")
    series = experiments.load_timeseries(tmp_path / "out")
    assert list(series.columns) == ["run_id", "step", "quarter", "level"]
    assert len(series) == 20 * 4 and series.groupby("run_id").size().eq(4).all()
    frame = experiments.load(tmp_path / "out").set_index("run_id")
    np.testing.assert_allclose(series["level"], frame.loc[series["run_id"], "x1"].to_numpy() * series["step"])
    only = experiments.load_timeseries(tmp_path / "out", columns=["level"])
    assert list(only.columns) == ["run_id", "step", "level"]


def test_outputs_default_to_every_number_the_model_returns(ishigami_file, sweep, tmp_path):
    path = ishigami_file()
    path.write_text(path.read_text().replace('outputs = ["y", "noise"]\n', ""))
    sweep(path, model=ISH)
    manifest = experiments.load_manifest(tmp_path / "out")
    assert manifest["outputs"] == ["noise", "y", "y_noisy"]
    assert {"noise", "y", "y_noisy"} <= set(experiments.load(tmp_path / "out").columns)


def test_unknown_outputs_stop_the_sweep_and_a_fixed_file_starts_over(ishigami_file, sweep, tmp_path):
    path = ishigami_file(outputs='["y", "nois"]')
    with pytest.raises(ExperimentError, match=r"outputs: the model returns no outcome 'nois'; did you mean noise"):
        sweep(path, model=ISH)
    assert not Store(tmp_path / "out").batch_files()
    path.write_text(path.read_text().replace('"nois"', '"noise"'))
    summary = sweep(path, model=ISH)  # nothing was run, so no --fresh needed
    assert summary.ok == 40 and not summary.resumed


def test_resume_runs_only_the_missing_runs(ishigami_file, sweep, tmp_path):
    path = ishigami_file(samples=50, replications=2, extra='timeseries = ["level"]')
    sweep(path, model="sweep_toys:with_series", batch_size=5, checkpoint_seconds=1e-9)
    store = Store(tmp_path / "out")
    complete = experiments.load(store.root).drop(columns="elapsed_s")
    files = store.batch_files()
    assert len(files) == 20
    for path_ in files[3:9]:  # as if the driver died: lose some batches, leave their series as orphans
        path_.unlink()
    (store.root / "scalars" / "batch-000099.parquet.123.tmp").write_bytes(b"half a file")
    summary = sweep(path, model="sweep_toys:with_series")
    assert summary.resumed and summary.ran == 30 and summary.ok == 100
    resumed = experiments.load(store.root).drop(columns="elapsed_s")
    assert len(resumed) == resumed["run_id"].nunique() == 100
    pd.testing.assert_frame_equal(resumed, complete)
    series = experiments.load_timeseries(store.root)
    assert len(series) == 100 * 4 and not series.duplicated(["run_id", "step"]).any()
    assert not list(store.root.rglob("*.tmp"))
    again = sweep(path, model="sweep_toys:with_series")
    assert again.ran == 0 and again.remaining == 0


def test_resume_refuses_a_changed_experiment_and_fresh_starts_over(ishigami_file, sweep, tmp_path):
    path = ishigami_file(samples=20)
    sweep(path, model=ISH)
    path.write_text(path.read_text().replace("samples = 20", "samples = 30") + "# a comment\n")
    with pytest.raises(StoreError, match=r"differs in samples.*--fresh to discard its 20 runs"):
        sweep(path, model=ISH)
    summary = sweep(path, model=ISH, fresh=True)
    assert summary.n_runs == 30 and summary.ok == 30 and not summary.resumed
    path.write_text(path.read_text() + "\n[cluster]\nqueue = 'other'\n")  # where, not what: still resumable
    assert sweep(path, model=ISH).resumed


def test_resume_refuses_changed_model_code(write, sweep, tmp_path):
    model = tmp_path / "mymodel.py"
    model.write_text("def f(*, seed, a):\n    return {'y': a}\n")
    path = write("[experiment]\ndesign = 'lhs'\nsamples = 5\n[parameters.a]\nlow = 0\nhigh = 1\n")
    sweep(path, model=f"{model}:f")
    manifest = experiments.load_manifest(tmp_path / "out")
    assert manifest["model"] == f"{model}:f" and manifest["code_version"]["source_sha256"]
    model.write_text("def f(*, seed, a):\n    return {'y': 2 * a}\n")
    from experiments.models import resolve_model

    resolve_model.cache_clear()
    with pytest.raises(StoreError, match="model source code changed"):
        sweep(path, model=f"{model}:f")


def test_a_folder_in_use_or_not_a_sweep_is_refused(ishigami_file, sweep, tmp_path):
    path = ishigami_file()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="holds files sovai did not write"):
        sweep(path, out="other", model=ISH)
    with Store(tmp_path / "busy").lock(), pytest.raises(StoreError, match="in use by a running sweep"):
        sweep(path, out="busy", model=ISH)


def test_status_and_pending(ishigami_file, sweep, tmp_path, capsys):
    path = ishigami_file(samples=30)
    sweep(path, model=ISH, batch_size=3, checkpoint_seconds=1e-9)
    for path_ in Store(tmp_path / "out").batch_files()[:4]:
        path_.unlink()
    assert main(["sweep", "status", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "done:      18 (18 ok, 0 failed)" in out and "remaining: 12" in out and "incomplete" in out
    frame = experiments.load(tmp_path / "out", pending=True)
    assert len(frame) == 30 and (frame["status"] == "pending").sum() == 12
    assert main(["sweep", "status", str(tmp_path)]) == 2
    assert "not a sweep results folder" in capsys.readouterr().err


def test_cli_sweep_prints_a_summary(ishigami_file, tmp_path, capsys):
    path = ishigami_file(samples=100)
    code = main(
        ["sweep", str(path), "--workers", "1", "--model", "sweep_toys:raises_when_high", "--out", str(tmp_path / "cli")]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "runs done" in captured.out and "failed" in captured.out and "ValueError" in captured.out
    assert "experiments.load(" in captured.out
    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert manifest["n_runs"] == 100 and manifest["experiment_text"] == path.read_text()


def test_choose_batch_size():
    assert choose_batch_size(0.1, 10_000, 2) == 5  # 0.5 s of work per task
    assert choose_batch_size(2.0, 10_000, 2) == 1
    assert choose_batch_size(1e-6, 10_000, 2) == 500  # at least 10 tasks per slot
    assert choose_batch_size(1e-6, 5, 8) == 1


@pytest.mark.parametrize("toy", ["with_series", "uneven_series"])
def test_a_batch_keeps_each_runs_series_as_a_frame_per_run_would(toy):
    """The batch's series, made in one go, equal the runs' own frames joined (a column a run lacks is NaN there)."""
    from sweep_toys import uneven_series, with_series

    from experiments.runner import Batch, RunConfig, run_batch, run_seed

    model = {"with_series": with_series, "uneven_series": uneven_series}[toy]
    kept = ("level",)
    config = RunConfig(model=f"sweep_toys:{toy}", base={}, master_seed=5, seed_mode="common")
    batch = Batch([0, 1, 2], {"x1": [0.5, 1.0, 1.5]})
    got = run_batch(config, batch).timeseries
    assert got is None  # nothing kept, nothing made

    config = RunConfig(model=f"sweep_toys:{toy}", base={}, master_seed=5, timeseries=kept)
    got = run_batch(config, batch).timeseries
    frames = []
    for run_id, x1 in zip(batch.run_ids, batch.params["x1"], strict=True):
        series = model(seed=run_seed(5, run_id), x1=x1)["timeseries"]
        frame = pd.DataFrame({"run_id": run_id, "step": np.arange(len(series), dtype=np.int32)})
        if "quarter" in series:
            frame["quarter"] = series["quarter"].to_numpy()
        frame["level"] = series["level"].to_numpy()
        frames.append(frame)
    expected = pd.concat(frames, ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)
    assert list(got.columns) == list(expected.columns)
    if toy == "uneven_series":
        assert got["quarter"].isna().any() and got["quarter"].notna().any()

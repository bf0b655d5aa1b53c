"""Cluster support: dask-jobqueue settings from [cluster], and the Slurm example script (with a fake srun)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import experiments
from experiments.errors import ExperimentError
from experiments.pools import check_cluster_settings, make_jobqueue_cluster

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

pytest.importorskip("dask_jobqueue")


def test_cluster_table_becomes_a_slurm_job_script():
    settings = {
        "jobs": 3,
        "cores": 8,
        "memory": "16GB",
        "walltime": "01:30:00",
        "account": "proj42",
        "queue": "short",
        "job_script_prologue": ["source .venv/bin/activate"],
    }
    check_cluster_settings("slurm", settings, "exp.toml")
    cluster, slots = make_jobqueue_cluster("slurm", settings)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert slots == 24  # 3 jobs x 8 single-threaded workers
    for line in (
        "#SBATCH -A proj42",
        "#SBATCH -p short",
        "#SBATCH -t 01:30:00",
        "source .venv/bin/activate",
        "--nthreads 1",
        "--nworkers 8",
    ):
        assert line in script


def test_batch_job_workers_get_the_sweep_settings_before_the_users_prologue():
    """The workers of a job read Dask's settings from the environment: the job script exports them."""
    import dask

    from experiments.pools import QUIET_SERVERS

    cluster, _ = make_jobqueue_cluster("slurm", {"cores": 2, "memory": "4GB", "job_script_prologue": ["module load x"]})
    try:
        lines = cluster.job_script().splitlines()
    finally:
        cluster.close()
    exports = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export DASK_"))
    assert lines.index("module load x") > max(lines.index(f"export {k}={v}") for k, v in exports.items())
    read = dask.config.collect_env(exports)
    for key, value in QUIET_SERVERS.items():
        assert dask.config.get(key, config=read) == value


def test_setup_lines_from_the_dask_config_are_kept():
    """A site's ``jobqueue.slurm.job-script-prologue`` (its venv, its modules) still reaches the job script."""
    import dask

    with dask.config.set({"jobqueue.slurm.job-script-prologue": ["module load python/3.12"]}):
        cluster, _ = make_jobqueue_cluster("slurm", {"cores": 2, "memory": "4GB"})
    try:
        lines = cluster.job_script().splitlines()
    finally:
        cluster.close()
    assert lines.index("module load python/3.12") > lines.index(
        "export DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False"
    )


def test_cluster_table_typos_are_refused():
    with pytest.raises(
        ExperimentError, match=r"\[cluster\] walltim: unknown setting for --slurm; did you mean walltime"
    ):
        check_cluster_settings("slurm", {"walltim": "1:00:00"}, "exp.toml")
    with pytest.raises(ExperimentError, match=r"jobs = 0 must be a whole number"):
        check_cluster_settings("pbs", {"jobs": 0}, "exp.toml")


FAKE_SRUN = """\
#!/usr/bin/env bash
# Stand-in for srun: start --ntasks copies of the command on this machine.
n=1
while [[ $# -gt 0 && $1 == -* ]]; do
    case $1 in --ntasks=*) n=${1#--ntasks=} ;; esac
    shift
done
pids=()
for ((i = 0; i < n; i++)); do "$@" & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null' TERM
wait "${pids[@]}"
"""


@pytest.mark.slow
def test_slurm_example_script_runs_a_sweep(tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    srun = fake_bin / "srun"
    srun.write_text(FAKE_SRUN)
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    experiment = tmp_path / "ish.toml"
    experiment.write_text(
        textwrap.dedent("""
        [experiment]
        model = "sweep_toys:ishigami"
        design = "lhs"
        samples = 60
        seed = 4
        [parameters.x1]
        low = -3
        high = 3
        """)
    )
    env = {
        **os.environ,
        "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}",
        "SLURM_NTASKS": "2",
        "SLURM_JOB_ID": "4242",
        "SLURM_SUBMIT_DIR": str(tmp_path),
        "SOVAI_VENV": sys.prefix,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        ["bash", str(ROOT / "experiments" / "slurm_example.sh"), str(experiment), str(tmp_path / "out")],
        env=env,
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # only the script's own session
    assert process.returncode == 0, output
    assert "60 of 60 runs done (60 ok, 0 failed)" in output
    frame = experiments.load(tmp_path / "out")
    assert len(frame) == frame["run_id"].nunique() == 60
    assert not (tmp_path / ".dask-scheduler-4242.json").exists()


def test_slurm_without_sbatch_is_refused_not_left_waiting(monkeypatch, tmp_path):
    from experiments.errors import ClusterError
    from experiments.pools import require_submit_command

    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch, no qsub
    with pytest.raises(ClusterError, match="'sbatch', which is not on the PATH"):
        require_submit_command("slurm")
    with pytest.raises(ClusterError, match="'qsub'"):
        require_submit_command("pbs")

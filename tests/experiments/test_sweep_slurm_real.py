"""A real one-node Slurm on localhost runs sweeps exactly as ``--workers 1`` does.

The test starts munged and Slurm 22.05's slurmctld and slurmd (Debian packages ``slurmctld slurmd
slurm-client munge``, which ``.ci/run`` installs) with private ports, state directory and munge
socket, so nothing of the machine's own Slurm or munge is touched. It then runs

(a) ``sbatch experiments/slurm_example.sh``: a first job is cut by its time limit, the same command
    submitted again finishes the sweep, and the job log ends cleanly;
(b) ``sovai sweep --slurm``: workers started as Slurm jobs by dask-jobqueue; the worker job is cut
    by its time limit and the sweep submits another;

side by side (the test partition lets two jobs share a CPU, so one of Slurm's 30-s time-limit checks
cuts both first jobs), and checks both results against the same sweep run in this process. Where
Slurm cannot be started (not root, packages missing) the test is skipped with the reason, never silently.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

import experiments
from experiments.store import Store

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("munge", "sbatch", "squeue", "scontrol", "sinfo", "scancel")

EXPERIMENT = """
[experiment]
name = "slurm-check"
model = "sweep_toys:paced"
design = "lhs"
samples = 48
seed = 9
timeseries = ["level"]
[parameters.x1]
low = -3
high = 3
[parameters.x2]
low = -3
high = 3
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition, seconds: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Slurm:
    """A private one-node Slurm: its folder, the environment its commands need, its daemons."""

    root: Path
    env: dict[str, str]
    cpus: int
    memory_mb: int
    daemons: list[subprocess.Popen] = field(default_factory=list)

    def command(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(args, env=env or self.env, cwd=cwd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{' '.join(args)}: {done.stderr}"
        return done.stdout

    def job_state(self, job: str) -> str:
        line = self.command("scontrol", "-o", "show", "job", job)
        return re.search(r"JobState=(\w+)", line).group(1)

    def running(self, job: str) -> bool:
        return self.job_state(job) in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING")

    def wait_job(self, job: str, seconds: float = 180) -> str:
        _wait(lambda: not self.running(job), seconds, f"job {job} to end")
        return self.job_state(job)


def _start_daemon(slurm: Slurm, args: list[str], log: Path) -> None:
    with log.open("w") as out:
        slurm.daemons.append(
            subprocess.Popen(args, env=slurm.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        )


def _stop(slurm: Slurm) -> None:
    """Cancel this cluster's jobs, then stop the daemons this test started, by PID, newest first."""
    if slurm.daemons and slurm.daemons[-1].poll() is None:
        subprocess.run(["scancel", "--user", "root"], env=slurm.env, capture_output=True, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            queue = subprocess.run(["squeue", "-h"], env=slurm.env, capture_output=True, text=True, timeout=30)
            if queue.returncode or not queue.stdout.strip():
                break
            time.sleep(0.5)
    for process in reversed(slurm.daemons):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def slurm(tmp_path_factory) -> Iterator[Slurm]:
    """Start munged, slurmctld and slurmd for this module; stop them afterwards."""
    if os.geteuid() != 0:
        pytest.skip("real Slurm test: needs root to run slurmd (SlurmUser=root); run it through .ci/run as root")
    missing = [name for name in (*DAEMONS, *CLIENTS) if not shutil.which(name, path=os.environ["PATH"] + ":/usr/sbin")]
    if missing:
        pytest.skip(
            f"real Slurm test: {', '.join(missing)} not installed "
            "(apt-get install slurmctld slurmd slurm-client munge; .ci/run does it)"
        )
    root = tmp_path_factory.mktemp("slurm")
    root.chmod(0o755)
    munge_dir = root / "munge"
    munge_dir.mkdir(mode=0o755)  # munged refuses a socket directory that others cannot search (700)
    munge_dir.chmod(0o755)
    key = munge_dir / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    for sub in ("state", "spool"):
        (root / sub).mkdir()
    socket_path = munge_dir / "munge.socket"
    host = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    conf = root / "slurm.conf"
    conf.write_text(
        textwrap.dedent(f"""\
        ClusterName=sovaitest
        SlurmctldHost={host}(127.0.0.1)
        SlurmctldPort={_free_port()}
        SlurmdPort={_free_port()}
        AuthType=auth/munge
        CredType=cred/munge
        AuthInfo=socket={socket_path}
        SlurmUser=root
        SlurmdUser=root
        StateSaveLocation={root / "state"}
        SlurmdSpoolDir={root / "spool"}
        SlurmctldPidFile={root / "slurmctld.pid"}
        SlurmdPidFile={root / "slurmd.pid"}
        SlurmctldLogFile={root / "slurmctld.log"}
        SlurmdLogFile={root / "slurmd.log"}
        ProctrackType=proctrack/linuxproc
        TaskPlugin=task/none
        JobAcctGatherType=jobacct_gather/none
        AccountingStorageType=accounting_storage/none
        MpiDefault=none
        SwitchType=switch/none
        SelectType=select/cons_tres
        SelectTypeParameters=CR_CPU
        ReturnToService=2
        KillWait=10
        MinJobAge=3600
        NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
        PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:2
        """)
    )
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"], "/usr/sbin"])
    env = {
        **os.environ,
        "PATH": path,
        "SLURM_CONF": str(conf),
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    for name in list(env):
        if name.startswith(("SLURM_JOB", "SBATCH_", "SRUN_", "SLURM_NTASKS")):
            del env[name]  # when the suite itself runs inside a Slurm job
    cluster = Slurm(root, env, cpus, memory_mb)
    try:
        _start_daemon(
            cluster,
            [
                "munged",
                "--foreground",
                "--force",
                f"--socket={socket_path}",
                f"--key-file={key}",
                f"--pid-file={munge_dir / 'munged.pid'}",
                f"--seed-file={munge_dir / 'munged.seed'}",
                f"--log-file={munge_dir / 'munged.log'}",
            ],
            root / "munged.out",
        )
        _wait(socket_path.exists, 30, "munged's socket")
        _start_daemon(cluster, ["slurmctld", "-D", "-i"], root / "slurmctld.out")
        _start_daemon(cluster, ["slurmd", "-D"], root / "slurmd.out")

        def node_idle() -> bool:
            for process, name in zip(cluster.daemons, DAEMONS, strict=True):
                if process.poll() is not None:
                    log = (root / f"{name}.out").read_text() + (root / f"{name}.log").read_text() * (
                        (root / f"{name}.log").exists()
                    )
                    raise AssertionError(f"{name} exited with {process.returncode}:\n{log[-2000:]}")
            done = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True, timeout=30)
            return done.stdout.strip() == "idle"

        _wait(node_idle, 60, "the Slurm node to be idle")
        yield cluster
    finally:
        _stop(cluster)


def _same_results(out: Path, reference: Path) -> None:
    """Run for run and step for step, the sweep in ``out`` equals the one in ``reference``."""
    got, want = experiments.load(out), experiments.load(reference)
    assert len(got) == len(want) == 48 and (got["status"] == "ok").all()
    columns = [c for c in want.columns if c != "elapsed_s"]
    pd.testing.assert_frame_equal(got[columns], want[columns])
    pd.testing.assert_frame_equal(experiments.load_timeseries(out), experiments.load_timeseries(reference))


def _jobs(slurm: Slurm, *args: str) -> set[str]:
    return set(slurm.command("squeue", "-h", "-o", "%i", *args).split())


@pytest.mark.slow
def test_real_slurm_runs_sweeps_as_workers_1_does(slurm, sweep, tmp_path):
    work = tmp_path
    path = work / "slurm-check.toml"
    path.write_text(EXPERIMENT)
    sweep(path, out="reference")  # in this process, --workers 1
    reference = work / "reference"

    # (a) sbatch experiments/slurm_example.sh, as shipped but sized to this machine's CPUs.
    tasks = slurm.cpus
    assert tasks >= 2, "the example script needs 2 CPUs (a scheduler and a worker)"
    submit = ["sbatch", "--parsable", f"--ntasks={tasks}"]
    if slurm.memory_mb < 2048 * tasks:  # the script asks 2 GB per CPU
        submit.append(f"--mem-per-cpu={slurm.memory_mb // (2 * tasks)}M")
    submit += [str(ROOT / "experiments" / "slurm_example.sh"), path.name, "out-a", "--checkpoint-every", "0.5"]
    base_env = {**slurm.env, "SOVAI_VENV": sys.prefix}

    # (b) sovai sweep --slurm: one dask-jobqueue job with one single-threaded worker, on a copy of the
    # experiment with a [cluster] table.
    path_b = work / "slurm-check-b.toml"
    path_b.write_text(
        EXPERIMENT + '\n[cluster]\njobs = 1\ncores = 1\nmemory = "1GB"\nwalltime = "00:10:00"\n'
        f'log_directory = "{work / "jobqueue-logs"}"\n'
    )

    # The first jobs of both run slowly (3 s a run while their file `slow-*` exists: (a) must not finish
    # while (b) starts) and are cut by Slurm's time limit part way.
    slow = {part: work / f"slow-{part}" for part in "ab"}
    paced = {part: {"SOVAI_TOY_PACE_S": "3", "SOVAI_TOY_PACE_WHILE": str(file)} for part, file in slow.items()}
    for file in slow.values():
        file.touch()
    before = _jobs(slurm, "-t", "all")
    first = slurm.command(*submit, cwd=work, env={**base_env, **paced["a"]}).strip()
    driver = subprocess.Popen(
        [sys.executable, "-m", "sovai", "sweep", str(path_b), "--slurm", "--out", str(work / "out-b")],
        env={**slurm.env, **paced["b"]},
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        store, store_b = Store(work / "out-a"), Store(work / "out-b")
        _wait(lambda: len(store.batch_files()) >= 1 or not slurm.running(first), 120, "the first results of (a)")
        _wait(lambda: len(store_b.batch_files()) >= 1 or driver.poll() is not None, 180, "the --slurm sweep's results")
        worker_jobs = _jobs(slurm, "--name", "dask-worker") - before
        assert len(worker_jobs) == 1, worker_jobs
        cut = worker_jobs.pop()
        # A limit already passed: Slurm's own time-limit check (every 30 s) ends both jobs.
        for job in (first, cut):
            slurm.command("scontrol", "update", f"JobId={job}", "TimeLimit=0")
        assert slurm.wait_job(first) == "TIMEOUT"
        assert slurm.wait_job(cut) == "TIMEOUT"
        for file in slow.values():
            file.unlink()  # the next jobs run at full speed

        # (a) The first job's log says why it ended; the same command again runs only what is missing.
        first_log = (work / f"sovai-sweep-{first}.log").read_text()
        assert "DUE TO TIME LIMIT" in first_log, first_log
        done_first = len(store.done_run_ids())
        assert 0 < done_first < 48, first_log
        second = slurm.command(*submit, cwd=work, env={**base_env, **paced["a"]}).strip()
        assert slurm.wait_job(second) == "COMPLETED", (work / f"sovai-sweep-{second}.log").read_text()
        log = (work / f"sovai-sweep-{second}.log").read_text()
        ending = log.strip().splitlines()[-2:]
        assert re.match(
            rf"sweep 'slurm-check': 48 of 48 runs done \(48 ok, 0 failed\); {48 - done_first} run now", ending[0]
        )
        assert ending[1].startswith("load them with: experiments.load(")
        assert not re.search(r"srun: error|Killed|CANCELLED|Traceback", log), log
        _same_results(work / "out-a", reference)

        # (b) The sweep submits a new worker job for the one cut and finishes.
        out, err = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            driver.kill()  # only the driver this test started
            driver.wait()
    assert driver.returncode == 0, out + err
    assert "48 of 48 runs done (48 ok, 0 failed)" in out
    replacements = _jobs(slurm, "-t", "all", "--name", "dask-worker") - before - {cut}
    assert replacements, "no new worker job was submitted after the first was cut"
    _same_results(work / "out-b", reference)
    assert slurm.command("squeue", "-h").strip() == ""  # the worker jobs are gone with the sweep

"""Where runs execute: in this process, or on Dask (a LocalCluster, a scheduler, or Slurm/PBS jobs).

Both pools offer the same three calls: ``submit(config, batch)``, ``next_done(timeout)`` (the next
finished batch with its result, or None when none finished in time) and ``slots()`` (how many
batches can run at once). A batch whose worker died
more often than ``distributed.scheduler.allowed-failures`` allows comes back as :class:`WorkerDied`
instead of a result, so the sweep can re-run its runs one by one and mark the culprit failed.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import multiprocessing
import os
import shutil
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from experiments.errors import ClusterError, ExperimentError
from experiments.runner import Batch, BatchResult, RunConfig, run_batch

#: Times a worker may die running a task before Dask gives up on it (KilledWorker). One retry
#: covers a worker lost for reasons of its own; the sweep then retries a dead batch run by run.
DEFAULT_ALLOWED_FAILURES = 1
#: Seconds between refreshes of the worker count of a Dask cluster.
_SLOTS_REFRESH_SECONDS = 5.0
#: Seconds between checks that the cluster still has workers while waiting for results.
_WATCH_SECONDS = 10.0
#: Seconds a local cluster may be without any worker before the sweep stops instead of hanging.
_LOCAL_NO_WORKERS_SECONDS = 120.0
JOBQUEUE_KINDS = ("slurm", "pbs")


def echo_to_stderr(message: str) -> None:
    """Print a status line as ``sovai: message`` on standard error."""
    print(f"sovai: {message}", file=sys.stderr, flush=True)


@dataclass
class RunOptions:
    """Where a study's runs go and on what they run: the options a sweep and a search share.

    Attributes:
        out: Results folder (default: results/<name>).
        workers: Local worker processes (None: one per core; 1: in this process, without Dask).
        scheduler: Address of a running Dask scheduler.
        scheduler_file: Scheduler file of a running Dask scheduler.
        jobqueue: "slurm" or "pbs": start workers as batch jobs with the file's [cluster] settings.
        model: "module:function" overriding the file's model.
        fresh: Discard what ``out`` holds and start over.
        progress: Show progress (None: the command's default).
        echo: Prints a status line.
    """

    out: str | Path | None = None
    workers: int | None = None
    scheduler: str | None = None
    scheduler_file: str | None = None
    jobqueue: str | None = None
    model: str | None = None
    fresh: bool = False
    progress: bool | None = None
    echo: Callable[[str], None] = echo_to_stderr

    @property
    def local_cluster(self) -> bool:
        """Whether these options start a cluster of worker processes on this machine."""
        return self.workers != 1 and on_this_machine(self.scheduler, self.scheduler_file, self.jobqueue)

    def pool_settings(self) -> dict[str, Any]:
        """The keywords of :func:`open_pool` these options set."""
        return {
            "workers": self.workers,
            "scheduler": self.scheduler,
            "scheduler_file": self.scheduler_file,
            "jobqueue": self.jobqueue,
            "echo": self.echo,
        }


@dataclass(frozen=True)
class WorkerDied:
    """A batch whose worker process died every time it ran it."""

    message: str


class Pool(Protocol):
    """What the sweep needs from an executor."""

    def slots(self) -> int:
        """Batches that can run at once."""
        ...

    def submit(self, config: RunConfig, batch: Batch) -> None:
        """Queue a batch."""
        ...

    def next_done(self, timeout: float | None = None) -> tuple[Batch, BatchResult | WorkerDied] | None:
        """Wait for the next finished batch; None when none finished within ``timeout`` seconds."""
        ...


class InProcessPool:
    """Runs batches one after another in this process (``--workers 1``: simple to debug).

    A batch runs in a background thread, so the sweep can write finished runs on time while a long
    run is still going, and a signal (SIGTERM, Ctrl-C) stops the sweep at once.
    """

    def __init__(self) -> None:
        self._queue: deque[tuple[RunConfig, Batch]] = deque()
        self._running: tuple[Batch, threading.Thread, dict[str, Any]] | None = None

    def slots(self) -> int:
        """One batch at a time."""
        return 1

    def submit(self, config: RunConfig, batch: Batch) -> None:
        """Queue a batch; it runs when :meth:`next_done` is called."""
        self._queue.append((config, batch))

    def next_done(self, timeout: float | None = None) -> tuple[Batch, BatchResult | WorkerDied] | None:
        """Run the oldest queued batch; None when it is still running after ``timeout`` seconds."""
        if self._running is None:
            config, batch = self._queue.popleft()
            box: dict[str, Any] = {}

            def work() -> None:
                try:
                    box["result"] = run_batch(config, batch)
                except BaseException as err:  # handed to the sweep's thread
                    box["error"] = err

            thread = threading.Thread(target=work, name="sovai-batch", daemon=True)
            thread.start()
            self._running = (batch, thread, box)
        batch, thread, box = self._running
        thread.join(timeout)
        if thread.is_alive():
            return None
        self._running = None
        if "error" in box:
            raise box["error"]
        return batch, box["result"]


class DaskPool:
    """Runs batches as Dask tasks, one task per batch, results gathered as they complete."""

    def __init__(
        self,
        client: Any,
        expected_slots: int = 0,
        *,
        local: bool = False,
        echo: Callable[[str], None] = lambda _: None,
        keep_jobs: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.keep_jobs = keep_jobs
        self._kept_at = time.monotonic()
        self.expected_slots = expected_slots
        self.local = local
        self.echo = echo
        self._pending: dict[Any, Batch] = {}
        self._slots = 0
        self._slots_at = -_SLOTS_REFRESH_SECONDS
        self._no_workers_since: float | None = None

    def slots(self) -> int:
        """Worker threads in the cluster now (at least the number expected once jobs start)."""
        if time.monotonic() - self._slots_at >= _SLOTS_REFRESH_SECONDS:
            with self._scheduler_lost():
                self._slots = sum(self.client.nthreads().values())
            self._slots_at = time.monotonic()
        return max(self._slots, self.expected_slots, 1)

    def submit(self, config: RunConfig, batch: Batch) -> None:
        """Submit a batch as one task."""
        key = f"sovai-runs-{batch.run_ids[0]}-{len(batch)}-{os.urandom(4).hex()}"
        with self._scheduler_lost():
            self._pending[self.client.submit(run_batch, config, batch, key=key, pure=False)] = batch

    @contextlib.contextmanager
    def _scheduler_lost(self) -> Iterator[None]:
        """Turn the scheduler going away (its futures cancelled, its connection closed) into one line.

        distributed raises a bare OSError when reconnecting times out, CommClosedError or RPCClosed
        (OSError subclasses) when a comm it was using closes, and ConnectionError when a link drops; other
        OSErrors (a FileNotFoundError, say) come from the task itself through ``future.result`` and
        pass through as they are.
        """
        from concurrent.futures import CancelledError

        try:
            yield
        except TimeoutError:  # an OSError too, but a wait that ran out is the caller's to handle
            raise
        except (CancelledError, OSError) as err:
            if not _is_network_error(err):
                raise
            address = getattr(self.client.scheduler, "address", None) or "the Dask scheduler"
            raise ClusterError(
                f"lost the Dask scheduler ({address}: {type(err).__name__}); the runs finished so far "
                "are saved, run the same command to resume"
            ) from None

    def next_done(self, timeout: float | None = None) -> tuple[Batch, BatchResult | WorkerDied] | None:
        """The next finished batch; a KilledWorker comes back as :class:`WorkerDied`; None after ``timeout`` s.

        Raises:
            ClusterError: every worker of the local cluster is gone for good.
        """
        from distributed import KilledWorker, wait

        if not self._pending:
            raise RuntimeError("next_done() called with no batch submitted")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.keep_jobs is not None and time.monotonic() - self._kept_at >= _WATCH_SECONDS:
                # Batch jobs end (a walltime, a preempted node) and dask-jobqueue does not replace
                # them by itself; asking for the same number again submits the missing ones.
                self._kept_at = time.monotonic()
                with self._scheduler_lost():
                    self.keep_jobs()
            wait_for = _WATCH_SECONDS if deadline is None else min(_WATCH_SECONDS, deadline - time.monotonic())
            if wait_for <= 0:
                return None
            try:
                with self._scheduler_lost():
                    done = wait(list(self._pending), timeout=wait_for, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            for future in done:
                try:
                    # A result lost with its worker before it reached us is recomputed: wait for it.
                    with self._scheduler_lost():
                        outcome: BatchResult | WorkerDied = future.result(timeout=_WATCH_SECONDS)
                except KilledWorker:
                    outcome = WorkerDied(
                        "the worker process died every time it ran this run (a crash, "
                        "os._exit, or running out of memory); Dask gave up after "
                        f"{_allowed_failures() + 1} attempts"
                    )
                except TimeoutError:
                    continue
                future.release()
                return self._pending.pop(future), outcome
            self._check_workers()

    def _check_workers(self) -> None:
        """Fail rather than hang when a local cluster has lost every worker; say so when waiting on a remote one."""
        with self._scheduler_lost():
            connected = self.client.nthreads()
        if connected:
            self._no_workers_since = None
            return
        now = time.monotonic()
        if self._no_workers_since is None:
            self._no_workers_since = now
            if not self.local:
                self.echo("no Dask workers are connected; waiting for workers...")
        elif self.local and now - self._no_workers_since > _LOCAL_NO_WORKERS_SECONDS:
            raise ClusterError(
                f"every worker of the local Dask cluster is gone for more than "
                f"{_LOCAL_NO_WORKERS_SECONDS:.0f} s; finished runs are saved, run the same "
                "command again to resume"
            )


def _is_network_error(err: BaseException) -> bool:
    """Whether ``err`` is distributed saying the scheduler is out of reach, not a task's own OSError."""
    from concurrent.futures import CancelledError

    from distributed.comm import CommClosedError
    from distributed.core import RPCClosed

    # A bare OSError is distributed's connect timeout; its subclasses other than these come from the task.
    bare = type(err) is OSError
    return bare or isinstance(err, (CancelledError, CommClosedError, RPCClosed, ConnectionError))


#: Dask settings for every server of a sweep (this process's scheduler and nannies, every worker).
QUIET_SERVERS: dict[str, Any] = {
    # Dask's statistical profiler samples every thread's stack every 10 ms in each worker and in
    # this process, for a dashboard no sweep opens; on 2 cores it cost ~8% of a sweep's CPU.
    "distributed.worker.profile.enabled": False,
    # Every server wakes its event loop every 20 ms to measure the loop's health (a metric only);
    # each wake-up takes the GIL from the run in progress.
    "distributed.admin.tick.interval": "1s",
}


def _as_environment(settings: dict[str, Any]) -> list[str]:
    """Shell lines that give a process started elsewhere (a batch job's worker) these Dask settings."""
    return [
        f"export DASK_{key.upper().replace('.', '__').replace('-', '_')}={value}" for key, value in settings.items()
    ]


def _setup_lines(config_name: str, kwargs: dict[str, Any]) -> list[str]:
    """The setup lines dask-jobqueue would put in a job script (``module load``, a venv), taken out of ``kwargs``.

    As dask-jobqueue chooses them: the [cluster] table's ``job_script_prologue``, else the Dask
    config's ``jobqueue.<name>.job-script-prologue``, else the older ``env_extra`` of either.
    """
    import dask

    candidates = (
        kwargs.pop("job_script_prologue", None),
        dask.config.get(f"jobqueue.{config_name}.job-script-prologue", None),
        kwargs.pop("env_extra", None),
        dask.config.get(f"jobqueue.{config_name}.env-extra", None),
    )
    return list(next((lines for lines in candidates if lines), []))


def _allowed_failures() -> int:
    """The allowed-failures setting in force (the local or jobqueue scheduler runs in this process)."""
    import dask

    return int(dask.config.get("distributed.scheduler.allowed-failures"))


@contextlib.contextmanager
def open_pool(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    jobqueue: str | None = None,
    cluster_settings: dict[str, Any] | None = None,
    allowed_failures: int = DEFAULT_ALLOWED_FAILURES,
    preload: tuple[str, ...] = (),
    echo: Callable[[str], None] = lambda _: None,
) -> Iterator[Pool]:
    """Open the pool the options ask for, and close it (and any cluster it started) afterwards.

    Args:
        workers: Local worker processes; 1 runs in this process; None means one per core.
        scheduler: Address of a running Dask scheduler.
        scheduler_file: Scheduler file of a running Dask scheduler.
        jobqueue: "slurm" or "pbs" to start workers as batch jobs (dask-jobqueue).
        cluster_settings: The experiment's [cluster] table (for ``jobqueue``).
        allowed_failures: Times a worker may die on one task before it is reported as :class:`WorkerDied`.
        preload: Modules local workers should have imported before they start (the model's).
        echo: Prints a status line for the user.
    """
    local = on_this_machine(scheduler, scheduler_file, jobqueue)
    if workers == 1 and local:
        yield InProcessPool()
        return
    import dask
    import distributed  # noqa: F401  (its loggers must exist before they are quietened)

    settings = {
        "distributed.scheduler.allowed-failures": allowed_failures,
        # One task per worker thread, none queued behind it: when a run kills its worker, no
        # innocent batch waiting on that worker is blamed (each death counts against queued tasks).
        "distributed.scheduler.worker-saturation": 1.0,
        **QUIET_SERVERS,
    }
    if local:
        # A local nanny restarts its dead worker itself. By default the cluster also closes, for
        # good, a nanny whose worker is absent when a 15 s timer fires, so a run that keeps killing
        # workers would end with no workers and a hung sweep.
        settings["distributed.deploy.lost-worker-timeout"] = "3650 days"
        if start_worker_server(preload):
            settings["distributed.worker.multiprocessing-method"] = "forkserver"
    with dask.config.set(settings), _quiet_dask(), contextlib.ExitStack() as stack:
        client, expected, keep_jobs = _connect(
            stack, workers, scheduler, scheduler_file, jobqueue, cluster_settings or {}, echo
        )
        yield DaskPool(client, expected, local=local, echo=echo, keep_jobs=keep_jobs)


def on_this_machine(scheduler: str | None, scheduler_file: str | None, jobqueue: str | None) -> bool:
    """Whether a sweep with these options runs here (in this process or a local cluster), not elsewhere."""
    return not (scheduler or scheduler_file or jobqueue)


def start_worker_server(preload: tuple[str, ...] = ()) -> bool:
    """Start the server local workers are forked from, if this platform has one; False if not.

    Workers forked from a server that has already imported Dask, pandas and the model start (and
    restart after a crash) in a fraction of a second instead of seconds. The server imports them
    in its own process, so a caller that starts it early (before building the design) has those
    imports done while it works; a later call, from :func:`open_pool`, finds it running.

    Args:
        preload: Modules of the model for the server to import.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(["distributed", "experiments.runner", *preload])
    forkserver.ensure_running()
    return True


def local_worker_count() -> int:
    """Cores this process may use (one single-threaded worker per core)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _connect(
    stack: contextlib.ExitStack,
    workers: int | None,
    scheduler: str | None,
    scheduler_file: str | None,
    jobqueue: str | None,
    settings: dict[str, Any],
    echo: Callable[[str], None],
) -> tuple[Any, int, Callable[[], None] | None]:
    """Start or reach the cluster; return a client with workers, the slots expected and a job keeper.

    The job keeper (batch jobs only, else None) resubmits the jobs that have ended.
    """
    from distributed import Client, LocalCluster

    if scheduler or scheduler_file:
        where = scheduler or f"scheduler file {scheduler_file}"
        try:
            client = stack.enter_context(Client(scheduler, scheduler_file=scheduler_file, timeout="30s"))
        except (OSError, TimeoutError, ValueError) as err:
            raise ClusterError(f"cannot connect to the Dask scheduler ({where}): {err}") from None
        expected = 0
        keep_jobs = None
    elif jobqueue:
        require_submit_command(jobqueue)
        cluster, expected = make_jobqueue_cluster(jobqueue, settings)
        stack.enter_context(cluster)
        jobs = int(settings.get("jobs", 1))
        cluster.scale(jobs=jobs)

        def keep_jobs() -> None:
            cluster.scale(jobs=jobs)

        client = stack.enter_context(Client(cluster))
        where = f"{jobqueue} jobs"
    else:
        n = workers or local_worker_count()
        # No dashboard; the scheduler's small HTTP server takes any free port, not 8787 (often taken).
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
                scheduler_kwargs={"dashboard_address": ":0"},
            )
        )
        client = stack.enter_context(Client(cluster))
        return client, n, None
    if not client.nthreads():
        echo(f"waiting for Dask workers ({where})...")
        client.wait_for_workers(1)
    return client, expected, keep_jobs


def jobqueue_settings_allowed(kind: str) -> list[str]:
    """Keyword arguments the dask-jobqueue cluster class of ``kind`` accepts, plus ``jobs``."""
    cls = _jobqueue_class(kind)
    from dask_jobqueue.core import Job

    names = {"jobs"}
    for func in (cls.__init__, cls.job_cls.__init__, Job.__init__):
        names |= {
            p.name
            for p in inspect.signature(func).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"
        }
    return sorted(names - {"scheduler", "loop", "asynchronous", "job_cls", "n_workers"})


def check_cluster_settings(kind: str, settings: dict[str, Any], where: str) -> None:
    """Refuse unknown [cluster] keys and a bad ``jobs`` before anything starts.

    Raises:
        ExperimentError: an unknown key (with the nearest names) or ``jobs`` not a positive integer.
    """
    from experiments.validate import suggest

    allowed = jobqueue_settings_allowed(kind)
    for key in settings:
        if key not in allowed:
            raise ExperimentError(f"{where}: [cluster] {key}: unknown setting for --{kind}; {suggest(key, allowed)}")
    jobs = settings.get("jobs", 1)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ExperimentError(f"{where}: [cluster] jobs = {jobs!r} must be a whole number ≥ 1")


def make_jobqueue_cluster(kind: str, settings: dict[str, Any]) -> tuple[Any, int]:
    """A dask-jobqueue cluster (not yet scaled) from the [cluster] table, and the worker slots it will have.

    Each job runs ``processes`` single-threaded workers; ``processes`` defaults to ``cores``.

    Raises:
        ExperimentError: dask-jobqueue is missing or rejects the settings.
    """
    cls = _jobqueue_class(kind)
    kwargs = {k: v for k, v in settings.items() if k != "jobs"}
    if "cores" in kwargs and "processes" not in kwargs:
        kwargs["processes"] = kwargs["cores"]  # single-threaded workers, as on the local cluster
    # A batch job's workers read their settings from the environment, not from this process: the
    # exports go before the setup lines the job would have had anyway.
    kwargs["job_script_prologue"] = [*_as_environment(QUIET_SERVERS), *_setup_lines(cls.job_cls.config_name, kwargs)]
    try:
        cluster = cls(silence_logs=logging.CRITICAL, **kwargs)
    except (ValueError, TypeError) as err:
        raise ExperimentError(f"[cluster]: {cls.__name__} rejects these settings: {err}") from None
    job = getattr(cluster, "_dummy_job", None)  # dask-jobqueue's template job: it knows the real count
    processes = int(getattr(job, "worker_processes", kwargs.get("processes", 1)))
    return cluster, processes * int(settings.get("jobs", 1))


def require_submit_command(kind: str) -> None:
    """Refuse --slurm/--pbs where the batch system's submit command is missing (else the sweep waits forever).

    Raises:
        ClusterError: ``sbatch`` (or ``qsub``) is not on the PATH.
    """
    command = _jobqueue_class(kind).job_cls.submit_command.split()[0]
    if shutil.which(command) is None:
        raise ClusterError(
            f"--{kind} submits worker jobs with {command!r}, which is not on the PATH here; run "
            "the sweep on a login node of the cluster, or use experiments/slurm_example.sh"
        )


def _jobqueue_class(kind: str) -> Any:
    if kind not in JOBQUEUE_KINDS:
        raise ExperimentError(f"unknown job queue {kind!r}; one of {', '.join(JOBQUEUE_KINDS)}")
    try:
        import dask_jobqueue
    except ImportError:
        raise ExperimentError(f"--{kind} needs dask-jobqueue: pip install 'sovai[cluster]'") from None
    return dask_jobqueue.SLURMCluster if kind == "slurm" else dask_jobqueue.PBSCluster


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Hide Dask's log lines while the sweep runs: the sweep reports failures and restarts itself."""
    # Child loggers with a level of their own (distributed.client) ignore the parent's level.
    names = ["distributed"] + [
        name
        for name, logger in logging.root.manager.loggerDict.items()
        if name.startswith("distributed.") and isinstance(logger, logging.Logger) and logger.level
    ]
    old = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, level in old.items():
            logging.getLogger(name).setLevel(level)

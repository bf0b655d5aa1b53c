"""Running a sweep: prepare (or resume) the results folder, run the missing runs, stream results to disk.

The driver keeps only a small buffer of finished runs and writes it every few seconds, so memory
stays flat however many runs there are and a killed sweep loses at most the last few seconds of
work. A resume runs exactly the runs missing from the folder.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import shutil
import statistics
import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.design import RUN_COLUMNS, build_design, design_seed, frame_hash
from experiments.errors import ExperimentError, StoreError
from experiments.models import code_version, model_modules, model_spec_for_record, resolve_model
from experiments.pools import (
    DEFAULT_ALLOWED_FAILURES,
    Pool,
    RunOptions,
    WorkerDied,
    check_cluster_settings,
    echo_to_stderr,
    open_pool,
    require_submit_command,
    start_worker_server,
)
from experiments.runner import DEFAULT_RUN_TIMEOUT_S, FAILED, OK, Batch, BatchResult, RunConfig, failed_result
from experiments.spec import Experiment, load_experiment, spec_dicts
from experiments.store import DESIGN, FORMAT_VERSION, SAMPLE, SCALARS, TIMESERIES, Store
from sim.limits import check_fits_in_memory

#: Seconds of work a task should hold (the middle of the 0.2–1 s that keeps Dask's overhead small).
TARGET_TASK_SECONDS = 0.5
#: Fewest tasks per worker slot, so work spreads evenly and progress is smooth.
MIN_TASKS_PER_SLOT = 10
#: Runs per probe task, sent before the run time is known.
PROBE_RUNS = 3
#: Buffered runs that force a write even before the checkpoint interval.
MAX_BUFFERED_RUNS = 50_000
#: Seconds between progress lines when stderr is not a terminal.
LOG_EVERY_SECONDS = 60.0
SEED_RULE = (
    "seed of run i = int(numpy.random.SeedSequence(master_seed, spawn_key=(k,)).generate_state(1)[0]), "
    "k = i (seeds 'per_run') or i % replications (seeds 'common')"
)


@dataclass
class SweepOptions(RunOptions):
    """How and where to run a sweep (the command-line options).

    The shared options are :class:`~experiments.pools.RunOptions`'s; ``progress`` None shows a
    progress bar only when stderr is a terminal. Besides them:

    Attributes:
        batch_size: Runs per task (None: chosen from a timing probe).
        samples: N overriding the file's (a trial of the design; default folder results/<name>-trial-N<N>-R<R>).
        replications: Replications overriding the file's (as ``samples``).
        checkpoint_seconds: Longest time finished runs wait in memory before they are written.
        run_timeout: Longest a run may take before it is recorded as failed (seconds; overrides the
            file's ``run_timeout_s``; 0 means no limit; None: the file's, else :data:`DEFAULT_RUN_TIMEOUT_S`).
        allowed_failures: Times a worker may die on one task before its runs are retried alone.
    """

    batch_size: int | None = None
    samples: int | None = None
    replications: int | None = None
    checkpoint_seconds: float = 10.0
    run_timeout: float | None = None
    allowed_failures: int = DEFAULT_ALLOWED_FAILURES


@dataclass
class SweepSummary:
    """What a sweep did.

    Attributes:
        out: Results folder.
        name: Experiment name.
        n_runs: Runs in the design.
        ok: Runs done without error (in total, earlier sessions included).
        failed: Runs recorded as failed (likewise).
        ran: Runs done by this session.
        seconds: Wall time of this session.
        resumed: Whether earlier results were kept.
        set_aside: Damaged batch files moved to DIR/damaged/ (their runs were run again).
        batch_size: Runs per task used (None when nothing ran).
        errors: A few (run_id, error) pairs of failed runs, for the summary.
    """

    out: Path
    name: str
    n_runs: int
    ok: int = 0
    failed: int = 0
    ran: int = 0
    seconds: float = 0.0
    resumed: bool = False
    batch_size: int | None = None
    errors: list[tuple[int, str]] = field(default_factory=list)
    set_aside: list[Path] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        """Runs not done yet."""
        return self.n_runs - self.ok - self.failed


def run_sweep(path: str | Path, options: SweepOptions | None = None) -> SweepSummary:
    """Run (or resume) the sweep an experiment file describes.

    Raises:
        ExperimentError: a bad experiment file or option.
        StoreError: the results folder holds another sweep, or a sweep is already writing to it.
        ClusterError: the Dask cluster cannot be reached or lost every worker.
    """
    options = options or SweepOptions()
    exp = load_experiment(path, model=options.model, samples=options.samples, replications=options.replications)
    resolve_model(exp.model)  # a bad --model fails here, not on every worker
    if options.jobqueue:
        check_cluster_settings(options.jobqueue, exp.cluster, str(exp.path))
        require_submit_command(options.jobqueue)
    check_design_size(exp)  # before anything is written
    for note in exp.notes:
        options.echo(f"note: {note}")
    store = Store(options.out or Path("results") / default_folder_name(exp, options))
    start = time.monotonic()
    with store.lock():
        if options.local_cluster:  # its imports overlap preparing the folder (~1 s, even if nothing is left to run)
            start_worker_server(model_modules(exp.model))
        manifest, runs, resumed = _prepare(store, exp, options)
        store.cleanup()
        set_aside = store.set_aside_damaged()
        for path in set_aside:
            options.echo(f"note: {path.name} in {path.parent} was damaged (unreadable); its runs are run again")
        done = store.done_run_ids()
        missing = np.setdiff1d(runs["run_id"].to_numpy(), done)
        summary = SweepSummary(out=store.root, name=exp.name, n_runs=len(runs), resumed=resumed, set_aside=set_aside)
        if len(missing):
            summary.batch_size = _run_missing(store, exp, manifest, runs, missing, options)
        counts = store.status_counts()
        summary.ok, summary.failed = counts.get(OK, 0), counts.get(FAILED, 0)
        summary.ran = len(missing) - summary.remaining
        summary.seconds = time.monotonic() - start
        summary.errors = _first_errors(store) if summary.failed else []
    return summary


def default_folder_name(exp: Experiment, options: SweepOptions) -> str:
    """``<name>``, or ``<name>-trial-N<samples>-R<replications>`` for a design scaled down from the command line.

    A trial never shares the full study's folder, so trying a design small leaves its results alone.
    """
    if options.samples is None and options.replications is None:
        return exp.name
    samples = exp.samples if exp.samples is not None else "grid"
    return f"{exp.name}-trial-N{samples}-R{exp.replications}"


# --- preparing the folder -------------------------------------------------------------------------


def _prepare(store: Store, exp: Experiment, options: SweepOptions) -> tuple[dict[str, Any], pd.DataFrame, bool]:
    """Resume the folder's sweep when it is this experiment's; otherwise start a fresh one."""
    code = code_version(exp.model)
    if store.exists() and not options.fresh:
        manifest = store.read_manifest()
        changes = _differences(manifest, exp, code)
        if not changes:
            runs = _read_or_rebuild_design(store, exp, manifest, options)
            if frame_hash(runs) != manifest.get("design_hash"):
                raise StoreError(
                    f"{store.root / DESIGN} does not match its manifest (was it edited?); "
                    "run with --fresh to start over"
                )
            return manifest, runs, True
        if store.batch_files():
            raise StoreError(
                f"{store.root} holds results of a different sweep ({'; '.join(changes)}); run again with --fresh "
                f"to discard its {len(store.done_run_ids())} runs and start over, or choose another --out"
            )
        options.echo(f"note: starting {store.root} over ({'; '.join(changes)}; no runs were done yet)")
    store.reset()
    design = build_design(exp)
    runs = design.runs(exp.replications)
    store.write_design(runs, design.sample_frame())
    manifest = _manifest(exp, design, runs, code)
    store.write_manifest(manifest)  # written last: a manifest means the design is complete on disk
    return manifest, runs, False


def _read_or_rebuild_design(store: Store, exp: Experiment, manifest: dict[str, Any], options: SweepOptions) -> Any:
    """design.parquet, or, when it or sample.parquet is damaged, the same design built again from the file."""
    try:
        store.read_sample()
        return store.read_design()
    except StoreError:
        design = build_design(exp)
        runs = design.runs(exp.replications)
        if frame_hash(runs) != manifest.get("design_hash"):
            raise
        store.write_design(runs, design.sample_frame())
        options.echo(f"note: the design files in {store.root} were damaged; rebuilt them from {exp.path} (identical)")
        return runs


def expected_points(exp: Experiment) -> int:
    """Design points the experiment will have, computed without sampling (for the size check)."""
    k = len({p.group or p.name for p in exp.parameters})
    n = exp.samples or 0
    if exp.design == "grid":
        return math.prod(len(p.values or ()) for p in exp.parameters)
    if exp.design == "sobol":
        return n * (2 * k + 2 if exp.options.get("calc_second_order") else k + 2)
    if exp.design == "morris":
        return (k + 1) * (exp.options.get("optimal_trajectories") or n)
    if exp.design == "fast":
        return n * len(exp.parameters)
    return n


def check_design_size(exp: Experiment, available_bytes: int | None = None) -> None:
    """Refuse a design that cannot fit in memory, before anything is sampled or written.

    Raises:
        ExperimentError: the design would need more memory than the machine has.
    """
    check_fits_in_memory(
        expected_points(exp) * exp.replications,
        len(exp.parameters) + 4,
        what=f"{exp.path}: the {exp.design} design",
        hint="lower samples (or replications, or the grid's values)",
        error=ExperimentError,
        available_bytes=available_bytes,
    )


def _differences(manifest: dict[str, Any], exp: Experiment, code: dict[str, str]) -> list[str]:
    """What differs between the folder's sweep and this one (empty when a resume is safe)."""
    changes = []
    if manifest.get("format_version") != FORMAT_VERSION:
        changes.append(f"results format {manifest.get('format_version')} → {FORMAT_VERSION}")
    old = manifest.get("identity", {})
    new = exp.identity()
    changed = [key for key in new if old.get(key) != _jsonable(new[key])]
    if changed:
        changes.append(f"experiment file {exp.path} differs in {', '.join(changed)}")
    old_code = manifest.get("code_version", {})
    for key, label in (("model", "model"), ("sovai", "sovai version"), ("source_sha256", "model source code")):
        if old_code.get(key) != code.get(key):
            before, after = str(old_code.get(key)), str(code.get(key))
            if key == "source_sha256":
                before, after = before[:12], after[:12]
            changes.append(f"{label} changed ({before} → {after})")
    return changes


def _jsonable(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists), for comparisons with the manifest."""
    import json

    return json.loads(json.dumps(value, default=str))


def _manifest(exp: Experiment, design: Any, runs: pd.DataFrame, code: dict[str, str]) -> dict[str, Any]:
    """Everything a reader (and SALib's analyze) needs to know about the sweep."""
    problem = design.problem
    return {
        "format_version": FORMAT_VERSION,
        "name": exp.name,
        "description": exp.description,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "experiment_file": str(exp.path.resolve()),
        "experiment_text": exp.text,
        "experiment_sha256": exp.identity_hash(),
        "identity": _jsonable(exp.identity()),
        "model": model_spec_for_record(exp.model),
        "scenario": exp.scenario,
        "base_parameters": exp.base,
        "design": exp.design,
        "N": exp.samples,
        "samples_requested": exp.samples_requested,
        "calc_second_order": exp.options.get("calc_second_order") if exp.design == "sobol" else None,
        "design_options": exp.options,
        "problem": problem,
        "groups": problem.get("groups"),
        "parameters": spec_dicts(exp),
        "normalised_shares": _normalised_shares(exp),
        "n_points": design.n_points,
        "replications": exp.replications,
        "n_runs": len(runs),
        "run_id_rule": "run_id = point * replications + replicate",
        "seeds": {
            "master_seed": exp.seed,
            "mode": exp.seed_mode,
            "design_seed": design_seed(exp.seed),
            "rule": SEED_RULE,
        },
        "outputs": list(exp.outputs) if exp.outputs is not None else None,
        "timeseries": list(exp.timeseries),
        "code_version": code,
        "design_hash": frame_hash(runs),
        "files": {
            "design": DESIGN,
            "sample": SAMPLE,
            "scalars": f"{SCALARS}/batch-NNNNNN.parquet",
            "timeseries": f"{TIMESERIES}/batch-NNNNNN.parquet",
        },
        "environment": _environment(),
        "notes": list(exp.notes),
    }


def _normalised_shares(exp: Experiment) -> list[str]:
    """The programme shares scaled to sum to 1 at every point (all of them, when any is swept)."""
    if not (exp.builtin and exp.normalise_shares):
        return []
    from sim.params import SHARE_NAMES

    return list(SHARE_NAMES) if set(SHARE_NAMES) & set(exp.names) else []


def _environment() -> dict[str, str]:
    """Versions of Python and of the libraries that shape the design and the runs."""
    from importlib.metadata import PackageNotFoundError, version

    env = {"python": platform.python_version()}
    for package in ("numpy", "pandas", "pyarrow", "scipy", "SALib", "dask", "distributed", "mesa"):
        try:
            env[package] = version(package)
        except PackageNotFoundError:
            continue
    return env


# --- running ----------------------------------------------------------------------------------------


def _run_missing(
    store: Store,
    exp: Experiment,
    manifest: dict[str, Any],
    runs: pd.DataFrame,
    missing: np.ndarray,
    options: SweepOptions,
) -> int | None:
    """Run the missing runs on the chosen pool; return the batch size used."""
    config = RunConfig(
        model=exp.model,
        base=exp.base,
        master_seed=exp.seed,
        replications=exp.replications,
        seed_mode=exp.seed_mode,
        outputs=exp.outputs,
        timeseries=exp.timeseries,
        run_timeout_s=run_time_limit(options.run_timeout, exp.run_timeout_s),
    )
    writer = _Writer(store, manifest, options.checkpoint_seconds)
    progress = _Progress(len(runs), len(runs) - len(missing), options.progress)
    try:
        with open_pool(
            **options.pool_settings(),
            cluster_settings=exp.cluster,
            allowed_failures=options.allowed_failures,
            preload=model_modules(exp.model),
        ) as pool:
            engine = _Engine(pool, config, runs, writer, progress, options.batch_size)
            engine.run([int(i) for i in missing])
            return engine.batch_size
    finally:
        progress.close()


def run_time_limit(option: float | None, from_file: float | None) -> float | None:
    """The per-run time limit in force: ``--run-timeout`` (0: none), else the file's, else the default."""
    if option is not None:
        return option or None
    return from_file if from_file is not None else DEFAULT_RUN_TIMEOUT_S


def choose_batch_size(
    seconds_per_run: float,
    n_runs: int,
    slots: int,
    *,
    target_seconds: float = TARGET_TASK_SECONDS,
    min_tasks_per_slot: int = MIN_TASKS_PER_SLOT,
) -> int:
    """Runs per task: about ``target_seconds`` of work, but at least ``min_tasks_per_slot`` tasks per slot."""
    by_time = max(1, int(target_seconds / max(seconds_per_run, 1e-9)))
    by_tasks = max(1, n_runs // (min_tasks_per_slot * max(slots, 1)))
    return min(by_time, by_tasks)


class _Engine:
    """Feeds batches to a pool, keeps enough in flight, and handles batches whose worker died."""

    def __init__(
        self,
        pool: Pool,
        config: RunConfig,
        runs: pd.DataFrame,
        writer: _Writer,
        progress: _Progress,
        batch_size: int | None,
    ) -> None:
        if not np.array_equal(runs["run_id"].to_numpy(), np.arange(len(runs))):
            raise StoreError("design.parquet is not ordered by run_id 0..n-1")
        self.pool, self.config, self.writer, self.progress = pool, config, writer, progress
        self.columns = {c: runs[c].to_numpy() for c in runs.columns if c not in RUN_COLUMNS}
        self.batch_size = batch_size
        self.in_flight = 0

    def batch(self, run_ids: list[int]) -> Batch:
        """A batch of the given runs with their values as run (plain Python values)."""
        return Batch(run_ids, {name: values[run_ids].tolist() for name, values in self.columns.items()})

    def submit(self, run_ids: list[int]) -> None:
        self.pool.submit(self.config, self.batch(run_ids))
        self.in_flight += 1

    def run(self, missing: list[int]) -> None:
        """Run every run in ``missing`` and hand the results to the writer."""
        queue = deque(missing)
        if self.batch_size is None:
            for _ in range(self.pool.slots()):  # probes: a few runs per slot, to time a run
                if queue:
                    self.submit(_take(queue, PROBE_RUNS))
        self._top_up(queue)
        try:
            while self.in_flight:
                # Wake up when buffered runs are due on disk, even if no other batch ever finishes.
                done = self.pool.next_done(timeout=self.writer.seconds_until_due())
                self.writer.flush_if_due()
                if done is None:
                    continue
                batch, outcome = done
                self.in_flight -= 1
                self._handle(batch, outcome)
                if self.batch_size is None and (self.in_flight == 0 or isinstance(outcome, BatchResult)):
                    self._size_batches(outcome, len(missing))
                self._top_up(queue)
        finally:
            self.writer.flush()

    def _handle(self, batch: Batch, outcome: BatchResult | WorkerDied) -> None:
        if isinstance(outcome, WorkerDied):
            if len(batch) > 1:
                for single in batch.split():  # find the run that kills workers; the others succeed
                    self.pool.submit(self.config, single)
                    self.in_flight += 1
                return
            outcome = failed_result(batch, self.config, outcome.message)
        self.writer.add(outcome)
        status = outcome.scalars["status"].to_numpy()
        self.progress.update(int(np.count_nonzero(status == OK)), int(np.count_nonzero(status == FAILED)))

    def _size_batches(self, outcome: BatchResult | WorkerDied, n_runs: int) -> None:
        seconds = outcome.seconds if isinstance(outcome, BatchResult) else []
        seconds = [s for s in seconds if math.isfinite(s)]
        if seconds:
            self.batch_size = choose_batch_size(statistics.median(seconds), n_runs, self.pool.slots())
        elif self.in_flight == 0:
            self.batch_size = 1  # no timing at all (every probe's worker died): go run by run

    def _top_up(self, queue: deque[int]) -> None:
        """Keep about two tasks per slot in flight (enough to keep workers busy, little memory)."""
        if self.batch_size is None:
            return
        limit = 2 * self.pool.slots() + 2
        while queue and self.in_flight < limit:
            self.submit(_take(queue, self.batch_size))


def _take(queue: deque[int], n: int) -> list[int]:
    return [queue.popleft() for _ in range(min(n, len(queue)))]


class _Writer:
    """Buffers finished runs and writes them as batch files every few seconds."""

    def __init__(self, store: Store, manifest: dict[str, Any], checkpoint_seconds: float) -> None:
        self.store, self.manifest = store, manifest
        self.checkpoint_seconds = checkpoint_seconds
        self.outputs: list[str] | None = manifest.get("outputs")
        self.requested_outputs = manifest["identity"].get("outputs") is not None
        self.series: list[str] = list(manifest.get("timeseries") or [])
        self.checked = False
        self.number = store.next_batch_number()
        self.scalars: list[pd.DataFrame] = []
        self.timeseries: list[pd.DataFrame] = []
        self.buffered = 0
        self.last_write = time.monotonic()

    def add(self, result: BatchResult) -> None:
        """Buffer a batch's results; write when the checkpoint interval has passed."""
        self._check_names(result)
        self.scalars.append(result.scalars)
        if result.timeseries is not None:
            self.timeseries.append(result.timeseries)
        self.buffered += len(result.scalars)
        self.flush_if_due()

    def seconds_until_due(self) -> float | None:
        """Seconds until the buffered runs must be written (None when nothing is buffered)."""
        if not self.scalars:
            return None
        return max(0.0, self.checkpoint_seconds - (time.monotonic() - self.last_write))

    def flush_if_due(self) -> None:
        """Write the buffered runs when the checkpoint interval has passed (or the buffer is full)."""
        due = time.monotonic() - self.last_write >= self.checkpoint_seconds or self.buffered >= MAX_BUFFERED_RUNS
        if due and self.scalars and self.outputs is not None:
            self.flush()

    def flush(self) -> None:
        """Write the buffered runs as one batch (no-op when empty)."""
        if not self.scalars:
            return
        scalars = pd.concat(self.scalars, ignore_index=True).sort_values("run_id", kind="stable")
        timeseries = pd.concat(self.timeseries, ignore_index=True) if self.timeseries else None
        self.store.write_batch(self.number, scalars, timeseries, self.outputs or [], self.series)
        self.number += 1
        self.scalars, self.timeseries, self.buffered = [], [], 0
        self.last_write = time.monotonic()

    def _check_names(self, result: BatchResult) -> None:
        """On the first result that shows them, check the file's outputs and series exist (or fix the outputs)."""
        if self.checked or result.outcome_names is None:
            return
        self.checked = True
        names = result.outcome_names
        if self.requested_outputs:
            _require_names(self.outputs, names, "outputs", "outcome", self.manifest)
        elif self.outputs is None:
            self.outputs = sorted(names)
            self.manifest["outputs"] = self.outputs
            self.store.write_manifest(self.manifest)
        if self.series:
            if result.series_names is None:
                raise ExperimentError(
                    f"{self.manifest['experiment_file']}: [experiment] timeseries: the model "
                    "returns no 'timeseries'; remove the field"
                )
            _require_names(self.series, result.series_names, "timeseries", "time-series column", self.manifest)


def _require_names(
    wanted: Iterable[str], available: list[str], field_name: str, what: str, manifest: dict[str, Any]
) -> None:
    """Raise an ExperimentError naming the first wanted name the model does not return."""
    from experiments.validate import suggest

    for name in wanted:
        if name not in available:
            hint = suggest(name, available, f"it returns {', '.join(sorted(available)[:8])}...")
            raise ExperimentError(
                f"{manifest['experiment_file']}: [experiment] {field_name}: the model returns no "
                f"{what} {name!r}; {hint} (fix the file and run the same command again)"
            )


class _Progress:
    """A tqdm bar with ETA on a terminal; a line a minute otherwise (batch logs); nothing when disabled."""

    def __init__(self, total: int, done: int, enabled: bool | None) -> None:
        interactive = sys.stderr.isatty() if enabled is None else enabled
        self.total, self.done, self.failed = total, done, 0
        self.bar = None
        self.log = enabled is None and not interactive
        self.started = self.last_log = time.monotonic()
        self.done_at_start = done
        if interactive:
            from tqdm import tqdm

            # A terminal that reports no width (some ptys) would get an empty bar: assume 80 columns.
            width = shutil.get_terminal_size((0, 0)).columns
            self.bar = tqdm(
                total=total,
                initial=done,
                unit="run",
                desc="sweep",
                file=sys.stderr,
                dynamic_ncols=bool(width),
                ncols=None if width else 80,
                smoothing=0.1,
            )

    def update(self, ok: int, failed: int) -> None:
        """Count finished runs."""
        self.done += ok + failed
        self.failed += failed
        if self.bar is not None:
            self.bar.update(ok + failed)
            if failed:
                self.bar.set_postfix(failed=self.failed, refresh=False)
        elif self.log and time.monotonic() - self.last_log >= LOG_EVERY_SECONDS:
            self.last_log = time.monotonic()
            elapsed = self.last_log - self.started
            rate = (self.done - self.done_at_start) / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else math.inf
            echo_to_stderr(
                f"{self.done}/{self.total} runs ({self.failed} failed this session), "
                f"{_duration(elapsed)} elapsed, about {_duration(eta)} left"
            )

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _first_errors(store: Store, n: int = 3) -> list[tuple[int, str]]:
    """A few failed runs and their errors, for the summary."""
    scalars = store.read_columns(["run_id", "status", "error"])
    failed = scalars[scalars["status"] == FAILED].sort_values("run_id").head(n)
    return [(int(r.run_id), str(r.error)) for r in failed.itertuples()]


def format_summary(summary: SweepSummary) -> str:
    """The end-of-sweep report, a few lines."""
    lines = [
        f"sweep {summary.name!r}: {summary.ok + summary.failed} of {summary.n_runs} runs done "
        f"({summary.ok} ok, {summary.failed} failed); {summary.ran} run now in {_duration(summary.seconds)}"
        f"; results in {summary.out}"
    ]
    if summary.remaining:
        lines.append(f"{summary.remaining} runs remain: run the same command again to finish them")
    if summary.failed:
        lines.append(f"{summary.failed} runs failed (status 'failed', outcomes NaN, text in column 'error'):")
        lines += [f"  run {run_id}: {error}" for run_id, error in summary.errors]
    lines.append(f"load them with: experiments.load({str(summary.out)!r})")
    return "\n".join(lines)

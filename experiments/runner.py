"""Running a batch of runs: the function each worker executes.

It never raises for a run: a run that raises is recorded as failed with its error text and NaN
outcomes, so one bad corner of the parameter space cannot stop a sweep. Only a run that kills its
process (a crash, ``os._exit``, the out-of-memory killer) escapes, and the sweep handles that.
"""

from __future__ import annotations

import ctypes
import math
import numbers
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from experiments.models import resolve_model
from experiments.seeds import run_seed

#: Columns of every scalars file before the outcomes.
SCALAR_COLUMNS = ("run_id", "seed", "status", "error", "elapsed_s")
OK, FAILED = "ok", "failed"
#: Result key holding the time series (a DataFrame or anything pandas.DataFrame accepts).
TIMESERIES_KEY = "timeseries"
#: Longest error text kept per run.
MAX_ERROR_CHARS = 2000
#: Longest a run may take unless the experiment file or ``--run-timeout`` says otherwise (seconds):
#: about 200 times a default run of the built-in model, so only a run that hangs reaches it.
DEFAULT_RUN_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class RunConfig:
    """What every run of a sweep shares (sent with each task; small).

    Attributes:
        model: Model spec (see :mod:`experiments.models`).
        base: Parameters given to every run before the swept ones.
        master_seed: Seed from which every run's seed is derived.
        replications: Runs per design point (to find a run's replicate).
        seed_mode: "per_run" or "common".
        outputs: Scalar outcomes to keep; None keeps every number the model returns.
        timeseries: Time-series columns to keep.
        run_timeout_s: Longest a run may take before it is recorded as failed (None: no limit).
    """

    model: str
    base: dict[str, Any]
    master_seed: int
    replications: int = 1
    seed_mode: str = "per_run"
    outputs: tuple[str, ...] | None = None
    timeseries: tuple[str, ...] = ()
    run_timeout_s: float | None = DEFAULT_RUN_TIMEOUT_S


@dataclass(frozen=True)
class Batch:
    """Runs to execute together: their ids and their swept values (one list per parameter)."""

    run_ids: list[int]
    params: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.run_ids)

    def split(self) -> list[Batch]:
        """One batch per run."""
        return [Batch([rid], {k: [v[i]] for k, v in self.params.items()}) for i, rid in enumerate(self.run_ids)]


@dataclass
class BatchResult:
    """What a batch returns to the driver.

    Attributes:
        scalars: One row per run: :data:`SCALAR_COLUMNS` and the outcomes.
        timeseries: Rows of the kept series (run_id, step, quarter if present, columns), or None.
        outcome_names: Numeric scalar names the model returned (from the first run that returned a dict).
        series_names: Time-series columns the model returned (likewise).
    """

    scalars: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    outcome_names: list[str] | None = None
    series_names: list[str] | None = None
    seconds: list[float] = field(default_factory=list)


def run_batch(config: RunConfig, batch: Batch) -> BatchResult:
    """Run every run of ``batch`` and collect outcomes; failures are recorded, not raised."""
    model = resolve_model(config.model)
    rows: list[dict[str, Any]] = []
    series: list[dict[str, np.ndarray]] = []
    result = BatchResult(scalars=pd.DataFrame())
    for i, run_id in enumerate(batch.run_ids):
        params = dict(config.base)
        for name, column in batch.params.items():
            params[name] = column[i]
        seed = run_seed(config.master_seed, run_id, replications=config.replications, mode=config.seed_mode)
        row: dict[str, Any] = {"run_id": run_id, "seed": seed, "status": OK, "error": None}
        start = time.perf_counter()
        try:
            out = call_with_time_limit(model, config.run_timeout_s, seed=seed, **params)
            row["elapsed_s"] = time.perf_counter() - start
            _describe(out, result)
            row.update(_scalars(out, config.outputs))
            if config.timeseries:
                series.append(_series(out, config.timeseries, run_id))
        except (Exception, SystemExit) as err:  # a model calling sys.exit() is a failed run too
            row["elapsed_s"] = time.perf_counter() - start
            row["status"], row["error"] = FAILED, error_text(err)
        result.seconds.append(row["elapsed_s"])
        rows.append(row)
    result.scalars = pd.DataFrame.from_records(rows)
    result.timeseries = _stack(series) if series else None
    return result


class RunTimeout(Exception):
    """A run that took longer than its time limit."""


def call_with_time_limit(func: Callable[..., Any], limit: float | None, **kwargs: Any) -> Any:
    """``func(**kwargs)``, or :class:`RunTimeout` when it has not returned after ``limit`` seconds.

    The call runs in a thread of its own, so the caller can give up on it: a run that loops in Python
    is then stopped by an exception raised inside it; one blocked inside C code (a sleep, a lock)
    keeps its idle thread until it returns, but the sweep goes on either way.
    """
    if limit is None:
        return func(**kwargs)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func(**kwargs)
        except BaseException as err:  # handed to the caller, which records it
            box["error"] = err

    thread = threading.Thread(target=target, name="sovai-run", daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        _raise_in_thread(thread, RunTimeout)
        raise RunTimeout(f"the run took longer than its time limit of {limit:g} s (run_timeout_s / --run-timeout)")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _raise_in_thread(thread: threading.Thread, exc: type[BaseException]) -> None:
    """Ask ``thread`` to raise ``exc`` at its next Python instruction (CPython's documented C API)."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc))


def error_text(err: BaseException) -> str:
    """One line: the exception's type and message, and where it was raised."""
    text = f"{type(err).__name__}: {err}"
    frames = traceback.extract_tb(err.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {last.filename}:{last.lineno} in {last.name})"
    return text[:MAX_ERROR_CHARS]


def _describe(out: Any, result: BatchResult) -> None:
    """Note the names the model returns (once per batch), so the driver can check the file's outputs."""
    if not isinstance(out, dict):
        raise TypeError(f"the model returned {type(out).__name__}, not a dict of outcomes")
    if result.outcome_names is None:
        result.outcome_names = [k for k, v in out.items() if _is_real(v)]
        if TIMESERIES_KEY in out:
            result.series_names = [str(c) for c in pd.DataFrame(out[TIMESERIES_KEY]).columns]


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.ndim == 0)


def _scalars(out: dict[str, Any], outputs: tuple[str, ...] | None) -> dict[str, float]:
    """The kept scalar outcomes as floats."""
    if outputs is None:
        return {k: float(v) for k, v in out.items() if _is_real(v)}
    missing = [name for name in outputs if name not in out]
    if missing:
        raise KeyError(f"the model returned no outcome {missing[0]!r}")
    try:
        return {name: float(out[name]) for name in outputs}
    except (TypeError, ValueError):
        bad = next(n for n in outputs if not _is_real(out[n]))
        raise TypeError(f"outcome {bad!r} is {type(out[bad]).__name__}, not a number") from None


def _series(out: dict[str, Any], columns: tuple[str, ...], run_id: int) -> dict[str, np.ndarray]:
    """The kept time-series columns of one run, with run_id, step and quarter (when present), as arrays."""
    if TIMESERIES_KEY not in out:
        raise KeyError(f"the model returned no {TIMESERIES_KEY!r} but the experiment keeps time series")
    frame = pd.DataFrame(out[TIMESERIES_KEY])
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"the model's time series has no column {missing[0]!r}")
    kept = {"run_id": np.full(len(frame), run_id, dtype=np.int64), "step": np.arange(len(frame), dtype=np.int32)}
    if "quarter" in frame.columns and "quarter" not in columns:
        kept["quarter"] = frame["quarter"].astype(str).to_numpy()
    for column in columns:  # text columns (the run's events) are kept as text
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        kept[column] = values.to_numpy(dtype=float) if numeric else values.astype(str).to_numpy()
    return kept


def _stack(series: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """The batch's kept series as one frame, made at once.

    A frame per run cost more than a tenth of a sweep's run: pandas rebuilds the column index for
    every column added (~1-2 ms each), and a frame per run is then concatenated anyway.
    """
    if any(s.keys() != series[0].keys() for s in series):  # a model whose runs return different columns
        return pd.concat([pd.DataFrame(s) for s in series], ignore_index=True)
    return pd.DataFrame({k: np.concatenate([s[k] for s in series]) for k in series[0]})


def failed_result(batch: Batch, config: RunConfig, message: str) -> BatchResult:
    """A result recording every run of ``batch`` as failed with ``message`` (for runs whose worker died)."""
    rows = [
        {
            "run_id": rid,
            "seed": run_seed(config.master_seed, rid, replications=config.replications, mode=config.seed_mode),
            "status": FAILED,
            "error": message,
            "elapsed_s": math.nan,
        }
        for rid in batch.run_ids
    ]
    return BatchResult(scalars=pd.DataFrame.from_records(rows))

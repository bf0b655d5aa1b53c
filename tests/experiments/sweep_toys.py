"""Toy models for the sweep tests: f(*, seed, **params) -> dict, importable by worker processes."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pandas as pd


def ishigami(
    *, seed: int, x1: float = 0.0, x2: float = 0.0, x3: float = 0.0, a: float = 7.0, b: float = 0.1, **_: float
) -> dict[str, float]:
    """The Ishigami function plus a seeded noise term (to check seeds)."""
    y = math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)
    noise = float(np.random.default_rng(seed).normal())
    return {"y": y, "noise": noise, "y_noisy": y + 0.01 * noise}


def with_series(*, seed: int, x1: float = 0.0, x2: float = 0.0, x3: float = 0.0, steps: int = 4, **_: float) -> dict:
    """Ishigami outcomes plus a short time series."""
    out = ishigami(seed=seed, x1=x1, x2=x2, x3=x3)
    t = np.arange(steps)
    out["timeseries"] = pd.DataFrame({"quarter": [f"Q{i}" for i in t], "level": x1 * t, "noise": t * 0.0 + seed})
    return out


def raises_when_high(*, seed: int, x1: float = 0.0, **params: float) -> dict[str, float]:
    """Raises for x1 > 2: a failing corner of the parameter space."""
    if x1 > 2.0:
        raise ValueError(f"x1 = {x1:.3f} is too high for this model")
    return ishigami(seed=seed, x1=x1, **params)


def dies_when_high(*, seed: int, x1: float = 0.0, **params: float) -> dict[str, float]:
    """Kills its own process for x1 > 2.9: a run that crashes every worker it lands on."""
    if x1 > 2.9:
        os._exit(13)
    return ishigami(seed=seed, x1=x1, **params)


def slow(*, seed: int, sleep: float = 0.02, **params: float) -> dict:
    """:func:`with_series` after a short sleep (to have time to kill a sweep midway)."""
    time.sleep(sleep)
    return with_series(seed=seed, **params)


def trivial(*, seed: int, **params: float) -> dict[str, float]:
    """Does nothing: measures the engine's own overhead."""
    return {"y": 0.0}


def hangs_when_high(*, seed: int, x1: float = 0.0, hang: float = 3600.0, hanging: str = "", **params: float) -> dict:
    """Never returns (sleeps ``hang`` s) for x1 > 2.5: a run stuck inside C code, which no exception can stop.

    When it starts hanging it writes the time into the file ``hanging`` (if given).
    """
    if x1 > 2.5:
        if hanging:
            with open(hanging, "w") as handle:
                handle.write(repr(time.time()))
        time.sleep(hang)
    return with_series(seed=seed, x1=x1, **params)


def loops_when_high(*, seed: int, x1: float = 0.0, **params: float) -> dict:
    """Loops for ever in Python for x1 > 2.5 (the time limit stops it with an exception)."""
    while x1 > 2.5:
        pass
    return with_series(seed=seed, x1=x1, **params)


_CALLS = {"n": 0}


def dies_once_mid_batch(*, seed: int, flag: str = "", **params: float) -> dict:
    """SIGKILLs its own worker process on its second run, once per ``flag`` file (a worker lost mid-batch)."""
    import signal

    _CALLS["n"] += 1
    if flag and _CALLS["n"] == 2 and not os.path.exists(flag):
        open(flag, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return hangs_when_high(seed=seed, **params)


def paced(*, seed: int, **params: float) -> dict:
    """:func:`with_series` after a pause of $SOVAI_TOY_PACE_S seconds (0 unless set): results never depend on it.

    With $SOVAI_TOY_PACE_WHILE set to a path, it pauses only while that file exists. Lets a test keep
    a sweep running until a batch system cuts it, then finish it at full speed.
    """
    gate = os.environ.get("SOVAI_TOY_PACE_WHILE")
    if gate is None or os.path.exists(gate):
        time.sleep(float(os.environ.get("SOVAI_TOY_PACE_S", "0")))
    return with_series(seed=seed, **params)


def worker_settings(*, seed: int, **params: float) -> dict[str, float]:
    """The Dask settings the worker running this run has (profiler on or off, event-loop health tick)."""
    import dask
    from dask.utils import parse_timedelta

    return {
        "profiling": float(dask.config.get("distributed.worker.profile.enabled")),
        "tick_s": float(parse_timedelta(dask.config.get("distributed.admin.tick.interval"))),
    }


def uneven_series(*, seed: int, x1: float = 0.0, **params: float) -> dict:
    """:func:`with_series` whose odd seeds have no quarter column (runs that return different columns)."""
    out = with_series(seed=seed, x1=x1, **params)
    if seed % 2:
        out["timeseries"] = out["timeseries"].drop(columns="quarter")
    return out

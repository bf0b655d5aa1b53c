"""Experiments: sweeps over levers and uncertainties, streamed to Parquet and resumable.

``sovai sweep FILE`` runs an experiment file; :func:`load` and :func:`load_timeseries` read its
results folder. Heavy modules (pandas, Dask) load only when used, so importing this package is cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load", "load_manifest", "load_timeseries"]


def load(folder: str | Path, *, pending: bool = False, damaged: str = "raise") -> pd.DataFrame:
    """The results of a sweep, one row per run.

    Columns: ``run_id``, ``point``, ``replicate``, the parameter values as run, ``seed``, ``status``
    ("ok" or "failed"), ``error`` (the error text of failed runs), ``elapsed_s`` and the scalar
    outcomes (NaN for failed runs). Rows are ordered by run_id.

    Args:
        folder: The sweep's results folder.
        pending: Also return the runs not done yet (status "pending").
        damaged: What to do with a batch file that cannot be read: "raise" a StoreError naming it, or
            "skip" it with a warning (its runs are then missing, or "pending"). A resume of the sweep
            sets such files aside and runs their runs again.

    Raises:
        StoreError: ``folder`` holds no sweep, or a damaged file (with ``damaged="raise"``).
    """
    from experiments.store import Store

    store = Store(folder, damaged=damaged)
    design = store.read_design()
    scalars = store.read_scalars()
    how = "left" if pending else "inner"
    frame = design.merge(scalars, on="run_id", how=how, validate="one_to_one")
    if pending:
        frame["status"] = frame["status"].fillna("pending")
    return frame.sort_values("run_id", kind="stable").reset_index(drop=True)


def load_timeseries(folder: str | Path, columns: list[str] | None = None, *, damaged: str = "raise") -> pd.DataFrame:
    """The kept time series of a sweep: ``run_id``, ``step``, ``quarter`` (when the model has it) and the series.

    Args:
        folder: The sweep's results folder.
        columns: Columns to read (default: all).
        damaged: "raise" or "skip", as for :func:`load`.

    Raises:
        StoreError: ``folder`` holds no sweep, or a damaged file (with ``damaged="raise"``).
    """
    from experiments.store import Store

    store = Store(folder, damaged=damaged)
    store.require()
    if columns is not None:
        columns = ["run_id", "step", *[c for c in columns if c not in ("run_id", "step")]]
    frame = store.read_timeseries(columns)
    return frame.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)


def load_manifest(folder: str | Path) -> dict:
    """The sweep's manifest.json: the experiment, the SALib problem, N, seeds, outputs and code version."""
    from experiments.store import Store

    return Store(folder).read_manifest()

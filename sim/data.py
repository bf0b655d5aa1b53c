"""Rosters and population tables shipped with the model (CSV files under sim/data/, each row sourced)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

TABLES = (
    "enterprises",
    "regions",
    "developers",
    "foreign_providers",
    "datacentres",
    "dc_phases",
    "gpu_generations",
)


@cache
def _read(name: str) -> pd.DataFrame:
    with resources.files("sim").joinpath("data", f"{name}.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def table(name: str) -> pd.DataFrame:
    """Return a copy of the data table ``name`` (one of :data:`TABLES`)."""
    if name not in TABLES:
        raise KeyError(f"no data table {name!r}; tables: {', '.join(TABLES)}")
    return _read(name).copy()

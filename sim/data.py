"""Rosters and population tables shipped with the model (CSV files under sim/data/, each row sourced)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np
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


@cache
def rows(name: str) -> tuple[Any, ...]:
    """The rows of table ``name`` as named tuples, made once per process (every model reads them).

    Named tuples cannot be changed, so runs can share them; ``itertuples`` on a fresh copy cost a
    few milliseconds a table, a large part of a small run.
    """
    return tuple(table(name).itertuples())


@cache
def columns(name: str) -> Mapping[str, np.ndarray]:
    """The columns of table ``name`` as NumPy arrays, made once per process (every model reads them).

    The arrays and the mapping are read-only, so runs can share them; per run, a pandas copy of
    the table and its column lookups cost more than the rest of building the population.
    """
    frame = table(name)
    arrays = {column: frame[column].to_numpy(copy=True) for column in frame.columns}
    for values in arrays.values():
        values.flags.writeable = False
    return MappingProxyType(arrays)

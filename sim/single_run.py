"""One run of the model as a plain function, `sim.run` (the contract sweeps and other tools call)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sim.model import FY2030_LAST_QUARTER, SovereignAIModel

#: Flow columns (annualised ¥bn, GWh or Mt a year) whose run totals are reported as ``*_cum_*``.
CUMULATIVE: dict[str, str] = {
    "digital_deficit_ai_jpy_bn": "digital_deficit_ai_cum_jpy_bn",
    "digital_deficit_total_jpy_bn": "digital_deficit_total_cum_jpy_bn",
    "foreign_ai_spend_jpy_bn": "foreign_ai_spend_cum_jpy_bn",
    "domestic_ai_revenue_jpy_bn": "domestic_ai_revenue_cum_jpy_bn",
    "private_investment_jpy_bn": "private_investment_cum_jpy_bn",
    "offshore_compute_spend_jpy_bn": "offshore_compute_spend_cum_jpy_bn",
    "accelerator_imports_jpy_bn": "accelerator_imports_cum_jpy_bn",
    "unmet_ai_demand_jpy_bn": "unmet_ai_demand_cum_jpy_bn",
    "electricity_gwh": "electricity_cum_gwh",
    "co2_mt": "co2_cum_mt",
}


def run(
    params: Mapping[str, Any] | None = None, /, *, seed: int, quarters: int = 40, **keywords: Any
) -> dict[str, Any]:
    """Run the model once and return its outcomes.

    Parameters come as a mapping, as keywords, or both (keywords win), so tools that call a
    function with one keyword per parameter, such as EMA Workbench's ``Model(function=sim.run)``,
    call it as it is (docs/interop.md).

    Args:
        params: Parameter overrides by name (defaults for the rest). ``quarters`` here is ignored in
            favour of the argument.
        seed: Seed of the run's random generator; the same seed and parameters give the same result.
        quarters: Quarters to simulate from FY2026Q1.
        **keywords: More parameter overrides, by name.

    Returns:
        Scalar outcomes as floats — for every numeric time-series column ``C``: ``C_final`` (last
        quarter) and ``C_fy2030`` (FY2030Q4, NaN for shorter runs); for flows, run totals such as
        ``digital_deficit_ai_cum_jpy_bn`` — plus ``"timeseries"``, the quarterly DataFrame.

    Raises:
        ParameterError: bad parameter names or values.

    Example:
        >>> out = run(seed=1, quarters=4, n_user_agents=300, budget_total_jpy_bn=2000)  # doctest: +SKIP
    """
    quarters = int(quarters)
    model = SovereignAIModel(rng=int(seed), **{**(params or {}), **keywords, "quarters": quarters})
    try:
        model.run_for(quarters)
        columns = model.datacollector.columns()
    finally:  # a failed run's model too: a sweep goes on after it
        _release(model)
    numeric, values = _float_columns(columns)
    return {**_summaries(numeric, values), "timeseries": _frame(columns, numeric, values)}


def _release(model: SovereignAIModel) -> None:
    """Let reference counting free a finished run's model at once.

    A Mesa model's objects refer to each other (its agents and its step schedule hold the model), so
    without this each run would leave its whole model, one object per user agent, to the cyclic
    garbage collector. In a sweep those leftovers set off the collector's passes over the worker's
    heap every few runs: 0.7-1.4 ms a run at 100 users in a plain loop (measured with gc.callbacks),
    more at 2,000 users and in a Dask worker's larger heap. The model is not handed out, so emptying
    its attributes, which holds every cycle through it, is safe.
    """
    model.__dict__.clear()


def timeseries(columns: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """The DataCollector's model variables as a DataFrame, the same as ``get_model_vars_dataframe``.

    Args:
        columns: Each column's values: a list (as in ``model_vars``) or a float array.

    The float columns go in as one array: pandas inspecting ~90 columns one by one cost more than a
    small run's 40 quarters of simulation.
    """
    return _frame(columns, *_float_columns(columns))


def _frame(columns: Mapping[str, Sequence[Any]], numeric: list[str], values: np.ndarray) -> pd.DataFrame:
    """The frame of ``columns``, whose float columns ``numeric`` are the columns of ``values``."""
    frame = pd.DataFrame(values, columns=_labels(tuple(numeric)).copy())  # a copy: its name is the frame's own
    floats = set(numeric)
    for i, name in enumerate(columns):
        if name not in floats:  # a mapping's keys are unique: spare pandas looking the name up among ~90
            frame.insert(i, name, _as_column(columns[name]), allow_duplicates=True)
    return frame


def _as_column(values: Sequence[Any]) -> Any:
    """A column that is not all floats, as the frame will hold it: text as pandas' text array, the rest as given.

    Given a list of text, pandas works out its type from the values (about a third of the frame's
    cost for the two text columns); the type a text column gets is known, so the array is made as such.
    """
    if not isinstance(values, np.ndarray) and set(map(type, values)) == {str}:
        return pd.array(values, dtype=_text_dtype())
    return values


@cache
def _text_dtype() -> Any:
    """The dtype pandas gives a column of text (``str`` from pandas 3, object before)."""
    return pd.Series(["text"]).dtype


@lru_cache(maxsize=8)
def _labels(names: tuple[str, ...]) -> pd.Index:
    """Column labels as a pandas Index, made once per set of names (the runs of a sweep share theirs).

    Making an Index of ~90 names (pandas keeps text as Arrow strings) was nearly half the cost of the frame.
    """
    return pd.Index(list(names))


def _float_columns(columns: Mapping[str, Sequence[Any]]) -> tuple[list[str], np.ndarray]:
    """The columns that hold only floats (pandas would make them float64 columns), in order, and their values.

    Returns:
        Their names, and their values as one array with a column each (rows: quarters).
    """
    numeric = [k for k, values in columns.items() if _floats(values)]
    # The columns end to end, then one per row: array() of a list of ~90 columns inspects each on its own.
    values = np.concatenate([columns[k] for k in numeric], dtype=float).reshape(len(numeric), -1).T
    return numeric, values


#: NumPy's float64 type (a comparison with the scalar type makes a dtype of it each time).
_FLOAT64 = np.dtype(np.float64)


def _floats(values: Sequence[Any]) -> bool:
    """Whether a column holds only floats."""
    if isinstance(values, np.ndarray):
        return values.dtype == _FLOAT64
    return set(map(type, values)) <= {float}


def scalar_outcomes(ts: pd.DataFrame) -> dict[str, float]:
    """Scalar summaries of a run's time series (see :func:`run`)."""
    numeric = ts.select_dtypes("number")
    return _summaries(numeric.columns.tolist(), numeric.to_numpy(float))


def _summaries(names: list[str], values: np.ndarray) -> dict[str, float]:
    """Scalar summaries of the numeric columns ``names``, whose values are the columns of ``values``."""
    final = values[-1].tolist()
    fy2030 = values[FY2030_LAST_QUARTER].tolist() if len(values) > FY2030_LAST_QUARTER else [np.nan] * len(names)
    totals = dict(zip(names, np.nansum(values, axis=0).tolist(), strict=True))  # NaN skipped, as pandas' sum does
    out: dict[str, float] = {}
    for (at_end, at_fy2030), last, mid in zip(_summary_names(tuple(names)), final, fy2030, strict=True):
        out[at_end] = last
        out[at_fy2030] = mid
    for col, name in CUMULATIVE.items():
        out[name] = totals[col] / 4
    return out


@lru_cache(maxsize=8)
def _summary_names(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The names of each column's summaries, ``C_final`` and ``C_fy2030``, made once per set of columns.

    A tuple: the cache hands the same object to every run, so nobody may change it.
    """
    return tuple((f"{col}_final", f"{col}_fy2030") for col in names)

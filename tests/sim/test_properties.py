"""Property-based tests (hypothesis): accounting invariants over random valid parameter sets, and fuzzed loaders.

The model is driven only through its public API, ``sim.run``, and checked through its time-series
columns. Runs are kept small (60-300 user agents, at most 12 quarters) so the examples stay fast;
the examples are derandomised, so a failure reproduces on every machine.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.errors import UserError
from sim.params import PARAMS, PARAMS_LIST, PROGRAMMES, SHARE_NAMES, ParameterError, resolve

MODEL_RUNS = settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None)
EPS = 1e-6

#: Columns that are shares or rates: within [0, 1].
SHARE_COLUMNS = (
    "adoption_rate",
    "domestic_share",
    "domestic_user_share",
    "sovereign_share_regulated",
    "domestic_share_regulated",
    "abroad_share_sensitive",
    "unmet_compute_demand_share",
    "gpu_orders_unfilled_share",
    "adoption_subsidy_rate",
    "compute_hhi",
)
#: Columns that may be negative by meaning: capability is a score on a log-compute scale, the
#: deficit a balance, the gap a difference.
SIGNED_COLUMNS = (
    "best_domestic_capability",
    "frontier_capability",
    "capability_gap",
    "digital_deficit_ai_jpy_bn",
    "digital_deficit_total_jpy_bn",
)
#: Cumulative columns: never decrease.
CUMULATIVE_COLUMNS = (
    "budget_appropriated_jpy_bn",
    "budget_spent_jpy_bn",
    "budget_lapsed_jpy_bn",
    "tax_expenditure_jpy_bn",
    *(f"spent_{p}_jpy_bn" for p in PROGRAMMES),
)
SMALL = {"n_user_agents": (60, 300), "quarters": (1, 12)}


def _value(p) -> st.SearchStrategy:
    if p.name in SMALL:
        return st.integers(*SMALL[p.name])
    if p.kind is bool:
        return st.booleans()
    if p.choices:
        return st.sampled_from(p.choices)
    if p.kind is int:
        return st.integers(int(p.low), int(p.high))
    return st.floats(p.low, p.high, allow_nan=False, allow_infinity=False)


@st.composite
def valid_parameters(draw) -> dict:
    """Every parameter drawn within its allowed range; programme shares scaled to sum to 1."""
    params = {p.name: draw(_value(p)) for p in PARAMS_LIST if p.name not in SHARE_NAMES}
    weights = draw(st.lists(st.floats(0, 1), min_size=len(SHARE_NAMES), max_size=len(SHARE_NAMES)))
    weights = np.array(weights) if sum(weights) > 0 else np.ones(len(SHARE_NAMES))
    for name, share in zip(SHARE_NAMES, weights / weights.sum(), strict=True):
        params[name] = float(share)
    return resolve(params)


def _run(params: dict, seed: int) -> pd.DataFrame:
    return sim.run(params, seed=seed, quarters=params["quarters"])["timeseries"]


@MODEL_RUNS
@given(params=valid_parameters(), seed=st.integers(0, 2**32 - 1))
def test_accounting_invariants_hold_every_quarter(params, seed):
    ts = _run(params, seed)
    assert len(ts) == params["quarters"]
    numbers = ts.select_dtypes("number")
    assert np.isfinite(numbers.to_numpy()).all(), "NaN or infinite values"
    stocks = numbers.drop(columns=[c for c in SIGNED_COLUMNS if c in numbers])
    negative = [c for c in stocks if (stocks[c] < -EPS).any()]
    assert not negative, f"negative stocks or flows: {negative}"

    # Budget: spent never exceeds appropriated, appropriated never exceeds the budget, nothing is lost.
    appropriated, spent = ts["budget_appropriated_jpy_bn"], ts["budget_spent_jpy_bn"]
    assert (spent <= appropriated + EPS).all()
    assert (appropriated <= params["budget_total_jpy_bn"] + EPS).all()
    np.testing.assert_allclose(
        appropriated, spent + ts["budget_unspent_jpy_bn"] + ts["budget_lapsed_jpy_bn"], rtol=1e-9, atol=EPS
    )
    programmes = ts[[f"spent_{p}_jpy_bn" for p in PROGRAMMES]].sum(axis=1)
    np.testing.assert_allclose(programmes, spent, rtol=1e-9, atol=EPS)
    for column in CUMULATIVE_COLUMNS:
        assert (ts[column].diff().dropna() >= -EPS).all(), f"{column} decreased"

    # Adoption: adopters within the population, each provider's users within the adopters.
    for column in [*SHARE_COLUMNS, *ts.filter(regex="^(adoption|domestic_share)_").columns]:
        assert ts[column].between(-EPS, 1 + EPS).all(), column
    assert (ts.filter(regex="^users_").sum(axis=1) <= ts["adoption_rate"] + EPS).all()

    # Data centres: the power drawn stays within the capacity built.
    assert (ts["dc_power_draw_mw"] <= ts["dc_power_mw"] * (1 + EPS) + EPS).all()
    # ... and so do the installed accelerators at full load (GPUs installed within capacity).
    assert (ts["dc_power_used_mw"] <= ts["dc_power_mw"] * (1 + EPS) + EPS).all()

    # The AI deficit is foreign AI spend (Japan-hosted counted at its deficit share), plus compute
    # rented abroad, less exports: it lies between the two extremes of that share.
    foreign, imports, exports = ts["foreign_ai_spend_jpy_bn"], ts["compute_imports_jpy_bn"], ts["ai_exports_jpy_bn"]
    deficit = ts["digital_deficit_ai_jpy_bn"]
    assert (deficit <= foreign + imports - exports + EPS * (1 + foreign)).all()
    # The smallest foreign part is that of foreign models run in Japan (a Japan region or open weights).
    p = resolve(params)
    share = min(p["hosted_in_japan_deficit_share"], p["open_weight_deficit_share"])
    assert (deficit >= share * foreign + imports - exports - EPS * (1 + foreign)).all()


@settings(MODEL_RUNS, max_examples=10)
@given(params=valid_parameters(), seed=st.integers(0, 2**32 - 1))
def test_same_seed_same_output(params, seed):
    pd.testing.assert_frame_equal(_run(params, seed), _run(params, seed))


# --- fuzzed loaders: any input gives a result or one UserError, never another exception ---------------

_NAMES = st.one_of(st.sampled_from(sorted(PARAMS)), st.text(min_size=1, max_size=12))
_SCALARS = st.one_of(
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def _toml(value) -> str:
    """A value in TOML syntax (integers outside 64 bits and the like make malformed files, also welcome)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return json.dumps(value)


def _key(name: str) -> str:
    return json.dumps(name)


def _table(name: str, items: dict) -> str:
    return f"[{name}]\n" + "".join(f"{_key(k)} = {_toml(v)}\n" for k, v in items.items())


_FILES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.builds(
        lambda top, params: (
            "".join(f"{_key(k)} = {_toml(v)}\n" for k, v in top.items()) + _table("parameters", params)
        ).encode(),
        st.dictionaries(st.sampled_from(["description", "seed", "scenario", "other"]), _VALUES, max_size=3),
        st.dictionaries(_NAMES, _VALUES, max_size=4),
    ),
)


def _only_user_errors(load, path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        load(path)
    except UserError as err:
        message = str(err)
        assert message and "\n" not in message.strip() and "Traceback" not in message


@FUZZ
@given(data=_FILES)
def test_fuzzed_scenario_and_params_files_give_one_line_errors(data, tmp_path_factory):
    from sim.scenarios import read_params_file, read_scenario

    folder = tmp_path_factory.mktemp("fuzz")
    _only_user_errors(read_scenario, folder / "s.toml", data)
    _only_user_errors(read_params_file, folder / "p.toml", data)


_UNIT_PARAMETERS = ["sovereignty_rule", "capex_subsidy_rate", "champion_grant_share", "share_rnd"]


@st.composite
def _experiment_files(draw) -> bytes:
    """A valid experiment file of any size, often with one field replaced by a random value."""
    design = draw(st.sampled_from(["lhs", "sobol", "morris", "fast", "grid"]))
    exp = {"design": design, "replications": draw(st.integers(1, 10**6))}
    if design != "grid":
        exp["samples"] = draw(st.integers(65, 10**13))
    params = {}
    for name in draw(st.lists(st.sampled_from(_UNIT_PARAMETERS), min_size=1, max_size=3, unique=True)):
        low, high = draw(st.floats(0, 0.5)), draw(st.floats(0.5, 1))
        params[name] = {"values": [low, high]} if design == "grid" else {"low": low, "high": high}
    if draw(st.booleans()):
        target = draw(st.sampled_from(["experiment", *params]))
        table = exp if target == "experiment" else params[target]
        keys = ["design", "samples", "replications", "seed", "run_timeout_s", "outputs", "bogus"]
        if target != "experiment":
            keys = ["low", "high", "values", "dist", "mean", "sd", "group"]
        table[draw(st.sampled_from(keys))] = draw(_VALUES)
    text = _table("experiment", exp) + "".join(_table(f"parameters.{n}", spec) for n, spec in params.items())
    return text.encode()


_EXPERIMENTS = st.one_of(st.binary(max_size=300), _experiment_files())


@FUZZ
@given(data=_EXPERIMENTS)
def test_fuzzed_experiment_files_give_one_line_errors_and_no_huge_allocation(data, tmp_path_factory):
    from experiments.spec import load_experiment
    from experiments.sweep import check_design_size

    def load(path: Path) -> None:
        check_design_size(load_experiment(path), available_bytes=2**30)  # sizes beyond 1 GiB are refused

    _only_user_errors(load, tmp_path_factory.mktemp("fuzz") / "e.toml", data)


@FUZZ
@given(name=_NAMES, value=st.one_of(_SCALARS, st.text(max_size=40)))
def test_fuzzed_parameter_values_are_checked_or_refused_in_one_line(name, value):
    from sim.params import parse_sets

    for attempt in (lambda: resolve({name: value}), lambda: resolve(parse_sets([f"{name}={value}"]))):
        try:
            params = attempt()
        except UserError as err:
            assert "\n" not in str(err) and len(str(err)) < 400
            continue
        p = PARAMS[name]
        got = params[name]
        if p.kind in (int, float):
            assert p.low <= got <= p.high and math.isfinite(got)
        elif p.choices:
            assert got in p.choices


def test_huge_sizes_are_refused_before_allocating(tmp_path):
    from experiments.errors import ExperimentError
    from experiments.spec import load_experiment
    from experiments.sweep import check_design_size

    path = tmp_path / "big.toml"
    path.write_text(
        '[experiment]\ndesign = "sobol"\nsamples = 1000000000000\n[parameters.sovereignty_rule]\nlow = 0\nhigh = 1\n'
    )
    with pytest.raises(ExperimentError, match="GiB of memory"):
        check_design_size(load_experiment(path))
    with pytest.raises(ParameterError, match="out of range"):
        resolve({"n_user_agents": 1e308})

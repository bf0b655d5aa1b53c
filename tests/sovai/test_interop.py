"""Researchers' own tools drive the model unchanged: EMA Workbench, SALib, mesa.batch_run, numpy values.

Each test runs what docs/interop.md shows, at a small size.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import sim
import sovai
from experiments.seeds import run_seed

SMALL = {"n_user_agents": 200}


def test_numpy_scalars_are_accepted_wherever_python_values_are():
    with_numpy = sim.run(
        {"export_partnership": np.bool_(True), "n_user_agents": np.int64(200), "fx_jpy_per_usd": np.float32(140.0)},
        seed=np.int64(1),
        quarters=np.int64(3),
    )
    plain = sim.run({"export_partnership": True, "n_user_agents": 200, "fx_jpy_per_usd": 140.0}, seed=1, quarters=3)
    pd.testing.assert_frame_equal(with_numpy["timeseries"], plain["timeseries"])
    with pytest.raises(sim.ParameterError, match="'n_user_agents': value 200.5 is not a valid int"):
        sim.run({"n_user_agents": np.float64(200.5)}, seed=1, quarters=1)


def test_parameters_as_keywords_equal_parameters_as_a_mapping():
    as_keywords = sim.run(seed=3, quarters=3, n_user_agents=200, budget_total_jpy_bn=2000.0)
    as_mapping = sim.run({"n_user_agents": 200, "budget_total_jpy_bn": 2000.0}, seed=3, quarters=3)
    pd.testing.assert_frame_equal(as_keywords["timeseries"], as_mapping["timeseries"])
    with pytest.raises(sim.ParameterError, match="unknown parameter 'budget_totl_jpy_bn'; did you mean"):
        sim.run(seed=3, quarters=1, budget_totl_jpy_bn=1.0)


def _ema():
    return pytest.importorskip("ema_workbench", reason="EMA Workbench is a dev dependency: pip install -e '.[dev]'")


def _describe(ema, model):
    model.uncertainties = [
        ema.RealParameter("fx_jpy_per_usd", 120.0, 180.0),
        ema.BooleanParameter("export_partnership"),
    ]
    model.levers = [ema.RealParameter("budget_total_jpy_bn", 500.0, 3000.0)]
    model.constants = [ema.Constant("quarters", 4), ema.Constant("n_user_agents", 200)]


def _direct(row, seed):
    return sim.run(
        seed=seed,
        quarters=4,
        n_user_agents=200,
        fx_jpy_per_usd=row["fx_jpy_per_usd"],
        export_partnership=row["export_partnership"],
        budget_total_jpy_bn=row["budget_total_jpy_bn"],
    )["adoption_rate_final"]


@pytest.mark.parametrize("evaluator", ["SequentialEvaluator", "MultiprocessingEvaluator"])
def test_ema_workbench_model_with_sim_run_as_is(evaluator):
    ema = _ema()
    model = ema.Model("sovai", function=sim.run)
    _describe(ema, model)
    model.constants = [*model.constants, ema.Constant("seed", 1)]
    model.outcomes = [ema.ScalarOutcome("adoption_rate_final"), ema.ScalarOutcome("digital_deficit_ai_jpy_bn_final")]
    kwargs = {"n_processes": 2} if evaluator == "MultiprocessingEvaluator" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EMA's notes on optional extras (ipyparallel)
        with getattr(ema, evaluator)(model, **kwargs) as runner:
            experiments, outcomes = runner.perform_experiments(scenarios=3, policies=1)
    assert len(experiments) == 3 and np.isfinite(outcomes["adoption_rate_final"]).all()
    assert outcomes["adoption_rate_final"][0] == _direct(experiments.iloc[0], 1)


def test_ema_workbench_replications_by_seed():
    ema = _ema()
    model = ema.ReplicatorModel("sovai", function=sim.run)
    _describe(ema, model)
    model.replications = [{"seed": 1}, {"seed": 2}]
    # one value per experiment: the mean over the replications
    model.outcomes = [ema.ScalarOutcome("adoption_rate_final", function=np.mean)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        experiments, outcomes = ema.perform_experiments(model, scenarios=2, policies=1)
    row = experiments.iloc[0]
    assert outcomes["adoption_rate_final"][0] == pytest.approx((_direct(row, 1) + _direct(row, 2)) / 2, rel=1e-12)


def test_salib_problemspec_evaluate_with_the_helper():
    from SALib import ProblemSpec

    sp = ProblemSpec(
        {
            "names": ["fx_jpy_per_usd", "budget_total_jpy_bn", "export_partnership"],
            "bounds": [[120.0, 180.0], [500.0, 3000.0], [0, 1]],
            "outputs": ["adoption_rate_final", "digital_deficit_ai_jpy_bn_final"],
        }
    )
    sp.sample_sobol(2, calc_second_order=False, seed=1)
    sp.evaluate(sovai.salib_run, sp, seed=5, quarters=3, constants=SMALL)
    assert sp.results.shape == (len(sp.samples), 2) and np.isfinite(sp.results).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two samples are too few for SALib's taste; the point is that it runs
        sp.analyze_sobol(calc_second_order=False, seed=1)
    assert set(sp.analysis) == {"adoption_rate_final", "digital_deficit_ai_jpy_bn_final"}
    first = sp.samples[0]
    direct = sim.run(
        {**SMALL, "fx_jpy_per_usd": first[0], "budget_total_jpy_bn": first[1], "export_partnership": round(first[2])},
        seed=run_seed(5, 0, mode="common"),  # every row: the "common" seed of replicate 0
        quarters=3,
    )
    assert sp.results[0, 0] == direct["adoption_rate_final"]
    one = sovai.salib_run(sp.samples[:2], sp, outputs=["adoption_rate_final"], seed=5, quarters=3, constants=SMALL)
    assert one.shape == (2,) and one[0] == sp.results[0, 0]
    with pytest.raises(sim.ParameterError, match="unknown parameter 'fx'"):
        sovai.salib_run(sp.samples[:1], {"names": ["fx"]}, outputs=["adoption_rate_final"], quarters=1)

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from agents import DataCentre, DomesticDeveloper, ForeignProvider, Government, UserAgent
from agents.government import AWARD
from sim.outcomes import COLUMNS
from sim.params import PROGRAMMES

CONTRACT_COLUMNS = [
    "quarter",
    "adoption_rate",
    "domestic_share",
    "sovereign_share_regulated",
    "digital_deficit_ai_jpy_bn",
    "digital_deficit_total_jpy_bn",
    "domestic_compute_eflops",
    "gpus_installed",
    "dc_power_mw",
    "electricity_gwh",
    "best_domestic_capability",
    "frontier_capability",
    "domestic_ai_revenue_jpy_bn",
    "budget_spent_jpy_bn",
    "unmet_compute_demand_share",
]


def test_run_contract(baseline_run):
    ts = baseline_run["timeseries"]
    assert isinstance(ts, pd.DataFrame) and len(ts) == 40
    assert list(ts["quarter"].iloc[[0, -1]]) == ["FY2026Q1", "FY2035Q4"]
    assert set(CONTRACT_COLUMNS) <= set(ts.columns) and set(COLUMNS) <= set(ts.columns)
    scalars = {k: v for k, v in baseline_run.items() if k != "timeseries"}
    assert all(isinstance(v, float) for v in scalars.values())
    for key in (
        "domestic_share_final",
        "digital_deficit_ai_jpy_bn_fy2030",
        "budget_spent_jpy_bn_final",
        "digital_deficit_ai_cum_jpy_bn",
    ):
        assert np.isfinite(scalars[key]), key
    assert scalars["budget_spent_jpy_bn_fy2030"] == ts["budget_spent_jpy_bn"].iloc[19]


def test_model_is_a_mesa_model_with_every_agent_kind(small_model):
    m = small_model()
    assert isinstance(m, mesa.Model)
    kinds = set(m.agents_by_type)
    assert {Government, DomesticDeveloper, ForeignProvider, DataCentre, UserAgent} <= kinds
    assert len(m.agents_by_type[UserAgent]) == m.population.n
    m.run_for(3)
    assert m.steps == 3 and m.record["quarter"] == "FY2026Q3"
    assert len(m.datacollector.get_model_vars_dataframe()) == 3


def test_same_seed_same_output_different_seed_different():
    runs = []
    for seed in (11, 11, 12):
        runs.append(sim.run({"n_user_agents": 400}, seed=seed, quarters=12)["timeseries"])
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert not runs[0].equals(runs[2])


def test_mesa_batch_run_drives_the_model():
    results = mesa.batch_run(
        sim.SovereignAIModel,
        {"n_user_agents": 300, "quarters": 4, "sovereignty_rule": [0.0, 1.0]},
        rng=[1],
        max_steps=100,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(results)
    assert set(df["sovereignty_rule"]) == {0.0, 1.0}
    assert df.groupby("sovereignty_rule")["Step"].max().eq(4).all()


def test_budget_invariants(baseline_run):
    ts = baseline_run["timeseries"]
    assert (ts["budget_spent_jpy_bn"].diff().dropna() >= -1e-9).all()
    assert ts["budget_spent_jpy_bn"].iloc[-1] <= 1000 + 1e-6
    assert ts["budget_spent_jpy_bn"].iloc[-1] == pytest.approx(
        ts[[f"spent_{p}_jpy_bn" for p in PROGRAMMES]].iloc[-1].sum()
    )
    total = ts["budget_spent_jpy_bn"] + ts["budget_unspent_jpy_bn"] + ts["budget_lapsed_jpy_bn"]
    np.testing.assert_allclose(total, ts["budget_appropriated_jpy_bn"], rtol=1e-9, atol=1e-6)
    assert ts["budget_appropriated_jpy_bn"].iloc[0] == pytest.approx(300.0)


def test_no_policy_spends_nothing():
    r = sim.run({**sim.load_scenario("no_policy"), "n_user_agents": 400}, seed=5, quarters=24)
    ts = r["timeseries"]
    assert (ts["budget_spent_jpy_bn"] == 0).all() and (ts["tax_expenditure_jpy_bn"] == 0).all()


def test_lapse_policy_loses_unspent_money_and_still_balances():
    r = sim.run({"unspent_policy": "lapse", "n_user_agents": 400}, seed=5, quarters=24)
    ts = r["timeseries"]
    assert ts["budget_spent_jpy_bn"].iloc[-1] + ts["budget_lapsed_jpy_bn"].iloc[-1] + ts["budget_unspent_jpy_bn"].iloc[
        -1
    ] == pytest.approx(1000.0)


def test_population_and_capacity_invariants(small_model):
    m = small_model(quarters=16)
    for _ in range(16):
        m.step()
        pop = m.population
        assert (pop.adopted <= pop.potential).all()
        assert 0 <= m.record["adoption_rate"] <= 1
        for c in m.datacentres:
            assert c.power_used_mw <= c.built_mw + 1e-9, c.key  # GPUs installed ≤ capacity
            assert (c.gpus >= 0).all()
        for key in ("domestic_share", "sovereign_share_regulated", "unmet_compute_demand_share"):
            assert 0 <= m.record[key] <= 1 + 1e-12, key
    assert m.population.weight.sum() == pytest.approx(10_364 + 512_000 + 2_853_000 + 1_788)


def test_money_flows_balance(small_model):
    m = small_model(quarters=8)
    m.run_for(8)
    gov = m.government
    plan = sum(amount for _, prog, _, amount in gov.ledger if prog != AWARD)
    award = sum(amount for _, prog, _, amount in gov.ledger if prog == AWARD)
    assert plan == pytest.approx(gov.spent_jpy_bn)
    assert award == pytest.approx(gov.spent[AWARD]) and award > 0  # the award is its own line
    by_recipient: dict[str, float] = {}
    for _, _, who, amount in gov.ledger:
        by_recipient[who] = by_recipient.get(who, 0.0) + amount
    dc_support = sum(c.support_jpy_bn for c in m.datacentres)
    subsidies = sum(v for k, v in by_recipient.items() if k in {c.key for c in m.datacentres})
    assert subsidies + gov.tax_expenditure_jpy_bn == pytest.approx(dc_support)
    assert gov.spent["compute_capex"] == pytest.approx(subsidies)


def test_compute_contracts_add_up_quarter_by_quarter(small_model):
    m = small_model(quarters=4)
    m.step()
    first = m.compute_contracts_jpy_bn
    assert first.shape == (len(m.developers), len(m.domestic_dcs)) and first.sum() > 0
    m.step()
    later = m.compute_contracts_jpy_bn
    assert (later >= first).all() and later.sum() > first.sum()  # contracts only ever add up
    # The supply network draws them: developer -> site, the money so far on the edge.
    g = m.supply_network()
    for i, d in enumerate(m.developers):
        for j, c in enumerate(m.domestic_dcs):
            if later[i, j] > 0:
                assert g.edges[d.key, c.key]["jpy_bn"] == later[i, j]


def test_hundred_thousand_users_run():
    m = sim.SovereignAIModel(rng=1, n_user_agents=100_000, quarters=2)
    m.run_for(2)
    assert m.population.n > 90_000
    assert 0 < m.record["adoption_rate"] < 1


def test_stepping_past_the_horizon_says_so():
    m = sim.SovereignAIModel(rng=1, n_user_agents=200, quarters=2)
    m.run_for(2)
    assert not m.running
    with pytest.raises(RuntimeError, match="horizon of 2 quarters"):
        m.step()


def test_agents_import_before_sim():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import agents, sim; sim.SovereignAIModel"], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_a_shorter_run_is_the_start_of_the_longer_one():
    """Random streams by purpose: the horizon changes no draw, so 20 quarters are the first 20 of 40."""
    params = {"n_user_agents": 400, "foreign_outage_prob_per_year": 0.3}
    long = sim.run(params, seed=11, quarters=40)["timeseries"]
    short = sim.run(params, seed=11, quarters=20)["timeseries"]
    pd.testing.assert_frame_equal(short, long.iloc[:20])


def test_events_are_recorded_where_they_happen():
    ts = sim.run(
        {"n_user_agents": 300, "foreign_outage_start_quarter": 4, "gpu_shock_start_quarter": 8}, seed=2, quarters=12
    )["timeseries"]
    assert "foreign AI disruption begins" in ts["events"].iloc[4]
    assert "GPU supply shock begins" in ts["events"].iloc[8]
    assert "FY2026 plan budget appropriated" in ts["events"].iloc[0]
    assert "award review" in ts["events"].iloc[4]
    assert ts["events"].str.contains("MW completed").any()

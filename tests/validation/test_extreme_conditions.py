"""Validation: extreme conditions where the right answer is known without running the model.

- no budget: no programme pays anything and no developer trains on grant-funded compute;
- sovereignty rule 1: no regulated sensitive work is served from abroad;
- no GPU supply (world and domestic chip): domestic operators install no new accelerators;
- a permanent foreign outage of every foreign offer: no spend on foreign AI once it starts.
"""

import numpy as np
import pytest

import sim
from sim import SovereignAIModel

SMALL = {"n_user_agents": 1000}


def _model(seed: int = 11, quarters: int = 16, **overrides) -> SovereignAIModel:
    return SovereignAIModel(rng=seed, **{**SMALL, "quarters": quarters, **overrides})


def test_zero_budget_spends_nothing_and_funds_no_compute():
    m = _model(budget_total_jpy_bn=0.0, champion_award_total_jpy_bn=0.0)
    grant_compute = []
    for _ in range(m.p["quarters"]):
        m.step()
        grant_compute.append(sum(d.public_support_jpy_bn for d in m.developers))
    ts = m.datacollector.get_model_vars_dataframe()
    spent = [c for c in ts.columns if c.startswith("spent_") and c.endswith("_jpy_bn")]
    assert len(spent) == 7
    assert (ts[spent + ["budget_spent_jpy_bn", "budget_appropriated_jpy_bn"]] == 0).all().all()
    assert (ts["adoption_subsidy_rate"] == 0).all()
    assert m.government.ledger == [], "no payment may go through the ledger"
    assert max(grant_compute) == 0.0, "no developer may receive grant-funded compute or R&D money"
    assert not any(d.champion and d.public_support_jpy_bn for d in m.developers)


@pytest.mark.parametrize(
    "extra",
    [{}, {"chinese_provider_enabled": True, "foreign_price_decline_per_year": 0.6}],
    ids=["default", "cheap_foreign"],
)
def test_full_sovereignty_rule_keeps_sensitive_work_in_japan(extra):
    ts = sim.run({**SMALL, "sovereignty_rule": 1.0, **extra}, seed=5, quarters=20)["timeseries"]
    assert (ts["abroad_share_sensitive"] == 0).all(), ts["abroad_share_sensitive"].max()
    # ...while foreign AI from abroad is still used for general work (the rule is not a ban).
    assert (ts["foreign_ai_spend_jpy_bn"] > 0).all()


def test_partial_sovereignty_rule_leaves_some_sensitive_work_abroad():
    ts = sim.run({**SMALL, "sovereignty_rule": 0.0}, seed=5, quarters=8)["timeseries"]
    assert (ts["abroad_share_sensitive"] > 0).all()


def test_zero_gpu_supply_means_no_new_domestic_gpus():
    m = _model(
        quarters=20,
        gpu_supply_japan_h100eq_per_year=0.0,
        domestic_accelerator_share=0.0,
        domestic_accelerator_year=2026,
    )
    before = np.array([c.gpus.copy() for c in m.domestic_dcs])
    for _ in range(m.p["quarters"]):
        m.step()
        now = np.array([c.gpus.copy() for c in m.domestic_dcs])
        assert np.all(now <= before + 1e-9), "a domestic operator installed accelerators with no supply"
        before = now
    control = _model(quarters=4)
    start = sum(c.gpus.sum() for c in control.domestic_dcs)
    control.run_for(4)
    assert sum(c.gpus.sum() for c in control.domestic_dcs) > start, "with supply, operators do install GPUs"
    assert m.government.spent["compute_capex"] == pytest.approx(
        sum(a for _, prog, _, a in m.government.ledger if prog == "compute_capex")
    )


def test_permanent_outage_of_all_foreign_offers_stops_foreign_spend():
    start = 6
    ts = sim.run(
        {
            **SMALL,
            "foreign_outage_start_quarter": start,
            "foreign_outage_duration_quarters": 200,
            "foreign_outage_scope": "all",
            "chinese_provider_enabled": True,
        },
        seed=3,
        quarters=16,
    )["timeseries"]
    assert (ts["foreign_ai_spend_jpy_bn"].iloc[:start] > 0).all()
    after = ts.iloc[start:]
    assert (after["foreign_outage"] == 1).all()
    # Only foreign open-weight models already run in Japan keep serving: nothing reaches a foreign model.
    in_japan = (after["open_weight_share"] + after["domestic_share"]).to_numpy()
    assert in_japan == pytest.approx(np.ones(len(after))), "all AI runs in Japan"
    served = after["ai_spend_jpy_bn"] - after["unmet_ai_demand_jpy_bn"]
    assert after["foreign_ai_spend_jpy_bn"].to_numpy() == pytest.approx(
        (after["open_weight_share"] * served).to_numpy()
    )
    assert (after["rerouted_abroad_jpy_bn"] == 0).all(), "no work can be sent abroad"
    assert after["domestic_infra_share"].to_numpy() == pytest.approx(np.ones(len(after)))
    users = [c for c in ts.columns if c.startswith("users_us_") or c.startswith("users_cn_")]
    assert users and (after[users] == 0).all().all()


def test_outage_from_abroad_spares_japan_hosted_foreign_models():
    ts = sim.run(
        {
            **SMALL,
            "foreign_outage_start_quarter": 4,
            "foreign_outage_duration_quarters": 200,
            "foreign_outage_scope": "abroad",
        },
        seed=3,
        quarters=10,
    )["timeseries"]
    after = ts.iloc[4:]
    assert (after["users_us_frontier"] == 0).all()
    assert (after["users_us_in_japan"] > 0).all()

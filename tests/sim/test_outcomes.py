"""The quarter's record: the run-constant layout gives the same sums as masks over the arrays would."""

import numpy as np
import pytest

from agents.government import AWARD
from agents.user import ABROAD, DOMESTIC, SENSITIVE_BOUND
from sim import service
from sim.model import SovereignAIModel
from sim.networks import concentration
from sim.outcomes import (
    DOMESTIC_MODELS,
    QUARTER_VALUES,
    RAN_ABROAD,
    RAN_IN_JAPAN,
    REROUTED,
    SPENT_COLUMNS,
    UNMET,
    _quarter_values,
    booked_side_by_side,
    spend_by_cell,
)


@pytest.fixture(scope="module")
def model():
    # In the first quarter Japan's pools are short: some work is rerouted abroad, some left unmet.
    m = SovereignAIModel(rng=3, n_user_agents=300, quarters=4)
    m.run_for(1)
    assert m.delivery.rerouted.sum() > 0 and m.delivery.unmet.sum() > 0
    return m


def test_spend_by_cell_is_the_masked_sums(model):
    d, hosting = model.delivery, model.hosting
    cells = spend_by_cell(booked_side_by_side(d), model.record_layout)
    assert cells.shape == (len(model.sector_names), 3, 5)
    expected = {
        RAN_ABROAD: d.abroad(hosting),
        RAN_IN_JAPAN: d.in_japan(hosting),
        DOMESTIC_MODELS: d.served[..., hosting == DOMESTIC].sum(axis=-1),
        REROUTED: d.rerouted.sum(axis=-1),
        UNMET: d.unmet.sum(axis=-1),
    }
    for column, values in expected.items():
        np.testing.assert_allclose(cells[..., column], values, rtol=1e-12, atol=0)
    # Every hosting mode runs either in Japan or abroad: booked spend is what ran plus what did not.
    booked = (d.served + d.rerouted + d.unmet).sum(axis=-1)
    np.testing.assert_allclose(cells[..., RAN_ABROAD] + cells[..., RAN_IN_JAPAN] + cells[..., UNMET], booked)


def test_record_shares_match_their_definitions(model):
    d, hosting, rec = model.delivery, model.hosting, model.record
    regulated = model.population.sector_totals(len(model.sector_names))[1]
    done = d.abroad(hosting) + d.in_japan(hosting)
    assert rec["domestic_share"] == pytest.approx(d.served[..., hosting == DOMESTIC].sum() / done.sum(), rel=1e-12)
    bound = (d.served + d.rerouted + d.unmet)[regulated][:, SENSITIVE_BOUND].sum()
    assert rec["unmet_sensitive_share"] == pytest.approx(
        d.unmet[regulated][:, SENSITIVE_BOUND].sum() / bound if bound > 0 else 0.0, rel=1e-12, abs=1e-15
    )
    pop = model.population
    assert rec["adoption_rate"] == pytest.approx(pop.weight[pop.adopted].sum() / pop.weight.sum(), rel=1e-12)
    abroad = model.offers.list_price[hosting == ABROAD]
    assert rec["foreign_price_index"] == (abroad.min() if len(abroad) else 0.0)
    assert rec["grid_headroom_mw"] == pytest.approx(
        (model.grid_limit_mw[model.t] - model.committed_by_region()).clip(min=0).sum(), rel=1e-12
    )
    assert rec["compute_hhi"] == pytest.approx(
        concentration(np.array([c.h100eq for c in model.datacentres])), rel=1e-12
    )


def test_record_holds_plain_floats_and_text(model):
    for key, value in model.record.items():
        assert type(value) is (str if key in ("quarter", "events") else float), key


def test_events_in_gives_one_quarters_events_in_order():
    m = SovereignAIModel(rng=0, n_user_agents=100, quarters=4)
    m.events = [(0, "a"), (1, "b"), (1, "c"), (3, "d")]
    assert m.events_in(1) == ["b", "c"]
    assert m.events_in(2) == []
    assert m.events_in(3) == ["d"]
    assert m.events_in(0) == ["a"]


def test_concentration_of_plain_numbers():
    assert concentration([1.0, 1.0]) == pytest.approx(0.5)
    assert concentration([5.0]) == 1.0
    assert concentration([0.0, 0.0]) == 0.0
    assert concentration(np.array([3.0, 1.0])) == pytest.approx(0.625)


def test_hosting_partition_behind_the_record():
    """The record counts served work as run in Japan or abroad: the two sets of hosting modes must cover all."""
    modes = np.array([0, 1, 2, 3])
    assert (service.hosted(modes, service.RUNS_IN_JAPAN) ^ (modes == ABROAD)).all()


def test_each_quarters_record_is_its_row_of_the_runs_columns():
    """model.record (one quarter) and the DataCollector's columns (all quarters) come from one derivation."""
    m = SovereignAIModel(rng=1, n_user_agents=150, quarters=5)
    assert list(m.record) == m.record_layout.columns and m.record["events"] == ""
    assert m.datacollector.get_model_vars_dataframe().empty
    records = []
    for _ in range(5):
        m.step()
        records.append(dict(m.record))
    assert len(m.datacollector.model_vars["quarter"]) == 5
    rows = m.datacollector.get_model_vars_dataframe()
    assert list(rows.columns) == m.record_layout.columns
    for rec, (_, row) in zip(records, rows.iterrows(), strict=True):
        text = ("quarter", "events")
        assert [rec[k] for k in text] == [row[k] for k in text]
        assert {k: v for k, v in rec.items() if k not in text} == pytest.approx(
            {k: row[k] for k in rec if k not in text}, rel=1e-12, abs=1e-15
        )


def test_the_collected_columns_cannot_be_overwritten():
    m = SovereignAIModel(rng=0, n_user_agents=100, quarters=2)
    with pytest.raises(AttributeError, match="derives model_vars"):
        m.datacollector.model_vars = {"adoption_rate": [0.5]}


def test_each_quarter_value_is_read_from_what_its_name_says():
    """QUARTER_VALUES names the values _quarter_values reads by position: a swap would mislabel a column.

    Each name is checked against the model's state read another way, so the two sequences cannot drift apart.
    """
    m = SovereignAIModel(rng=5, n_user_agents=300, quarters=12)
    m.run_for(12)  # the plan's money is flowing, chips on order and delivered
    flows = {"exports": 1.5, "offshore_training": 2.5, "region_training": 3.5}
    gov, sites, pools = m.government, m.datacentres, m.pool_results
    market = m.chip_market["domestic"]
    expected = {
        **flows,
        "domestic_compute_eflops": m.domestic_eflops,
        "domestic_operator_eflops": m.eflops(m.domestic_dcs),
        "gpus_installed": sum(c.chips for c in sites),
        "dc_power_mw": sum(c.built_mw for c in sites),
        "committed_mw": sum(c.committed_mw for c in sites),
        "dc_power_used_mw": sum(c.power_used_mw for c in sites),
        "electricity_quarter_gwh": sum(c.electricity_gwh for c in sites),
        "best_domestic_capability": m.best_domestic_capability,
        "japanese_proficiency_domestic": max(d.japanese for d in m.developers),
        "revenue_quarter_jpy_bn": m.domestic_revenue_jpy_bn,
        "private_in_quarter_jpy_bn": sum(d.private_in_jpy_bn for d in m.developers),
        "budget_appropriated_jpy_bn": gov.appropriated_jpy_bn,
        "budget_spent_jpy_bn": gov.spent_jpy_bn,
        "budget_unspent_jpy_bn": gov.unspent_jpy_bn,
        "budget_lapsed_jpy_bn": gov.lapsed_jpy_bn,
        **{column: gov.spent[prog] for prog, column in SPENT_COLUMNS.items()},
        "tax_expenditure_jpy_bn": gov.tax_expenditure_jpy_bn,
        "unmet_hours": sum(r.demand_hours - r.sold_hours for r in pools.values()),
        "demand_hours": sum(r.demand_hours for r in pools.values()),
        "gpu_hour_price_jpy": m.price_jpy_per_hour["domestic"],
        "gpu_orders_unfilled_share": market.unfilled_share,
        "adoption_subsidy_rate": m.adoption_subsidy_rate,
        "researchers": m.talent_pool,
        "data_stock_btokens": m.data_stock_btokens,
        "compute_hhi": concentration([c.h100eq for c in sites]),
        "accelerator_spend_jpy_bn": m.accelerator_spend_jpy_bn,
        "gpu_price_ratio": market.price_ratio,
        "japan_region_gpu_hour_price_jpy": m.price_jpy_per_hour["japan_region"],
        "utilisation_domestic": pools["domestic"].utilisation,
        "champion_award_jpy_bn": gov.spent[AWARD],
        "champion_award_withheld_jpy_bn": gov.award_refused_jpy_bn,
    }
    assert set(expected) == set(QUARTER_VALUES)
    read = dict(zip(QUARTER_VALUES, _quarter_values(m, flows), strict=True))
    assert read == pytest.approx({name: expected[name] for name in QUARTER_VALUES}, rel=1e-12)
    # The check sees a swap of any two values that differ: all do here but these (nothing lapsed, unmet or
    # withheld yet, and by FY2028 all the money appropriated is spent).
    same = {name for name in QUARTER_VALUES if list(read.values()).count(read[name]) > 1}
    assert same <= {
        "budget_appropriated_jpy_bn",
        "budget_spent_jpy_bn",
        "budget_lapsed_jpy_bn",
        "unmet_hours",
        "gpu_orders_unfilled_share",
        "champion_award_withheld_jpy_bn",
    }

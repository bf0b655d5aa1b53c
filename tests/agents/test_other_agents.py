import numpy as np
import pytest

from agents.datacentre import annuity_factor
from agents.government import grant_weights, yearly_budget
from sim.params import defaults


def test_yearly_budget_profile():
    p = defaults()
    assert yearly_budget(p) == pytest.approx([300, 175, 175, 175, 175])
    assert yearly_budget({**p, "budget_years": 1}) == [1000]
    assert sum(yearly_budget({**p, "budget_total_jpy_bn": 2000, "budget_years": 3})) == pytest.approx(2000)


def test_grant_weights_reserve_the_champion_share_and_follow_merit(small_model):
    m = small_model()
    w = grant_weights(m.developers, m.p)
    assert w.sum() == pytest.approx(1)
    champion = [d.champion for d in m.developers].index(True)
    assert w[champion] >= m.p["champion_grant_share"]
    equal = grant_weights(m.developers, {**m.p, "grant_concentration": 0.0, "champion_grant_share": 0.0})
    np.testing.assert_allclose(equal, 1 / len(m.developers))


def test_government_pays_no_more_than_it_has(small_model):
    m = small_model()
    m.step()
    gov = m.government
    pot = gov.pot["data"]
    assert gov.pay("data", pot + 100, "x") == pytest.approx(pot)
    assert gov.pay("data", 5, "x") == 0


def test_developer_releases_only_better_models(small_model):
    m = small_model()
    d = m.developers[0]
    before = d.capability
    d.training_flop = 1.0  # a tiny run: not released
    m.run_for(d.release_interval)
    assert d.capability >= before


def test_developer_capability_follows_the_scaling_law(small_model):
    m = small_model()
    d = m.developers[0]
    m.run_for(1)
    d.training_flop = 1e26
    m.steps, m.t = d.release_interval, d.release_interval - 1  # end of a cycle, as a step would set it
    expected = m.env.capability(1e26 * m.env.algo_efficiency[m.t] * d.efficiency * m.talent_factor * m.data_factor)
    d.release_model()
    assert d.capability == pytest.approx(expected)


def test_foreign_provider_follows_frontier_and_outages(small_model):
    m = small_model(foreign_outage_start_quarter=2, foreign_outage_duration_quarters=2, foreign_outage_scope="abroad")
    m.run_for(3)
    abroad = next(f for f in m.foreign if f.key == "us_frontier")
    hosted = next(f for f in m.foreign if f.key == "us_in_japan")
    assert abroad.capability == pytest.approx(m.env.frontier_capability[m.t])
    assert not abroad.available and hosted.available and abroad.disruption_record > 0


def test_datacentre_economics(small_model):
    m = small_model()
    c = m.domestic_dcs[0]
    gen = int(m.env.new_gen[0])
    dear = c.chip_npv_jpy_bn(gen, 2000.0)
    cheap = c.chip_npv_jpy_bn(gen, 10.0)
    assert dear > 0 > cheap
    assert c.chip_npv_jpy_bn(gen, 2000.0, price_ratio=2.0) < dear  # a dearer chip is worth less to buy
    # The break-even price ratio is where the NPV crosses zero, and support raises it.
    ratio = c.breakeven_price_ratio(gen, 2000.0)
    assert c.chip_npv_jpy_bn(gen, 2000.0, price_ratio=ratio) == pytest.approx(0.0, abs=1e-12)
    m.p["investment_tax_credit_rate"] = 0.3
    assert c.breakeven_price_ratio(gen, 2000.0) > ratio
    assert annuity_factor(0.0, 5) == 5 and annuity_factor(0.08, 5) < 5
    # Valued at several prices in one call, a chip is worth what it is worth at each, to the bit.
    prices = (0.0, 1.0, 10.0, 2000.0)
    assert c.chip_values_jpy_bn(gen, prices) == [c.chip_value_jpy_bn(gen, q) for q in prices]
    assert c.chip_value_jpy_bn(gen, 2000.0) > c.chip_value_jpy_bn(gen, 10.0)
    free = c.free_slots(gen)
    c.install(gen, free)
    assert c.power_used_mw == pytest.approx(c.built_mw) and c.free_slots(gen) == pytest.approx(0, abs=1e-6)


def test_datacentre_install_at_a_price_given_costs_what_its_own_price_does(small_model):
    """A pool's sites buy at one chip price worked out once: the bill is the site's own to the bit."""
    m = small_model()
    gen = int(m.env.new_gen[0])
    own, given = m.domestic_dcs[:2]
    price = own.chip_price_jpy_bn(gen, 1.7)
    assert given.chip_price_jpy_bn(gen, 1.7) == price
    cost_own = own.install(gen, 123.4, 1.7, lead_quarters=2)
    cost_given = given.install(gen, 123.4, 1.7, lead_quarters=2, unit_price_jpy_bn=price)
    assert cost_given == cost_own == 123.4 * price
    assert given.on_order[-1] == own.on_order[-1]


def test_talent_programme_raises_the_talent_factor_not_developers_payroll(small_model):
    m = small_model()
    d = m.developers[0]
    m.talent_pool = 10 * m.p["researchers_initial"]
    assert d.researchers == pytest.approx(d.researchers_share * m.p["researchers_initial"])
    assert m.talent_factor == pytest.approx(10 ** m.p["talent_elasticity"])
    m.talent_pool = 0.5 * m.p["researchers_initial"]  # brain drain does shrink payroll
    assert d.researchers == pytest.approx(d.researchers_share * 0.5 * m.p["researchers_initial"])


def test_datacentre_fleet_totals_follow_every_change_of_the_fleet(small_model):
    """The totals a site keeps equal the ones computed afresh after builds, deliveries, wear and purchases."""
    m = small_model()

    def fresh(c):
        per_gen = m.env.per_gen
        orders_eq = sum(chips * per_gen["h100_eq"][g] for _, g, chips in c.on_order)
        orders_w = sum(chips * per_gen["watts"][g] for _, g, chips in c.on_order) * c.watts_factor / 1e6
        used = float(c.gpus @ per_gen["watts"]) * c.watts_factor / 1e6
        return {
            "h100eq": float(c.gpus @ per_gen["h100_eq"]),
            "tflops": float(c.gpus @ per_gen["tflops"]),
            "chips": c.gpus.sum(),
            "power_used_mw": used,
            "h100eq_with_orders": float(c.gpus @ per_gen["h100_eq"]) + orders_eq,
            "power_reserved_mw": used + orders_w,
            "committed_mw": c.built_mw + sum(mw for _, mw in c.pipeline),
        }

    def kept(c):  # the same sums, up to rounding (the site sums in Python floats, the test with numpy)
        return pytest.approx({k: getattr(c, k) for k in fresh(c)}, rel=1e-12)

    c = m.domestic_dcs[0]
    gen = int(m.env.new_gen[0])
    assert kept(c) == fresh(c)
    c.install(gen, 10.0, lead_quarters=1)  # on order: counts in the totals with orders only
    assert kept(c) == fresh(c) and c.h100eq_with_orders > c.h100eq
    c.install(gen, 5.0)
    c.plan_build(20.0)
    assert kept(c) == fresh(c)
    for _ in range(m.p["build_lag_quarters"] + 1):  # deliveries and builds arrive, chips wear out
        m.step()
        assert all(kept(d) == fresh(d) for d in m.datacentres)


def test_datacentre_keeps_its_attributes_in_slots(small_model):
    """A site's own attributes live in its slots (see DataCentre.__slots__): only Mesa's are in its dict.

    An attribute set outside the slots would go to the instance's dict and, past 30 of them, make
    every method call on a site slower; the results would not change, so only this test notices.
    """
    m = small_model()
    for _ in range(m.p["build_lag_quarters"] + 1):  # builds, deliveries, purchases, sales
        m.step()
    for c in m.datacentres:
        c.build_npv_jpy_bn(1000.0)
        assert set(vars(c)) <= {"model", "unique_id", "pos"}

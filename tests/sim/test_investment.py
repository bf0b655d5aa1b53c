"""Data-centre investment: demand forecasts, chip purchases within power, builds within the grid."""

import numpy as np
import pytest

from sim import investment
from sim.environment import QUARTER_HOURS


def test_forecast_extrapolates_last_years_trend_within_bounds():
    assert investment.forecast([], 4) == 0.0
    assert investment.forecast([100.0], 4) == 100.0
    grown = investment.forecast([100.0, 105.0, 110.25, 115.7625, 121.550625], 2)
    assert grown == pytest.approx(121.550625 * 1.05**2)
    wild = investment.forecast([1.0, 100.0], 1)  # a jump is not extrapolated at face value
    assert wild == pytest.approx(100.0 * investment.GROWTH_BOUNDS[1])


def test_capex_support_buys_more_chips_in_a_shortage(small_model):
    """A tax credit raises the break-even price, so tight supply yields more chips to Japan."""
    bought = []
    for credit in (0.0, 0.3):
        m = small_model(investment_tax_credit_rate=credit, capex_subsidy_rate=0.0)
        dcs, gen = m.pools["domestic"], int(m.env.new_gen[0])
        clearing, spent = investment.buy_accelerators(dcs, 1e6, gen, 1000.0, 0.5, lambda _q: 800.0)
        assert clearing.price_ratio > 1 and spent > 0
        bought.append(clearing.quantity_h100eq)
    assert bought[1] > bought[0]


def test_support_that_pays_the_whole_chip_buys_all_that_is_wanted(small_model):
    """A 100% capex subsidy makes a chip free to the operator: every chip wanted is bought (it once bought none)."""
    m = small_model(capex_subsidy_rate=1.0)
    m.government.begin_quarter()  # the programme's first money is in its pot
    dcs, gen = m.pools["domestic"], int(m.env.new_gen[0])
    assert dcs[0].chip_cost_jpy_bn(gen) == 0.0
    clearing, _ = investment.buy_accelerators(dcs, 1e4, gen, 1e9, 1.0, lambda _q: 800.0)
    assert clearing.quantity_h100eq == pytest.approx(1e4)


def test_chips_only_fit_in_built_power(small_model):
    m = small_model()
    dcs, gen = m.pools["domestic"], int(m.env.new_gen[0])
    clearing, _ = investment.buy_accelerators(dcs, 1e9, gen, 1e9, 1.0, lambda _q: 800.0)
    assert all(c.power_reserved_mw == pytest.approx(c.built_mw) for c in dcs if c.built_mw > 0)
    assert clearing.unfilled_share > 0.9  # the rest had no power to go into
    # Chips arrive after the lead time, and only then count as installed compute.
    before = sum(c.h100eq for c in dcs)
    m.run_for(investment.CHIP_LEAD_QUARTERS + 1)
    assert sum(c.h100eq for c in dcs) > before


def test_builds_stop_at_the_grid(small_model):
    m = small_model()
    dcs = m.pools["domestic"]
    room = np.zeros(len(m.env.regions))
    assert investment.build_power(dcs, 500.0, room, 800.0, 50.0) == []
    room[:] = 30.0
    planned = investment.build_power(dcs, 500.0, room, 800.0, 50.0)
    assert planned and all(mw <= 30.0 for _, mw in planned) and (room >= 0).all()
    # Announced phases go first.
    assert planned[0][0].phases or planned[0][0].key in {"softbank_tomakomai", "softbank_sakai", "sakura_ishikari"}


def test_power_needed_counts_spare_built_and_committed_power(small_model):
    m = small_model()
    dcs, gen = m.pools["domestic"], int(m.env.new_gen[0])
    installed = sum(c.h100eq for c in dcs)
    assert investment.power_needed_mw(dcs, installed, gen) == 0.0
    assert investment.power_needed_mw(dcs, installed * 100, gen) > 0


def test_expected_price_falls_as_the_fleet_grows():
    price = investment.expected_price(
        200.0, demand_hours=0.8 * 1000 * QUARTER_HOURS, fleet_h100eq=1000, target=0.8, elasticity=0.5
    )
    assert price(0.0) == pytest.approx(200.0)  # demand at the target utilisation: the base price
    assert price(-500.0) > price(0.0) > price(1000.0)  # a shortage fetches more, a glut less


def test_a_glut_buys_no_chips_and_a_shortage_buys_at_once(small_model):
    """Operators value a chip at what the pool will fetch with it: nothing in a glut, a premium in a shortage."""
    m = small_model(capex_subsidy_rate=0.0, investment_tax_credit_rate=0.0)
    dcs, gen = m.pools["domestic"], int(m.env.new_gen[0])
    fleet = sum(c.h100eq_with_orders for c in dcs)
    target, base = 0.8, m.base_price["domestic"]
    glut = investment.expected_price(base, 0.3 * fleet * QUARTER_HOURS, fleet, target, 0.5)
    assert investment.buy_accelerators(dcs, 1000.0, gen, 1e9, 1.0, glut)[0].quantity_h100eq == 0.0
    shortage = investment.expected_price(base, 3.0 * fleet * QUARTER_HOURS, fleet, target, 0.5)
    bought = investment.buy_accelerators(dcs, 1000.0, gen, 1e9, 1.0, shortage)[0].quantity_h100eq
    assert bought == pytest.approx(1000.0)


def test_power_binds_when_builds_hit_the_grid():
    """With no new grid connections, compute falls behind once demand outgrows the power already built."""
    import sim

    for seed in range(3):
        base = sim.run(seed=seed, n_user_agents=300)
        capped = sim.run(seed=seed, n_user_agents=300, grid_headroom_scale=0.0)
        assert capped["dc_power_mw_final"] < base["dc_power_mw_final"]
        assert capped["domestic_compute_eflops_final"] < base["domestic_compute_eflops_final"] - 5

"""Data-centre investment: how many accelerators operators buy and how much power they build.

Operators plan from their pool's demand for GPU-hours, counted at the pool's base price so a price
spike does not hide demand: last quarter's demand grown at its trend over the past year.

- **Accelerators.** At most enough to serve the demand expected :data:`CHIP_LEAD_QUARTERS` on at the
  target utilisation, within the pool's empty built power, bought in the world market
  (sim/accelerators.py) as long as the marginal chip still pays for itself. A chip is valued at the
  price the pool is expected to fetch when it arrives (:func:`expected_price`: the demand forecast
  over the fleet with it), so a pool whose forecast outgrows its fleet buys at once, while a glut
  — its price low — buys nothing; a capex subsidy or tax credit buys more chips when supply is tight.
- **Power.** When the demand expected a build lag on needs more power than is built and committed,
  operators build it — announced phases first (SoftBank Tomakomai and Sakai, ...), then expansions —
  where the NPV of a MW filled with today's chips is positive and the region's grid has room.
  Power binds when the grid has no room: the chips then have nowhere to go.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from agents.datacentre import breakeven_ratio
from sim import accelerators, markets
from sim.bounds import at_least, at_most, clamp
from sim.environment import QUARTER_HOURS

if TYPE_CHECKING:
    from agents.datacentre import DataCentre

#: Quarters between ordering accelerators and having them at work.
CHIP_LEAD_QUARTERS = 2
#: Bounds on the quarterly demand growth operators extrapolate (−8% to +10% a quarter).
GROWTH_BOUNDS = (0.92, 1.1)


def forecast(history: Sequence[float], quarters_ahead: int) -> float:
    """Demand expected ``quarters_ahead`` on: the last value grown at the trend of the past year."""
    if not history:
        return 0.0
    span = 4 if len(history) > 5 else len(history) - 1  # a year back at most
    first, last = history[-1 - span], history[-1]
    growth = (last / first) ** (1 / span) if span > 0 and first > 0 else 1.0
    low, high = GROWTH_BOUNDS
    return float(last * clamp(growth, low, high) ** quarters_ahead)


def capacity_h100eq(expected_hours: float, target_utilisation: float) -> float:
    """H100-equivalents needed to serve ``expected_hours`` a quarter at the target utilisation."""
    return expected_hours / (QUARTER_HOURS * target_utilisation)


def expected_price(
    base_jpy_per_hour: float, demand_hours: float, fleet_h100eq: float, target: float, elasticity: float
) -> Callable[[float], float]:
    """The GPU-hour price a pool is expected to fetch with ``q`` more H100-eq than ``fleet_h100eq``.

    The pool's price rule (:func:`sim.markets.gpu_hour_price`) applied to the demand expected over
    the fleet that will serve it: the more chips are added, the lower the price each one fetches.

    Args:
        base_jpy_per_hour: The pool's base price (¥ per H100-hour).
        demand_hours: H100-hours a quarter the pool expects to be asked for (at its base price).
        fleet_h100eq: H100-equivalents installed and on order.
        target: Utilisation at which the price is at its base.
        elasticity: How steeply the price rises with utilisation.
    """
    # Python floats: the market's clearing evaluates this a dozen times, and numpy scalars are slower.
    base, demand, fleet = float(base_jpy_per_hour), float(demand_hours), float(fleet_h100eq)

    def price(q_h100eq: float) -> float:
        hours = (fleet + q_h100eq) * QUARTER_HOURS
        tightness = demand / hours if hours > 0 else markets.PRICE_RATIO_BOUNDS[1] * target
        return markets.gpu_hour_price(base, tightness, target, elasticity)

    return price


def buy_accelerators(
    dcs: Sequence[DataCentre],
    wanted_h100eq: float,
    gen: int,
    allocation_h100eq: float,
    elasticity: float,
    price_with: Callable[[float], float],
) -> tuple[accelerators.Clearing, float]:
    """Buy up to ``wanted_h100eq`` of generation ``gen`` for the sites ``dcs`` while the marginal chip pays.

    The order is capped by the sites' empty built power; what is bought goes to the sites in
    proportion to their room.

    Args:
        dcs: The pool's sites.
        wanted_h100eq: H100-equivalents the demand forecast asks for.
        gen: Generation bought.
        allocation_h100eq: What the world sells Japan this quarter at list price.
        elasticity: Supply elasticity beyond the allocation.
        price_with: The GPU-hour price a new chip is expected to earn, as a function of the H100-eq
            bought (:func:`expected_price`).

    Returns:
        The market's clearing and the money spent (¥bn, before subsidy and tax credit).
    """
    if wanted_h100eq <= 0 or not dcs:  # nothing wanted, or nowhere to put it
        return accelerators.Clearing(0.0, 1.0, max(wanted_h100eq, 0.0)), 0.0
    h100_eq = dcs[0].model.env.gens[gen].h100_eq
    room = [c.free_slots(gen) * h100_eq for c in dcs]
    total_room = sum(room)
    wanted = at_most(wanted_h100eq, total_room)
    if wanted <= 0:  # no room for a chip
        return accelerators.Clearing(0.0, 1.0, wanted_h100eq), 0.0
    # A chip's worth is linear in the price it earns: two evaluations give the line for every quantity.
    # What it earns is the same at every site (the same chip, power price and market), what it costs
    # after support is each site's own. Each site counts by its room (a site without room has no say).
    first = dcs[0]
    value_at_zero, value_at_one = first.chip_values_jpy_bn(gen, (0.0, 1.0))
    list_price = first.chip_price_jpy_bn(gen)  # the same chip at the same price everywhere
    at_zero = at_one = 0.0
    for c, r in zip(dcs, room, strict=True):
        if r > 0:
            cost = c.chip_cost_jpy_bn(gen, unit_price_jpy_bn=list_price)
            at_zero += r * breakeven_ratio(value_at_zero, cost)
            at_one += r * breakeven_ratio(value_at_one, cost)
    at_zero, at_one = at_zero / total_room, at_one / total_room
    # A chip that support pays for in full costs the operator nothing: worth any price, at any GPU-hour price.
    per_yen = at_one - at_zero if math.isfinite(at_zero) else 0.0
    result = accelerators.clear(wanted, allocation_h100eq, elasticity, lambda q: at_zero + per_yen * price_with(q))
    spent = 0.0
    if result.quantity_h100eq > 0:
        chips_per_room = result.quantity_h100eq / total_room / h100_eq
        unit_price = first.chip_price_jpy_bn(gen, result.price_ratio)  # the same chip at the same price everywhere
        for c, r in zip(dcs, room, strict=True):
            if r > 0:
                spent += c.install(
                    gen, r * chips_per_room, lead_quarters=CHIP_LEAD_QUARTERS, unit_price_jpy_bn=unit_price
                )
    return accelerators.Clearing(result.quantity_h100eq, result.price_ratio, wanted_h100eq), spent


def power_needed_mw(dcs: Sequence[DataCentre], expected_h100eq: float, gen: int) -> float:
    """MW the sites must add so that ``expected_h100eq`` fits in built and committed power."""
    if not dcs:
        return 0.0
    installed = sum([c.h100eq_with_orders for c in dcs])
    g = dcs[0].model.env.gens[gen]
    mw_per_h100eq = g.watts * dcs[0].watts_factor / 1e6 / g.h100_eq
    spare_mw = sum([c.committed_mw - c.power_reserved_mw for c in dcs])
    return at_least((expected_h100eq - installed) * mw_per_h100eq - spare_mw, 0.0)


def build_power(
    dcs: Sequence[DataCentre],
    needed_mw: float,
    grid_room_mw: np.ndarray,
    price_jpy_per_hour: float,
    step_mw: float,
) -> list[tuple[DataCentre, float]]:
    """Plan builds of up to ``needed_mw``, announced phases first, within each region's grid room.

    Args:
        dcs: The pool's sites.
        needed_mw: Power the pool's expected demand needs beyond what is built and committed.
        grid_room_mw: New connections each region can still give data centres (updated in place).
        price_jpy_per_hour: The pool's GPU-hour price, for the NPV of a build.
        step_mw: Size of an expansion where no phase is announced.

    Returns:
        The builds planned: (site, MW).
    """
    planned: list[tuple[DataCentre, float]] = []
    if needed_mw <= 0:
        return planned
    # Announced phases first (earliest first), then the sites with most grid room.
    order = sorted(dcs, key=lambda c: (c.next_phase_mw() <= 0, -grid_room_mw[c.region]))
    for c in order:
        if needed_mw <= 0:
            break
        room = grid_room_mw[c.region]
        if room < 1.0 or c.build_npv_jpy_bn(price_jpy_per_hour) <= 0:
            continue
        size = c.next_phase_mw() or step_mw
        mw = min(size, max(needed_mw, min(size, step_mw)), room)
        c.plan_build(mw)
        grid_room_mw[c.region] -= mw
        needed_mw -= mw
        planned.append((c, mw))
    return planned

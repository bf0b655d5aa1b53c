"""Data centres: power capacity, GPUs by generation, GPU-hour sales, electricity, expansion.

Each quarter an operator finishes builds that are due, retires worn-out accelerators, sells
GPU-hours in its pool (its share follows its capacity), pays for electricity (GPUs × watts × server
overhead × PUE × hours × utilisation × ¥/kWh), buys accelerators for its empty power when a chip
pays for itself over its life at the world market's price (sim/accelerators.py), and builds power
when its pool's expected demand outgrows it and the NPV after the capex subsidy and the tax credit
is positive — its announced phases first, within its region's grid headroom and after a build lag
(sim/investment.py decides how much; this module holds the operator's own economics).
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.bounds import at_least
from sim.data import rows
from sim.environment import QUARTER_HOURS

if TYPE_CHECKING:
    from sim.model import SovereignAIModel

BUILD_LIFE_YEARS = 15  # assumption: economic life of a data-centre shell and power plant


def annuity_factor(rate: float, years: float) -> float:
    """Present value of one yen a year for ``years`` years at ``rate``."""
    return years if rate == 0 else (1 - (1 + rate) ** -years) / rate


def breakeven_ratio(chip_value_jpy_bn: float, chip_cost_jpy_bn: float) -> float:
    """Accelerator price over list at which a chip worth ``chip_value_jpy_bn`` just pays for itself.

    Args:
        chip_value_jpy_bn: What the chip earns over its life (:meth:`DataCentre.chip_value_jpy_bn`).
        chip_cost_jpy_bn: What it costs the operator at list price (:meth:`DataCentre.chip_cost_jpy_bn`).
    """
    return chip_value_jpy_bn / chip_cost_jpy_bn if chip_cost_jpy_bn > 0 else float("inf")


@functools.cache
def _phases(site: str) -> tuple[Any, ...]:
    """The build phases of ``site`` (rows of the dc_phases table), picked out once per site in a process."""
    return tuple(row for row in rows("dc_phases") if row.site == site)


class DataCentre(mesa.Agent):
    """A data-centre site of one operator.

    The accelerators installed (``gpus``, by generation) and on order (``on_order``) change only
    when deliveries arrive, chips wear out or the site buys some (:meth:`complete_builds`,
    :meth:`retire`, :meth:`install`); each of those refreshes the fleet's totals below, which the
    markets and the records read ~150 times a quarter. The totals with orders add those of the
    order book, which change only when it does.

    Attributes:
        h100eq: Installed compute in H100 equivalents.
        tflops: Installed compute in dense BF16 TFLOPS.
        chips: Accelerators installed, all generations.
        committed_mw: Built plus planned power capacity (counts against the region's grid headroom).
        power_used_mw: Power the installed accelerators need at full load: servers, network and
            cooling included.
        watts_factor: Facility watts per watt of chip rating: servers and network (overhead) times
            cooling (PUE).
        quarterly_wear: Share of the chips (and of their book value) still at work after a quarter.
        chip_life_annuity: Present value of one yen a year over a chip's life, at the cost of capital
            plus the decline of its rent.
        refills: Fills of chips a MW of shell takes over its life, now and each time they wear out, in
            present value (the shell outlives the chips).
    """

    # Every attribute a site has, in slots: CPython 3.12 keeps at most 30 attributes of an object in
    # its inline values, and beyond that (a site has 34 with Mesa's) every method call on the object
    # looks its name up the slow way (~270 instructions more a call; the sites take ~6,400 calls a
    # run). Mesa's own attributes (model, unique_id, pos) stay in the instance's few inline values.
    __slots__ = (
        "key",
        "name",
        "region",
        "foreign_owned",
        "built_mw",
        "watts_factor",
        "quarterly_wear",
        "chip_life_annuity",
        "refills",
        "pipeline",
        "phases",
        "on_order",
        "committed_mw",
        "_counts",
        "_h100_eq",
        "_tflops",
        "_watts",
        "h100eq",
        "tflops",
        "chips",
        "power_used_mw",
        "_ordered_h100eq",
        "_ordered_watts",
        "capex_jpy_bn",
        "support_jpy_bn",
        "capex_book_jpy_bn",
        "support_book_jpy_bn",
        "cash_jpy_bn",
        "revenue_jpy_bn",
        "electricity_gwh",
        "utilisation",
    )

    def __init__(self, model: SovereignAIModel, row: object, region_index: int) -> None:
        super().__init__(model)
        gens = model.env.gens
        self.key: str = row.id
        self.name: str = row.name
        self.region = region_index
        self.foreign_owned = row.hosting == "foreign"
        self.built_mw = float(row.built_mw)
        # Parameters, fixed for the run: plain attributes, as the fleet's totals read the first ~50 times
        # a quarter (a cached property's read goes through its descriptor each time, ~3x a plain one's,
        # and it keeps its value in the instance's dict, which the slots below do without).
        p = model.p
        self.watts_factor: float = p["server_power_overhead"] * p["pue"]
        life = p["gpu_lifetime_years"]
        self.quarterly_wear: float = 1 - 1 / (4 * life)
        rent_rate = (1 + p["dc_discount_rate"]) / (1 - p["gpu_rent_decline_per_year"]) - 1
        self.chip_life_annuity: float = annuity_factor(rent_rate, life)
        self.refills: float = sum(
            [(1 + p["dc_discount_rate"]) ** -(k * life) for k in range(int(BUILD_LIFE_YEARS // life) + 1)]
        )
        self.pipeline: list[tuple[int, float]] = []  # (completion quarter, MW)
        self.phases: list[tuple[int, float]] = []  # announced options: (earliest start quarter, MW)
        self.on_order: list[
            tuple[int, int, float]
        ] = []  # accelerators bought, not yet delivered: (quarter, gen, chips)
        for phase in _phases(self.key):
            if phase.committed:  # under construction before FY2026: its grid connection is already secured
                self.pipeline.append((int(phase.earliest_quarter), float(phase.mw)))
            else:
                self.phases.append((int(phase.earliest_quarter), float(phase.mw)))
        # Built plus planned power: a completed build moves from one to the other, so only a new plan changes it.
        self.committed_mw = self.built_mw + sum([mw for _, mw in self.pipeline])
        # Chips installed by generation, as plain floats: a handful of generations changed every quarter
        # (wear, deliveries), where NumPy's cost per call exceeds the work. ``gpus`` shows them as an array.
        self._counts = [0.0] * len(gens)
        # Each generation's figures as plain floats, read once: the fleet's totals are sums over them.
        per_gen = model.env.per_gen
        self._h100_eq, self._tflops, self._watts = [tuple(per_gen[k].tolist()) for k in ("h100_eq", "tflops", "watts")]
        names = [g.name for g in gens]
        self._counts[names.index("h100")] = float(row.gpus_h100)
        self._counts[names.index("b200")] = float(row.gpus_b200)
        self._refresh_fleet()
        self._refresh_orders()
        fx0 = model.p["fx_jpy_per_usd"]
        self.capex_jpy_bn = float(sum([n * g.price_usd * fx0 / 1e9 for n, g in zip(self._counts, gens, strict=True)]))
        self.support_jpy_bn = 0.0  # capex subsidy and tax credit received, cumulative
        # Book values: what the working fleet cost and how much of it support paid (they depreciate with
        # the chips, so support given years ago stops lowering today's GPU-hour price).
        self.capex_book_jpy_bn = self.capex_jpy_bn
        self.support_book_jpy_bn = 0.0
        self.cash_jpy_bn = 0.0
        self.revenue_jpy_bn = 0.0
        self.electricity_gwh = 0.0
        self.utilisation = 0.0

    # --- capacity ------------------------------------------------------------------------------------
    @property
    def gpus(self) -> np.ndarray:
        """Accelerators installed, by generation (a copy: the fleet changes only by the site's own rules)."""
        return np.array(self._counts)

    def _refresh_fleet(self) -> None:
        """Recompute the fleet's totals after the chip counts changed."""
        # Python floats over a handful of generations: numpy's dot product costs more in calls than in sums.
        counts = self._counts
        self.h100eq = math.sumprod(counts, self._h100_eq)
        self.tflops = math.sumprod(counts, self._tflops)
        self.chips = sum(counts)
        self.power_used_mw = math.sumprod(counts, self._watts) * self.watts_factor / 1e6

    def _refresh_orders(self) -> None:
        """Recompute the order book's totals after ``on_order`` changed."""
        self._ordered_h100eq = self._ordered_watts = 0.0
        for _, g, chips in self.on_order:
            self._count_order(g, chips)

    def _count_order(self, gen: int, chips: float) -> None:
        """Add an order at the end of the book to its totals (the same sums, in the same order, as a recount)."""
        self._ordered_h100eq += chips * self._h100_eq[gen]
        self._ordered_watts += chips * self._watts[gen]

    @property
    def h100eq_with_orders(self) -> float:
        """Installed compute plus accelerators on order, in H100 equivalents."""
        return self.h100eq + self._ordered_h100eq

    @property
    def power_reserved_mw(self) -> float:
        """Power of the installed accelerators and of those on order."""
        return self.power_used_mw + self._ordered_watts * self.watts_factor / 1e6

    def free_slots(self, gen: int) -> float:
        """Accelerators of generation ``gen`` that still fit in the built power."""
        slots = (self.built_mw - self.power_reserved_mw) * 1e6 / (self._watts[gen] * self.watts_factor)
        return at_least(slots, 0.0)

    # --- the quarter ---------------------------------------------------------------------------------
    def complete_builds(self) -> float:
        """Builds and accelerator deliveries due now arrive; return the MW of power completed."""
        t = self.model.t
        done = 0.0
        if self.pipeline and (completed := [mw for q, mw in self.pipeline if q <= t]):
            done = sum(completed)
            self.built_mw += done
            self.pipeline = [(q, mw) for q, mw in self.pipeline if q > t]
        # One pass over the order book: what is due joins the fleet (in the book's order), the rest waits.
        waiting, arrived = [], False
        for order in self.on_order:
            if order[0] <= t:  # (quarter due, generation, chips)
                _, gen, chips = order
                self._counts[gen] += float(chips)  # plain floats: sum() and sumprod() round them best
                arrived = True
            else:
                waiting.append(order)
        if arrived:  # the fleet and its orders are as they were otherwise
            self.on_order = waiting
            self._refresh_fleet()
            self._refresh_orders()
        return done

    def retire(self) -> None:
        """Accelerators wear out over their service life; the book value of their capex and support alike."""
        wear = self.quarterly_wear
        self._counts = [n * wear for n in self._counts]
        # Every total of the installed fleet is a sum over its chips, so wear scales them all alike.
        self.h100eq *= wear
        self.tflops *= wear
        self.chips *= wear
        self.power_used_mw *= wear
        self.capex_book_jpy_bn *= wear
        self.support_book_jpy_bn *= wear

    def sell(self, hours_sold: float, price_jpy_per_hour: float, electricity_jpy_per_kwh: float) -> None:
        """Book GPU-hour sales and the electricity they draw (idle accelerators draw little).

        Args:
            hours_sold: H100-hours the site sold this quarter.
            price_jpy_per_hour: Its pool's price.
            electricity_jpy_per_kwh: Today's electricity price, a Python float (a NumPy scalar would
                turn the cash into one); the same for every site, so the market reads it once.
        """
        capacity = self.h100eq * QUARTER_HOURS
        self.utilisation = hours_sold / capacity if capacity > 0 else 0.0
        energy_mwh = self.power_used_mw * QUARTER_HOURS * self.utilisation
        self.electricity_gwh = energy_mwh / 1000
        electricity_cost = energy_mwh * 1000 * electricity_jpy_per_kwh / 1e9
        self.revenue_jpy_bn = hours_sold * price_jpy_per_hour / 1e9
        self.cash_jpy_bn += self.revenue_jpy_bn - electricity_cost

    def chip_value_jpy_bn(self, gen: int, price_jpy_per_hour: float) -> float:
        """Present value of what one new accelerator earns over its life at ``price`` and the target utilisation.

        Each hour earns the price less electricity and the operator's other running costs (the share
        of the world rental price that does not pay back hardware); what a chip earns falls every year
        as newer chips arrive, so the earnings are discounted at the cost of capital plus that decline.
        The value is the same at every site (the chip, the power price and the market are), unlike
        its cost after support (:meth:`chip_cost_jpy_bn`).
        """
        return self.chip_values_jpy_bn(gen, (price_jpy_per_hour,))[0]

    def chip_values_jpy_bn(self, gen: int, prices_jpy_per_hour: tuple[float, ...]) -> list[float]:
        """:meth:`chip_value_jpy_bn` at each of ``prices_jpy_per_hour``, today's running costs read once.

        A pool's market values a chip at two GPU-hour prices each time it buys (the chip's worth is a
        line in the price): one call reads the world's electricity and rental prices once for both.
        """
        m = self.model
        p, env, t = m.p, m.env, m.t
        hours = 4 * QUARTER_HOURS * p["target_utilisation"]
        energy = self._watts[gen] * self.watts_factor / 1000 * float(env.electricity_jpy_per_kwh[t])
        running = (1 - p["gpu_hour_capex_cost_share"]) * m.world_gpu_hour_price
        h100_eq, annuity = self._h100_eq[gen], self.chip_life_annuity
        # Each price's margin a year, then its present value over the chip's life.
        return [hours * (h100_eq * (price - running) - energy) / 1e9 * annuity for price in prices_jpy_per_hour]

    def chip_cost_jpy_bn(self, gen: int, price_ratio: float = 1.0, *, unit_price_jpy_bn: float | None = None) -> float:
        """What one deployed accelerator costs the operator at ``price_ratio`` × list, after subsidy and tax credit.

        Args:
            gen: Generation bought.
            price_ratio: Price paid over list.
            unit_price_jpy_bn: Its price before support (:meth:`chip_price_jpy_bn`), when the caller has it
                (``price_ratio`` is then not used): the same at every site, so a pool's market works it out once.
        """
        if unit_price_jpy_bn is None:
            unit_price_jpy_bn = self.chip_price_jpy_bn(gen, price_ratio)
        return unit_price_jpy_bn * self.net_of_support()

    def chip_price_jpy_bn(self, gen: int, price_ratio: float = 1.0) -> float:
        """What one deployed accelerator (chip and its share of the server) costs at ``price_ratio`` × list.

        The same at every site; what the operator bears after support is :meth:`chip_cost_jpy_bn`.
        """
        m = self.model
        return m.env.gens[gen].price_usd * price_ratio * m.p["server_cost_overhead"] * float(m.env.fx[m.t]) / 1e9

    def chip_npv_jpy_bn(self, gen: int, price_jpy_per_hour: float, price_ratio: float = 1.0) -> float:
        """NPV of one new accelerator bought at ``price_ratio`` × list and sold at ``price_jpy_per_hour``."""
        return self.chip_value_jpy_bn(gen, price_jpy_per_hour) - self.chip_cost_jpy_bn(gen, price_ratio)

    def breakeven_price_ratio(self, gen: int, price_jpy_per_hour: float) -> float:
        """Accelerator price over list at which a new chip just pays for itself."""
        return breakeven_ratio(self.chip_value_jpy_bn(gen, price_jpy_per_hour), self.chip_cost_jpy_bn(gen))

    def subsidy_rate(self) -> float:
        """Capex subsidy rate the site can expect now (domestic operators only, while money lasts)."""
        # 0.0, not 0: Python 3.12 specialises a comparison of two floats, not of a float and an int (~930 calls a run).
        eligible = not self.foreign_owned and self.model.government.pot["compute_capex"] > 0.0
        return self.model.p["capex_subsidy_rate"] if eligible else 0.0

    def net_of_support(self) -> float:
        """Share of capex the operator bears after the subsidy and the tax credit on the rest."""
        return (1 - self.subsidy_rate()) * (1 - self.model.p["investment_tax_credit_rate"])

    def _pay_capex(self, capex_jpy_bn: float) -> None:
        """Pay for capex: the subsidy while the programme has money, the tax credit on the rest."""
        gov = self.model.government
        rate = self.subsidy_rate()
        # No payment of nothing to ask for (foreign operators, and all once the money is spent: ~80% of calls).
        subsidy = gov.pay("compute_capex", rate * capex_jpy_bn, self.key) if rate > 0 else 0.0
        credit = self.model.p["investment_tax_credit_rate"] * (capex_jpy_bn - subsidy)
        gov.forgo_tax(credit)
        self.capex_jpy_bn += capex_jpy_bn
        self.support_jpy_bn += subsidy + credit
        self.capex_book_jpy_bn += capex_jpy_bn
        self.support_book_jpy_bn += subsidy + credit
        self.cash_jpy_bn -= capex_jpy_bn - subsidy - credit

    def install(
        self,
        gen: int,
        chips: float,
        price_ratio: float = 1.0,
        lead_quarters: int = 0,
        *,
        unit_price_jpy_bn: float | None = None,
    ) -> float:
        """Buy accelerators (delivered after ``lead_quarters``), pay now, and return their cost before support (¥bn).

        Args:
            gen: Generation bought.
            chips: How many.
            price_ratio: Price paid over list.
            lead_quarters: Quarters until they are delivered (0: at work now).
            unit_price_jpy_bn: What one costs, when the caller has it (``price_ratio`` is then not
                used): a pool's sites all buy at one price, so the market works it out once for all of them.
        """
        if lead_quarters > 0:
            self.on_order.append((self.model.t + lead_quarters, gen, chips))
            self._count_order(gen, chips)
        else:
            self._counts[gen] += float(chips)  # plain floats: sum() and sumprod() round them best
            self._refresh_fleet()
        if unit_price_jpy_bn is None:
            unit_price_jpy_bn = self.chip_price_jpy_bn(gen, price_ratio)
        cost = chips * unit_price_jpy_bn
        self._pay_capex(cost)
        return cost

    def build_npv_jpy_bn(self, price_jpy_per_hour: float) -> float:
        """NPV of one MW of new capacity filled with today's accelerators at list price."""
        p, env, t = self.model.p, self.model.env, self.model.t
        gen = int(env.new_gen[t])
        chips = 1e6 / (env.gens[gen].watts * self.watts_factor)
        chip_value = self.chip_npv_jpy_bn(gen, price_jpy_per_hour) * chips
        shell = p["dc_capex_jpy_bn_per_mw"] * self.net_of_support()
        return chip_value * self.refills - shell

    def next_phase_mw(self) -> float:
        """MW of the next announced phase that may start now (0 if none)."""
        return next((mw for q, mw in self.phases if q <= self.model.t), 0.0)

    def plan_build(self, mw: float) -> None:
        """Commit to a build of ``mw`` that completes after the build lag, and pay for it now.

        An announced phase is used up first (a build smaller than the phase leaves the rest for later).
        """
        self.pipeline.append((self.model.t + self.model.p["build_lag_quarters"], mw))
        self.committed_mw += mw
        if self.phases and self.phases[0][0] <= self.model.t:
            q, left = self.phases[0]
            self.phases = ([(q, left - mw)] if left - mw >= 1.0 else []) + self.phases[1:]
        self._pay_capex(mw * self.model.p["dc_capex_jpy_bn_per_mw"])

    @property
    def debt_jpy_bn(self) -> float:
        """Borrowing that finances the operator's negative cash."""
        return max(0.0, -self.cash_jpy_bn)

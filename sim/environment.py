"""The exogenous world: frontier, prices, exchange rate, GPU supply, power, shocks.

Everything here is a path over the run's quarters, computed once when the model starts, so the
agents read today's value and a run's shocks are drawn in one fixed order from the model's rng.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np

from sim.data import columns, rows

FIRST_FY = 2026
QUARTER_HOURS = 24 * 365.25 / 4
H100_TFLOPS = 989.0
#: The exchange rate at which dollar prices were turned into the model's yen price indices (foreign AI
#: price index 1 = FY2026 list price at ¥150 per $); a weaker yen than this makes dollar prices dearer.
FX_REFERENCE_JPY_PER_USD = 150.0
#: Random draws of the environment cover the longest allowed run, so a shorter run sees the same world.
MAX_QUARTERS = 200


@cache
def quarter_label(t: int) -> str:
    """Return the fiscal-quarter label of step ``t`` (0 → "FY2026Q1").

    Made once per quarter in a process (at most :data:`MAX_QUARTERS` of them in runs): the record labels
    every quarter of every run, and formatting two numbers cost ten times a lookup.
    """
    return f"FY{FIRST_FY + t // 4}Q{t % 4 + 1}"


def fiscal_year(t: int) -> int:
    """Return the fiscal year of step ``t``."""
    return FIRST_FY + t // 4


@dataclass(frozen=True)
class Generation:
    """An accelerator generation: what a chip delivers, draws and costs."""

    name: str
    available_from_fy: int
    tflops: float
    watts: float
    price_usd: float
    foreign: bool

    @property
    def h100_eq(self) -> float:
        """Compute of one chip in H100 equivalents."""
        return self.tflops / H100_TFLOPS


def generations(params: dict[str, Any]) -> list[Generation]:
    """Return the accelerator generations, with the domestic one's year and prices from ``params``."""
    gens = []
    for row in rows("gpu_generations"):
        year = params["domestic_accelerator_year"] if not row.foreign else int(row.available_from_fy)
        gens.append(
            Generation(
                row.generation,
                year,
                float(row.tflops_bf16_dense),
                float(row.watts),
                float(row.price_usd) * params["gpu_price_scale"],
                bool(row.foreign),
            )
        )
    return gens


@lru_cache(maxsize=8)
def newest_foreign_generation(gens: tuple[Generation, ...], n: int) -> np.ndarray:
    """Index in ``gens`` of the newest foreign generation on sale in each of the first ``n`` quarters.

    Made once per set of generations and horizon (the runs share it, read-only).
    """
    fy = (FIRST_FY + np.arange(n) // 4).tolist()
    foreign = [i for i, g in enumerate(gens) if g.foreign]
    newest = {  # once a fiscal year rather than once a quarter
        y: max([i for i in foreign if gens[i].available_from_fy <= y], key=lambda i: gens[i].available_from_fy)
        for y in set(fy)
    }
    new_gen = np.array([newest[y] for y in fy])
    new_gen.flags.writeable = False
    return new_gen


class Environment:
    """Exogenous paths for every quarter of the run.

    Attributes (arrays indexed by quarter): ``years`` since FY2026Q1, ``frontier_flop``,
    ``frontier_capability``, ``algo_efficiency``, ``fx``, ``fx_index`` (over the ¥150 reference),
    ``foreign_price_usd`` (index, 2026 = 1), ``serving_cost`` (technology, 2026 = 1),
    ``background_growth``, ``gpu_shock`` (bool),
    ``electricity_jpy_per_kwh``, ``gpu_supply_h100eq`` (per quarter, at the base price),
    ``gpu_cost_index`` (capital cost of an H100-equivalent, 2026 = 1), ``world_gpu_hour_price_jpy``,
    ``foreign_outage`` (bool),
    ``deficit_non_ai_jpy_bn`` (annual rate), ``spend_growth``, ``new_gen`` (index of the newest
    foreign generation on sale), ``domestic_accelerator`` (bool); ``shock_news`` (a list by quarter:
    which shocks begin or end then, as the model reports them).
    """

    def __init__(self, params: dict[str, Any], rng: np.random.Generator) -> None:
        n = params["quarters"]
        self.params = params
        t = np.arange(n)
        self.years = t / 4.0
        self.fy = FIRST_FY + t // 4
        self.algo_efficiency = params["algorithmic_efficiency_growth_per_year"] ** self.years
        self.frontier_flop = (
            params["frontier_flop_2026"] * self.frontier_compute(params, self.years) * self.algo_efficiency
        )
        self.frontier_capability = self.capability(self.frontier_flop)
        self.fx = params["fx_jpy_per_usd"] * (1 + params["fx_drift_per_year"]) ** self.years
        self.fx_index = self.fx / FX_REFERENCE_JPY_PER_USD
        self.foreign_price_usd = (1 - params["foreign_price_decline_per_year"]) ** self.years
        self.serving_cost = (1 - params["serving_cost_decline_per_year"]) ** self.years
        self.electricity_jpy_per_kwh = (
            params["electricity_price_jpy_per_kwh"] * (1 + params["electricity_price_growth_per_year"]) ** self.years
        )
        self.deficit_non_ai_jpy_bn = (
            params["deficit_non_ai_2026_jpy_bn"] * (1 + params["deficit_non_ai_growth_per_year"]) ** self.years
        )
        self.spend_growth = (1 + params["ai_spend_growth_per_year"]) ** self.years
        self.background_growth = (1 + params["background_gpu_demand_growth_per_year"]) ** self.years
        self.gpu_supply_h100eq = np.full(n, params["gpu_supply_japan_h100eq_per_year"] / 4)
        self.domestic_accelerator_supply_h100eq = params["domestic_accelerator_supply_h100eq_per_year"] / 4
        self.gpu_shock = self._window(n, params["gpu_shock_start_quarter"], params["gpu_shock_duration_quarters"])
        self.gpu_supply_h100eq[self.gpu_shock] *= params["gpu_shock_supply_factor"]
        self.foreign_outage = self._outages(n, params, rng)
        # What each quarter's news says of the shocks, read once for the run rather than from the masks each quarter.
        shocks = {"foreign AI disruption": self.foreign_outage, "GPU supply shock": self.gpu_shock}
        self.shock_news = self._news(n, shocks)
        self.gens = generations(params)
        #: Each generation's figures as arrays (read-only), for sums over a site's chips.
        figures = ("h100_eq", "watts", "tflops", "price_usd")
        self.per_gen = {attr: np.array([getattr(g, attr) for g in self.gens]) for attr in figures}
        for values in self.per_gen.values():
            values.flags.writeable = False
        self.new_gen = newest_foreign_generation(tuple(self.gens), n)
        self.domestic_gen = next(i for i, g in enumerate(self.gens) if not g.foreign)
        self.domestic_accelerator = self.fy >= params["domestic_accelerator_year"]
        # The GPU-hour price follows the capital cost of an H100-equivalent of the newest generation.
        cost = np.array([g.price_usd / g.h100_eq for g in self.gens])[self.new_gen]  # each generation's, once
        self.gpu_cost_index = cost / cost[0]
        # The world's GPU-hour price at today's yen, which operators' costs and prices follow.
        self.world_gpu_hour_price_jpy = params["gpu_hour_price_usd_2026"] * self.fx * self.gpu_cost_index
        regions = columns("regions")  # the shared read-only columns: no copy of the table for each model
        self.regions = regions["region"].tolist()
        # New grid connections open to AI data centres by quarter and region, beyond what is built or
        # committed at the start (OCCTO's data-centre outlook, the AI part of it).
        self.grid_headroom_mw = (
            params["grid_headroom_scale"]
            * params["ai_share_of_dc_grid"]
            * (
                regions["grid_headroom_mw_2026"][None, :]
                + regions["grid_headroom_growth_mw_per_year"][None, :] * self.years[:, None]
            )
        )

    @staticmethod
    def frontier_compute(params: dict[str, Any], years: np.ndarray) -> np.ndarray:
        """Frontier training compute relative to FY2026: fast growth until the slowdown year, slower after."""
        fast = np.minimum(years, max(params["frontier_slowdown_year"] - FIRST_FY, 0))
        return params["frontier_compute_growth_per_year"] ** fast * params[
            "frontier_compute_growth_after_per_year"
        ] ** (years - fast)

    def capability(self, effective_flop: np.ndarray | float) -> np.ndarray | float:
        """Capability on the model's scale: ``a + b·log10(effective FLOP)``."""
        return self.params["capability_a"] + self.params["capability_b"] * np.log10(effective_flop)

    @staticmethod
    def _window(n: int, start: int, duration: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        if start >= 0:
            mask[start : start + duration] = True
        return mask

    @staticmethod
    def _news(n: int, spells: dict[str, np.ndarray]) -> list[list[str]]:
        """For each of ``n`` quarters, the shocks that begin or end then: ``spells`` holds each shock's mask by name."""
        news: list[list[str]] = [[] for _ in range(n)]
        for name, mask in spells.items():
            on = mask.tolist()
            if True not in on:  # a shock that never happens in the run has no news (most runs: none)
                continue
            for t, now in enumerate(on):
                if now and (t == 0 or not on[t - 1]):
                    news[t].append(f"{name} begins")
                if t > 0 and on[t - 1] and not now:
                    news[t].append(f"{name} ends")
        return news

    def _outages(self, n: int, params: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        """Foreign disruptions: a forced one (if set) plus random starts at the yearly rate."""
        duration = params["foreign_outage_duration_quarters"]
        mask = self._window(n, params["foreign_outage_start_quarter"], duration)
        p_quarter = 1 - (1 - params["foreign_outage_prob_per_year"]) ** 0.25
        # Draw for the longest run, so the first n quarters do not depend on the horizon.
        for start in np.flatnonzero(rng.random(MAX_QUARTERS)[:n] < p_quarter):
            mask[start : start + duration] = True
        return mask

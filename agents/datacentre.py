"""Data centres: power capacity, GPUs by generation, GPU-hour sales, electricity, expansion.

Each quarter an operator finishes builds that are due, retires worn-out accelerators, sells
GPU-hours in the pooled domestic market (its share follows its capacity), pays for electricity
(GPUs × watts × PUE × hours × utilisation × ¥/kWh), orders accelerators for empty power when a
chip pays for itself over its life, and plans a new build when it is short of power, demand is
there and the NPV after the capex subsidy and the tax credit is positive — within its region's
grid headroom and after a build lag of about two years.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.environment import QUARTER_HOURS

if TYPE_CHECKING:
    from sim.model import SovereignAIModel

BUILD_LIFE_YEARS = 15  # assumption: economic life of a data-centre shell and power plant


def annuity_factor(rate: float, years: float) -> float:
    """Present value of one yen a year for ``years`` years at ``rate``."""
    return years if rate == 0 else (1 - (1 + rate) ** -years) / rate


class DataCentre(mesa.Agent):
    """A data-centre site of one operator."""

    def __init__(self, model: SovereignAIModel, row: object, region_index: int) -> None:
        super().__init__(model)
        gens = model.env.gens
        self.key: str = row.id
        self.name: str = row.name
        self.region = region_index
        self.foreign_owned = row.hosting == "foreign"
        self.built_mw = float(row.built_mw)
        self.pipeline: list[tuple[int, float]] = []  # (completion quarter, MW)
        if row.pipeline_mw > 0:
            self.pipeline.append((int(row.pipeline_quarter), float(row.pipeline_mw)))
        self.gpus = np.zeros(len(gens))
        names = [g.name for g in gens]
        self.gpus[names.index("h100")] = row.gpus_h100
        self.gpus[names.index("b200")] = row.gpus_b200
        fx0 = model.p["fx_jpy_per_usd"]
        self.capex_jpy_bn = float(sum(n * g.price_usd * fx0 / 1e9 for n, g in zip(self.gpus, gens, strict=False)))
        self.support_jpy_bn = 0.0  # capex subsidy and tax credit received, cumulative
        self.cash_jpy_bn = 0.0
        self.revenue_jpy_bn = 0.0
        self.electricity_gwh = 0.0
        self.utilisation = 0.0

    # --- capacity ------------------------------------------------------------------------------------
    def _per_gen(self, attr: str) -> np.ndarray:
        return np.array([getattr(g, attr) for g in self.model.env.gens])

    @property
    def h100eq(self) -> float:
        """Installed compute in H100 equivalents."""
        return float(self.gpus @ self._per_gen("h100_eq"))

    @property
    def power_used_mw(self) -> float:
        """Power the installed accelerators need at full load, including cooling (PUE)."""
        return float(self.gpus @ self._per_gen("watts")) * self.model.p["pue"] / 1e6

    @property
    def committed_mw(self) -> float:
        """Built plus planned power capacity (counts against the region's grid headroom)."""
        return self.built_mw + sum(mw for _, mw in self.pipeline)

    def free_slots(self, gen: int) -> float:
        """Accelerators of generation ``gen`` that still fit in the built power."""
        watts = self.model.env.gens[gen].watts * self.model.p["pue"]
        return max(0.0, (self.built_mw - self.power_used_mw) * 1e6 / watts)

    # --- the quarter ---------------------------------------------------------------------------------
    def complete_builds(self) -> None:
        """Builds whose completion quarter has come add to built power."""
        t = self.model.t
        self.built_mw += sum(mw for q, mw in self.pipeline if q <= t)
        self.pipeline = [(q, mw) for q, mw in self.pipeline if q > t]

    def retire(self) -> None:
        """Accelerators wear out over their service life."""
        self.gpus *= 1 - 1 / (4 * self.model.p["gpu_lifetime_years"])

    def sell(self, hours_sold: float, price_jpy_per_hour: float) -> None:
        """Book GPU-hour sales and the electricity they draw."""
        capacity = self.h100eq * QUARTER_HOURS
        self.utilisation = hours_sold / capacity if capacity > 0 else 0.0
        energy_mwh = self.power_used_mw * QUARTER_HOURS * self.utilisation
        self.electricity_gwh = energy_mwh / 1000
        electricity_cost = energy_mwh * 1000 * self.model.env.electricity_jpy_per_kwh[self.model.t] / 1e9
        self.revenue_jpy_bn = hours_sold * price_jpy_per_hour / 1e9
        self.cash_jpy_bn += self.revenue_jpy_bn - electricity_cost

    def chip_npv_jpy_bn(self, gen: int, price_jpy_per_hour: float, subsidy_rate: float) -> float:
        """NPV of one new accelerator sold at ``price`` and the target utilisation over its life."""
        p, env, t = self.model.p, self.model.env, self.model.t
        g = env.gens[gen]
        hours = 4 * QUARTER_HOURS * p["target_utilisation"]
        margin_per_year = (
            hours * (g.h100_eq * price_jpy_per_hour - g.watts * p["pue"] / 1000 * env.electricity_jpy_per_kwh[t]) / 1e9
        )
        cost = g.price_usd * env.fx[t] / 1e9 * self._net_of_support(subsidy_rate)
        return margin_per_year * annuity_factor(p["dc_discount_rate"], p["gpu_lifetime_years"]) - cost

    def subsidy_rate(self) -> float:
        """Capex subsidy rate the site can expect now (domestic operators only, while money lasts)."""
        eligible = not self.foreign_owned and self.model.government.pot["compute_capex"] > 0
        return self.model.p["capex_subsidy_rate"] if eligible else 0.0

    def _net_of_support(self, subsidy_rate: float) -> float:
        """Share of capex the operator bears after the subsidy and the tax credit on the rest."""
        return (1 - subsidy_rate) * (1 - self.model.p["investment_tax_credit_rate"])

    def _pay_capex(self, capex_jpy_bn: float) -> None:
        """Pay for capex: the subsidy while the programme has money, the tax credit on the rest."""
        gov = self.model.government
        subsidy = gov.pay("compute_capex", self.subsidy_rate() * capex_jpy_bn, self.key)
        credit = self.model.p["investment_tax_credit_rate"] * (capex_jpy_bn - subsidy)
        gov.forgo_tax(credit)
        self.capex_jpy_bn += capex_jpy_bn
        self.support_jpy_bn += subsidy + credit
        self.cash_jpy_bn -= capex_jpy_bn - subsidy - credit

    def install(self, gen: int, chips: float) -> None:
        """Install delivered accelerators and pay for them."""
        g, env = self.model.env.gens[gen], self.model.env
        self.gpus[gen] += chips
        self._pay_capex(chips * g.price_usd * env.fx[self.model.t] / 1e9)

    def build_npv_jpy_bn(self, price_jpy_per_hour: float, subsidy_rate: float) -> float:
        """NPV of one MW of new capacity filled with today's accelerators."""
        p, env, t = self.model.p, self.model.env, self.model.t
        gen = int(env.new_gen[t])
        chips = 1e6 / (env.gens[gen].watts * p["pue"])
        life = p["gpu_lifetime_years"]
        chip_value = self.chip_npv_jpy_bn(gen, price_jpy_per_hour, subsidy_rate) * chips
        # The shell outlives the chips: refill it as they wear out.
        refills = sum((1 + p["dc_discount_rate"]) ** -(k * life) for k in range(int(BUILD_LIFE_YEARS // life) + 1))
        shell = p["dc_capex_jpy_bn_per_mw"] * self._net_of_support(subsidy_rate)
        return chip_value * refills - shell

    def plan_build(self, mw: float) -> None:
        """Commit to a build of ``mw`` that completes after the build lag, and pay for it now."""
        self.pipeline.append((self.model.t + self.model.p["build_lag_quarters"], mw))
        self._pay_capex(mw * self.model.p["dc_capex_jpy_bn_per_mw"])

    @property
    def debt_jpy_bn(self) -> float:
        """Borrowing that finances the operator's negative cash."""
        return max(0.0, -self.cash_jpy_bn)

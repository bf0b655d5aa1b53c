"""Domestic foundation-model developers (Noetra, PFN, Sakana AI, NTT, Fujitsu, NEC).

Each quarter a developer takes in revenue for the service it delivered, grants and private
capital, pays its researchers, spends part of its cash on training compute — at a domestic
operator, a foreign hyperscaler's Japan region or a cloud abroad, chosen by price
(sim/markets.py) — and every ``release_interval`` quarters releases a model whose capability
follows a scaling law in effective training compute::

    capability = a + b · log10(training FLOP × algorithmic efficiency(t) × own efficiency
                                × talent factor × data factor)

It keeps its best model: a weaker run is not released. Its price covers its serving cost (GPU-hours
at Japan's price, staff in yen) plus a margin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.bounds import at_least, at_most, clamp
from sim.environment import H100_TFLOPS

if TYPE_CHECKING:
    from sim.model import SovereignAIModel


class DomesticDeveloper(mesa.Agent):
    """A domestic developer: cash, researchers, training compute, its current model and customers."""

    def __init__(self, model: SovereignAIModel, row: object) -> None:
        super().__init__(model)
        self.key: str = row.id
        self.name: str = row.name
        self.champion = bool(row.champion)
        self.researchers_share = float(row.researchers_share)
        self.efficiency = float(row.efficiency_multiplier)
        self.serving_cost_factor = float(row.serving_cost_factor)
        self.japanese_bonus = float(row.japanese_bonus)
        self.release_interval = int(row.release_interval_quarters)
        self.cash_jpy_bn = float(row.cash_jpy_bn)
        self.capability = float(model.env.capability(float(row.flop_initial)))
        self.best_effective_flop = float(row.flop_initial)
        self.training_flop = 0.0  # accumulated in the current training run
        self.models_released = 0
        self.revenue_jpy_bn = 0.0  # this quarter, all sources
        self.revenue_history: list[float] = []
        self.private_in_jpy_bn = 0.0
        self.public_support_jpy_bn = 0.0  # grants received this quarter (cash and compute)
        self.training_bid_jpy_bn = 0.0
        self.shortage = 0.0  # share of its compute demand the market could not serve
        self.japanese = model.p["japanese_proficiency_domestic_initial"]
        self.price = 1.0

    @property
    def researchers(self) -> float:
        """Researchers on this developer's payroll: its share of the pool, up to its FY2026 headcount.

        Researchers the talent programme adds beyond that work in academia and start-ups: they are
        not on a developer's payroll but raise every developer's talent factor through the pool.
        """
        return self.researchers_share * at_most(self.model.talent_pool, self.model.p["researchers_initial"])

    def raise_capital(self, rnd_grant_jpy_bn: float) -> None:
        """Take in the R&D grant and private capital, pay researchers, set the training bid."""
        p = self.model.p
        last_year = sum(self.revenue_history[-8:-4]) or 0.0
        this_year = sum(self.revenue_history[-4:])
        growth = (this_year / last_year - 1.0) if last_year > 0 else 0.0
        base = p["private_investment_jpy_bn_per_year"] / 4 * self.researchers_share
        self.private_in_jpy_bn = at_least(
            base * (1 + p["private_investment_revenue_elasticity"] * clamp(growth, -0.5, 2.0))
            + p["private_crowd_in_per_public_jpy"] * self.public_support_jpy_bn,
            0.0,
        )
        self.cash_jpy_bn += rnd_grant_jpy_bn + self.private_in_jpy_bn
        self.public_support_jpy_bn = rnd_grant_jpy_bn
        salaries = at_most(self.researchers * p["salary_jpy_mn_per_researcher"] / 4 / 1000, self.cash_jpy_bn)
        self.cash_jpy_bn -= salaries
        self.training_bid_jpy_bn = p["compute_spend_share"] * self.cash_jpy_bn

    def train(self, gpu_hours: float, paid_jpy_bn: float, grant_jpy_bn: float) -> None:
        """Book this quarter's training compute (own and grant-funded H100-equivalent hours)."""
        self.cash_jpy_bn -= paid_jpy_bn
        self.public_support_jpy_bn += grant_jpy_bn
        self.training_flop += gpu_hours * 3600 * H100_TFLOPS * 1e12 * self.model.p["mfu"]

    def release_model(self) -> bool:
        """At the end of a training cycle, release the new model if it beats the current one."""
        if (self.model.steps % self.release_interval) != 0 or self.training_flop <= 0:
            return False
        t, env = self.model.t, self.model.env
        # Today's efficiency as a Python float: a NumPy scalar would make every later comparison with
        # the best run a NumPy one (the same product either way).
        effective = (
            self.training_flop
            * float(env.algo_efficiency[t])
            * self.efficiency
            * self.model.talent_factor
            * self.model.data_factor
        )
        self.training_flop = 0.0
        if effective > self.best_effective_flop:
            self.best_effective_flop = effective
            self.capability = float(env.capability(effective))
            self.models_released += 1
            return True
        return False

    def set_offer(self, japanese_domestic: float, serving_cost_index: float) -> None:
        """Update Japanese proficiency and price (serving cost times one plus the margin).

        Args:
            japanese_domestic: Proficiency the national data stock gives domestic models.
            serving_cost_index: Cost of serving on Japanese GPU-hours (technology, yen, GPU-hour price).

        """
        self.japanese = at_most(japanese_domestic + self.japanese_bonus, 0.99)
        self.price = self.serving_cost_factor * serving_cost_index * (1 + self.model.p["price_margin"])

    def book_revenue(self, revenue_jpy_bn: float, serving_cost_jpy_bn: float) -> None:
        """Book this quarter's revenue for service delivered, less its GPU-hours and serving staff."""
        self.revenue_jpy_bn = revenue_jpy_bn
        self.revenue_history.append(revenue_jpy_bn)
        self.cash_jpy_bn += revenue_jpy_bn - serving_cost_jpy_bn

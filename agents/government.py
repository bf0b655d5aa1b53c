"""The government: the AI budget by fiscal year through seven programmes, and the champion's award.

The plan's budget is appropriated by fiscal year and spent through seven programmes; the national
champion's foundation-model award is paid as its own line.

Each fiscal year's money is split by the programme shares. Within the year a programme spends
evenly (a quarter of what is left each quarter, more as the year runs out), except the capex
subsidy, which pays operators' claims as they come while money lasts. Money unspent at year end
carries over or lapses (``unspent_policy``). An optional adaptive policy moves part of next year's
money from the programme with the weakest observed effect per yen to the one with the strongest.
Every payment goes through :meth:`Government.pay`, which keeps the ledger.

The foundation-model award (Noetra with AIST: ¥387.3bn in FY2026, about ¥1tn over five years) is
funded by GX transition bonds, not by the AI Basic Plan's ¥1tn, so it is a separate pot
(:data:`AWARD`) that the plan's shares, totals and adaptive policy never touch. Each tranche after
the first is paid only if the yearly review finds the champion's best model has gained at least
``champion_review_min_gain_points`` since the last review; a refused tranche is lost. Award money
not yet spent carries over (it is a multi-year fund).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.markets import proportional
from sim.params import PROGRAMMES

if TYPE_CHECKING:
    from agents.developer import DomesticDeveloper
    from sim.model import SovereignAIModel


def yearly_budget(p: dict[str, Any]) -> list[float]:
    """Money appropriated in each fiscal year from FY2026 (¥bn): the first year's share, the rest even."""
    total, years = p["budget_total_jpy_bn"], p["budget_years"]
    if years == 1:
        return [total]
    first = total * p["budget_first_year_share"]
    return [first] + [(total - first) / (years - 1)] * (years - 1)


#: The award's pot name (not a programme of the plan).
AWARD = "champion_award"


def award_tranches(p: dict[str, Any]) -> list[float]:
    """The champion award's tranche for each fiscal year from FY2026 (¥bn): the first, then the rest even."""
    total, years = p["champion_award_total_jpy_bn"], p["champion_award_years"]
    first = min(p["champion_award_first_year_jpy_bn"], total)
    if years == 1:
        return [total]
    return [first] + [(total - first) / (years - 1)] * (years - 1)


def grant_weights(developers: list[DomesticDeveloper], p: dict[str, Any]) -> np.ndarray:
    """Grant shares: the champion's reserved share, the rest by merit (capability)."""
    if not developers:
        return np.zeros(0)
    # A handful of developers: Python floats, but NumPy's exp (``math``'s rounds differently, and
    # these shares steer money).
    cap = [d.capability for d in developers]
    best = max(cap)
    merit = proportional(np.exp([p["grant_concentration"] * (c - best) / p["capability_b"] for c in cap]).tolist())
    champions = sum(d.champion for d in developers)
    if champions == 0:
        return np.array(merit)
    reserved = p["champion_grant_share"]
    shares = [reserved * d.champion / champions + (1 - reserved) * m for d, m in zip(developers, merit, strict=True)]
    return np.array(shares)


class Government(mesa.Agent):
    """Holds the AI budget and pays it out through the programmes."""

    def __init__(self, model: SovereignAIModel) -> None:
        super().__init__(model)
        p = model.p
        self.shares = {prog: float(p[f"share_{prog}"]) for prog in PROGRAMMES}
        self.yearly = yearly_budget(p)
        self.tranches = award_tranches(p)
        self.pot = dict.fromkeys((*PROGRAMMES, AWARD), 0.0)  # money available now, by programme
        self.spent = dict.fromkeys((*PROGRAMMES, AWARD), 0.0)  # cumulative
        # This fiscal year's spending, by programme: kept only for the adaptive policy, its one reader
        # (None without it: no dict to add to on each of the ~20 payments a quarter).
        self.spent_year: dict[str, float] | None = (
            dict.fromkeys((*PROGRAMMES, AWARD), 0.0) if p["adaptive_policy"] else None
        )
        self.award_refused_jpy_bn = 0.0
        self._reviewed_capability: float | None = None
        self.appropriated_jpy_bn = 0.0
        self.lapsed_jpy_bn = 0.0
        self.tax_expenditure_jpy_bn = 0.0  # forgone revenue from the investment tax credit, cumulative
        self.ledger: list[tuple[int, str, str, float]] = []  # (quarter, programme, recipient, ¥bn)
        self._indicator_start: dict[str, float] = {}

    @property
    def spent_jpy_bn(self) -> float:
        """Plan budget spent so far, all programmes (the award excluded)."""
        return sum([self.spent[prog] for prog in PROGRAMMES])

    @property
    def unspent_jpy_bn(self) -> float:
        """Plan money appropriated and still available (the award excluded)."""
        return sum([self.pot[prog] for prog in PROGRAMMES])

    def begin_quarter(self) -> None:
        """At the start of a fiscal year: close the old one and appropriate the new year's money."""
        t = self.model.t
        if t % 4:
            return
        if t > 0:
            self._close_year()
        year = t // 4
        amount = self.yearly[year] if year < len(self.yearly) else 0.0
        for prog in PROGRAMMES:
            self.pot[prog] += amount * self.shares[prog]
        self.appropriated_jpy_bn += amount
        if amount > 0:
            self.model.event(f"FY{2026 + year} plan budget appropriated: ¥{amount:,.0f}bn")
        self._award_tranche(year)
        if self.model.p["adaptive_policy"]:  # only the adaptive policy compares the year's indicators
            self._indicator_start = {k: f(self.model) for k, f in INDICATORS.items()}

    def _award_tranche(self, year: int) -> None:
        """Review the champion and pay this year's award tranche into its pot (or refuse it)."""
        tranche = self.tranches[year] if year < len(self.tranches) else 0.0
        champion = next((d for d in self.model.developers if d.champion), None)
        if tranche <= 0 or champion is None:
            return
        if self._reviewed_capability is not None:
            gain = champion.capability - self._reviewed_capability
            if gain < self.model.p["champion_review_min_gain_points"]:
                self.award_refused_jpy_bn += tranche
                self.model.event(
                    f"award review: {champion.key} gained {gain:.1f} points, under the "
                    f"{self.model.p['champion_review_min_gain_points']:g} asked; ¥{tranche:,.0f}bn tranche withheld"
                )
                return
            self.model.event(f"award review: {champion.key} gained {gain:.1f} points; ¥{tranche:,.0f}bn tranche paid")
        self._reviewed_capability = champion.capability
        self.pot[AWARD] += tranche

    def allowance(self, prog: str) -> float:
        """What an evenly paced programme may spend this quarter."""
        return self.pot[prog] / (4 - self.model.t % 4)

    def pay(self, prog: str, amount: float, recipient: str) -> float:
        """Pay up to ``amount`` from programme ``prog`` to ``recipient``; return what was paid."""
        if not amount > 0:  # nothing asked (half of the ~50 calls a quarter): no entry
            return 0.0
        pot = self.pot[prog]
        if amount > pot:  # (not ``min``: the comparison costs less than a call)
            amount = pot
            if not amount > 0:  # nothing left: no entry
                return 0.0
        self.pot[prog] = pot - amount
        self.spent[prog] += amount
        if self.spent_year is not None:
            self.spent_year[prog] += amount
        self.ledger.append((self.model.t, prog, recipient, amount))
        return amount

    def forgo_tax(self, amount: float) -> None:
        """Record tax credit claimed on private AI capex (off-budget)."""
        self.tax_expenditure_jpy_bn += amount

    def _close_year(self) -> None:
        if self.model.p["unspent_policy"] == "lapse":
            self.lapsed_jpy_bn += self.unspent_jpy_bn
            self.pot |= dict.fromkeys(PROGRAMMES, 0.0)
        if self.spent_year is not None:  # the adaptive policy compares the year's spending, then it starts again
            self._adapt()
            self.spent_year = dict.fromkeys(self.spent_year, 0.0)

    def _adapt(self) -> None:
        """Move money toward the programme whose indicator rose most per yen spent this year."""
        effect = {}
        for prog, indicator in PROGRAMME_INDICATOR.items():
            start, spent = self._indicator_start.get(indicator, 0.0), self.spent_year[prog]
            if spent > 0 and start > 0:
                effect[prog] = (INDICATORS[indicator](self.model) / start - 1) / spent
        if len(effect) < 2:
            return
        best, worst = max(effect, key=effect.get), min(effect, key=effect.get)
        moved = min(self.model.p["adaptive_shift_share"], self.shares[worst])
        self.shares[worst] -= moved
        self.shares[best] += moved


#: Observed indicators the adaptive policy compares (each must be positive).
INDICATORS: dict[str, Callable[[SovereignAIModel], float]] = {
    "compute": lambda m: m.domestic_eflops,
    "capability": lambda m: 10 ** (m.best_domestic_capability / m.p["capability_b"]),
    "data": lambda m: m.data_stock_btokens,
    "talent": lambda m: m.talent_pool,
    "domestic_revenue": lambda m: max(m.domestic_revenue_jpy_bn, 1e-9),
}
PROGRAMME_INDICATOR = {
    "compute_capex": "compute",
    "compute_grants": "capability",
    "rnd": "capability",
    "data": "data",
    "talent": "talent",
    "adoption": "domestic_revenue",
    "procurement": "domestic_revenue",
}

"""Foreign providers: frontier labs abroad or in a Japan region, open-weight models run in Japan.

US frontier labs are served from abroad or hosted in a Japan region; foreign open-weight models run on
domestic data centres or premises; a Chinese open-model provider is optional.

Their capability follows the global frontier (less a lag) and their Japanese proficiency improves
slowly. A proprietary model's list price is set in dollars: it falls exogenously and converts at
today's yen. An open-weight model carries no licence fee: its price is the cost of serving it on
Japanese GPU-hours, like a domestic model's. Disruptions cut models served from abroad (a sanction
also cuts Japan-hosted ones); open weights already in Japan keep running. What Japanese users pay
them, less the local part, is digital deficit (see sim/outcomes.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from agents.user import HOSTING_CODES, IN_JAPAN, OPEN_DOMESTIC

if TYPE_CHECKING:
    from sim.model import SovereignAIModel

#: Each quarter of disruption adds one to the record, which then fades by this factor a quarter.
DISRUPTION_MEMORY = 0.8


class ForeignProvider(mesa.Agent):
    """A foreign AI offer with a hosting mode ("abroad" or "in_japan")."""

    def __init__(self, model: SovereignAIModel, row: object) -> None:
        super().__init__(model)
        self.key: str = row.id
        self.name: str = row.name
        self.hosting = HOSTING_CODES[row.hosting]
        self.capability_lag = float(row.capability_lag_points)
        self.price_factor = float(row.price_factor)
        self.japanese_offset = float(row.japanese_offset)
        self.disruption_record = 0.0
        self.available = True
        self._quarter = -1
        self.price = 1.0  # set each quarter by update(), which the model calls with the day's serving cost

    def update(self, serving_cost_index: float) -> None:
        """Follow the frontier, the price path, the yen and any disruption this quarter.

        Args:
            serving_cost_index: Cost of serving a model on Japanese GPU-hours (domestic FY2026 = 1).
        """
        p, env, t = self.model.p, self.model.env, self.model.t
        if self.hosting == OPEN_DOMESTIC:
            self.price = self.price_factor * serving_cost_index * (1 + p["price_margin"])
        if t == self._quarter:  # already up to date (the model also calls this at start-up)
            return
        self._quarter = t
        # Today's values of the world's paths as Python floats: NumPy scalars would slow every use after.
        self.capability = float(env.frontier_capability[t]) - self.capability_lag
        gain = p["foreign_proficiency_gain_per_year"] * float(env.years[t])
        self.japanese = min(0.95, p["japanese_proficiency_foreign_initial"] + gain) + self.japanese_offset
        if self.hosting != OPEN_DOMESTIC:  # a dollar list price at today's yen
            premium = p["sovereign_cloud_price_premium"] if self.hosting == IN_JAPAN else 0.0
            self.price = float(env.foreign_price_usd[t]) * float(env.fx_index[t]) * self.price_factor * (1 + premium)
        hit = bool(env.foreign_outage[t]) and (
            self.hosting not in (IN_JAPAN, OPEN_DOMESTIC)
            or (self.hosting == IN_JAPAN and p["foreign_outage_scope"] == "all")
        )
        self.available = not hit
        self.disruption_record = self.disruption_record * DISRUPTION_MEMORY + (1.0 if hit else 0.0)

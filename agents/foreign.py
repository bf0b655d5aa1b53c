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
import numpy as np

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
        # What the offer takes from the world's paths, for every quarter of the run at once (they are
        # fixed for it); update() reads the day's values, Python floats (NumPy scalars would slow every
        # use after).
        p, env = model.p, model.env
        self._capability_path = (env.frontier_capability - self.capability_lag).tolist()
        gain = p["foreign_proficiency_gain_per_year"] * env.years
        japanese = np.minimum(0.95, p["japanese_proficiency_foreign_initial"] + gain) + self.japanese_offset
        self._japanese_path = japanese.tolist()
        # A proprietary model's list price: dollars at the day's yen (an open-weight model's follows serving costs).
        premium = p["sovereign_cloud_price_premium"] if self.hosting == IN_JAPAN else 0.0
        self._list_price_path = (env.foreign_price_usd * env.fx_index * self.price_factor * (1 + premium)).tolist()
        # An outage cuts models served from abroad; a sanction ("all") also those hosted in a Japan region.
        exposed = self.hosting not in (IN_JAPAN, OPEN_DOMESTIC) or (
            self.hosting == IN_JAPAN and p["foreign_outage_scope"] == "all"
        )
        self._cut_off_path = (env.foreign_outage & exposed).tolist()

    def update(self, serving_cost_index: float) -> None:
        """Follow the frontier, the price path, the yen and any disruption this quarter.

        Args:
            serving_cost_index: Cost of serving a model on Japanese GPU-hours (domestic FY2026 = 1).
        """
        t = self.model.t
        if self.hosting == OPEN_DOMESTIC:
            self.price = self.price_factor * serving_cost_index * (1 + self.model.p["price_margin"])
        if t == self._quarter:  # already up to date (the model also calls this at start-up)
            return
        self._quarter = t
        self.capability = self._capability_path[t]
        self.japanese = self._japanese_path[t]
        if self.hosting != OPEN_DOMESTIC:
            self.price = self._list_price_path[t]
        hit = self._cut_off_path[t]
        self.available = not hit
        self.disruption_record = self.disruption_record * DISRUPTION_MEMORY + (1.0 if hit else 0.0)

"""Foreign providers: US frontier labs served from abroad or hosted in Japan; optionally a Chinese one.

Their capability follows the global frontier (less a lag), their price falls exogenously in dollars
and moves with the yen, their Japanese proficiency improves slowly, and they can be disrupted.
Everything Japanese users pay them, less the local part of a Japan-hosted service, is digital deficit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from agents.user import HOSTING_CODES, IN_JAPAN

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
        self.update()

    def update(self) -> None:
        """Follow the frontier, the price path, the yen and any disruption this quarter."""
        p, env, t = self.model.p, self.model.env, self.model.t
        if t == self._quarter:  # already up to date (the model also calls this at start-up)
            return
        self._quarter = t
        self.capability = float(env.frontier_capability[t]) - self.capability_lag
        self.japanese = (
            min(
                0.95,
                p["japanese_proficiency_foreign_initial"] + p["foreign_proficiency_gain_per_year"] * env.years[t],
            )
            + self.japanese_offset
        )
        premium = p["sovereign_cloud_price_premium"] if self.hosting == IN_JAPAN else 0.0
        self.price = env.foreign_price_usd[t] * env.fx[t] / env.fx[0] * self.price_factor * (1 + premium)
        hit = env.foreign_outage[t] and (self.hosting != IN_JAPAN or p["foreign_outage_scope"] == "all")
        self.available = not hit
        self.disruption_record = self.disruption_record * DISRUPTION_MEMORY + (1.0 if hit else 0.0)

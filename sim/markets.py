"""The markets for GPU-hours and for new accelerators.

GPU-hours are priced by last quarter's tightness and rationed pro rata; new accelerators come from the
world's supply to Japan, rationed pro rata over operators' orders.
"""

from __future__ import annotations

import numpy as np

PRICE_RATIO_BOUNDS = (0.25, 4.0)


def gpu_hour_base_price(
    world_price: float, capex_share: float, support_share: float, energy_jpy_per_hour: float
) -> float:
    """Base GPU-hour price in Japan (¥ per H100-hour) before tightness.

    The world price of the day, less the part of capex that subsidies and tax credits paid for
    (passed through to buyers), plus the electricity an H100-hour draws at Japan's price.
    """
    return world_price * (1 - capex_share * support_share) + energy_jpy_per_hour


def gpu_hour_price(base: float, tightness: float, target: float, elasticity: float) -> float:
    """Price rises with last quarter's demand over capacity, relative to the target utilisation."""
    return base * float(np.clip(tightness / target, *PRICE_RATIO_BOUNDS)) ** elasticity


def ration(demand: float, supply: float) -> float:
    """Share of demand served when ``supply`` is shared pro rata (1 when there is enough)."""
    return 1.0 if demand <= supply or demand <= 0 else supply / demand

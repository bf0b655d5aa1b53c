"""The GPU-hour markets: prices, how a pool of data centres serves its buyers, and where training runs.

Japan has two pools of GPU-hours: domestic operators' sites and foreign hyperscalers' Japan regions.
Each pool's price is its base cost (the world's GPU-hour price in dollars at today's yen, less the
part of capex that subsidies and tax credits paid, plus Japan's electricity) raised or lowered by how
tight the pool was last quarter. A pool serves inference first (users are waiting on it), then
training and other work pro rata. Developers choose where to train — a domestic operator, a Japan
region, or a cloud abroad — by price and by how much of last quarter's demand each venue could serve.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from sim.bounds import at_least, clamp

PRICE_RATIO_BOUNDS = (0.25, 4.0)
#: Training venues, in the order :func:`venue_shares` uses.
VENUES = ("domestic", "japan_region", "abroad")


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
    # Held within the bounds by :func:`~sim.bounds.clamp`, not np.clip (~4 µs on a scalar): this runs
    # ~700 times a run, as investment values chips by it.
    low, high = PRICE_RATIO_BOUNDS
    return base * clamp(tightness / target, low, high) ** elasticity


def ration(demand: float, supply: float) -> float:
    """Share of demand served when ``supply`` is shared pro rata (1 when there is enough)."""
    return 1.0 if demand <= supply or demand <= 0 else max(supply, 0.0) / demand


def adjust(previous: float | np.ndarray, signal: float | np.ndarray, rate: float) -> float | np.ndarray:
    """Move ``previous`` toward ``signal`` by ``rate`` (contracts run for months, so markets adjust gradually)."""
    return previous + rate * (signal - previous)


class PoolResult(NamedTuple):
    """How a pool of GPU-hours served its buyers in one quarter.

    A named tuple: cheap to make, and each pool makes one a quarter.

    Attributes:
        inference_fill: Share of inference demand served.
        other_fill: Share of training and other demand served.
        sold_hours: H100-hours sold.
        demand_hours: H100-hours asked for.
        capacity_hours: H100-hours the pool could sell.
        tightness: Demand over capacity (sets next quarter's price).
    """

    inference_fill: float
    other_fill: float
    sold_hours: float
    demand_hours: float
    capacity_hours: float
    tightness: float

    @property
    def utilisation(self) -> float:
        """Hours sold over hours the pool could sell."""
        return self.sold_hours / self.capacity_hours if self.capacity_hours > 0 else 0.0

    @property
    def unmet_share(self) -> float:
        """Share of the hours asked for that were not sold."""
        return 1 - self.sold_hours / self.demand_hours if self.demand_hours > 0 else 0.0


def serve_pool(capacity_hours: float, inference_hours: float, other_hours: float) -> PoolResult:
    """Serve inference first, then the rest pro rata, from ``capacity_hours``."""
    inference_fill = ration(inference_hours, capacity_hours)
    other_fill = ration(other_hours, capacity_hours - inference_fill * inference_hours)
    sold_hours = inference_fill * inference_hours + other_fill * other_hours
    demand_hours = inference_hours + other_hours
    tightness = demand_hours / capacity_hours if capacity_hours > 0 else PRICE_RATIO_BOUNDS[1]
    # By position (in the fields' order, as named here): a third cheaper than by keyword.
    return PoolResult(inference_fill, other_fill, sold_hours, demand_hours, capacity_hours, tightness)


def ordered_sum(values: Iterable[float]) -> float:
    """The sum of ``values`` added in order, as NumPy sums an array of fewer than eight (it unrolls longer ones).

    Python's ``sum`` compensates and rounds differently; the totals made here steer money that
    comes out the same to the bit.
    """
    total = 0.0
    for x in values:
        total += x
    return total


def proportional(weights: Sequence[float]) -> list[float]:
    """Each of ``weights`` (with a positive total) over their :func:`ordered_sum`, as Python floats."""
    total = ordered_sum(weights)
    return [w / total for w in weights]


def logit_shares(utilities: Sequence[float]) -> list[float]:
    """Logit choice shares of a handful of options (``-inf`` = not on offer), as Python floats.

    NumPy's exp, not ``math``'s: they round differently, and the shares steer money.
    """
    best = max(utilities)
    return proportional(np.exp([u - best for u in utilities]).tolist())


def venue_shares(prices: Sequence[float], fills: Sequence[float], beta: float, abroad_cap: float = 1.0) -> list[float]:
    """Shares of a training budget spent at each venue (:data:`VENUES`).

    A logit on the log of each venue's price per hour actually delivered (price over last quarter's
    fill, so a venue that could not serve looks dear), with at most ``abroad_cap`` going abroad
    (:func:`cap_abroad`).

    Args:
        prices: ¥ per H100-hour at each venue (``inf`` = not available).
        fills: Share of demand each venue served last quarter (0–1).
        beta: Weight on the log price.
        abroad_cap: Largest share that may go abroad (the last venue).
    """
    # Three venues: plain floats, as NumPy's cost per call exceeds the work, but NumPy's exp and log
    # (``math``'s round differently, and the shares steer money). The log is taken of one price at a
    # time: the same float as in an array, and three floats cost less than making one.
    delivered = [price / at_least(fill, 1e-3) for price, fill in zip(prices, fills, strict=True)]
    ok = [math.isfinite(x) for x in delivered]
    if not any(ok):
        return [0.0] * len(delivered)
    u = [-beta * float(np.log(x)) if math.isfinite(x) else -math.inf for x in delivered]
    return cap_abroad(logit_shares(u), abroad_cap, ok)


def cap_abroad(shares: list[float], abroad_cap: float, open_venues: Sequence[bool] | None = None) -> list[float]:
    """Venue shares with at most ``abroad_cap`` abroad (the last venue).

    The excess stays in Japan, split as the domestic venues' shares were, or evenly among the open
    ones (``open_venues``, default all) when they had none.
    """
    if shares[-1] <= abroad_cap:
        return shares
    home, excess = ordered_sum(shares[:-1]), shares[-1] - abroad_cap
    if home > 0:
        domestic = [s + excess * s / home for s in shares[:-1]]
    else:
        is_open = [True] * (len(shares) - 1) if open_venues is None else list(open_venues[:-1])
        domestic = [excess * good / max(sum(is_open), 1) for good in is_open]
    return [*domestic, abroad_cap]

"""The world market for accelerators, as Japan's buyers see it.

In a normal year the world sells Japan up to its usual allocation ``A`` (H100-equivalents a
quarter) at the list price; beyond that Japan gets more only by outbidding other buyers, so the
price rises along a supply curve ``P(Q) = P_list · (Q / A)^(1/ε)`` for ``Q > A`` (ε =
``gpu_supply_price_elasticity``). Export controls and shortages are shocks that cut ``A``: the
same orders then meet a higher price.

Buyers order what their demand forecast asks for, but only as long as the marginal chip still pays
for itself: an order book that would push the price past what the marginal chip is worth is cut to
the quantity at which the two meet. What a chip is worth can itself fall with the quantity (the
more Japan installs, the lower the GPU-hour price each chip will fetch), so the break-even price may
be a function of the quantity. So the market clears — orders go unfilled only because they stop
paying, never by a quota — and a capex subsidy or tax credit, which raises the break-even price,
buys more chips when supply is tight.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

#: log of the largest float: a price ratio beyond it is infinite.
_LOG_LARGEST_FLOAT = 709.0
#: Bisection steps when the break-even price depends on the quantity (relative precision ~1e-9).
_BISECTION_STEPS = 30


@dataclass(frozen=True)
class Clearing:
    """Outcome of one quarter's accelerator market.

    Attributes:
        quantity_h100eq: Accelerators bought (H100-equivalents).
        price_ratio: Price paid over list price (≥ 1).
        wanted_h100eq: What buyers' forecasts asked for.
    """

    quantity_h100eq: float
    price_ratio: float
    wanted_h100eq: float

    @property
    def unfilled_share(self) -> float:
        """Share of the wanted accelerators not bought because they no longer paid at the price."""
        return 1 - self.quantity_h100eq / self.wanted_h100eq if self.wanted_h100eq > 0 else 0.0


def price_ratio(quantity: float, allocation: float, elasticity: float) -> float:
    """Price over list at which the world sells Japan ``quantity`` (``inf`` beyond a fixed supply)."""
    if quantity <= allocation:
        return 1.0
    if elasticity <= 0 or allocation <= 0:
        return float("inf")
    base, exponent = quantity / allocation, 1 / elasticity
    if exponent * math.log(base) > _LOG_LARGEST_FLOAT:  # a nearly fixed supply: a price beyond any buyer's reach
        return float("inf")
    # Python's power on floats (the guard above keeps it from overflowing): numpy's costs ~1 µs a
    # scalar, and a run's market clearings evaluate this thousands of times.
    return base**exponent


def quantity_at(ratio: float, allocation: float, elasticity: float) -> float:
    """Accelerators the world sells Japan at ``ratio`` × list price (the inverse of :func:`price_ratio`)."""
    if ratio < 1:
        return 0.0
    return allocation * ratio**elasticity if elasticity > 0 else allocation


def clear(
    wanted: float, allocation: float, elasticity: float, breakeven_ratio: float | Callable[[float], float]
) -> Clearing:
    """Clear the market for ``wanted`` accelerators.

    Args:
        wanted: H100-equivalents buyers' forecasts ask for.
        allocation: What the world sells Japan this quarter at list price.
        elasticity: Supply elasticity beyond the allocation.
        breakeven_ratio: Price over list at which the marginal chip just pays for itself: a number,
            or a non-increasing function of the quantity bought.
    """
    wanted = max(wanted, 0.0)
    worth = breakeven_ratio if callable(breakeven_ratio) else lambda _q: breakeven_ratio
    if wanted == 0 or worth(0.0) < 1:
        return Clearing(0.0, 1.0, wanted)
    if (ratio := price_ratio(wanted, allocation, elasticity)) <= worth(wanted):
        return Clearing(wanted, ratio, wanted)
    if not callable(breakeven_ratio):
        quantity = min(wanted, quantity_at(breakeven_ratio, allocation, elasticity))
        return Clearing(quantity, max(1.0, min(breakeven_ratio, price_ratio(quantity, allocation, elasticity))), wanted)
    # The marginal chip's worth falls and the world's price rises with the quantity: find where they meet.
    low, high = 0.0, wanted
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        if price_ratio(mid, allocation, elasticity) <= worth(mid):
            low = mid
        else:
            high = mid
    return Clearing(low, price_ratio(low, allocation, elasticity), wanted)

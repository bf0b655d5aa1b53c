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
from typing import NamedTuple

from sim.bounds import at_least

#: log of the largest float: a price ratio beyond it is infinite.
_LOG_LARGEST_FLOAT = 709.0
#: Bisection steps when the break-even price depends on the quantity (relative precision ~1e-9).
_BISECTION_STEPS = 30


class Clearing(NamedTuple):
    """Outcome of one quarter's accelerator market.

    A named tuple: cheap to make, and each pool's market makes two a quarter.

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
    wanted = at_least(wanted, 0.0)
    worth = breakeven_ratio if callable(breakeven_ratio) else lambda _q: breakeven_ratio
    if wanted == 0 or (worth_of_first := worth(0.0)) < 1:
        return Clearing(0.0, 1.0, wanted)
    if (ratio := price_ratio(wanted, allocation, elasticity)) <= (worth_of_last := worth(wanted)):
        return Clearing(wanted, ratio, wanted)
    if not callable(breakeven_ratio):
        quantity = min(wanted, quantity_at(breakeven_ratio, allocation, elasticity))
        return Clearing(quantity, max(1.0, min(breakeven_ratio, price_ratio(quantity, allocation, elasticity))), wanted)
    # The marginal chip's worth falls and the world's price rises with the quantity: find where they meet.
    # The ends of the search are evaluated above: the search starts from them (a run clears ~70 times).
    ends = (price_ratio(0.0, allocation, elasticity) - worth_of_first, ratio - worth_of_last)
    quantity = _meeting_point(wanted, allocation, elasticity, worth, ends)
    return Clearing(quantity, price_ratio(quantity, allocation, elasticity), wanted)


def _meeting_point(
    wanted: float,
    allocation: float,
    elasticity: float,
    worth: Callable[[float], float],
    ends: tuple[float, float],
) -> float:
    """The largest quantity below ``wanted``, to bisection's precision, whose world price ``worth`` still pays.

    The answer is that of :data:`_BISECTION_STEPS` halvings of [0, ``wanted``]. Regula falsi with
    the Illinois modification (Dowell & Jarratt, BIT 11, 1971) first narrows the bracket to the
    same width: like bisection it keeps a quantity that pays and one that does not, but it steps
    to where the straight line between them crosses zero, halving the weight of an end that stays
    put twice; it starts from a bracket split at the allocation, where the world's price turns up
    (a kink that slows the line's steps). The halvings are then decided by that bracket, and only
    the rare one falling inside it costs an evaluation: ~10 evaluations of the price and the worth
    instead of 32. Keeping bisection's answer, rather than any point as close to the meeting point,
    keeps results to the last digit: the model has knife edges (a build started for a sliver of
    missing power) that turn a difference of 1e-9 into another run.

    Args:
        wanted: H100-equivalents buyers' forecasts ask for; the price of all of them does not pay.
        allocation: What the world sells Japan at list price.
        elasticity: Supply elasticity beyond the allocation.
        worth: The marginal chip's break-even price ratio, non-increasing in the quantity.
        ends: The world's price less ``worth`` at none and at all of ``wanted`` (the caller knows them).
    """

    def excess(quantity: float) -> float:  # ≤ 0 while the marginal chip pays for itself
        return price_ratio(quantity, allocation, elasticity) - worth(quantity)

    precision = wanted * 2.0**-_BISECTION_STEPS
    pays, fails = 0.0, wanted
    pays_excess, fails_excess = ends
    if elasticity <= 0 and allocation < wanted:  # a fixed supply: nothing beyond the allocation at any price
        fails = allocation
        fails_excess = excess(fails)
    if fails_excess <= 0:  # the whole allocation pays: the meeting point is its end
        pays = fails
    elif pays < allocation < fails:  # the world's price turns up at the allocation: each side of it is smooth
        if (e := excess(allocation)) <= 0:
            pays, pays_excess = allocation, e
        else:
            fails, fails_excess = allocation, e
    last_moved = None
    while fails - pays > precision:
        quantity = (pays + fails) * 0.5  # halve where the line tells nothing: an infinite price, an end on zero
        if fails_excess < math.inf:
            crossing = fails - fails_excess * (fails - pays) / (fails_excess - pays_excess)
            if pays < crossing < fails:
                quantity = crossing
        if (e := excess(quantity)) <= 0:
            pays, pays_excess = quantity, e
            if last_moved == "pays":
                fails_excess /= 2
            last_moved = "pays"
        else:
            fails, fails_excess = quantity, e
            if last_moved == "fails":
                pays_excess /= 2
            last_moved = "fails"
    low, high = 0.0, wanted
    # Halving by × 0.5, not / 2: the same float (both are exact), and Python 3.12 specialises a float
    # product but not a quotient; the replay halves ~2,000 times a run.
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) * 0.5
        if mid <= pays or (mid < fails and excess(mid) <= 0):
            low = mid
        else:
            high = mid
    return low

"""The bounds the rules use are the builtin min/max they name, to the operand (signed zeros and NaN included)."""

import itertools
import math

from sim.bounds import at_least, at_most, clamp

VALUES = [-math.inf, -2.5, -0.5, -0.0, 0.0, 1e-3, 0.99, 2.0, 7.0, math.inf, math.nan]


def same(a: float, b: float) -> bool:
    """Whether two floats are the same value: NaN with NaN, and -0.0 only with -0.0."""
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def test_at_least_and_at_most_are_max_and_min_with_the_bound_first():
    for x, bound in itertools.product(VALUES, repeat=2):
        assert same(at_least(x, bound), max(bound, x)), (x, bound)
        assert same(at_most(x, bound), min(bound, x)), (x, bound)


def test_clamp_is_min_of_max():
    for x, (low, high) in itertools.product(VALUES, [(-0.5, 2.0), (0.0, 1.0), (-0.0, 0.0), (-math.inf, 0.99)]):
        assert same(clamp(x, low, high), min(max(x, low), high)), (x, low, high)

"""Bounds on a number, for the rules that hold a value within limits (a floor, a cap or both).

Each is the builtin ``min``/``max`` it names, to the operand: the same float comes back, NaN
included. They exist because Python 3.12's builtins are slow on two numbers (a tuple of arguments
and an iterator: ~1,650 instructions a call, against ~500 for a small function), and the rules
bound values ~50 times a quarter (the GPU-hour price rule ~700 times a run). One function per kind
of bound serves every rule, so none writes the comparisons out again.
"""

from __future__ import annotations


def at_least(x: float, low: float) -> float:
    """``x``, or ``low`` when ``x`` is not above it: ``max(low, x)`` (NaN gives ``low``)."""
    return x if x > low else low


def at_most(x: float, high: float) -> float:
    """``x``, or ``high`` when ``x`` is not below it: ``min(high, x)`` (NaN gives ``high``)."""
    return x if x < high else high


def clamp(x: float, low: float, high: float) -> float:
    """``x`` held within ``low`` and ``high``: ``min(max(x, low), high)`` (NaN stays NaN)."""
    return low if x < low else (high if x > high else x)

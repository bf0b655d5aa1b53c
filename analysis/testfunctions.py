"""Test functions with known sensitivity indices, in the sweep calling convention.

Each function has the signature ``f(*, seed, **params) -> dict[str, float]`` that ``sovai sweep
--model`` runs, so the whole pipeline (experiment file → sweep → ``sovai sensitivity``) can be
checked against analytic answers::

    sovai sweep experiments/ishigami.toml --model analysis.testfunctions:ishigami
    sovai sensitivity results/ishigami

The model values come from SALib's own test functions; the analytic indices are the textbook ones
(Ishigami & Homma 1990; Saltelli et al. 2010 for the Sobol G function). ``seed`` is accepted and
ignored unless ``noise_sd`` is set.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

#: Ishigami constants of the textbook case.
ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1
#: Sobol G coefficients of the textbook eight-factor case (important to unimportant).
SOBOL_G_A: tuple[float, ...] = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)


def _noise(seed: int, sd: float) -> float:
    return float(np.random.default_rng(seed).normal(0.0, sd)) if sd > 0 else 0.0


def ishigami(
    *, seed: int, x1: float, x2: float, x3: float, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B, noise_sd: float = 0.0
) -> dict[str, float]:
    """The Ishigami function, inputs uniform on [-π, π].

    Args:
        seed: Run seed (used only for the optional noise).
        x1: First input.
        x2: Second input.
        x3: Third input.
        a: Constant A.
        b: Constant B.
        noise_sd: Standard deviation of Gaussian noise added to ``y`` (0: deterministic).

    Returns:
        ``{"y": f(x1, x2, x3)}``.
    """
    from SALib.test_functions import Ishigami

    y = float(Ishigami.evaluate(np.array([[x1, x2, x3]], dtype=float), A=a, B=b)[0])
    return {"y": y + _noise(seed, noise_sd)}


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> pd.DataFrame:
    """Analytic Sobol indices of the Ishigami function.

    Returns:
        One row per input (index x1..x3) with S1 and ST, and ``attrs["S2"]`` the second-order
        indices by pair, e.g. ``{("x1", "x3"): 0.24}``.
    """
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = 8 * b**2 * pi**8 / 225
    total = v1 + v2 + v13
    frame = pd.DataFrame(
        {"S1": [v1 / total, v2 / total, 0.0], "ST": [(v1 + v13) / total, v2 / total, v13 / total]},
        index=pd.Index(["x1", "x2", "x3"], name="parameter"),
    )
    frame.attrs["S2"] = {("x1", "x2"): 0.0, ("x1", "x3"): v13 / total, ("x2", "x3"): 0.0}
    return frame


def sobol_g(*, seed: int, noise_sd: float = 0.0, **x: float) -> dict[str, float]:
    """The Sobol G function on inputs ``x1..xk`` uniform on [0, 1], with :data:`SOBOL_G_A` coefficients.

    Args:
        seed: Run seed (used only for the optional noise).
        noise_sd: Standard deviation of Gaussian noise added to ``y``.
        **x: The inputs ``x1``, ``x2``, ... (any k up to 8; the first k coefficients are used).

    Returns:
        ``{"y": G(x)}``.

    Raises:
        ValueError: inputs not named x1..xk, or more than eight of them.
    """
    from SALib.test_functions import Sobol_G

    values = _ordered_inputs(x)
    a = np.array(SOBOL_G_A[: len(values)])
    y = float(Sobol_G.evaluate(np.array([values], dtype=float), a=a)[0])
    return {"y": y + _noise(seed, noise_sd)}


def sobol_g_indices(k: int = len(SOBOL_G_A)) -> pd.DataFrame:
    """Analytic first-order and total Sobol indices of :func:`sobol_g` with ``k`` inputs."""
    from SALib.test_functions import Sobol_G

    a = np.array(SOBOL_G_A[:k])
    return pd.DataFrame(
        {"S1": Sobol_G.sensitivity_index(a), "ST": Sobol_G.total_sensitivity_index(a)},
        index=pd.Index([f"x{i + 1}" for i in range(k)], name="parameter"),
    )


def _ordered_inputs(x: dict[str, Any]) -> list[float]:
    names = sorted(x, key=lambda n: int(n[1:]) if re.fullmatch(r"x\d+", n) else -1)
    expected = [f"x{i + 1}" for i in range(len(names))]
    if names != expected or len(names) > len(SOBOL_G_A):
        raise ValueError(f"sobol_g takes inputs x1..x{len(SOBOL_G_A)} in order, got {sorted(x)}")
    return [float(x[n]) for n in names]


def sobol_g_group_indices(groups: dict[str, list[int]], k: int = len(SOBOL_G_A)) -> pd.DataFrame:
    """Analytic first-order and total Sobol indices of groups of :func:`sobol_g` inputs.

    For the product form of the G function, a group's closed first-order variance is
    ``Π_{i∈g}(1+V_i) − 1`` and its total index is ``1 − (Π_{i∉g}(1+V_i) − 1)/V``.

    Args:
        groups: Group name → 1-based input numbers (every input in exactly one group).
        k: Number of inputs.
    """
    a = np.array(SOBOL_G_A[:k])
    v = 1.0 / (3.0 * (1.0 + a) ** 2)
    total = float(np.prod(1 + v) - 1)
    rows = {}
    for name, members in groups.items():
        inside = np.array([i - 1 for i in members])
        outside = np.setdiff1d(np.arange(k), inside)
        rows[name] = {
            "S1": float(np.prod(1 + v[inside]) - 1) / total,
            "ST": 1.0 - float(np.prod(1 + v[outside]) - 1) / total,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")


def shifting_linear(*, seed: int, x1: float, x2: float, quarters: int = 12) -> dict[str, Any]:
    """A linear model whose weight moves from ``x1`` to ``x2`` over time, for time-resolved indices.

    ``y_t = (1 − w_t)·x1 + w_t·x2`` with ``w_t = t/(T−1)`` for quarters t = 0..T−1 labelled FY2026Q1...
    With x1 and x2 independent and identically distributed, the first-order index of x1 in a year
    whose mean weight is w̄ is ``(1 − w̄)² / ((1 − w̄)² + w̄²)`` (see :func:`shifting_linear_indices`).

    Returns:
        ``y_final``, ``y_mean`` and ``"timeseries"`` (columns quarter, y).
    """
    t = np.arange(quarters)
    w = t / max(quarters - 1, 1)
    y = (1 - w) * x1 + w * x2
    labels = [f"FY{2026 + q // 4}Q{q % 4 + 1}" for q in t]
    return {"y_final": float(y[-1]), "y_mean": float(y.mean()), "timeseries": pd.DataFrame({"quarter": labels, "y": y})}


def shifting_linear_indices(quarters: int = 12) -> pd.DataFrame:
    """Analytic first-order indices of x1 and x2 per fiscal year of :func:`shifting_linear` (yearly means)."""
    t = np.arange(quarters)
    w = t / max(quarters - 1, 1)
    years = 2026 + t // 4
    rows = []
    for year in np.unique(years):
        wbar = float(w[years == year].mean())
        denom = (1 - wbar) ** 2 + wbar**2
        rows += [
            {"year": int(year), "parameter": "x1", "S1": (1 - wbar) ** 2 / denom},
            {"year": int(year), "parameter": "x2", "S1": wbar**2 / denom},
        ]
    return pd.DataFrame(rows)


def flaky_ishigami(*, seed: int, x1: float, x2: float, x3: float, fail_above: float = 2.8) -> dict[str, float]:
    """:func:`ishigami` that raises where ``x1 > fail_above`` (to test how failed runs are handled)."""
    if x1 > fail_above:
        raise RuntimeError(f"flaky_ishigami: x1 = {x1:.3f} > {fail_above}")
    return ishigami(seed=seed, x1=x1, x2=x2, x3=x3)


#: Effects of the toy policy model per ¥bn spent through each programme: (deficit reduction ¥, capability points).
TOY_EFFECTS: dict[str, tuple[float, float]] = {
    "compute_capex": (0.2, 0.004),
    "compute_grants": (0.1, 0.010),
    "rnd": (0.3, 0.008),
    "data": (0.5, 0.003),
    "talent": (0.05, 0.006),
    "adoption": (1.2, 0.001),
    "procurement": (0.8, 0.002),
}
#: Share of its money each programme of the toy model manages to spend.
TOY_SPEND_RATE: dict[str, float] = {"compute_capex": 0.5, **{p: 1.0 for p in TOY_EFFECTS if p != "compute_capex"}}
#: Relative spread of a programme's deficit effect between seeds.
TOY_EFFECT_SD = 0.2


def toy_policy(
    *, seed: int, budget_total_jpy_bn: float = 0.0, quarters: int = 40, fail_programme: str = "", **params: Any
) -> dict[str, float]:
    """A toy policy model with known answers, for testing ``sovai compare``.

    Money through programme p is spent at rate ``TOY_SPEND_RATE[p]``; each ¥bn spent cuts the
    cumulative deficit by ``e_p·(1 + 0.2·u_p)`` ¥bn and adds ``c_p`` capability points. ``z`` is a
    common shock and ``u_p`` a per-programme draw, both from ``seed`` in a fixed order, so runs with
    the same seed share them (common random numbers): the counterfactual difference of the deficit is
    exactly ``e_p·spent_p·(1 + 0.2·u_p)`` and that of capability exactly ``c_p·spent_p``.

    Args:
        seed: Run seed.
        budget_total_jpy_bn: Budget, ¥bn.
        quarters: Accepted and ignored.
        fail_programme: Raise when this programme gets money and ``seed`` is divisible by 3 (to test
            failed runs).
        **params: ``share_<programme>`` values (others are ignored).
    """
    if fail_programme and float(params.get(f"share_{fail_programme}", 0.0)) > 0 and seed % 3 == 0:
        raise RuntimeError(f"toy_policy: asked to fail when {fail_programme} gets money (seed {seed})")
    rng = np.random.default_rng(seed)
    z = rng.normal()
    u = rng.normal(size=len(TOY_EFFECTS))
    spent = {p: budget_total_jpy_bn * float(params.get(f"share_{p}", 0.0)) * TOY_SPEND_RATE[p] for p in TOY_EFFECTS}
    deficit = (
        30000.0
        + 1000.0 * z
        - sum(TOY_EFFECTS[p][0] * spent[p] * (1 + TOY_EFFECT_SD * u[i]) for i, p in enumerate(TOY_EFFECTS))
    )
    capability = 120.0 + 2.0 * z + sum(TOY_EFFECTS[p][1] * spent[p] for p in TOY_EFFECTS)
    return {
        "digital_deficit_ai_cum_jpy_bn": deficit,
        "best_domestic_capability_fy2030": capability,
        "budget_spent_jpy_bn_final": sum(spent.values()),
        "tax_expenditure_jpy_bn_final": 0.0,
    }


#: The box of :func:`box_outcome`: input → (low, high).
TRUE_BOX: dict[str, tuple[float, float]] = {"x1": (0.2, 0.6), "x2": (0.3, 0.8)}


def box_outcome(
    *,
    seed: int,
    x1: float,
    x2: float,
    x3: float = 0.5,
    x4: float = 0.5,
    x5: float = 0.5,
    x6: float = 0.5,
    noise_share: float = 0.05,
) -> dict[str, float]:
    """A scenario-discovery check: ``y`` is 1 inside :data:`TRUE_BOX` (on x1 and x2 of six inputs).

    Outside the box ``y`` is 1 for a random ``noise_share`` of the runs and 0 otherwise; x3..x6 do
    nothing. PRIM on ``y > 0.5`` should find the box on x1 and x2 alone.

    Args:
        seed: Run seed (draws the noise).
        x1: First input, on [0, 1].
        x2: Second input, on [0, 1].
        x3: Inert input.
        x4: Inert input.
        x5: Inert input.
        x6: Inert input.
        noise_share: Chance that a run outside the box has ``y = 1``.

    Returns:
        ``{"y": 0 or 1}``.
    """
    inside = all(low <= value <= high for value, (low, high) in zip((x1, x2), TRUE_BOX.values(), strict=True))
    noisy = np.random.default_rng(seed).random() < noise_share
    return {"y": float(inside or noisy)}


def zdt1(*, seed: int, delay_s: float = 0.0, **x: float) -> dict[str, float]:
    """ZDT1 (Zitzler, Deb & Thiele 2000) on inputs ``x1..xn`` in [0, 1]: two objectives, both minimised.

    ``f1 = x1``, ``g = 1 + 9·Σ_{i≥2} x_i/(n−1)``, ``f2 = g·(1 − √(f1/g))``; the Pareto front is
    ``f2 = 1 − √f1`` with every other input 0.

    Args:
        seed: Run seed (unused: ZDT1 is deterministic).
        delay_s: Seconds to sleep per call, so tests can interrupt a search mid-way.
        **x: The inputs ``x1``, ``x2``, ...

    Returns:
        ``{"f1": ..., "f2": ...}``.
    """
    import time

    if delay_s > 0:
        time.sleep(delay_s)
    names = sorted(x, key=lambda n: int(n[1:]))
    values = np.array([float(x[n]) for n in names])
    f1 = values[0]
    g = 1.0 + 9.0 * values[1:].sum() / max(len(values) - 1, 1)
    return {"f1": float(f1), "f2": float(g * (1.0 - np.sqrt(f1 / g)))}


def zdt1_front(n: int = 1001) -> np.ndarray:
    """``n`` points on the true ZDT1 front, shape (n, 2)."""
    f1 = np.linspace(0.0, 1.0, n)
    return np.column_stack([f1, 1.0 - np.sqrt(f1)])

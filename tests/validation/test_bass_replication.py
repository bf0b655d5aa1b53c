"""Validation: the bass_check scenario reproduces the Bass closed form inside the replication band.

Stronger than tests/sim/test_bass.py: two (p, q) pairs, 24 seeds each, and four checks per pair — the
seed mean within 3.5 standard errors of the closed form at every quarter (no allowance for the
quarterly step), the closed form inside the 95% replication band of single runs at every quarter,
the quarter of fastest adoption at the closed form's inflection point, and the spread across seeds
of the order of binomial sampling noise (the model adds no noise of its own).
"""

import numpy as np
import pytest

import sim

N_AGENTS = 2000
SEEDS = 24
QUARTERS = 40


def bass_closed_form(t_years: np.ndarray, p: float, q: float) -> np.ndarray:
    e = np.exp(-(p + q) * t_years)
    return (1 - e) / (1 + (q / p) * e)


@pytest.fixture(scope="module", params=[(0.03, 0.38), (0.1, 0.6)], ids=["default_pq", "fast_pq"])
def bass_runs(request):
    p, q = request.param
    params = {**sim.load_scenario("bass_check"), "n_user_agents": N_AGENTS, "bass_p": p, "bass_q": q}
    runs = np.array(
        [
            sim.run(params, seed=s, quarters=QUARTERS)["timeseries"]["adoption_rate"].to_numpy()
            for s in range(100, 100 + SEEDS)
        ]
    )
    t = np.arange(1, QUARTERS + 1) / 4  # adoption is recorded at the end of each quarter
    return p, q, runs, bass_closed_form(t, p, q)


def test_seed_mean_within_standard_errors_of_closed_form(bass_runs):
    _, _, runs, expected = bass_runs
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / np.sqrt(SEEDS)
    z = np.abs(mean - expected) / np.maximum(se, 1e-4)
    assert z.max() < 3.5, f"worst quarter {z.argmax()}: mean {mean[z.argmax()]:.4f} vs {expected[z.argmax()]:.4f}"


def test_closed_form_inside_replication_band(bass_runs):
    _, _, runs, expected = bass_runs
    lo, hi = np.percentile(runs, [2.5, 97.5], axis=0)
    half = (hi - lo) / 2
    inside = (expected >= lo - 0.1 * half - 1e-3) & (expected <= hi + 0.1 * half + 1e-3)
    assert inside.all(), np.flatnonzero(~inside)


def test_fastest_adoption_at_the_inflection_point(bass_runs):
    p, q, runs, _ = bass_runs
    increments = np.diff(np.concatenate([[0.0], runs.mean(axis=0)]))
    peak_years = (np.argmax(increments) + 0.5) / 4  # middle of the quarter with the largest increase
    inflection = np.log(q / p) / (p + q)
    assert abs(peak_years - inflection) <= 0.75, (peak_years, inflection)


def test_spread_is_binomial_noise(bass_runs):
    _, _, runs, expected = bass_runs
    sd = runs.std(axis=0, ddof=1)
    binomial = np.sqrt(expected * (1 - expected) / N_AGENTS)
    # Adoption feeds back on itself, so noise early on is amplified, but only by a bounded factor.
    assert np.all(sd <= 4 * binomial + 2e-3)
    assert np.all(np.diff(runs, axis=1) >= 0), "adoption never falls in bass_check"
    assert runs.max() <= 1.0

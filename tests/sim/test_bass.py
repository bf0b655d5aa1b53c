"""The bass_check scenario must follow the Bass closed form across seeds."""

import numpy as np

import sim


def bass_closed_form(t_years: np.ndarray, p: float, q: float) -> np.ndarray:
    e = np.exp(-(p + q) * t_years)
    return (1 - e) / (1 + (q / p) * e)


def test_bass_check_follows_closed_form_across_seeds():
    params = {**sim.load_scenario("bass_check"), "n_user_agents": 4000}
    runs = np.array([sim.run(params, seed=s, quarters=40)["timeseries"]["adoption_rate"].to_numpy() for s in range(8)])
    t = np.arange(1, 41) / 4  # adoption at the end of each quarter
    expected = bass_closed_form(t, params.get("bass_p", 0.03), params.get("bass_q", 0.38))
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    # Inside the replication band (4 standard errors) plus a small allowance for the quarterly step.
    assert np.all(np.abs(mean - expected) <= 4 * se + 0.01), np.max(np.abs(mean - expected))
    assert abs(mean[-1] - expected[-1]) < 0.02

"""The world's exogenous paths (sim/environment.py)."""

import numpy as np

from sim.environment import Environment
from sim.params import resolve


def test_shock_news_names_each_begin_and_end_in_its_quarter():
    params = resolve(
        {
            "quarters": 8,
            "gpu_shock_start_quarter": 0,
            "gpu_shock_duration_quarters": 3,
            "foreign_outage_start_quarter": 3,
            "foreign_outage_duration_quarters": 2,
            "foreign_outage_prob_per_year": 0.0,
        }
    )
    env = Environment(params, np.random.default_rng(0))
    assert env.shock_news == [
        ["GPU supply shock begins"],  # a shock under way from the first quarter begins then
        [],
        [],
        ["foreign AI disruption begins", "GPU supply shock ends"],  # in the order the model reports them
        [],
        ["foreign AI disruption ends"],
        [],
        [],
    ]

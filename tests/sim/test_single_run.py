"""sim.run builds its time series as Mesa's DataCollector would."""

import pandas as pd

from sim.model import SovereignAIModel
from sim.single_run import timeseries


def test_timeseries_frame_is_the_datacollectors():
    m = SovereignAIModel(rng=2, n_user_agents=120, quarters=6)
    m.run_for(6)
    expected = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    pd.testing.assert_frame_equal(timeseries(m.datacollector.model_vars), expected, check_exact=True)

"""sim.run builds its time series as Mesa's DataCollector would."""

import pandas as pd

from sim.model import SovereignAIModel
from sim.single_run import timeseries


def test_timeseries_frame_is_the_datacollectors():
    m = SovereignAIModel(rng=2, n_user_agents=120, quarters=6)
    m.run_for(6)
    expected = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    pd.testing.assert_frame_equal(timeseries(m.datacollector.model_vars), expected, check_exact=True)


def test_a_run_leaves_nothing_for_the_cyclic_garbage_collector():
    """sim.run frees its model by reference counting: a sweep's runs do not pile up for the collector."""
    import gc

    from sim.single_run import run

    run(seed=0, quarters=2, n_user_agents=60)  # first-call caches and imports
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for network in ("small_world", "complete"):
            out = run(seed=1, quarters=4, n_user_agents=120, peer_network=network)
            assert len(out["timeseries"]) == 4  # one row a quarter
            assert gc.collect() == 0, f"{network}: the run left reference cycles"
    finally:
        if enabled:
            gc.enable()

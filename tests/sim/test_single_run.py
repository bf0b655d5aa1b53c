"""sim.run builds its time series as Mesa's DataCollector would."""

import pandas as pd

from sim.model import SovereignAIModel
from sim.single_run import timeseries


def test_timeseries_frame_is_the_datacollectors():
    m = SovereignAIModel(rng=2, n_user_agents=120, quarters=6)
    m.run_for(6)
    expected = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    pd.testing.assert_frame_equal(timeseries(m.datacollector.model_vars), expected, check_exact=True)


def test_a_run_frees_its_model_without_the_cyclic_garbage_collector(monkeypatch):
    """sim.run frees its model by reference counting (a sweep's runs do not pile up for the collector), failed or not."""
    import gc
    import weakref

    import sim.single_run as single_run
    from sim.params import ParameterError

    made = []

    class Watched(SovereignAIModel):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            made.append(weakref.ref(self))

        def run_for(self, quarters):
            if self.p["budget_total_jpy_bn"] == 123.0:
                raise ParameterError("a run that fails midway")
            super().run_for(quarters)

    monkeypatch.setattr(single_run, "SovereignAIModel", Watched)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for network in ("small_world", "complete"):
            out = single_run.run(seed=1, quarters=4, n_user_agents=120, peer_network=network)
            assert len(out["timeseries"]) == 4  # one row a quarter
            assert made[-1]() is None, f"{network}: the model is still alive"
        try:
            single_run.run(seed=1, quarters=4, n_user_agents=120, budget_total_jpy_bn=123.0)
        except ParameterError:
            pass
        assert made[-1]() is None, "a failed run's model is still alive"
    finally:
        if enabled:
            gc.enable()

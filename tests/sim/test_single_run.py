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


def test_the_frame_made_from_blocks_is_the_one_made_column_by_column(monkeypatch):
    """The frame pandas 3 builds from its blocks equals the column-by-column one (older pandas, other columns)."""
    import numpy as np

    import sim.single_run as single_run

    m = SovereignAIModel(rng=3, n_user_agents=120, quarters=5)
    m.run_for(5)
    columns = m.datacollector.columns()
    made = timeseries(columns)
    assert made.columns.name is None and made.columns.tolist() == list(columns)
    made.columns.name = "changed"  # the labels are the frame's own, not the cached ones
    with monkeypatch.context() as patched:
        patched.setattr(single_run, "create_dataframe_from_blocks", None)
        by_column = timeseries(columns)
        pd.testing.assert_frame_equal(by_column, timeseries(m.datacollector.model_vars), check_exact=True)
    assert by_column.columns.name is None
    made.columns.name = None
    pd.testing.assert_frame_equal(made, by_column, check_exact=True)
    # a column that is neither floats nor text: pandas infers its type, as it would column by column
    mixed = {**columns, "count": list(range(5))}
    frame = timeseries(mixed)
    assert frame["count"].dtype == np.int64 and frame.columns.tolist() == list(mixed)
    pd.testing.assert_frame_equal(frame.drop(columns="count"), by_column, check_exact=True)

import pytest

import sim


@pytest.fixture(scope="session")
def baseline_run():
    """One full baseline run at a small population, shared by the invariant tests."""
    return sim.run({"n_user_agents": 800}, seed=7)


@pytest.fixture
def small_model():
    def make(**overrides):
        return sim.SovereignAIModel(rng=3, **{"n_user_agents": 400, "quarters": 12, **overrides})

    return make

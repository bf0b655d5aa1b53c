"""Users created in bulk are ordinary Mesa agents."""

import gc

import mesa

from agents import UserAgent
from sim import population


class _Host(mesa.Model):
    pass


def test_bulk_agents_are_registered_like_constructed_ones():
    m = _Host(rng=1)
    before = mesa.Agent(m)  # another agent first: ids continue from it
    users = population.create_agents(m, UserAgent, 1000)
    assert [a.index for a in users] == list(range(1000))
    assert [a.unique_id for a in users] == list(range(before.unique_id + 1, before.unique_id + 1001))
    assert len(m.agents) == 1001 and len(m.agents_by_type[UserAgent]) == 1000
    assert all(a.model is m and a.pos is None for a in users)
    after = mesa.Agent(m)
    assert after.unique_id == users[-1].unique_id + 1
    assert gc.isenabled()
    users[500].remove()  # Mesa's own removal finds the agent in both registries
    assert len(m.agents) == 1001 and len(m.agents_by_type[UserAgent]) == 999
    seen = []
    m.agents_by_type[UserAgent].shuffle_do(lambda a: seen.append(a.index))
    assert sorted(seen) == [i for i in range(1000) if i != 500]


def test_bulk_agents_of_a_class_with_datasets_use_the_constructor(monkeypatch):
    calls = []

    class Tracked(UserAgent):
        def __init__(self, model, index):
            calls.append(index)
            super().__init__(model, index)

    monkeypatch.setattr(Tracked, "_datasets", {"x"})
    m = _Host(rng=1)
    added = []
    m.data_registry = {"x": type("DataSet", (), {"add_agent": lambda self, agent: added.append(agent.unique_id)})()}
    population.create_agents(m, Tracked, 5)
    assert calls == [0, 1, 2, 3, 4] and len(added) == 5


def test_no_agents():
    m = _Host(rng=1)
    assert population.create_agents(m, UserAgent, 0) == []
    assert len(m.agents) == 0


def test_registries_hold_the_agents_in_creation_order_when_made_twice():
    m = _Host(rng=1)
    before = mesa.Agent(m)
    users = population.create_agents(m, UserAgent, 300)
    more = population.create_agents(m, UserAgent, 200)  # the class's registry is no longer new
    assert list(m.agents) == [before, *users, *more]
    assert list(m.agents_by_type[UserAgent]) == [*users, *more]
    assert [a.unique_id for a in more] == list(range(users[-1].unique_id + 1, users[-1].unique_id + 201))

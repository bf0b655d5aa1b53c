"""Synthesise the user population: weighted super-individuals over sector × size × region.

Agents are spread over the sector–size cells of sim/data/enterprises.csv half by the cells' share
of enterprises and half by their share of AI spend, so large firms and regulated sectors get enough
agents to be resolved; each agent's weight is the enterprises it stands for, so national totals are
exact. A cell with fewer enterprises than its agents is represented one-to-one.
"""

from __future__ import annotations

import gc
from functools import lru_cache
from typing import Any

import mesa
import numpy as np

from sim.data import columns

SIZE_SPEND = {
    "large": "spend_large_jpy_mn_per_year",
    "medium": "spend_medium_jpy_mn_per_year",
    "small": "spend_small_jpy_mn_per_year",
}


def cells(p: dict[str, Any]) -> dict[str, np.ndarray]:
    """The sector–size cells with counts, adoption, spend and sovereignty attributes (arrays by cell)."""
    cell = dict(columns("enterprises"))  # the shared read-only columns: nothing below writes to them
    if p["homogeneous_users"]:  # one kind of user, for the Bass check
        count = cell["count"]
        share = count / count.sum()
        cell = {
            "sector": np.array(["all"], dtype=object),
            "size": np.array(["medium"], dtype=object),
            "count": np.array([count.sum()]),
            "initial_adoption": np.array([(cell["initial_adoption"] * share).sum()]),
            "adoption_ceiling": np.array([1.0]),
            "ai_intensity": np.array([1.0]),
            "sensitive_share": np.array([0.0]),
            "regulated": np.array([0]),
        }
    spend = np.array([p[SIZE_SPEND[s]] for s in cell["size"]], dtype=float)
    cell["spend_jpy_mn_per_year"] = spend * cell["ai_intensity"]
    return cell


def allocate(counts: np.ndarray, spend: np.ndarray, n: int) -> np.ndarray:
    """Return agents per cell: at least one, never more than the cell's enterprises.

    Agents a small cell cannot take go to the others, by largest remainders at the end.
    """
    share = 0.5 * counts / counts.sum() + 0.5 * counts * spend / (counts * spend).sum()
    cap = counts.astype(int)
    agents = np.minimum(np.maximum(np.floor(share * n).astype(int), 1), cap)
    while (short := n - agents.sum()) > 0 and (room := agents < cap).any():
        raw = np.where(room, share, 0.0) / share[room].sum() * short
        extra = np.floor(raw).astype(int)
        if extra.sum() == 0:  # hand out the last few by largest remainder
            extra[np.argsort(-raw)[:short]] = 1
        agents = np.minimum(agents + np.where(room, extra, 0), cap)
    return agents


@lru_cache(maxsize=16)
def _agents_per_cell(n: int, homogeneous: bool, *spend_by_size: float) -> np.ndarray:
    """Agents per cell (:func:`allocate`) for ``n`` agents, worked out once per set of the parameters the cells read.

    The cells are made from exactly these parameters (``homogeneous_users`` and the spend by size,
    in the order of :data:`SIZE_SPEND`), so a cell that read another one would fail here rather than
    give a stale allocation. Read-only: the runs share it.
    """
    cell = cells({"homogeneous_users": homogeneous, **dict(zip(SIZE_SPEND.values(), spend_by_size, strict=True))})
    per_cell = allocate(cell["count"].astype(float), cell["spend_jpy_mn_per_year"], n)
    per_cell.flags.writeable = False
    return per_cell


def build(p: dict[str, Any], rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Return the population's attribute arrays and the category names.

    The arrays are those :class:`agents.user.UserPopulation` takes, plus ``initial_adopter``.
    """
    cell = cells(p)
    counts = cell["count"].astype(float)
    per_cell = _agents_per_cell(p["n_user_agents"], p["homogeneous_users"], *[p[k] for k in SIZE_SPEND.values()])
    row = np.repeat(np.arange(len(counts)), per_cell)
    sectors = list(dict.fromkeys(cell["sector"].tolist()))
    sizes = ["large", "medium", "small"]
    regions = columns("regions")
    n = len(row)
    ceiling = np.clip(cell["adoption_ceiling"][row], 0, 1)
    start = np.minimum(cell["initial_adoption"][row] * p["initial_adoption_scale"], ceiling)
    u = rng.random(n)
    region_share = regions["enterprise_share"]
    arrays = {
        "weight": counts[row] / per_cell[row],
        "sector": np.array([sectors.index(s) for s in cell["sector"].tolist()])[row],  # per cell, then per agent
        "size": np.array([sizes.index(s) for s in cell["size"].tolist()])[row],
        "region": rng.choice(len(region_share), size=n, p=region_share / region_share.sum()),
        "regulated": cell["regulated"][row].astype(bool),
        "sensitive_share": cell["sensitive_share"][row],
        "potential": u < ceiling,
        "spend_base_jpy_bn": cell["spend_jpy_mn_per_year"][row] / 4 / 1000,
        "initial_adopter": u < start,  # the same draw: every initial adopter is a potential adopter
    }
    return arrays, {"sector": sectors, "size": sizes, "region": regions["region"].tolist()}


def create_agents[A: mesa.Agent](model: mesa.Model, cls: type[A], n: int) -> list[A]:
    """Create ``n`` agents of ``cls`` in bulk, the ``i``-th with ``index = i``, and register them with ``model``.

    The agents are ordinary Mesa agents (in ``model.agents`` and ``model.agents_by_type``, with
    unique ids in creation order), for classes whose constructor only stores ``index`` (their state
    lives in arrays). Agent by agent, Mesa's registration (a signal, a log line, two set insertions)
    and the garbage collector's passes over the growing heap cost 10x more than the objects
    themselves: 2 s at 500,000 users. So the first agent is made by its constructor, which sets up
    Mesa's registries for the class, and the rest are filled in the same way with those steps done
    once for all, with the collector paused, and join each registry in one update (Mesa 3.5 keeps
    a registry's agents as the keys of a plain dict; otherwise one ``add`` per agent). No "agent
    added" signal is sent for them: nothing in the model observes it.

    Args:
        model: The model the agents belong to.
        cls: Agent class; ``cls(model, index)`` must do no more than store ``index``.
        n: Number of agents.

    Returns:
        The agents, in index order.

    """
    if n == 0:
        return []
    first = cls(model, 0)
    if cls._datasets:  # agents that feed Mesa's data registry need their own constructor
        return [first, *(cls(model, i) for i in range(1, n))]
    start, new = model.agent_id_counter, object.__new__
    made = {first: None}  # a dict: what the registries hold
    enabled = gc.isenabled()
    gc.disable()
    try:
        for i, unique_id in zip(range(1, n), range(start, start + n - 1), strict=True):
            agent = new(cls)
            agent.model, agent.unique_id, agent.pos, agent.index = model, unique_id, None, i
            made[agent] = None
    finally:
        if enabled:
            gc.enable()
    model.agent_id_counter = start + n - 1
    for registry in (model.agents, model.agents_by_type[cls]):
        held = getattr(registry, "_agents", None)
        if type(held) is dict:  # Mesa 3.5's registries: a dict keyed by agent
            if len(held) == 1:  # only ``first``: an empty dict copies another whole, without hashing each key
                held.clear()
            held.update(made)
        else:
            for agent in made:
                registry.add(agent)
    return list(made)

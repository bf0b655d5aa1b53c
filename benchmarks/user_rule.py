"""The model's user rule written two other ways, as yardsticks for the model's speed.

The rule, each quarter: a potential adopter adopts with the network Bass chance
``1 − exp(−(p + q·F)·Δt)`` (``F``: adopting share of its peers); an adopter reconsiders now and
then, paying ``switching_cost`` to leave its provider; every new adopter or mover picks a provider
for each of its three slices of work by the nested logit; adopters' bills are booked to providers.
The offers are the model's at the start of a run and stay fixed, and the users, their peer network
and their initial adopters are the model's own (sim/population.py, sim/networks.py), built inside
the timed part as the model builds them.

- :class:`MesaUsers`: what a Mesa user would write, one agent object per user and one Python call
  per agent per quarter (``shuffle_do``), peers as lists of agents, draws from ``model.random``.
- :func:`numpy_kernel`: the same rule on arrays with no Mesa at all, the floor for the model.

Both use the functions of agents/user.py for the adoption chance and the choice probabilities.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import mesa
import numpy as np

from agents.user import DT_YEARS, adoption_probability, choice_probabilities, offer_utilities, slice_shares
from sim import networks, population
from sim.params import resolve

N_SLICES = 3


@dataclass
class Setting:
    """Everything the rule needs besides the users: parameters and the fixed offers."""

    p: dict[str, Any]
    utility: np.ndarray  # (slices, providers)
    nest: np.ndarray

    def choice_table(self) -> np.ndarray:
        """Choice probabilities, shape (slices, current provider + 1, providers); row 0: no provider yet."""
        n_prov = self.utility.shape[1]
        stay = np.vstack([np.zeros(n_prov), self.p["switching_cost"] * np.eye(n_prov)])
        return np.stack(
            [choice_probabilities(self.utility[s] + stay, self.nest, self.p["nest_lambda"]) for s in range(N_SLICES)]
        )


def setting(n_users: int, seed: int) -> Setting:
    """The parameters and the offers the model presents at the start of a run (baseline scenario)."""
    from sim.model import SovereignAIModel

    p = resolve({"n_user_agents": n_users})
    offers = SovereignAIModel(rng=seed, n_user_agents=100).offers
    return Setting(p, offer_utilities(offers, p), offers.nest)


def _users(s: Setting, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], Any]:
    arrays, _ = population.build(s.p, rng)
    adjacency = networks.peer_adjacency(arrays["sector"], arrays["region"], s.p, rng)
    return arrays, adjacency


# --- idiomatic Mesa ----------------------------------------------------------------------------------
class User(mesa.Agent):
    """One user, its state in attributes, its rule in :meth:`step`."""

    def __init__(self, model: MesaUsers, weight: float, bill: float, shares: list[float], potential: bool) -> None:
        super().__init__(model)
        self.weight, self.bill, self.shares, self.potential = weight, bill, shares, potential
        self.adopted = False
        self.providers = [-1] * N_SLICES
        self.peers: list[User] = []

    def choose(self) -> None:
        """Pick a provider for every slice (the switching cost binds to the current one)."""
        self.providers = [self.model.draw(s, self.providers[s]) for s in range(N_SLICES)]

    def step(self) -> None:
        """One quarter of the user rule."""
        m = self.model
        if self.adopted:
            if m.random.random() < m.reconsider_chance:
                self.choose()
        elif self.potential:
            share = sum(peer.adopted for peer in self.peers) / len(self.peers) if self.peers else 0.0
            if m.random.random() < adoption_probability(m.bass_p, m.bass_q, share):
                self.adopted = True
                self.choose()
        if self.adopted:
            for s in range(N_SLICES):
                m.spend[self.providers[s]] += self.weight * self.bill * self.shares[s]


class MesaUsers(mesa.Model):
    """The user rule as per-agent Mesa: build the users, then ``step()`` once a quarter."""

    def __init__(self, *, setting: Setting, rng: int) -> None:
        super().__init__(rng=rng)
        arrays, adjacency = _users(setting, self.rng)
        p = setting.p
        self.bass_p, self.bass_q = p["bass_p"], p["bass_q"]
        self.reconsider_chance = 1 - math.exp(-p["reconsider_prob_per_year"] * DT_YEARS)
        # cumulative choice probabilities per slice and current provider, for bisect draws
        self.cumulative = [[list(accumulate(row)) for row in table] for table in setting.choice_table().tolist()]
        self.n_providers = setting.utility.shape[1]
        shares = slice_shares(arrays["sensitive_share"], p["sovereignty_rule"]).tolist()
        users = [
            User(self, w, b, sh, pot)
            for w, b, sh, pot in zip(
                arrays["weight"].tolist(),
                arrays["spend_base_jpy_bn"].tolist(),
                shares,
                arrays["potential"].tolist(),
                strict=True,
            )
        ]
        for user, row_start, row_end in zip(users, adjacency.indptr[:-1], adjacency.indptr[1:], strict=True):
            user.peers = [users[j] for j in adjacency.indices[row_start:row_end]]
        for user, initial in zip(users, arrays["initial_adopter"].tolist(), strict=True):
            if initial:
                user.adopted = True
                user.choose()
        self.users = users
        self.spend = [0.0] * self.n_providers

    def draw(self, s: int, current: int) -> int:
        """A provider for slice ``s`` of a user now with ``current`` (-1: none)."""
        cum = self.cumulative[s][current + 1]
        return min(bisect_right(cum, self.random.random() * cum[-1]), len(cum) - 1)

    def step(self) -> None:
        """One quarter: every user applies the rule, in random order."""
        self.spend = [0.0] * self.n_providers
        self.agents.shuffle_do("step")

    def adoption_rate(self) -> float:
        """Share of enterprises (weighted) that have adopted."""
        return sum(u.weight for u in self.users if u.adopted) / sum(u.weight for u in self.users)


# --- numpy ---------------------------------------------------------------------------------------------
def numpy_kernel(setting: Setting, seed: int, quarters: int) -> float:
    """Run the user rule on arrays for ``quarters``; return the final adoption rate (weighted)."""
    rng = np.random.default_rng(seed)
    arrays, adjacency = _users(setting, rng)
    p, n = setting.p, len(arrays["weight"])
    peers = networks.row_normalised(adjacency)
    cum = np.cumsum(setting.choice_table(), axis=-1)
    n_prov = cum.shape[-1]
    money = (arrays["weight"] * arrays["spend_base_jpy_bn"])[:, None] * slice_shares(
        arrays["sensitive_share"], p["sovereignty_rule"]
    )
    provider = np.full((n, N_SLICES), -1)
    adopted = np.zeros(n, dtype=bool)
    reconsider = 1 - np.exp(-p["reconsider_prob_per_year"] * DT_YEARS)

    def choose(idx: np.ndarray) -> None:
        for s in range(N_SLICES):
            table = cum[s][provider[idx, s] + 1]
            u = rng.random(len(idx))[:, None] * table[:, -1:]
            provider[idx, s] = np.minimum((u >= table).sum(axis=1), n_prov - 1)

    start = np.flatnonzero(arrays["initial_adopter"])
    adopted[start] = True
    choose(start)
    for _ in range(quarters):
        u_move, u_adopt = rng.random((2, n))
        movers = np.flatnonzero(adopted & (u_move < reconsider))
        new = np.flatnonzero(
            ~adopted & arrays["potential"] & (u_adopt < adoption_probability(p["bass_p"], p["bass_q"], peers @ adopted))
        )
        choose(movers)
        adopted[new] = True
        choose(new)
        live = np.flatnonzero(adopted)
        np.bincount(provider[live].ravel(), money[live].ravel(), n_prov)  # bills booked to providers
    return float(arrays["weight"][adopted].sum() / arrays["weight"].sum())


def mesa_users(setting: Setting, seed: int, quarters: int) -> float:
    """Run the per-agent Mesa version for ``quarters``; return the final adoption rate (weighted)."""
    model = MesaUsers(setting=setting, rng=seed)
    for _ in range(quarters):
        model.step()
    return model.adoption_rate()

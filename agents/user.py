"""Users: Japan's enterprises as weighted super-individuals.

The rules, each quarter (see docs/ODD.md, "Users"):

1. A non-adopter adopts with the network Bass hazard ``(p + q·F)·A`` per year, where ``F`` is the
   adopting share of its peers and ``A = (value for money now / in FY2026)^η``: what is on offer
   (price net of subsidy, capability, Japanese proficiency), measured by the logit's inclusive value
   in log-price units, so cheaper or better AI speeds adoption. Over a quarter the probability is
   ``1 − exp(−hazard·Δt)``. ``F`` is taken at mid-quarter (today's adopters plus half the peers
   expected to adopt this quarter), so the quarterly step does not lag the process it stands for.
2. An adopter's AI work comes in three slices: general work, sensitive work free to go abroad and
   sensitive work the sovereignty rule keeps in Japan. Each slice picks a provider by nested logit
   (domestic and foreign nests) on capability, Japanese proficiency, price, disruption record and a
   domestic constant, with a sovereignty penalty on foreign AI for sensitive work; bound work
   cannot go abroad.
3. Adopters reconsider now and then; leaving the current provider costs ``switching_cost``.
4. Spend follows size class, sector intensity and time at FY2026 prices; the volume bought from a
   provider falls with its price (elasticity ε), so spend = volume × price (:func:`ai_spend`).

The same functions serve the whole population at once (numpy arrays) and one agent
(:class:`UserAgent`), so what a student reads is what the model runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import SovereignAIModel

DT_YEARS = 0.25
GENERAL, SENSITIVE_FREE, SENSITIVE_BOUND = 0, 1, 2
SLICES = ("general", "sensitive_free", "sensitive_bound")
#: Hosting modes, from most to least sovereign: a domestic model on domestic data centres; a foreign
#: open-weight model run on domestic data centres or premises; a foreign model in a Japan region;
#: a foreign model served from abroad.
DOMESTIC, IN_JAPAN, ABROAD, OPEN_DOMESTIC = 0, 1, 2, 3
HOSTING_CODES = {"domestic": DOMESTIC, "open_domestic": OPEN_DOMESTIC, "in_japan": IN_JAPAN, "abroad": ABROAD}
#: Share of the sovereignty penalty each hosting mode carries for sensitive work.
PENALTY_SHARE = {DOMESTIC: 0.0, OPEN_DOMESTIC: 0.0, IN_JAPAN: 0.5, ABROAD: 1.0}


# --- the rules ---------------------------------------------------------------------------------------
def adoption_probability(
    p: float, q: float, peer_share: np.ndarray | float, attractiveness: float = 1.0, dt: float = DT_YEARS
) -> np.ndarray | float:
    """Chance that a non-adopter adopts this quarter: ``1 − exp(−(p + q·F)·A·Δt)``."""
    return 1.0 - np.exp(-(p + q * peer_share) * attractiveness * dt)


def value_factor(inclusive_value: float, reference: float, beta_price: float, elasticity: float) -> float:
    """Adoption speed-up ``A``: value for money relative to the reference, to the power ``elasticity``.

    The inclusive value divided by the price weight is the log of a quality-adjusted price index,
    so ``A`` = (price index then / price index now)^elasticity, kept within [1/4, 4].
    """
    return float(np.clip(np.exp(elasticity * (inclusive_value - reference) / max(beta_price, 0.1)), 0.25, 4.0))


def ai_spend(
    money: np.ndarray, user_price: np.ndarray, list_price: np.ndarray, elasticity: float
) -> tuple[np.ndarray, np.ndarray]:
    """Spend and volume of AI bought from each provider (last axis).

    ``money`` is what users would spend at the FY2026 price index of 1; the volume bought falls with
    the price the user pays, ``volume = money · user_price^(−ε)``, and the provider's bill is
    ``volume × list_price`` (an adoption subsidy pays the difference).

    Returns:
        (spend at list price, volume in FY2026-price units), both shaped like ``money``.
    """
    volume = money * np.power(user_price, -elasticity)
    return volume * list_price, volume


def slice_shares(sensitive_share: np.ndarray | float, sovereignty_rule: float) -> np.ndarray:
    """Shares of a user's AI work in the general, sensitive-free and sensitive-bound slices."""
    s = np.asarray(sensitive_share, dtype=float)
    return np.stack([1 - s, s * (1 - sovereignty_rule), s * sovereignty_rule], axis=-1)


def capability_gap_cost(gap: np.ndarray, scale: float) -> np.ndarray:
    """Points of capability a gap to the frontier costs: linear when small, logarithmic beyond ``scale``."""
    return np.where(gap > 0, scale * np.log1p(np.maximum(gap, 0) / scale), gap)


def offer_utilities(offers: Offers, p: dict[str, Any]) -> np.ndarray:
    """Systematic utility of each provider for each slice of work, shape (3 slices, providers)."""
    domestic = offers.hosting == DOMESTIC
    base = (
        -p["beta_capability"] * capability_gap_cost(-offers.capability, p["capability_gap_scale"])
        + p["beta_japanese"] * offers.japanese
        - p["beta_price"] * np.log(offers.price)
        - p["beta_disruption"] * offers.disruption_record
        + domestic * p["domestic_trust_constant"]
        + (offers.hosting == OPEN_DOMESTIC) * p["open_weight_constant"]
        - p["beta_shortage"] * offers.shortage
    )
    penalty = p["sovereignty_penalty"] * np.array([PENALTY_SHARE[h] for h in offers.hosting])
    util = np.empty((3, len(base)))  # filled row by row: np.stack cost a quarter of this function
    util[GENERAL], util[SENSITIVE_FREE:] = base, base - penalty
    util[SENSITIVE_BOUND, offers.hosting == ABROAD] = -np.inf  # the rule keeps this work in Japan
    util[:, ~offers.available] = -np.inf
    return util


def choice_probabilities(utility: np.ndarray, nest: np.ndarray | None = None, nest_lambda: float = 1.0) -> np.ndarray:
    """Nested-logit choice probabilities over the last axis (``-inf`` utility = not on offer).

    Providers in one nest (domestic, foreign) are closer substitutes for each other than for the
    other nest's: ``nest_lambda`` = 1 (or no nests) is the multinomial logit; smaller values make a
    nest's total share depend less on how many providers it holds.
    """
    return _nested_logit(np.asarray(utility, dtype=float), nest, nest_lambda)[0]


def inclusive_value(utility: np.ndarray, nest: np.ndarray | None = None, nest_lambda: float = 1.0) -> float:
    """Expected maximum utility (log-sum) of what is on offer; -inf when nothing is."""
    return float(_nested_logit(np.asarray(utility, dtype=float), nest, nest_lambda)[1])


def _nested_logit(utility: np.ndarray, nest: np.ndarray | None, lam: float) -> tuple[np.ndarray, np.ndarray]:
    if nest is None:
        nest, lam = np.zeros(utility.shape[-1], dtype=int), 1.0
    probs = np.zeros_like(utility)
    members = [nest == b for b in sorted(set(nest.tolist()))]  # np.unique's machinery costs more on a few providers
    nest_values = []
    for m in members:
        within, value = _softmax(utility[..., m] / lam)
        probs[..., m] = within
        nest_values.append(lam * value)
    upper, total = _softmax(np.stack(nest_values, axis=-1))
    for k, m in enumerate(members):
        probs[..., m] *= upper[..., k : k + 1]
    return probs, total


def _softmax(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softmax over the last axis and its log-sum-exp; rows with nothing finite give zeros and -inf."""
    top = np.max(x, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(x - top)
    total = e.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.divide(e, total, out=np.zeros_like(e), where=total > 0), (np.log(total) + top)[..., 0]


# --- the population ----------------------------------------------------------------------------------
@dataclass
class Offers:
    """What every provider offers this quarter (arrays indexed by provider)."""

    names: list[str]
    capability: np.ndarray  # relative to the frontier (0 = at the frontier)
    japanese: np.ndarray
    price: np.ndarray  # effective price index paid by users (foreign FY2026 list price at ¥150/$ = 1)
    list_price: np.ndarray  # the provider's price before any adoption subsidy
    hosting: np.ndarray  # DOMESTIC, OPEN_DOMESTIC, IN_JAPAN or ABROAD
    available: np.ndarray  # bool: not disrupted
    disruption_record: np.ndarray
    shortage: np.ndarray  # share of the provider's compute demand left unmet last quarter

    @property
    def nest(self) -> np.ndarray:
        """Nest of each provider in the nested logit: 0 domestic, 1 foreign."""
        return (self.hosting != DOMESTIC).astype(int)


def _draw(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sample one category per row of ``probs`` (or from one shared row) with uniforms ``u``."""
    cum = np.cumsum(probs, axis=-1)
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u * cum[-1], side="right"), len(cum) - 1)
    return np.minimum((u[:, None] * cum[:, -1:] >= cum).sum(axis=1), cum.shape[1] - 1)


def _skip(rng: np.random.Generator, k: int) -> None:
    """Move ``rng`` past ``k`` uniforms without making them (each is one 64-bit draw)."""
    advance = getattr(rng.bit_generator, "advance", None)
    if advance is not None:
        advance(k)
    else:  # bit generators that cannot jump draw and discard
        rng.random(k)


class UserPopulation:
    """The state of every user agent as arrays, and the vectorised quarterly rules.

    Attributes:
        weight: Enterprises each agent stands for.
        sector, size, region: Category indices (names in ``sector_names`` etc.).
        regulated: Whether the sector is regulated (finance, healthcare, public sector).
        sensitive_share: Share of the agent's AI work that is sensitive.
        potential: Whether the agent would ever adopt (market potential).
        adopted: Whether the agent has adopted AI.
        provider: Provider index per slice, shape (agents, 3); -1 before adoption.
        spend_base_jpy_bn: Quarterly AI spend of one adopting enterprise in FY2026, ¥bn.

    """

    def __init__(
        self, tables: dict[str, np.ndarray], peers: Any, params: dict[str, Any], rng: np.random.Generator
    ) -> None:
        for name, values in tables.items():
            setattr(self, name, values)
        self.n = len(self.weight)
        self.peers = peers  # sparse row-normalised adjacency, or None for the complete graph
        self.params = params
        self.adopted = np.zeros(self.n, dtype=bool)
        self.provider = np.full((self.n, 3), -1, dtype=np.int64)
        self.bill_jpy_bn = np.zeros(self.n)
        self.shares = slice_shares(self.sensitive_share, params["sovereignty_rule"])
        self._iv0: float | None = None
        self._nest = np.zeros(0, dtype=int)
        self.attractiveness = 1.0
        self._cell: tuple[int, np.ndarray] | None = None  # sector x slice part of spend_by's code
        self._stay = np.zeros((0, 0))  # utility of staying with the current provider, for _choice_tables
        self._sector_totals: tuple[np.ndarray, np.ndarray] | None = None

    # The quarter, in the order the rules are listed at the top of this module.
    def seed_adopters(self, adopters: np.ndarray, offers: Offers, rng: np.random.Generator) -> None:
        """Start-up: the agents in ``adopters`` used AI before FY2026 and choose providers now."""
        util = offer_utilities(offers, self.params)
        probs, self._iv0 = self._choice_tables(util, offers.nest)
        self._adopt(adopters, util, probs, rng.random((3, self.n)))

    def step(self, offers: Offers, spend_growth: float, rng: np.random.Generator) -> None:
        """Advance one quarter: forced moves, reconsideration, adoption, spend.

        Args:
            offers: This quarter's offers.
            spend_growth: Spend per adopter relative to FY2026.
            rng: The model's random generator.

        """
        p = self.params
        # Every agent gets its random numbers whether it uses them or not, so two runs with the same
        # seed stay paired (common random numbers) when policies change who adopts or moves.
        offered = np.append(offers.available, False)  # index -1 (no provider) is never on offer
        stranded = self.adopted[:, None] & ~offered[self.provider]
        # A quarter when nobody is stranded skips their numbers rather than draws them: the same stream.
        u_stranded = rng.random((3, self.n)) if stranded.any() else _skip(rng, 3 * self.n)
        u_move, u_adopt = rng.random((2, 3, self.n))
        u_reconsider, u_new = rng.random((2, self.n))
        util = offer_utilities(offers, p)
        probs, iv = self._choice_tables(util, offers.nest)
        self._iv0 = iv if self._iv0 is None else self._iv0
        self.attractiveness = value_factor(iv, self._iv0, p["beta_price"], p["adoption_value_elasticity"])
        for s in range(3 if u_stranded is not None else 0):  # the provider went dark: choose again, no cost
            self._choose(np.flatnonzero(stranded[:, s]), s, util, probs[s, 0], u_stranded[s])
        rate = 1 - np.exp(-p["reconsider_prob_per_year"] * DT_YEARS)
        settled = self.adopted & ~stranded.any(axis=1) if u_stranded is not None else self.adopted
        movers = np.flatnonzero(settled & (u_reconsider < rate))
        for s in range(3):  # a mover's row of the table is its current provider's (-1 wraps to the last)
            self._choose(movers, s, util, probs[s, self.provider[movers, s] % util.shape[1] + 1], u_move[s])
        new = ~self.adopted & self.potential & (u_new < self.adoption_probabilities())
        if np.isfinite(util[GENERAL]).any():  # nothing on offer, nobody adopts
            self._adopt(new, util, probs, u_adopt)
        self.bill_jpy_bn = self.adopted * self.spend_base_jpy_bn * spend_growth

    def _choice_tables(self, util: np.ndarray, nest: np.ndarray) -> tuple[np.ndarray, float]:
        """Every choice a user can face this quarter, from one evaluation of the nested logit.

        Returns:
            Choice probabilities, shape (slices, 1 + providers, providers): row 0 for a user with no
            provider to leave, row ``1 + c`` for one leaving provider ``c`` (``switching_cost`` on
            staying); and the inclusive value of general work, which sets the adoption speed-up.
        """
        self._nest = nest
        n_providers = util.shape[1]
        if self._stay.shape[1] != n_providers:  # fixed over a run: made once
            self._stay = np.vstack([np.zeros(n_providers), self.params["switching_cost"] * np.eye(n_providers)])
        probs, total = _nested_logit(util[:, None, :] + self._stay, nest, self.params["nest_lambda"])
        return probs, float(total[GENERAL, 0])

    def _adopt(self, new: np.ndarray, util: np.ndarray, probs: np.ndarray, u: np.ndarray) -> None:
        idx = np.flatnonzero(new)
        self.adopted[idx] = True
        for s in range(3):
            self._choose(idx, s, util, probs[s, 0], u[s])

    def _choose(self, idx: np.ndarray, s: int, util: np.ndarray, probs: np.ndarray, u: np.ndarray) -> None:
        """Agents ``idx`` pick a provider for slice ``s`` with their uniforms ``u[idx]``; -1 if nothing is offered.

        ``probs`` is one row of choice probabilities for all of them, or one row each.
        """
        if not np.isfinite(util[s]).any():
            self.provider[idx, s] = -1
            return
        self.provider[idx, s] = _draw(probs, u[idx])

    def adoption_probabilities(self) -> np.ndarray:
        """Return every agent's adoption probability this quarter (0 for adopters and non-potential ones)."""
        p, open_ = self.params, ~self.adopted & self.potential

        def prob(share: np.ndarray) -> np.ndarray:
            return adoption_probability(p["bass_p"], p["bass_q"], share, self.attractiveness)

        expected_new = open_ * prob(self.peer_share(self.adopted))
        return open_ * prob(self.peer_share(self.adopted + 0.5 * expected_new))

    def peer_share(self, adopted: np.ndarray | None = None) -> np.ndarray:
        """Adopting share of each agent's peers (complete graph: everyone else).

        Args:
            adopted: Adoption per agent (0–1; may be fractional for expected adoption); default: now.

        """
        x = (self.adopted if adopted is None else adopted).astype(float)
        if self.peers is None:
            return (x.sum() - x) / max(self.n - 1, 1)
        return self.peers @ x

    def spend_by(self, n_providers: int, n_sectors: int) -> np.ndarray:
        """Enterprises' AI spend this quarter (¥bn), shape (sectors, slices, providers)."""
        # One bincount over a sector x slice x provider code; a slice with no provider adds zero.
        money = (self.weight * self.bill_jpy_bn)[:, None] * self.shares * (self.provider >= 0)
        if self._cell is None or self._cell[0] != n_providers:
            self._cell = (n_providers, (self.sector[:, None] * 3 + np.arange(3)) * n_providers)
        code = self._cell[1] + np.maximum(self.provider, 0)
        out = np.bincount(code.ravel(), money.ravel(), n_sectors * 3 * n_providers)
        return out.reshape(n_sectors, 3, n_providers)

    def adopter_weights(self, n_providers: int, n_sectors: int) -> tuple[np.ndarray, np.ndarray]:
        """Enterprises (weights) that have adopted, by provider of general work and by sector.

        Returns:
            By provider (length ``n_providers + 1``, the last for adopters with no provider) and by
            sector, each from one bincount rather than a mask per provider or sector.
        """
        w = self.weight * self.adopted
        general = self.provider[:, GENERAL]
        by_provider = np.bincount(np.where(general < 0, n_providers, general), w, n_providers + 1)
        return by_provider, np.bincount(self.sector, w, n_sectors)

    def sector_totals(self, n_sectors: int) -> tuple[np.ndarray, np.ndarray]:
        """Enterprises (weights) in each sector, and whether each sector is regulated; fixed over a run."""
        if self._sector_totals is None:
            self._sector_totals = (
                np.bincount(self.sector, self.weight, n_sectors),
                np.bincount(self.sector, self.regulated, n_sectors) > 0,
            )
        return self._sector_totals


class UserAgent(mesa.Agent):
    """One super-individual: a view on row ``index`` of the :class:`UserPopulation` arrays."""

    def __init__(self, model: SovereignAIModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _pop(self) -> UserPopulation:
        return self.model.population

    @property
    def sector(self) -> str:
        """Sector name."""
        return self.model.sector_names[self._pop.sector[self.index]]

    @property
    def size(self) -> str:
        """Size class name."""
        return self.model.size_names[self._pop.size[self.index]]

    @property
    def weight(self) -> float:
        """Real enterprises this agent stands for."""
        return float(self._pop.weight[self.index])

    @property
    def adopted(self) -> bool:
        """Whether the agent uses AI."""
        return bool(self._pop.adopted[self.index])

    @property
    def providers(self) -> dict[str, str | None]:
        """Provider name per slice of work (None before adoption)."""
        names = self.model.provider_names
        return {s: (names[k] if k >= 0 else None) for s, k in zip(SLICES, self._pop.provider[self.index], strict=False)}

    def adoption_probability(self) -> float:
        """Return this quarter's chance of adopting, by the rule the population step applies."""
        return float(self._pop.adoption_probabilities()[self.index])

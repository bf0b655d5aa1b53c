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

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.bounds import at_least, clamp

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sim.model import SovereignAIModel

DT_YEARS = 0.25
GENERAL, SENSITIVE_FREE, SENSITIVE_BOUND = 0, 1, 2
SLICES = ("general", "sensitive_free", "sensitive_bound")
_LOWEST = np.finfo(float).min
#: The smallest normal float, as a 0-d array: NumPy makes an array of a scalar operand on every call.
_TINY = np.array(np.finfo(float).tiny)
#: Hosting modes, from most to least sovereign: a domestic model on domestic data centres; a foreign
#: open-weight model run on domestic data centres or premises; a foreign model in a Japan region;
#: a foreign model served from abroad.
DOMESTIC, IN_JAPAN, ABROAD, OPEN_DOMESTIC = 0, 1, 2, 3
HOSTING_CODES = {"domestic": DOMESTIC, "open_domestic": OPEN_DOMESTIC, "in_japan": IN_JAPAN, "abroad": ABROAD}
#: Share of the sovereignty penalty each hosting mode carries for sensitive work.
PENALTY_SHARE = {DOMESTIC: 0.0, OPEN_DOMESTIC: 0.0, IN_JAPAN: 0.5, ABROAD: 1.0}
_PENALTY_BY_CODE = np.array([PENALTY_SHARE[code] for code in range(len(PENALTY_SHARE))])  # indexed by hosting code


# --- the rules ---------------------------------------------------------------------------------------
def adoption_probability(
    p: float, q: float, peer_share: np.ndarray | float, attractiveness: float = 1.0, dt: float = DT_YEARS
) -> np.ndarray | float:
    """Chance that a non-adopter adopts this quarter: ``1 − exp(−(p + q·F)·A·Δt)``."""
    return 1.0 - np.exp((p + q * peer_share) * (-attractiveness * dt))


def value_factor(inclusive_value: float, reference: float, beta_price: float, elasticity: float) -> float:
    """Adoption speed-up ``A``: value for money relative to the reference, to the power ``elasticity``.

    The inclusive value divided by the price weight is the log of a quality-adjusted price index,
    so ``A`` = (price index then / price index now)^elasticity, kept within [1/4, 4].
    """
    return clamp(math.exp(elasticity * (inclusive_value - reference) / at_least(beta_price, 0.1)), 0.25, 4.0)


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
    gap = np.asarray(gap, dtype=float)
    return np.array(_gap_costs(gap.ravel().tolist(), scale)).reshape(gap.shape)


def _gap_costs(gap: list[float], scale: float) -> list[float]:
    """:func:`capability_gap_cost` of each gap in ``gap``, as floats; a lead (gap < 0) counts as it is."""
    # NumPy's logarithm, as everywhere in the rules; of the gaps only (a lead's is not used). There is
    # one per gap, as they are made from the gaps: no length to check.
    log_gap = np.log1p([g / scale if g > 0 else 0.0 for g in gap]).tolist()
    return [scale * lg if g > 0 else g for g, lg in zip(gap, log_gap, strict=False)]


def offer_utilities(offers: Offers, p: dict[str, Any], hosting: np.ndarray | None = None) -> np.ndarray:
    """Systematic utility of each provider for each slice of work, shape (3 slices, providers).

    Args:
        offers: This quarter's offers.
        p: The run's parameters.
        hosting: The part fixed by the providers' hosting modes (:func:`_roster_utility` of
            ``offers.hosting``), from a caller that keeps it for the run; made here if None.
    """
    # A provider not on offer has utility -inf. There are about ten providers: plain floats cost
    # less than a NumPy call per term. The logarithms stay NumPy's: math's may differ in the last
    # bit, which is enough to turn a user's draw the other way.
    capability, japanese, price = -p["beta_capability"], p["beta_japanese"], p["beta_price"]
    disruption, shortage = p["beta_disruption"], p["beta_shortage"]
    base = [
        capability * gap_cost + japanese * proficiency - price * log_price - disruption * record - shortage * unmet
        if available
        else -math.inf
        for gap_cost, proficiency, log_price, record, unmet, available in zip(
            _gap_costs([-c for c in offers.capability], p["capability_gap_scale"]),
            offers.japanese,
            np.log(offers.price).tolist(),
            offers.disruption_record,
            offers.shortage.tolist(),
            offers.available,
            strict=True,
        )
    ]
    if hosting is None:
        hosting = _roster_utility(offers.hosting, p)
    return np.array(base) + hosting


def _roster_utility(hosting: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """:func:`_hosting_utility` of the providers' hosting modes ``hosting`` under the run's parameters ``p``."""
    return _hosting_utility(
        tuple(hosting.tolist()), p["domestic_trust_constant"], p["open_weight_constant"], p["sovereignty_penalty"]
    )


@functools.lru_cache(maxsize=64)  # bounded: a sweep's runs vary the constants, one entry per run
def _hosting_utility(
    hosting: tuple[int, ...], domestic_constant: float, open_constant: float, sovereignty_penalty: float
) -> np.ndarray:
    """The part of each slice's utility fixed by the providers' hosting modes, shape (3 slices, providers).

    The domestic constants, the sovereignty penalty on sensitive work and ``-inf`` for bound work
    abroad (the rule keeps it in Japan). Fixed by the roster and the run's parameters, so made once;
    the array is shared, hence read-only.
    """
    codes = np.array(hosting, dtype=int)
    constant = domestic_constant * (codes == DOMESTIC) + open_constant * (codes == OPEN_DOMESTIC)
    penalty = sovereignty_penalty * _PENALTY_BY_CODE[codes]
    util = np.stack([constant, constant - penalty, constant - penalty])
    util[SENSITIVE_BOUND, codes == ABROAD] = -np.inf
    util.flags.writeable = False
    return util


def choice_probabilities(utility: np.ndarray, nest: np.ndarray | None = None, nest_lambda: float = 1.0) -> np.ndarray:
    """Nested-logit choice probabilities over the last axis (``-inf`` utility = not on offer).

    Providers in one nest (domestic, foreign) are closer substitutes for each other than for the
    other nest's: ``nest_lambda`` = 1 (or no nests) is the multinomial logit; smaller values make a
    nest's total share depend less on how many providers it holds.
    """
    utility = np.asarray(utility, dtype=float)
    return _nested_logit(utility, *_nesting(nest, nest_lambda, utility.shape[-1]))[0]


def inclusive_value(utility: np.ndarray, nest: np.ndarray | None = None, nest_lambda: float = 1.0) -> float:
    """Expected maximum utility (log-sum) of what is on offer; -inf when nothing is."""
    utility = np.asarray(utility, dtype=float)
    return float(_nested_logit(utility, *_nesting(nest, nest_lambda, utility.shape[-1]))[1])


def _nested_logit(
    utility: np.ndarray, member: np.ndarray, nest_of: np.ndarray, lam: float
) -> tuple[np.ndarray, np.ndarray]:
    """Nested-logit probabilities and inclusive value (log-sum) over the last axis of ``utility``.

    With ``S_b`` the sum of ``exp(u/λ)`` over nest ``b``, a nest's inclusive value is ``λ·log S_b``,
    so nest ``b`` is chosen with probability ``S_b^λ / Σ S^λ`` and provider ``j`` in it with
    ``exp(u_j/λ) / S_b``; the log-sum of the whole choice is ``log Σ S^λ``. ``member`` and ``nest_of``
    say which provider is in which nest (:func:`_nesting`).
    """
    # The reductions are the ufuncs' own (``x.max``, ``x.sum`` call them through Python wrappers,
    # which cost more than the work on the users' tables of a few hundred numbers).
    x = utility / lam
    # Scale each row by its best utility to keep exp() in range (for every nest, as long as none
    # trails the best by ~700 log units); a row with nothing on offer keeps a finite scale.
    top = np.maximum.reduce(x, axis=-1, keepdims=True, initial=_LOWEST)
    e = np.exp(x - top)
    nest_sum = e @ member
    nest_weight = nest_sum**lam
    total = np.add.reduce(nest_weight, axis=-1, keepdims=True)
    # Provider j in nest b: exp(u_j/λ) · S_b^λ / (S_b · Σ S^λ), the last factor shared by the nest;
    # an empty nest's (or row's) zeros stay 0, not 0/0.
    per_unit = nest_weight / np.maximum(nest_sum * total, _TINY)
    # A row with nothing on offer (total 0) has log-sum -inf, set without NumPy's warning for log(0).
    # Rows with something on offer are the rule: the users' tables have nothing but those in almost
    # every quarter, and then one plain log does (the smallest total is positive).
    if np.minimum.reduce(total, axis=None) > 0:
        log_total = np.log(total)
    else:
        log_total = np.log(total, out=np.full_like(total, -np.inf), where=total > 0)
    return e * per_unit.take(nest_of, axis=-1), (log_total + lam * top)[..., 0]


def _nesting(nest: np.ndarray | None, lam: float, n_providers: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Membership matrix, nest of each provider and λ of the nests ``nest`` (by provider).

    None is one nest, the plain logit (λ = 1). See :func:`_nest_members`.
    """
    if nest is None:
        return *_nest_members((0,) * n_providers), 1.0
    return *_nest_members(tuple(nest.tolist())), lam


@functools.cache
def _nest_members(nest: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The nests (in sorted order) that providers ``nest`` are in, two ways (both read-only).

    ``member[j, b]`` = 1 if provider ``j`` is in the ``b``-th nest, else 0: a product with it sums
    over each nest. ``nest_of[j]`` = that ``b``: indexing a value per nest with it gives each
    provider its nest's value, the same numbers as a product with ``member.T`` (a 1 and zeros in
    each of its columns), for less.
    """
    nests = sorted(set(nest))
    member = np.array([[float(k == b) for b in nests] for k in nest])
    nest_of = np.array([nests.index(k) for k in nest], dtype=np.intp)
    member.flags.writeable = nest_of.flags.writeable = False
    return member, nest_of


def adopter_totals(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Adopters by provider (no provider last) and by sector, from sector x provider tables.

    Args:
        table: :meth:`UserPopulation.adopter_table`, for one quarter or many: shape (..., sectors,
            1 + providers).
    """
    # The ufunc's own sums (as ``table.sum``, without its Python wrapper); bin 0 (no provider) goes last.
    by_provider = np.add.reduce(table, axis=-2).take(_none_last(table.shape[-1] - 1), axis=-1)
    return by_provider, np.add.reduce(table, axis=-1)


# --- the population ----------------------------------------------------------------------------------
@dataclass
class Offers:
    """What every provider offers this quarter, one value per provider (in the order of ``names``).

    The values the users' rule reads one by one are plain lists (about ten providers: Python floats
    cost less than making an array each quarter and turning it back into floats); those also used
    as arrays (in demand and the record) are arrays.
    """

    names: list[str]
    capability: Sequence[float]  # relative to the frontier (0 = at the frontier)
    japanese: Sequence[float]
    price: np.ndarray  # effective price index paid by users (foreign FY2026 list price at ¥150/$ = 1)
    list_price: np.ndarray  # the provider's price before any adoption subsidy
    hosting: np.ndarray  # DOMESTIC, OPEN_DOMESTIC, IN_JAPAN or ABROAD
    available: Sequence[bool]  # not disrupted
    disruption_record: Sequence[float]
    shortage: np.ndarray  # share of the provider's compute demand left unmet last quarter

    @property
    def nest(self) -> np.ndarray:
        """Nest of each provider in the nested logit: 0 domestic, 1 foreign."""
        return (self.hosting != DOMESTIC).astype(int)


def _draw(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sample one category with each uniform in ``u`` from cumulative probabilities ``cum``.

    The categories are on the first axis of ``cum``, whose other axes are ``u``'s shape or
    broadcast to it (a shared row): the count of thresholds passed is then a sum of whole arrays,
    not one short sum per uniform. Only the first ``len(cum) - 1`` thresholds are counted: a
    uniform that reached the last (the total) has passed them all and takes the last category.
    The count is kept in int8 (fewer than 128 categories; signed, for the -1 of a slice with nothing
    on offer), else int64: summed into 64-bit integers, the booleans are cast chunk by chunk, which
    cost more than the comparisons (1M users: ~0.6 ms a draw).
    """
    count_type = np.int8 if len(cum) < 128 else np.int64  # signed: a slice with nothing on offer gets -1
    return np.add.reduce(u * cum[-1] >= cum[:-1], axis=0, dtype=count_type)  # as .sum(), without its Python wrapper


@functools.cache
def _leaving_rows(n_providers: int) -> np.ndarray:
    """Per slice, the row of the flattened choice tables for leaving provider 0 (+ ``c`` for provider ``c``).

    Each slice has 1 + ``n_providers`` rows (see ``UserPopulation._choice_tables``), so ``c`` = -1,
    no provider, gives the slice's row 0; shape (3, 1), read-only.
    """
    rows = (1 + n_providers) * np.arange(3)[:, None] + 1
    rows.flags.writeable = False
    return rows


@functools.cache
def _none_last(n_providers: int) -> np.ndarray:
    """Order of bins 0 (no provider), 1, ..., ``n_providers`` that puts bin 0 last (read-only)."""
    order = np.roll(np.arange(n_providers + 1), -1)
    order.flags.writeable = False
    return order


#: Largest peer matrix (agents x agents) kept dense: a network of up to 200 agents. Each of scipy's
#: sparse products and row cuts costs several microseconds of Python, NumPy's dense ones this small
#: about one.
_DENSE_PEER_CELLS = 40_000


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
        provider: Provider index per slice, shape (agents, 3); -1 before adoption (and for a slice
            with nothing on offer).
        spend_base_jpy_bn: Quarterly AI spend of one adopting enterprise in FY2026, ¥bn.
        spend_growth: Spend per adopter relative to FY2026 this quarter (0 before the first quarter).
        utility: This quarter's systematic utility of each provider for each slice of work
            (:func:`offer_utilities`), shape (3 slices, providers): what the users chose on.

    """

    def __init__(
        self, tables: dict[str, np.ndarray], peers: Any, params: dict[str, Any], rng: np.random.Generator
    ) -> None:
        for name, values in tables.items():
            setattr(self, name, values)
        self.n = len(self.weight)
        if peers is not None and self.n * self.n <= _DENSE_PEER_CELLS:
            peers = peers.toarray()
        self.peers = peers  # row-normalised adjacency (dense if small, else sparse), or None for the complete graph
        self.params = params
        self.adopted = np.zeros(self.n, dtype=bool)
        self.provider = np.full((self.n, 3), -1, dtype=np.int64)
        self.spend_growth = 0.0
        self.shares = slice_shares(self.sensitive_share, params["sovereignty_rule"])
        self._iv0: float | None = None
        self.attractiveness = 1.0
        # The run's constants of rules 1 and 3 (the Bass coefficients; the chance that an adopter
        # reconsiders in a quarter), as 0-d arrays: NumPy makes an array of a Python float operand on
        # every call, which costs more than the work on a few hundred numbers.
        self._bass = np.array(params["bass_p"]), np.array(params["bass_q"])
        self._reconsider = np.array(1 - math.exp(-params["reconsider_prob_per_year"] * DT_YEARS))
        self._codes: tuple[int, np.ndarray, np.ndarray] | None = None  # bincount codes, see _codes_for
        # Fixed by the run's providers, made by _choice_tables: the utility their hosting modes fix, that
        # of staying with the current provider, the nests of the nested logit and the tables' rows for
        # leaving each provider (see _choose).
        self._roster: np.ndarray | None = None
        self._hosting = np.zeros((3, 0))
        self._stay = np.zeros((0, 0))
        self._nests: tuple[np.ndarray, np.ndarray, float] = (np.zeros((0, 0)), np.zeros(0, dtype=np.intp), 1.0)
        self._leaving = _leaving_rows(0)
        self._sector_totals: tuple[np.ndarray, np.ndarray] | None = None
        # The quarter's uniforms are drawn into one buffer: the same stream as fresh arrays, no allocation.
        self._uniforms = np.empty((8, self.n))
        # The agents whose adoption chances are worked out, and their rows of the peer matrix (see
        # _candidate_rows): none yet. An empty cut, not None, so that `peers @ x` works even when
        # nobody can adopt; _candidate_rows replaces it in the first quarter anyone can.
        no_rows = np.zeros(0, dtype=np.int64)
        self._candidates: tuple[np.ndarray, Any] = (no_rows, None if peers is None else peers[no_rows])

    @property
    def bill_jpy_bn(self) -> np.ndarray:
        """Quarterly AI spend of one of each agent's enterprises, ¥bn (0 before adoption)."""
        return self.adopted * self.spend_base_jpy_bn * self.spend_growth

    # The quarter, in the order the rules are listed at the top of this module.
    def seed_adopters(self, adopters: np.ndarray, offers: Offers, rng: np.random.Generator) -> None:
        """Start-up: the agents in ``adopters`` used AI before FY2026 and choose providers now."""
        cum, on_offer, self._iv0 = self._choice_tables(offers)
        idx = np.flatnonzero(adopters)
        self.adopted[idx] = True
        self._choose(idx, cum, rng.random((3, self.n)).take(idx, axis=1), on_offer)

    def step(self, offers: Offers, spend_growth: float, rng: np.random.Generator) -> None:
        """Advance one quarter: forced moves, reconsideration, adoption, spend.

        Args:
            offers: This quarter's offers.
            spend_growth: Spend per adopter relative to FY2026.
            rng: The model's random generator.

        """
        p = self.params
        cum, on_offer, iv = self._choice_tables(offers)  # before the draws, which flush the cache at scale
        # Every agent gets its random numbers whether it uses them or not, so two runs with the same
        # seed stay paired (common random numbers) when policies change who adopts or moves.
        # Stranded: an adopter's slice whose provider is not on offer (or that has none). Every
        # non-adopter has no provider in its three slices, so there is one only if there are more
        # such slices than three per non-adopter; the mask of adopters is applied only then.
        dark = self.provider == -1
        if not all(offers.available):
            for k, available in enumerate(offers.available):
                if not available:
                    dark |= self.provider == k
        any_stranded = np.count_nonzero(dark) > 3 * (self.n - np.count_nonzero(self.adopted))
        # A quarter when nobody is stranded skips their numbers rather than draws them: the same stream.
        u_stranded = rng.random((3, self.n)) if any_stranded else _skip(rng, 3 * self.n)
        u = rng.random(out=self._uniforms)  # as rng.random((2, 3, n)) then rng.random((2, n))
        u_move, u_adopt, u_reconsider, u_new = u[0:3], u[3:6], u[6], u[7]
        self._iv0 = iv if self._iv0 is None else self._iv0
        self.attractiveness = value_factor(iv, self._iv0, p["beta_price"], p["adoption_value_elasticity"])
        settled = self.adopted
        if any_stranded:  # the provider went dark: choose again, no cost
            stranded = dark & self.adopted[:, None]
            for s in range(3):
                idx = np.flatnonzero(stranded[:, s])
                self.provider[idx, s] = _draw(cum[:, s, 0, None], u_stranded[s, idx]) if on_offer[s] else -1
            settled = self.adopted & ~stranded.any(axis=1)
        movers = (settled & (u_reconsider < self._reconsider)).nonzero()[0]
        rows, chance = self._adoption_chances()
        adopters = rows[u_new[rows] < chance] if on_offer[GENERAL] else rows[:0]  # nothing on offer, nobody adopts
        self.adopted[adopters] = True
        # Movers and new adopters choose together, each on its rows of the tables. (``take`` gathers
        # columns several times faster than indexing with ``[:, idx]``.) Many quarters have no new
        # adopter: then the movers choose alone, with no concatenation of empty arrays.
        choosers, u_choose = movers, u_move.take(movers, axis=1)
        if len(adopters) > 0:
            choosers = np.concatenate((movers, adopters))
            u_choose = np.concatenate((u_choose, u_adopt.take(adopters, axis=1)), axis=1)
        self._choose(choosers, cum, u_choose, on_offer)
        self.spend_growth = spend_growth

    def _choice_tables(self, offers: Offers) -> tuple[np.ndarray, list[bool], float]:
        """Every choice a user can face this quarter, from one evaluation of the nested logit.

        Returns:
            Cumulative choice probabilities with the providers first, shape (providers, slices,
            1 + providers) (see :func:`_draw`): row 0 for a user with no provider to leave, row
            ``1 + c`` for one leaving provider ``c`` (``switching_cost`` on staying); whether each
            slice has anything on offer; and the inclusive value of general work, which sets the
            adoption speed-up.
        """
        p = self.params
        # The run's providers (their hosting, a read-only array the model makes once): what they fix
        # is made once too.
        if offers.hosting is not self._roster:
            n_providers = len(offers.hosting)
            self._hosting = _roster_utility(offers.hosting, p)
            self._stay = np.vstack([np.zeros(n_providers), p["switching_cost"] * np.eye(n_providers)])
            self._nests = _nesting(offers.nest, p["nest_lambda"], n_providers)
            self._leaving = _leaving_rows(n_providers)
            self._roster = offers.hosting
        self.utility = util = offer_utilities(offers, p, self._hosting)
        probs, total = _nested_logit(util[:, None, :] + self._stay, *self._nests)
        log_sums = total[:, 0].tolist()  # a slice's log-sum is -inf when nothing is on offer
        on_offer = [log_sum > -math.inf for log_sum in log_sums]
        # Cumulated over the providers, put first (see _draw), into one contiguous block (see _choose),
        # by the ufunc itself (``cumsum`` is the same sum through a Python wrapper).
        by_provider = probs.transpose(2, 0, 1)
        cum = np.add.accumulate(by_provider, axis=0, out=np.empty(by_provider.shape))
        return cum, on_offer, log_sums[GENERAL]

    def _choose(self, idx: np.ndarray, cum: np.ndarray, u: np.ndarray, on_offer: list[bool]) -> None:
        """Agents ``idx`` pick a provider for every slice with uniforms ``u`` (slices, agents); -1 if none is offered.

        ``cum`` holds this quarter's choice tables (:meth:`_choice_tables`). An agent draws on the
        rows for leaving its current providers: row 1 + ``c`` for provider ``c``, row 0 for a
        slice with none (every slice of a new adopter).
        """
        if len(idx) == 0:
            return
        # The agents' rows are taken from the tables flattened to (providers, slice x row) as one
        # contiguous (providers, slices, agents) block: picking them with an index per axis left the
        # draws striding through memory. With the slices before the agents, the comparisons run
        # along the agents, not three at a time (numpy's cost per inner loop outweighed the work).
        tables = cum.reshape(len(cum), -1).take(self.provider.take(idx, axis=0).T + self._leaving, axis=1)
        choice = _draw(tables, u)
        if not all(on_offer):
            choice[~np.array(on_offer)] = -1
        self.provider[idx] = choice.T

    def adoption_probabilities(self) -> np.ndarray:
        """Return every agent's adoption probability this quarter (0 for adopters and non-potential ones)."""
        rows, chance = self._adoption_chances()
        out = np.zeros(self.n)
        out[rows] = chance
        return out

    def _adoption_chances(self) -> tuple[np.ndarray, np.ndarray]:
        """Adoption chances this quarter of the agents that may adopt (rule 1).

        Returns:
            Agents (indices: every one that has not adopted and could, and maybe some that just
            did) and their chances (0 for those that cannot adopt).
        """
        rows, peers, open_ = self._candidate_rows()
        if len(rows) == 0:  # nobody left who could adopt (a few quarters a run): no chance to work out
            return rows, np.zeros(0)

        bass_p, bass_q = self._bass

        def prob(adopted: np.ndarray) -> np.ndarray:
            chance = adoption_probability(bass_p, bass_q, self._peer_mean(adopted, rows, peers), self.attractiveness)
            return chance if open_ is None else open_ * chance

        adopted = self.adopted.astype(float)
        expected_new = prob(adopted)
        adopted[rows] += 0.5 * expected_new  # F at mid-quarter: half the peers expected to adopt count
        return rows, prob(adopted)

    def _candidate_rows(self) -> tuple[np.ndarray, Any, np.ndarray | None]:
        """Agents whose adoption chance is needed, their rows of the peer matrix and whether each can adopt.

        Only agents that have not adopted and could adopt need a chance. Cutting their rows out of
        the peer matrix costs about as much as one product with it, and adoption is for good, so a
        cut serves later quarters too, until half its agents have adopted; it is made anew at once
        if an agent that can adopt is missing from it. Whether each can adopt is None when every one
        can (a fresh cut, a quarter in four): a mask of ones would change no chance.
        """
        can_adopt = ~self.adopted & self.potential
        n_open = np.count_nonzero(can_adopt)
        rows, peers = self._candidates
        open_ = can_adopt[rows]
        if np.count_nonzero(open_) < n_open or 2 * n_open < len(rows):
            rows = can_adopt.nonzero()[0]
            peers = self.peers[rows] if self.peers is not None else None
            self._candidates, open_ = (rows, peers), can_adopt[rows]
        return rows, peers, None if n_open == len(rows) else open_

    def _peer_mean(self, x: np.ndarray, rows: np.ndarray, peers: Any) -> np.ndarray:
        """Mean of ``x`` over the peers of agents ``rows`` (``peers``: their rows of the peer matrix)."""
        if self.peers is None:  # complete graph: everyone else
            return (x.sum() - x[rows]) / max(self.n - 1, 1)
        return peers @ x

    def peer_share(self, adopted: np.ndarray | None = None) -> np.ndarray:
        """Adopting share of each agent's peers (complete graph: everyone else).

        Args:
            adopted: Adoption per agent (0–1; may be fractional for expected adoption); default: now.

        """
        x = (self.adopted if adopted is None else adopted).astype(float)
        return self._peer_mean(x, np.arange(self.n), self.peers)

    def _codes_for(self, n_providers: int) -> tuple[np.ndarray, np.ndarray]:
        """Bincount codes fixed over a run, with room for 1 + ``n_providers`` bins (bin 0: no provider).

        Returns:
            Per agent and slice, the first bin of its sector x slice cell (add ``provider`` for its bin);
            per agent, the first bin of its sector's cell.
        """
        if self._codes is None or self._codes[0] != n_providers:
            width = n_providers + 1
            by_sector = self.sector * width + 1  # + 1: provider -1 lands in bin 0
            self._codes = (n_providers, (self.sector[:, None] * 3 + np.arange(3)) * width + 1, by_sector)
        return self._codes[1], self._codes[2]

    @functools.cached_property
    def _money_fy2026(self) -> np.ndarray:
        """Per agent and slice, what its enterprises spend on the slice at FY2026 spend, ¥bn; fixed over a run."""
        return (self.weight * self.spend_base_jpy_bn)[:, None] * self.shares

    def spend_by(self, n_providers: int, n_sectors: int) -> np.ndarray:
        """Enterprises' AI spend this quarter (¥bn), shape (sectors, slices, providers)."""
        # One bincount over a sector x slice x provider code. A slice with no provider (every
        # non-adopter's) falls in its cell's bin 0, dropped at the end, so no mask of adopters is needed.
        # Spend grows alike for everyone, so the growth multiplies the ~100 sums, not every agent's money
        # (bins 0 with them: one pass over the whole block costs less than one along each of its rows).
        by_slice, _ = self._codes_for(n_providers)
        money = self._money_fy2026
        out = np.bincount((by_slice + self.provider).ravel(), money.ravel(), n_sectors * 3 * (n_providers + 1))
        return (out * self.spend_growth).reshape(n_sectors, 3, n_providers + 1)[..., 1:]

    def adopter_weights(self, n_providers: int, n_sectors: int) -> tuple[np.ndarray, np.ndarray]:
        """Enterprises (weights) that have adopted, by provider of general work and by sector.

        Returns:
            By provider (length ``n_providers + 1``, the last for adopters with no provider) and by
            sector (see :func:`adopter_totals`).
        """
        return adopter_totals(self.adopter_table(n_providers, n_sectors))

    def adopter_table(self, n_providers: int, n_sectors: int) -> np.ndarray:
        """Enterprises (weights) that have adopted, by sector x provider of general work (bin 0: no provider).

        One bincount over a sector x provider code, shape (``n_sectors``, 1 + ``n_providers``).
        """
        _, by_sector = self._codes_for(n_providers)
        return np.bincount(
            by_sector + self.provider[:, GENERAL], self.weight * self.adopted, n_sectors * (n_providers + 1)
        ).reshape(n_sectors, n_providers + 1)

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

"""SovereignAIModel: Japan's sovereign-AI ecosystem as a Mesa model (one step = one fiscal quarter)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import mesa
import numpy as np

from agents.datacentre import DataCentre
from agents.developer import DomesticDeveloper
from agents.foreign import ForeignProvider
from agents.government import AWARD, Government, grant_weights
from agents.user import (
    ABROAD,
    DOMESTIC,
    GENERAL,
    Offers,
    UserAgent,
    UserPopulation,
    ai_spend,
    choice_probabilities,
)
from sim import investment, markets, networks, population, service
from sim.bounds import at_most
from sim.data import rows
from sim.environment import FX_REFERENCE_JPY_PER_USD, QUARTER_HOURS, Environment
from sim.outcomes import RunRecord
from sim.params import resolve

FY2030_LAST_QUARTER = 19  # FY2030Q4, the end of the AI Basic Plan's five years
#: Independent random streams, one per purpose, spawned from the run's seed: a shorter run, or a
#: change in one part of the model, leaves the other streams' draws as they were.
STREAMS = ("environment", "network", "population", "users")
POOLS = ("domestic", "japan_region")


def _recorded(model: SovereignAIModel, key: str) -> Any:
    """One entry of the latest quarter's record (what a plain Mesa reporter of the column would read)."""
    return model.record[key]


@lru_cache(maxsize=8)
def _reporters(columns: tuple[str, ...]) -> dict[str, Callable[[SovereignAIModel], Any]]:
    """A Mesa reporter for each of ``columns`` (reading the latest record), made once per set of columns.

    The reporters hold nothing of a run, so runs with the same columns share them (each collector has its
    own dict of them): making ~90 of them for every run cost ~3% of building a small model.
    """
    return {k: partial(_recorded, key=k) for k in columns}


def _offered(row: Any, p: dict[str, Any]) -> bool:
    """Whether the foreign provider of roster ``row`` takes part in a run with parameters ``p``."""
    if p["single_provider"]:
        return row.id == "us_frontier"
    return bool(row.enabled_by_default) or (row.id == "cn_open" and bool(p["chinese_provider_enabled"]))


class QuarterRecords(mesa.DataCollector):
    """Mesa's DataCollector with one reporter per column of the model's record, its values derived when read.

    :meth:`collect` only notes which of the run's kept quarters it collected; ``model_vars`` works
    out every column at those quarters in one pass over the run's record (:class:`RunRecord`), which
    costs far less than ~90 reporters a quarter.

    Args:
        record: The run's record.
    """

    def __init__(self, record: RunRecord) -> None:
        self.run_record = record
        self._rows: list[int] = []  # the kept quarters collected, in order
        super().__init__()
        # Mesa's reporters name the columns (its own collect would read them); set here, as Mesa's
        # registering each one would work out model_vars once per column.
        self.model_reporters = dict(_reporters(tuple(record.layout.columns)))

    @property
    def model_vars(self) -> dict[str, list[Any]]:
        """Each column's values at the collected quarters, as Mesa's ``collect`` would have appended them."""
        return self.run_record.columns(self._rows, lists=True)

    @model_vars.setter
    def model_vars(self, value: dict[str, list[Any]]) -> None:
        # Mesa's __init__ (and its reporters) start an empty store; here the values are derived, never stored.
        if any(value.values()):
            raise AttributeError("QuarterRecords derives model_vars from the run's record; it cannot be set")

    def columns(self) -> dict[str, Any]:
        """The collected quarters' columns, the numeric ones as float arrays (for building a frame fast)."""
        return self.run_record.columns(self._rows)

    def collect(self, model: SovereignAIModel) -> None:
        """Collect the model's latest kept quarter."""
        self._collection_steps.append(model.time)
        self._rows.append(len(self.run_record) - 1)


class SovereignAIModel(mesa.Model):
    """Agent-based model of a national AI ecosystem: government, developers, providers, data centres, users.

    Args:
        rng: Seed or numpy Generator; all randomness comes from ``self.rng``.
        **params: Parameter overrides by name (see ``sovai params``); everything else is the default.

    Raises:
        ParameterError: an unknown parameter, a value out of range or shares that do not sum to 1.

    """

    #: Index of the current quarter (0 = FY2026Q1; also 0 before the first step). Set as each step
    #: begins (Mesa has counted the step by then): read ~90 times a quarter, a plain attribute.
    t: int = 0

    def __init__(self, *, rng: Any = None, **params: Any) -> None:
        super().__init__(rng=rng)
        self.p = resolve(params)
        p = self.p
        self.streams = dict(zip(STREAMS, self.rng.spawn(len(STREAMS)), strict=True))
        self.events: list[tuple[int, str]] = []
        self.env = Environment(p, self.streams["environment"])
        self.government = Government(self)
        self.developers = [] if p["single_provider"] else [DomesticDeveloper(self, row) for row in rows("developers")]
        self.foreign = [ForeignProvider(self, row) for row in rows("foreign_providers") if _offered(row, p)]
        self.datacentres = [DataCentre(self, row, self.env.regions.index(row.region)) for row in rows("datacentres")]
        self.pools = {
            "domestic": [c for c in self.datacentres if not c.foreign_owned],
            "japan_region": [c for c in self.datacentres if c.foreign_owned],
        }
        self.domestic_dcs, self.foreign_dcs = self.pools["domestic"], self.pools["japan_region"]
        self.providers = [*self.developers, *self.foreign]
        self.provider_names = [a.key for a in self.providers]
        self.hosting = np.array([DOMESTIC] * len(self.developers) + [f.hosting for f in self.foreign])
        self.hosting.flags.writeable = False  # fixed for the run: the users' choice tables are made once for it
        self.domestic_infra = service.hosted(self.hosting, service.DOMESTIC_INFRA)  # served by domestic operators
        # The providers whose inference each pool serves, by index (their hosting is fixed for the run).
        self.pool_providers = {
            k: [i for i, h in enumerate(self.hosting.tolist()) if service.POOL_OF_HOSTING[h] == k] for k in POOLS
        }
        self.abroad_providers = [f for f in self.foreign if f.hosting == ABROAD]

        arrays, names = population.build(p, self.streams["population"])
        initial = arrays.pop("initial_adopter")
        self.sector_names, self.size_names = names["sector"], names["size"]
        adjacency = networks.peer_adjacency(arrays["sector"], arrays["region"], p, self.streams["network"])
        self.peer_adjacency = adjacency
        self.population = UserPopulation(arrays, networks.row_normalised(adjacency), p, self.streams["users"])
        population.create_agents(self, UserAgent, self.population.n)

        self.talent_pool = p["researchers_initial"]
        # Researchers the talent programme trains, by the quarter they arrive: Python floats, as one is added
        # and one read a quarter (NumPy's indexing of a single value costs more than the addition).
        self.talent_arrivals = [0.0] * (p["quarters"] + p["talent_lag_quarters"] + 1)
        self.data_stock_btokens = p["data_stock_initial_btokens"]
        # Each quarter's training money at domestic operators, by developer, and the sites' installed compute,
        # which splits it: the contracts are summed from them only when asked for (:attr:`compute_contracts_jpy_bn`).
        self.contract_quarters: list[tuple[list[float], list[float]]] = []
        self.grid_limit_mw = self.committed_by_region()[None, :] + self.env.grid_headroom_mw
        # Each pool's market state: last quarter's tightness and fills, its demand history (hours at the
        # base price), and other AI work's GPU-hour demand in FY2026 (hours a quarter at the base price).
        self.tightness = dict.fromkeys(POOLS, p["target_utilisation"])
        self.fills = dict.fromkeys(POOLS, 1.0)  # last quarter's share of inference served, by pool
        self.training_fills = dict.fromkeys(POOLS, 1.0)  # ... and of training and other work
        self.venue_split: dict[str, list[float]] = {}  # share of own and of public training money by venue
        self.demand_history: dict[str, list[float]] = {k: [] for k in POOLS}
        self.background_hours = {
            k: p["background_gpu_demand_share"] * sum(c.h100eq for c in self.pools[k]) * QUARTER_HOURS for k in POOLS
        }
        self.chip_market: dict[str, Any] = dict.fromkeys(POOLS)
        self.award_compute_jpy_bn = 0.0
        self._grant_capabilities: list[float] | None = None  # the capabilities this quarter's grant shares follow
        self.pool_results = {k: markets.serve_pool(0.0, 0.0, 0.0) for k in POOLS}
        self.accelerator_spend_jpy_bn = 0.0
        self.domestic_user_spend_jpy_bn = 0.0  # last quarter's; sets the adoption subsidy rate
        self._update_offers()
        self.population.seed_adopters(initial, self.offers, self.streams["users"])
        self.demand, self.volume = self._demand()
        self.domestic_user_spend_jpy_bn = self.demand[:, :, self.hosting == DOMESTIC].sum()
        self.delivery = service.Delivery(self.demand, np.zeros_like(self.demand), np.zeros_like(self.demand))
        self.run_record = RunRecord(self)
        self.record_layout = self.run_record.layout
        self._record(flows={})
        self.datacollector = QuarterRecords(self.run_record)

    # --- the quarter ----------------------------------------------------------------------------------
    def step(self) -> None:
        """One fiscal quarter: money in, users choose, compute is served, bought and built, models released."""
        if self.steps > self.p["quarters"]:
            raise RuntimeError(
                f"the run has reached its horizon of {self.p['quarters']} quarters; "
                "make a new model with a larger `quarters` to simulate further"
            )
        self.t = self.steps - 1
        self.government.begin_quarter()
        self._update_world()
        self._fund_developers()
        demand = self._users_choose()
        flows = self._serve_and_pay(demand)
        self._invest_in_compute()
        self._release_models()
        self._run_data_and_talent_programmes()
        self._record(flows)
        self.datacollector.collect(self)
        self.running = self.steps < self.p["quarters"]

    def event(self, text: str) -> None:
        """Note something that happened this quarter (listed by ``sovai run`` and in the ``events`` column)."""
        self.events.append((self.t, text))

    # --- the parts of a quarter, in order ------------------------------------------------------------
    def _update_world(self) -> None:
        t = self.t
        for c in self.datacentres:
            if (done := c.complete_builds()) > 0:
                self.event(f"{c.name}: {done:,.0f} MW completed")
            c.retire()
        for news in self.env.shock_news[t]:
            self.event(news)
        self._update_offers()

    def gpu_hour_prices(self) -> dict[str, float]:
        """This quarter's GPU-hour price in each pool and abroad (¥ per H100-hour)."""
        return {**self.price_jpy_per_hour, "abroad": self.abroad_gpu_hour_price}

    def _update_offers(self) -> None:
        """Prices in the GPU-hour pools and providers' offers for this quarter (users see them when they choose)."""
        p, t, env = self.p, self.t, self.env
        gen = env.gens[env.new_gen[t]]
        # Today's values of the world's paths as Python floats: NumPy scalars would slow every sum after.
        electricity = float(env.electricity_jpy_per_kwh[t])
        energy = gen.watts * p["server_power_overhead"] / gen.h100_eq * p["pue"] / 1000 * electricity
        world, capex_share = self.world_gpu_hour_price, p["gpu_hour_capex_cost_share"]
        self.base_price = {
            k: markets.gpu_hour_base_price(world, capex_share, float(self.support_share(self.pools[k])), energy)
            for k in POOLS
        }
        self.price_jpy_per_hour = {
            k: markets.gpu_hour_price(
                self.base_price[k], self.tightness[k], p["target_utilisation"], p["gpu_price_utilisation_elasticity"]
            )
            for k in POOLS
        }
        self.abroad_gpu_hour_price = world * (1 + p["offshore_training_premium"])  # a cloud abroad's
        # Serving on Japanese GPU-hours: technology makes it cheaper every year (as it does foreign
        # prices); the GPU-hour part moves with Japan's GPU-hour price (dollar chips at today's yen),
        # the staff part is paid in yen.
        reference = p["gpu_hour_price_usd_2026"] * FX_REFERENCE_JPY_PER_USD
        share = p["domestic_serving_compute_share"]
        self.serving_cost_index = (
            p["domestic_serving_cost_index"]
            * float(env.serving_cost[t])
            * (share * self.price_jpy_per_hour["domestic"] / reference + 1 - share)
        )
        for f in self.foreign:
            f.update(self.serving_cost_index)
        japanese = self.japanese_domestic
        for d in self.developers:
            d.set_offer(japanese, self.serving_cost_index)
        allowance = self.government.allowance("adoption")
        spend = self.domestic_user_spend_jpy_bn
        self.adoption_subsidy_rate = at_most(
            allowance / spend if spend > 0 else (p["adoption_subsidy_max_rate"] if allowance > 0 else 0.0),
            p["adoption_subsidy_max_rate"],
        )
        providers, n = self.providers, len(self.developers)
        frontier = float(env.frontier_capability[t])
        list_price = [a.price for a in providers]
        # Users of domestic models (the first n providers) pay the list price less the adoption subsidy.
        paid_share = 1 - self.adoption_subsidy_rate
        price = [x * paid_share for x in list_price[:n]] + list_price[n:]
        # Each provider's share of compute demand its pool left unmet: none most quarters.
        if service.all_served(self.fills):
            shortage = service.read_only_zeros((len(providers),))
        else:
            shortage = 1 - service.pool_fill(self.hosting, self.fills)
        self.offers = Offers(
            names=self.provider_names,
            capability=[a.capability - frontier for a in providers],
            japanese=[a.japanese for a in providers],
            price=np.array(price),
            list_price=np.array(list_price),
            hosting=self.hosting,
            # Domestic models are never cut off.
            available=[True] * n + [f.available for f in self.foreign],
            disruption_record=[0.0] * n + [f.disruption_record for f in self.foreign],
            shortage=shortage,
        )

    def _fund_developers(self) -> None:
        gov = self.government
        budget = gov.allowance("rnd") if self.developers else 0.0
        # This quarter's award money, split once: its compute part is spent in the GPU-hour markets.
        award = gov.allowance(AWARD)
        self.award_compute_jpy_bn = award * self.p["champion_award_compute_share"]
        # No payments of nothing to ask for (Government.pay makes no entry for them): no R&D grants
        # once the plan's money is spent (about half of a run), no award once it is.
        for d, grant in zip(self.developers, self._grants(budget), strict=True):
            d.raise_capital(gov.pay("rnd", grant, d.key) if grant > 0 else 0.0)
            if d.champion and award > 0:  # the award's staff, data and physical-AI part: not compute
                gov.pay(AWARD, award - self.award_compute_jpy_bn, d.key)

    def _grants(self, budget: float) -> list[float]:
        """Each developer's part of a grant ``budget`` (¥bn), by the grant shares (:func:`grant_weights`).

        The shares follow capabilities, which change only when models are released (at a quarter's
        end, every few quarters): worked out again only when one has changed, and not for a budget of
        nothing (once the plan's money is spent, about half of a run).
        """
        if not budget > 0:
            return [0.0] * len(self.developers)
        capabilities = [d.capability for d in self.developers]
        if capabilities != self._grant_capabilities:
            self.grant_shares: list[float] = grant_weights(self.developers, self.p).tolist()
            self._grant_capabilities = capabilities
        return [budget * w for w in self.grant_shares]

    def _demand(self) -> tuple[np.ndarray, np.ndarray]:
        """Users' demand booked to each provider this quarter: spend and volume, (sectors, slices, providers)."""
        money = self.population.spend_by(len(self.providers), len(self.sector_names))
        return ai_spend(money, self.offers.price, self.offers.list_price, self.p["ai_demand_price_elasticity"])

    def _users_choose(self) -> np.ndarray:
        """Users adopt and choose providers; return their demand (¥bn at list prices)."""
        self.population.step(self.offers, self.env.spend_growth[self.t], self.streams["users"])
        self.demand, self.volume = self._demand()
        return self.demand

    def _public_purchases(self) -> tuple[list[float], list[float]]:
        """Government procurement and partner-market (export) demand for each developer, ¥bn this quarter."""
        p, gov = self.p, self.government
        n = len(self.developers)  # the developers are the first n providers
        if n == 0:
            return [], []
        util = self.population.utility[GENERAL]  # the users' utilities: the offers have not changed since they chose
        lam = p["nest_lambda"]
        budget = gov.allowance("procurement")
        bought = [0.0] * n
        if budget > 0:  # (none once the plan's money is spent)
            # The developers are the domestic nest: among them the nested logit is a logit on utility / λ.
            share = markets.logit_shares([u / lam for u in util[:n].tolist()])
            bought = [budget * s for s in share]
        exports = [0.0] * n
        if p["export_partnership"]:  # partner markets do not value Japanese proficiency
            utility = util - p["beta_japanese"] * np.array(self.offers.japanese)
            share = choice_probabilities(utility, self.offers.nest, lam)[:n]
            exports = (p["export_market_jpy_bn_per_year"] / 4 * self.env.spend_growth[self.t] * share).tolist()
        return bought, exports

    def _serve_and_pay(self, demand: np.ndarray) -> dict[str, float]:
        """Serve inference and training from the GPU-hour pools; pay for what was delivered.

        Prices are last quarter's (set in :meth:`_update_offers`); developers choose where to train by
        price and last quarter's fills; each pool serves inference first. Providers earn for what they
        serve; unserved work goes abroad or is unmet (sim/service.py).
        """
        p, gov, t = self.p, self.government, self.t
        price = self.gpu_hour_prices()
        compute_share = p["domestic_serving_compute_share"] / (1 + p["price_margin"])
        procurement, exports = self._public_purchases()
        # A handful of providers, developers, venues and sites: plain floats, summed in order (as NumPy
        # sums a handful), as NumPy's cost per call exceeds the work.
        by_provider = np.add.reduce(demand, axis=(0, 1)).tolist()  # as .sum(), without its Python wrapper
        booked = {k: markets.ordered_sum([by_provider[i] for i in self.pool_providers[k]]) for k in POOLS}
        exports_total = markets.ordered_sum(exports)  # partner markets' demand: served at home, and recorded
        # GPU-hours for inference: domestic and open-weight models on domestic operators; foreign
        # models in a Japan region on the hyperscalers' local capacity (the local part of the bill).
        inference_jpy = {
            "domestic": compute_share * (booked["domestic"] + markets.ordered_sum(procurement) + exports_total),
            "japan_region": (1 - p["hosted_in_japan_deficit_share"]) * booked["japan_region"],
        }
        # Training: own cash goes where it is cheapest; grants and the award stay in Japan unless allowed.
        own = [d.training_bid_jpy_bn for d in self.developers]
        grants = self._grants(gov.allowance("compute_grants"))
        award = [self.award_compute_jpy_bn * d.champion for d in self.developers]
        prices = [price[v] for v in markets.VENUES]
        fills = [self.training_fills["domestic"], self.training_fills["japan_region"], 1.0]
        caps = {"own": p["offshore_compute_share"], "public": 1.0 if p["grant_compute_abroad_allowed"] else 0.0}
        rate = p["market_adjustment_per_quarter"]
        chosen = markets.venue_shares(prices, fills, p["training_venue_price_beta"])  # before any cap
        open_venues = [math.isfinite(x) for x in prices]
        for money, cap in caps.items():
            target = markets.cap_abroad(chosen, cap, open_venues)
            previous = self.venue_split.get(money, target)
            self.venue_split[money] = [markets.adjust(a, b, rate) for a, b in zip(previous, target, strict=True)]
        own_split, public_split = self.venue_split["own"], self.venue_split["public"]
        public = [g + a for g, a in zip(grants, award, strict=True)]
        training_jpy = {  # summed developer by developer; the pools' only (they do not serve the money sent abroad)
            v: markets.ordered_sum([o * own_split[j] + g * public_split[j] for o, g in zip(own, public, strict=True)])
            for j, v in enumerate(markets.VENUES)
            if v in POOLS
        }
        # Today's values of the world's paths as Python floats: NumPy scalars would slow every sum after.
        background_growth = float(self.env.background_growth[t])
        electricity = float(self.env.electricity_jpy_per_kwh[t])
        results, installed = {}, {}
        for k in POOLS:
            background = self.background_hours[k] * background_growth
            background *= (price[k] / self.base_price[k]) ** -p["gpu_hour_demand_price_elasticity"]
            installed[k] = sizes = [c.h100eq for c in self.pools[k]]  # fixed for the rest of the quarter
            capacity = sum(sizes) * QUARTER_HOURS
            results[k] = r = markets.serve_pool(
                capacity, inference_jpy[k] * 1e9 / price[k], training_jpy[k] * 1e9 / price[k] + background
            )
            sold_hours, pool_price = r.sold_hours, price[k]
            for c in self.pools[k]:  # each site sells its share of the pool's capacity
                hours = sold_hours * c.h100eq * QUARTER_HOURS / capacity if capacity > 0 else 0.0
                c.sell(hours, pool_price, electricity)
            self.tightness[k] = markets.adjust(self.tightness[k], r.tightness, rate)
            self.fills[k] = r.inference_fill
            self.training_fills[k] = r.other_fill
            self.demand_history[k].append(r.demand_hours * price[k] / self.base_price[k])
        self.pool_results = results

        # Service delivered: providers earn for what their pool served; the rest goes abroad or is unmet.
        abroad_open = any([f.available for f in self.abroad_providers])
        self.delivery = service.deliver(demand, self.hosting, self.fills, abroad_open)
        # Each developer's revenue: what it served (when every pool served all it was asked, all it was booked).
        served = by_provider if self.delivery.served is demand else self.delivery.served.sum(axis=(0, 1)).tolist()
        served = served[: len(self.developers)]
        self.domestic_user_spend_jpy_bn = markets.ordered_sum(served)
        dev_fill = self.fills["domestic"]  # every developer serves from the domestic pool
        # Each venue: each developer's training money spent there (filled below), the shares of own and
        # public money sent there, the share served, the price.
        train_fill = [self.training_fills["domestic"], self.training_fills["japan_region"], 1.0]
        bought = [[] for _ in markets.VENUES]
        venues = list(zip(bought, own_split, public_split, train_fill, prices, strict=True))
        pay, subsidy, margin = gov.pay, self.adoption_subsidy_rate, 1 + p["price_margin"]
        for d, sold, procured, exported, own_d, grant_d, award_d, public_d in zip(
            self.developers, served, procurement, exports, own, grants, award, public, strict=True
        ):
            key = d.key
            # No payments of nothing to make: no procurement once its money is spent, no adoption
            # subsidy in most quarters or for a developer nobody uses.
            procured_paid = pay("procurement", dev_fill * procured, key) if procured > 0 else 0.0
            revenue = sold + procured_paid + dev_fill * exported
            if subsidy > 0 and sold > 0:
                pay("adoption", subsidy * sold, key)  # part of the user's bill
            hours = paid = granted = 0.0
            for spent, own_share, public_share, filled, hour_price in venues:
                own_v = own_d * own_share * filled
                grant_v = award_v = 0.0
                # No payments of nothing to make: no public money abroad unless allowed, none once the
                # grants and the award are spent (about half of a run), no award but the champion's.
                if public_share > 0 and public_d > 0:
                    grant_v = pay("compute_grants", grant_d * public_share * filled, key)
                    if award_d > 0:
                        award_v = pay(AWARD, award_d * public_share * filled, key)
                bought_v = own_v + grant_v + award_v
                hours += bought_v * 1e9 / hour_price
                paid += own_v
                granted += grant_v + award_v
                spent.append(bought_v)
            d.train(hours, paid, granted)
            d.book_revenue(revenue, revenue / margin)
        at_home, in_region, abroad = bought
        # Compute contracts with the domestic sites, split by their capacity when asked for (the supply network).
        self.contract_quarters.append((at_home, installed["domestic"]))
        return {
            "exports": dev_fill * exports_total,
            "offshore_training": markets.ordered_sum(abroad),
            "region_training": markets.ordered_sum(in_region),
        }

    @property
    def compute_contracts_jpy_bn(self) -> np.ndarray:
        """Training money each developer has spent at each domestic site, ¥bn, shaped (developers, sites)."""
        contracts = np.zeros((len(self.developers), len(self.domestic_dcs)))
        for at_home, capacity in self.contract_quarters:  # quarter by quarter, as the money was spent
            contracts += np.outer(at_home, self._site_split(capacity))
        return contracts

    @staticmethod
    def _site_split(capacity: list[float]) -> list[float]:
        """Each site's share of a pool's installed compute, ``capacity`` by site (zeros when the pool has none)."""
        total = sum(capacity)
        return [c / total if total > 0 else 0.0 for c in capacity]

    def _invest_in_compute(self) -> None:
        """Operators buy accelerators for the demand they expect and build power where the grid allows."""
        p, env, t = self.p, self.env, self.t
        gen = int(env.new_gen[t])
        allocation = {
            "domestic": float(env.gpu_supply_h100eq[t]),
            "japan_region": p["hyperscaler_supply_h100eq_per_year"]
            / 4
            * (p["gpu_shock_supply_factor"] if env.gpu_shock[t] else 1.0),  # export controls cut every buyer
        }
        grid_room = None  # each region's room for new connections: worked out when a pool first needs power
        self.accelerator_spend_jpy_bn = 0.0
        for k in POOLS:
            dcs = self.pools[k]
            soon_hours = investment.forecast(self.demand_history[k], investment.CHIP_LEAD_QUARTERS)
            fleet = sum([c.h100eq_with_orders for c in dcs])  # installed and on order
            wanted = investment.capacity_h100eq(soon_hours, p["target_utilisation"]) - fleet
            if k == "domestic" and env.domestic_accelerator[t] and p["domestic_accelerator_share"] > 0:
                share = p["domestic_accelerator_share"]
                _, spent = investment.buy_accelerators(
                    dcs,
                    share * wanted,
                    env.domestic_gen,
                    env.domestic_accelerator_supply_h100eq,
                    0.0,
                    self._expected_price(k, soon_hours, fleet),
                )
                self.accelerator_spend_jpy_bn += spent
                wanted *= 1 - share
                fleet = sum([c.h100eq_with_orders for c in dcs])  # with the domestic chips just ordered
            # A new chip is worth the price the pool is expected to fetch when it arrives, with it installed.
            market, spent = investment.buy_accelerators(
                dcs,
                wanted,
                gen,
                allocation[k],
                p["gpu_supply_price_elasticity"],
                self._expected_price(k, soon_hours, fleet),
            )
            self.chip_market[k] = market
            self.accelerator_spend_jpy_bn += spent
            if market.price_ratio > 1.2:
                self.event(f"accelerators for the {k} pool cost {market.price_ratio:.1f}x list")
            later_hours = investment.forecast(self.demand_history[k], p["build_lag_quarters"])
            later = investment.capacity_h100eq(later_hours, p["target_utilisation"])
            need = investment.power_needed_mw(dcs, later, gen)
            if need <= 0:  # most quarters: built and committed power suffice
                continue
            if grid_room is None:  # nothing has been planned yet this quarter: the room is the limit less the plans
                grid_room = self.grid_limit_mw[t] - self.committed_by_region()
            # A MW is worth what its chips will fetch when it is built, with the fleet as ordered.
            fleet = sum([c.h100eq_with_orders for c in dcs])
            build_price = self._expected_price(k, later_hours, fleet)(0.0)
            for c, mw in investment.build_power(dcs, need, grid_room, build_price, p["expansion_step_mw"]):
                self.event(f"{c.name}: {mw:,.0f} MW build started")
            if max((grid_room[c.region] for c in dcs), default=0.0) < 1.0:
                self.event(f"{k} pool: {need:,.0f} MW wanted but the grid has no room")

    def _expected_price(self, pool: str, demand_hours: float, fleet_h100eq: float) -> Callable[[float], float]:
        """What ``pool``'s GPU-hours will fetch with ``demand_hours`` a quarter and a fleet (installed and on order)."""
        target, elasticity = self.p["target_utilisation"], self.p["gpu_price_utilisation_elasticity"]
        return investment.expected_price(self.base_price[pool], demand_hours, fleet_h100eq, target, elasticity)

    def _release_models(self) -> None:
        released = [f"{d.key} {d.capability:.1f}" for d in self.developers if d.release_model()]
        if released:
            self.event(f"new domestic models (capability): {', '.join(released)}")

    def _run_data_and_talent_programmes(self) -> None:
        gov, p, t = self.government, self.p, self.t
        self.data_stock_btokens += (
            gov.pay("data", gov.allowance("data"), "data_programme") / p["data_cost_jpy_bn_per_btoken"]
        )
        talent = gov.pay("talent", gov.allowance("talent"), "talent_programme")
        self.talent_arrivals[t + p["talent_lag_quarters"]] += talent * 1000 / p["talent_cost_jpy_mn_per_researcher"]
        # NumPy's exp (math's rounds differently), the pool kept a Python float: developers' pay reads it.
        drain = p["brain_drain_rate_per_year"] * float(np.exp(-4 * talent / p["talent_drain_scale_jpy_bn"]))
        self.talent_pool = self.talent_pool * float(np.exp(-drain / 4)) + self.talent_arrivals[t]

    # --- derived state ---------------------------------------------------------------------------------
    @property
    def talent_factor(self) -> float:
        """Effective-compute multiplier from the researcher pool relative to FY2026."""
        return (self.talent_pool / self.p["researchers_initial"]) ** self.p["talent_elasticity"]

    @property
    def data_factor(self) -> float:
        """Effective-compute multiplier from the Japanese data stock relative to FY2026."""
        return (self.data_stock_btokens / self.p["data_stock_initial_btokens"]) ** self.p["data_elasticity"]

    @property
    def japanese_domestic(self) -> float:
        """Japanese proficiency of domestic models: the gap to 1 shrinks as the data stock grows."""
        p = self.p
        ratio = p["data_stock_initial_btokens"] / self.data_stock_btokens
        return 1 - (1 - p["japanese_proficiency_domestic_initial"]) * ratio ** p["data_proficiency_elasticity"]

    @property
    def world_gpu_hour_price(self) -> float:
        """GPU-hour price abroad today (¥ per H100-hour): the 2026 dollar price, today's yen, cheaper chips."""
        return float(self.env.world_gpu_hour_price_jpy[self.t])

    def committed_by_region(self) -> np.ndarray:
        """Built and planned data-centre MW in each region."""
        mw = [0.0] * len(self.env.regions)
        for c in self.datacentres:
            mw[c.region] += c.committed_mw
        return np.array(mw)

    @staticmethod
    def support_share(dcs: list[DataCentre]) -> float:
        """Share of the capex behind the sites' working fleet that subsidies and tax credits paid."""
        capex = sum([c.capex_book_jpy_bn for c in dcs])
        return sum([c.support_book_jpy_bn for c in dcs]) / capex if capex > 0 else 0.0

    @property
    def domestic_eflops(self) -> float:
        """Installed AI compute in Japan (dense BF16 EFLOPS)."""
        return self.eflops(self.datacentres)

    def eflops(self, dcs: list[DataCentre]) -> float:
        """Installed AI compute of the sites ``dcs`` (dense BF16 EFLOPS)."""
        return sum([c.tflops for c in dcs]) / 1e6

    @property
    def best_domestic_capability(self) -> float:
        """Capability of the best domestic model (frontier - 30 when there is none)."""
        if not self.developers:
            return float(self.env.frontier_capability[self.t]) - 30.0
        return max([d.capability for d in self.developers])

    @property
    def domestic_revenue_jpy_bn(self) -> float:
        """Domestic developers' revenue this quarter."""
        return sum([d.revenue_jpy_bn for d in self.developers])

    def peer_sample(self, n_nodes: int = 60) -> Any:
        """A small sample of the user peer network (networkx graph) for pictures."""
        return networks.peer_sample(self.peer_adjacency, n_nodes, np.random.default_rng(0))

    def supply_network(self) -> Any:
        """The supply network: grants and compute contracts (networkx DiGraph)."""
        return networks.supply_network(self)

    # --- outcomes --------------------------------------------------------------------------------------
    def _record(self, flows: dict[str, float]) -> None:
        self.run_record.add(self, flows)

    @property
    def record(self) -> dict[str, Any]:
        """The latest quarter's record: every column's value (before the first step, the run's start)."""
        return self.run_record.latest()

    def events_in(self, t: int) -> list[str]:
        """What happened in quarter ``t``, in order."""
        found = []
        for q, text in reversed(self.events):  # noted in time order: the latest quarter is at the end
            if q < t:
                break
            if q == t:
                found.append(text)
        return found[::-1]

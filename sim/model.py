"""SovereignAIModel: Japan's sovereign-AI ecosystem as a Mesa model (one step = one fiscal quarter)."""

from __future__ import annotations

from functools import partial
from typing import Any

import mesa
import numpy as np

from agents.datacentre import DataCentre
from agents.developer import DomesticDeveloper
from agents.foreign import ForeignProvider
from agents.government import Government, grant_weights
from agents.user import (
    DOMESTIC,
    GENERAL,
    IN_JAPAN,
    Offers,
    UserAgent,
    UserPopulation,
    choice_probabilities,
    offer_utilities,
)
from sim import markets, networks, population
from sim.data import table
from sim.environment import QUARTER_HOURS, Environment, quarter_label
from sim.outcomes import quarter_outcomes
from sim.params import resolve

FY2030_LAST_QUARTER = 19  # FY2030Q4, the end of the AI Basic Plan's five years
PRICE_TIGHTNESS_NO_CAPACITY = 4.0  # with no compute at all, the price sits at its upper bound


def _recorded(model: SovereignAIModel, key: str) -> Any:
    """DataCollector reporter: one entry of the quarter's record (used through a picklable partial)."""
    return model.record[key]


class SovereignAIModel(mesa.Model):
    """Agent-based model of a national AI ecosystem: government, developers, providers, data centres, users.

    Args:
        rng: Seed or numpy Generator; all randomness comes from ``self.rng``.
        **params: Parameter overrides by name (see ``sovai params``); everything else is the default.

    Raises:
        ParameterError: an unknown parameter, a value out of range or shares that do not sum to 1.

    """

    def __init__(self, *, rng: Any = None, **params: Any) -> None:
        super().__init__(rng=rng)
        self.p = resolve(params)
        p = self.p
        self.env = Environment(p, self.rng)
        self.government = Government(self)
        self.developers = (
            [] if p["single_provider"] else [DomesticDeveloper(self, row) for row in table("developers").itertuples()]
        )
        roster = table("foreign_providers")
        enabled = roster["enabled_by_default"].astype(bool) | (
            (roster["id"] == "cn_open") & p["chinese_provider_enabled"]
        )
        if p["single_provider"]:
            enabled = roster["id"] == "us_frontier"
        self.foreign = [ForeignProvider(self, row) for row in roster[enabled].itertuples()]
        self.datacentres = [
            DataCentre(self, row, self.env.regions.index(row.region)) for row in table("datacentres").itertuples()
        ]
        self.domestic_dcs = [c for c in self.datacentres if not c.foreign_owned]
        self.foreign_dcs = [c for c in self.datacentres if c.foreign_owned]
        self.providers = [*self.developers, *self.foreign]
        self.provider_names = [a.key for a in self.providers]
        self.hosting = np.array([DOMESTIC] * len(self.developers) + [f.hosting for f in self.foreign])

        arrays, names = population.build(p, self.rng)
        initial = arrays.pop("initial_adopter")
        self.sector_names, self.size_names = names["sector"], names["size"]
        adjacency = networks.peer_adjacency(arrays["sector"], arrays["region"], p, self.rng)
        self.peer_adjacency = adjacency
        self.population = UserPopulation(arrays, networks.row_normalised(adjacency), p, self.rng)
        population.create_agents(self, UserAgent, self.population.n)

        self.talent_pool = p["researchers_initial"]
        self.talent_arrivals = np.zeros(p["quarters"] + p["talent_lag_quarters"] + 1)
        self.data_stock_btokens = p["data_stock_initial_btokens"]
        self.compute_contracts_jpy_bn = np.zeros((len(self.developers), len(self.domestic_dcs)))
        region_committed = np.bincount(
            [c.region for c in self.datacentres],
            [c.committed_mw for c in self.datacentres],
            len(self.env.regions),
        )
        self.grid_limit_mw = region_committed[None, :] + self.env.grid_headroom_mw
        self.tightness = p["target_utilisation"]  # last quarter's GPU demand over capacity (domestic pool)
        self.hosted_tightness = p["target_utilisation"]
        self.unmet_compute_share = 0.0
        self.inference_shortage = 0.0
        self.gpu_orders_unfilled_share = 0.0
        self.domestic_user_spend_jpy_bn = 0.0  # last quarter's; sets the adoption subsidy rate
        self._update_offers()
        self.population.seed_adopters(initial, self.offers, self.rng)
        spend = self._spend_tensor()
        self.domestic_user_spend_jpy_bn = spend[:, :, self.hosting == DOMESTIC].sum()
        self.record: dict[str, Any] = {}
        self._record(spend=spend, flows={})
        self.datacollector = mesa.DataCollector(model_reporters={k: partial(_recorded, key=k) for k in self.record})

    # --- the quarter ----------------------------------------------------------------------------------
    def step(self) -> None:
        """One fiscal quarter: money in, users choose, compute is bought and built, models are released."""
        if self.steps > self.p["quarters"]:
            raise RuntimeError(
                f"the run has reached its horizon of {self.p['quarters']} quarters; "
                "make a new model with a larger `quarters` to simulate further"
            )
        self.government.begin_quarter()
        self._update_world()
        self._fund_developers()
        spend, flows = self._users_choose_and_pay()
        flows |= self._clear_compute_market(spend)
        self._invest_in_compute()
        for d in self.developers:
            d.release_model()
        self._run_data_and_talent_programmes()
        self._record(spend, flows)
        self.datacollector.collect(self)
        self.running = self.steps < self.p["quarters"]

    @property
    def t(self) -> int:
        """Index of the current quarter (0 = FY2026Q1; also 0 before the first step)."""
        return max(self.steps - 1, 0)

    # --- the parts of a quarter, in order ------------------------------------------------------------
    def _update_world(self) -> None:
        for c in self.datacentres:
            c.complete_builds()
            c.retire()
        self._update_offers()

    def _update_offers(self) -> None:
        """Providers' offers for this quarter (users see them when they choose)."""
        p, t = self.p, self.t
        for f in self.foreign:
            f.update()
        gen = self.env.gens[self.env.new_gen[t]]
        energy = gen.watts / gen.h100_eq * p["pue"] / 1000 * self.env.electricity_jpy_per_kwh[t]
        world_price = self.world_gpu_hour_price
        self.base_price = markets.gpu_hour_base_price(
            world_price, p["gpu_hour_capex_cost_share"], self.fleet_support_share, energy
        )
        self.price_jpy_per_hour = markets.gpu_hour_price(
            self.base_price, self.tightness, p["target_utilisation"], p["gpu_price_utilisation_elasticity"]
        )
        # Domestic serving costs follow the world's technology and the yen like foreign prices do, scaled
        # by how dear GPU-hours are in Japan relative to the world price of the day.
        cost_path = self.env.foreign_price_usd[t] * self.env.fx[t] / self.env.fx[0]
        for d in self.developers:
            d.set_offer(self.japanese_domestic, cost_path * self.price_jpy_per_hour / world_price)
        allowance = self.government.allowance("adoption")
        spend = self.domestic_user_spend_jpy_bn
        self.adoption_subsidy_rate = min(
            p["adoption_subsidy_max_rate"],
            allowance / spend if spend > 0 else (p["adoption_subsidy_max_rate"] if allowance > 0 else 0.0),
        )
        price = np.array([a.price for a in self.providers])
        price[self.hosting == DOMESTIC] *= 1 - self.adoption_subsidy_rate
        self.offers = Offers(
            names=self.provider_names,
            capability=np.array([a.capability for a in self.providers]) - self.env.frontier_capability[t],
            japanese=np.array([a.japanese for a in self.providers]),
            price=price,
            hosting=self.hosting,
            available=np.array([getattr(a, "available", True) for a in self.providers]),
            disruption_record=np.array([getattr(a, "disruption_record", 0.0) for a in self.providers]),
            shortage=np.where(self.hosting == DOMESTIC, self.inference_shortage, 0.0),
        )

    def _fund_developers(self) -> None:
        weights = grant_weights(self.developers, self.p)
        budget = self.government.allowance("rnd") if self.developers else 0.0
        for d, w in zip(self.developers, weights, strict=False):
            d.raise_capital(self.government.pay("rnd", budget * w, d.key))

    def _users_choose_and_pay(self) -> tuple[np.ndarray, dict[str, float]]:
        """Users adopt and choose; their bills, the adoption subsidy, procurement and exports are paid."""
        gov, p = self.government, self.p
        self.population.step(self.offers, self.env.spend_growth[self.t], self.rng)
        spend = self._spend_tensor()
        by_provider = spend.sum(axis=(0, 1))
        dom = self.hosting == DOMESTIC
        self.domestic_user_spend_jpy_bn = by_provider[dom].sum()
        util = offer_utilities(self.offers, p)[GENERAL]
        procurement = gov.allowance("procurement") if self.developers else 0.0
        nest, lam = self.offers.nest, p["nest_lambda"]
        proc_share = choice_probabilities(util[dom], nest[dom], lam) if dom.any() else np.zeros(0)
        export_share = np.zeros(len(self.developers))
        if p["export_partnership"] and dom.any():  # partner markets do not value Japanese proficiency
            export_share = choice_probabilities(util - p["beta_japanese"] * self.offers.japanese, nest, lam)[dom]
        export_market = p["export_market_jpy_bn_per_year"] / 4 * self.env.spend_growth[self.t]
        for i, d in enumerate(self.developers):
            gov.pay("adoption", self.adoption_subsidy_rate * by_provider[i], d.key)  # part of the user's bill
            bought = gov.pay("procurement", procurement * proc_share[i], d.key)
            d.book_revenue(by_provider[i] + bought + export_market * export_share[i])
        return spend, {"exports": export_market * float(export_share.sum())}

    def _clear_compute_market(self, spend: np.ndarray) -> dict[str, float]:
        """Clear the GPU-hour markets.

        Domestic operators serve domestic developers: inference first, then training and grant-funded
        compute. Foreign hyperscalers' Japan regions serve Japan-hosted foreign AI; what they cannot
        serve runs abroad.
        """
        gov, p, price = self.government, self.p, self.price_jpy_per_hour
        grants = gov.allowance("compute_grants") * grant_weights(self.developers, p) if self.developers else []
        training = np.array([d.training_bid_jpy_bn for d in self.developers])
        inference = np.array([d.inference_bid_jpy_bn for d in self.developers])
        hours = 1e9 / price
        dom = self._clear_pool(self.domestic_dcs, inference.sum() * hours, (training.sum() + np.sum(grants)) * hours)
        fill_first, fill = dom["fills"]
        self.tightness, self.inference_shortage = dom["tightness"], 1 - fill_first
        self.unmet_compute_share = dom["unmet"]
        hosted = spend[:, :, self.hosting == IN_JAPAN].sum() * (1 - p["hosted_in_japan_deficit_share"])
        foreign = self._clear_pool(self.foreign_dcs, hosted * hours, 0.0)
        self.hosted_tightness = foreign["tightness"]
        offshore = (1 - fill) * training * p["offshore_compute_share"]  # public grants stay in Japan
        for i, d in enumerate(self.developers):
            grant_paid = gov.pay("compute_grants", fill * grants[i], d.key)
            bought = (fill * training[i] + grant_paid) * hours + offshore[i] * 1e9 / self.world_gpu_hour_price
            d.train(bought, fill * training[i] + offshore[i], grant_paid)
            d.cash_jpy_bn -= fill_first * inference[i]
            self.compute_contracts_jpy_bn[i] += (fill * training[i] + fill_first * inference[i] + grant_paid) * dom[
                "split"
            ]
        self.demand_at_base_hours = {
            "domestic": dom["demand"] * price / self.base_price,
            "foreign": foreign["demand"] * price / self.base_price,
        }
        return {"compute_imports": float(offshore.sum()), "hosted_offshore": (1 - foreign["fills"][0]) * hosted}

    def _clear_pool(self, dcs: list[DataCentre], first: float, second: float) -> dict[str, Any]:
        """Serve ``first`` (hours) before ``second`` from the pool's capacity net of background use.

        Every site sells in proportion to its capacity.
        """
        p = self.p
        capacity = np.array([c.h100eq for c in dcs]) * QUARTER_HOURS
        total = capacity.sum()
        background = p["background_gpu_demand_share"] * total
        fill_first = markets.ration(first, total - background)
        fill_second = markets.ration(second, total - background - fill_first * first)
        sold = background + fill_first * first + fill_second * second
        split = capacity / total if total > 0 else np.zeros(len(dcs))
        for c, share in zip(dcs, split, strict=False):
            c.sell(sold * share, self.price_jpy_per_hour)
        demand = first + second
        return {
            "fills": (fill_first, fill_second),
            "split": split,
            "demand": demand,
            "tightness": (background + demand) / total if total > 0 else PRICE_TIGHTNESS_NO_CAPACITY,
            "unmet": max(0.0, 1 - (sold - background) / demand) if demand > 0 else 0.0,
        }

    def _invest_in_compute(self) -> None:
        """Order accelerators for demand operators cannot serve; plan builds where power runs short.

        Domestic operators buy from the world's supply to Japan (and the domestic chip); foreign
        hyperscalers bring chips from their global fleets.
        """
        p, env, t = self.p, self.env, self.t
        gen = int(env.new_gen[t])
        supply = (
            env.gpu_supply_h100eq[t] * (self.price_jpy_per_hour / self.base_price) ** p["gpu_supply_price_elasticity"]
        )
        dom_share = p["domestic_accelerator_share"] if env.domestic_accelerator[t] else 0.0
        self.gpu_orders_unfilled_share = self._order_chips(
            self.domestic_dcs, self.demand_at_base_hours["domestic"], gen, supply, dom_share
        )
        hyperscaler_supply = p["hyperscaler_supply_h100eq_per_year"] / 4
        self._order_chips(self.foreign_dcs, self.demand_at_base_hours["foreign"], gen, hyperscaler_supply, 0.0)
        for c in self.domestic_dcs:
            self._maybe_build(c, self.tightness)
        for c in self.foreign_dcs:
            self._maybe_build(c, self.hosted_tightness)

    def _order_chips(
        self,
        dcs: list[DataCentre],
        demand_hours: float,
        gen: int,
        supply: float,
        dom_share: float,
    ) -> float:
        """Fill the pool's capacity gap where a chip pays for itself; return the unfilled share of orders."""
        p, env = self.p, self.env
        capacity = sum(c.h100eq for c in dcs) * QUARTER_HOURS
        wanted = demand_hours / max(p["target_utilisation"] - p["background_gpu_demand_share"], 0.05)
        gap = max(0.0, wanted - capacity) / QUARTER_HOURS
        keen = [
            c
            for c in dcs
            if c.free_slots(gen) > 0 and c.chip_npv_jpy_bn(gen, self.price_jpy_per_hour, c.subsidy_rate()) > 0
        ]
        free = np.array([c.free_slots(gen) * env.gens[gen].h100_eq for c in keen])
        if free.sum() <= 0 or gap <= 0:
            return 0.0
        orders = np.minimum(free, gap * free / free.sum())
        fill = {
            gen: markets.ration((1 - dom_share) * orders.sum(), supply),
            env.domestic_gen: markets.ration(dom_share * orders.sum(), env.domestic_accelerator_supply_h100eq),
        }
        for c, order in zip(keen, orders, strict=True):
            for g, eq in (
                (gen, (1 - dom_share) * fill[gen] * order),
                (env.domestic_gen, dom_share * fill[env.domestic_gen] * order),
            ):
                if eq > 0:
                    c.install(g, eq / env.gens[g].h100_eq)
        return 1 - fill[gen]

    def _maybe_build(self, c: DataCentre, tightness: float) -> None:
        """Plan a build when the site is nearly full, demand presses and the NPV is positive."""
        p = self.p
        full = c.power_used_mw >= 0.85 * c.built_mw
        pressed = tightness >= p["expansion_utilisation_threshold"]
        if not (full and pressed and not c.pipeline):
            return
        if c.build_npv_jpy_bn(self.price_jpy_per_hour, c.subsidy_rate()) <= 0:
            return
        committed = sum(d.committed_mw for d in self.datacentres if d.region == c.region)
        mw = min(p["expansion_step_mw"], self.grid_limit_mw[self.t, c.region] - committed)
        if mw >= 1.0:
            c.plan_build(mw)

    def _run_data_and_talent_programmes(self) -> None:
        gov, p, t = self.government, self.p, self.t
        self.data_stock_btokens += (
            gov.pay("data", gov.allowance("data"), "data_programme") / p["data_cost_jpy_bn_per_btoken"]
        )
        talent = gov.pay("talent", gov.allowance("talent"), "talent_programme")
        self.talent_arrivals[t + p["talent_lag_quarters"]] += talent * 1000 / p["talent_cost_jpy_mn_per_researcher"]
        drain = p["brain_drain_rate_per_year"] * np.exp(-4 * talent / p["talent_drain_scale_jpy_bn"])
        self.talent_pool = self.talent_pool * np.exp(-drain / 4) + self.talent_arrivals[t]

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
        """GPU-hour price abroad today (¥ per H100-hour): the 2026 dollar price, the yen, cheaper chips."""
        return self.p["gpu_hour_price_usd_2026"] * self.env.fx[self.t] * self.env.gpu_cost_index[self.t]

    @property
    def fleet_support_share(self) -> float:
        """Share of the domestic fleet's capex paid by subsidies and tax credits."""
        capex = sum(c.capex_jpy_bn for c in self.datacentres)
        return sum(c.support_jpy_bn for c in self.datacentres) / capex if capex > 0 else 0.0

    @property
    def domestic_eflops(self) -> float:
        """Installed AI compute in Japan (dense BF16 EFLOPS)."""
        return self.eflops(self.datacentres)

    def eflops(self, dcs: list[DataCentre]) -> float:
        """Installed AI compute of the sites ``dcs`` (dense BF16 EFLOPS)."""
        tflops = np.array([g.tflops for g in self.env.gens])
        return sum(float(c.gpus @ tflops) for c in dcs) / 1e6

    @property
    def best_domestic_capability(self) -> float:
        """Capability of the best domestic model (frontier - 30 when there is none)."""
        if not self.developers:
            return float(self.env.frontier_capability[self.t]) - 30.0
        return max(d.capability for d in self.developers)

    @property
    def domestic_revenue_jpy_bn(self) -> float:
        """Domestic developers' revenue this quarter."""
        return sum(d.revenue_jpy_bn for d in self.developers)

    def _spend_tensor(self) -> np.ndarray:
        return self.population.spend_by(len(self.providers), len(self.sector_names))

    def peer_sample(self, n_nodes: int = 60) -> Any:
        """A small sample of the user peer network (networkx graph) for pictures."""
        return networks.peer_sample(self.peer_adjacency, n_nodes, np.random.default_rng(0))

    def supply_network(self) -> Any:
        """The supply network: grants and compute contracts (networkx DiGraph)."""
        return networks.supply_network(self)

    # --- outcomes --------------------------------------------------------------------------------------
    def _record(self, spend: np.ndarray, flows: dict[str, float]) -> None:
        self.record = {"quarter": quarter_label(self.t), **quarter_outcomes(self, spend, flows)}

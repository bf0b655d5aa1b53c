"""What the model reports each quarter: the time-series columns (flows annualised, stocks at quarter end)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from agents.government import AWARD
from agents.user import ABROAD, DOMESTIC, IN_JAPAN, OPEN_DOMESTIC, SENSITIVE_BOUND, SENSITIVE_FREE, adopter_totals
from sim import service
from sim.environment import QUARTER_HOURS, quarter_label
from sim.networks import concentration
from sim.params import PROGRAMMES

if TYPE_CHECKING:
    from sim.model import SovereignAIModel

#: The column of each programme's cumulative spending.
SPENT_COLUMNS: dict[str, str] = {prog: f"spent_{prog}_jpy_bn" for prog in PROGRAMMES}
#: Fixed columns (always present) with their meaning; per-provider and per-sector columns follow them.
COLUMNS: dict[str, str] = {
    "quarter": "fiscal quarter, e.g. FY2026Q1",
    "adoption_rate": "share of enterprises using AI (weighted by the enterprises each agent stands for)",
    "domestic_share": "share of enterprises' AI spend served by domestic models",
    "domestic_user_share": "share of adopting enterprises whose general AI work runs on a domestic provider",
    "sovereign_share_regulated": "share of regulated sectors' served AI work that ran in Japan (domestic models, "
    "open-weight models on domestic infrastructure, foreign models in a Japan region that had room)",
    "domestic_share_regulated": "share of regulated sectors' served AI spend going to domestic models",
    "abroad_share_sensitive": "share of regulated sectors' served sensitive AI work that ran abroad",
    "digital_deficit_ai_jpy_bn": "AI part of the digital deficit (foreign AI served from abroad, the foreign part "
    "of Japan-hosted and open-weight AI, training compute rented abroad and at foreign Japan regions, less AI "
    "exports), ¥bn a year",
    "digital_deficit_total_jpy_bn": "digital deficit, non-AI base plus AI part, ¥bn a year",
    "foreign_ai_spend_jpy_bn": "enterprises' spend on foreign AI (abroad, Japan-hosted, open-weight and work "
    "rerouted abroad), ¥bn a year",
    "ai_exports_jpy_bn": "domestic developers' revenue from partner markets abroad, ¥bn a year",
    "compute_imports_jpy_bn": "training compute rented abroad plus the foreign part of rent at Japan regions, "
    "¥bn a year",
    "domestic_compute_eflops": "AI compute installed in Japan, dense BF16 EFLOPS",
    "domestic_operator_eflops": "AI compute in Japan run by domestic operators (foreign hyperscalers' regions "
    "excluded), EFLOPS",
    "gpus_installed": "accelerators installed in Japan (chips, all generations)",
    "dc_power_mw": "built AI data-centre power capacity, MW",
    "dc_power_pipeline_mw": "AI data-centre capacity under construction, MW",
    "dc_power_draw_mw": "average power drawn by AI data centres, MW",
    "dc_power_used_mw": "power the installed accelerators would draw at full load (servers, network, cooling), MW; "
    "compute can only grow while this is below built capacity",
    "electricity_gwh": "electricity used by AI data centres, GWh a year (annualised quarter)",
    "co2_mt": "CO2 from that electricity, Mt a year",
    "best_domestic_capability": "capability of the best domestic model (10 points = 10x effective compute)",
    "frontier_capability": "capability of the global frontier model",
    "capability_gap": "frontier minus best domestic capability, points",
    "japanese_proficiency_domestic": "Japanese proficiency of the best-scoring domestic model (0-1)",
    "domestic_ai_revenue_jpy_bn": "domestic developers' revenue for service delivered (users, procurement, "
    "exports), ¥bn a year",
    "private_investment_jpy_bn": "private capital into domestic developers, ¥bn a year",
    "budget_appropriated_jpy_bn": "public AI budget appropriated so far, ¥bn (cumulative)",
    "budget_spent_jpy_bn": "public AI budget spent so far, ¥bn (cumulative)",
    "budget_unspent_jpy_bn": "appropriated money still available, ¥bn",
    "budget_lapsed_jpy_bn": "appropriated money that lapsed unspent, ¥bn (cumulative)",
    **{
        column: f"budget spent on the {prog.replace('_', ' ')} programme, ¥bn (cumulative)"
        for prog, column in SPENT_COLUMNS.items()
    },
    "tax_expenditure_jpy_bn": "revenue forgone through the investment tax credit, ¥bn (cumulative, off-budget)",
    "unmet_compute_demand_share": "share of GPU-hour demand in Japan's pools that could not be served",
    "gpu_hour_price_jpy": "domestic operators' GPU-hour price, ¥ per H100-hour",
    "gpu_orders_unfilled_share": "share of the accelerators domestic operators wanted that they did not buy "
    "because they no longer paid at the market price",
    "adoption_subsidy_rate": "share of a domestic AI bill paid by the adoption programme",
    "researchers": "foundation-model researchers in Japan",
    "data_stock_btokens": "high-quality Japanese training data, bn tokens",
    "compute_hhi": "concentration of installed compute across data-centre sites (HHI, 0-1)",
    "foreign_outage": "1 in a quarter with a foreign disruption",
    # --- added in model v2 -------------------------------------------------------------------------------
    "ai_spend_jpy_bn": "enterprises' AI spend booked to the providers they chose (at list prices), ¥bn a year",
    "domestic_ai_volume_jpy26_bn": "volume of AI served by domestic models, ¥bn a year at FY2026 prices",
    "foreign_ai_volume_jpy26_bn": "volume of AI served by foreign models (all hosting modes), ¥bn a year at "
    "FY2026 prices",
    "foreign_price_index": "yen price of the cheapest foreign AI served from abroad (FY2026 list price at ¥150/$ "
    "= 1; 0 when none is offered)",
    "domestic_price_index": "yen price users pay for domestic AI after the adoption subsidy, spend-weighted (same "
    "units; 0 when none is offered)",
    "domestic_volume_share": "share of the volume of AI served (at FY2026 prices) that domestic models served",
    "domestic_infra_share": "share of served AI spend that ran on infrastructure in Japan (any model)",
    "open_weight_share": "share of served AI spend on foreign open-weight models run in Japan",
    "unmet_ai_demand_jpy_bn": "AI demand no provider served (Japan's pools full and no way abroad), ¥bn a year",
    "unmet_sensitive_share": "share of regulated sectors' rule-bound sensitive AI work left unserved",
    "rerouted_abroad_jpy_bn": "AI work chosen on a Japan-run offer that ran abroad because Japan's pools were "
    "full, ¥bn a year",
    "offshore_compute_spend_jpy_bn": "training compute domestic developers rented abroad, ¥bn a year",
    "accelerator_imports_jpy_bn": "accelerators bought from abroad (goods trade, outside the digital deficit), "
    "¥bn a year",
    "gpu_price_ratio": "price paid for accelerators over list price (1 = a normal market)",
    "japan_region_gpu_hour_price_jpy": "foreign hyperscalers' Japan-region GPU-hour price, ¥ per H100-hour",
    "utilisation_domestic": "GPU-hours sold over capacity, domestic operators",
    "grid_headroom_mw": "new grid connections still open to AI data centres, MW (all regions)",
    "champion_award_jpy_bn": "foundation-model award paid to the national champion, ¥bn (cumulative, own line)",
    "champion_award_withheld_jpy_bn": "award tranches withheld by yearly reviews, ¥bn (cumulative)",
    "fx_jpy_per_usd": "exchange rate, ¥ per $",
}


#: Columns of the record's split of the quarter's AI spend (:func:`spend_by_cell`): work that ran abroad
#: (served by providers abroad, or rerouted there), work that ran in Japan, work domestic models served,
#: work rerouted abroad, work left unmet.
RAN_ABROAD, RAN_IN_JAPAN, DOMESTIC_MODELS, REROUTED, UNMET = range(5)


class RecordLayout:
    """What the quarter's record reads that is fixed over a run, worked out once when the model is made.

    The providers' hosting modes, the parameters and the enterprises each agent stands for do not
    change during a run; rebuilding masks from them every quarter cost more than the rest of the record.

    Attributes:
        domestic, foreign, abroad, open_weight, domestic_infra: Indices of the providers with domestic
            models, with foreign models (any hosting), served from abroad, foreign open-weight models run
            in Japan, and running on domestic operators' GPU-hours.
        deficit_share: Share of each provider's served spend that counts in the digital deficit.
        split: Matrix, (3 x providers, 5): a (sector, slice) cell's served, rerouted and unmet spend by
            provider, side by side, times ``split`` gives its spend in the columns RAN_ABROAD ... UNMET.
        user_columns, adoption_columns, sector_share_columns: Names of the per-provider and per-sector columns.
        columns: Names of the record's columns, in order.
        regulated: Mask of the regulated sectors.
        sector_weight: Enterprises in each sector.
        everyone: Enterprises in all.
    """

    def __init__(self, m: SovereignAIModel) -> None:
        p, hosting = m.p, m.hosting
        modes = hosting.tolist()
        self.domestic = [k for k, h in enumerate(modes) if h == DOMESTIC]
        self.foreign = [k for k, h in enumerate(modes) if h != DOMESTIC]
        self.abroad = [k for k, h in enumerate(modes) if h == ABROAD]
        self.open_weight = [k for k, h in enumerate(modes) if h == OPEN_DOMESTIC]
        self.domestic_infra = np.flatnonzero(m.domestic_infra).tolist()
        deficit_share = {
            IN_JAPAN: p["hosted_in_japan_deficit_share"],
            OPEN_DOMESTIC: p["open_weight_deficit_share"],
            DOMESTIC: 0.0,
            ABROAD: 1.0,
        }
        self.deficit_share = [deficit_share[h] for h in modes]
        served, rerouted, unmet = np.zeros((3, len(modes), 5))
        served[:, RAN_ABROAD] = hosting == ABROAD
        served[:, RAN_IN_JAPAN] = service.hosted(hosting, service.RUNS_IN_JAPAN)
        served[:, DOMESTIC_MODELS] = hosting == DOMESTIC
        rerouted[:, RAN_ABROAD] = rerouted[:, REROUTED] = 1.0  # whichever provider it was booked to
        unmet[:, UNMET] = 1.0
        self.split = np.concatenate((served, rerouted, unmet))
        self.user_columns = [f"users_{name}" for name in m.provider_names]
        self.adoption_columns = [f"adoption_{sector}" for sector in m.sector_names]
        self.sector_share_columns = [f"domestic_share_{sector}" for sector in m.sector_names]
        by_sector = [c for pair in zip(self.adoption_columns, self.sector_share_columns, strict=True) for c in pair]
        self.columns = [*COLUMNS, *self.user_columns, *by_sector, "events"]
        sector_weight, self.regulated = m.population.sector_totals(len(m.sector_names))
        self.sector_weight = sector_weight.tolist()
        self.everyone = sum(self.sector_weight)


def booked_side_by_side(delivery: service.Delivery, *more: np.ndarray) -> np.ndarray:
    """A quarter's served, rerouted and unmet spend by provider, then ``more``, side by side on the last axis."""
    return np.concatenate((delivery.served, delivery.rerouted, delivery.unmet, *more), axis=-1)


def spend_by_cell(booked: np.ndarray, layout: RecordLayout) -> np.ndarray:
    """AI spend by sector and slice, split by where it went: shape (..., sectors, slices, 5).

    One matrix product gives every split the record needs (the columns RAN_ABROAD ... UNMET).

    Args:
        booked: Served, rerouted and unmet spend by provider side by side on the last axis
            (:func:`booked_side_by_side`; further columns after them are ignored), for one quarter or many.
        layout: The run's record layout.
    """
    return booked[..., : len(layout.split)] @ layout.split


def _ran(x: np.ndarray) -> np.ndarray:
    """Spend on work that was served, in Japan or abroad (x's last axis: the columns RAN_ABROAD ... UNMET)."""
    return x[..., RAN_ABROAD] + x[..., RAN_IN_JAPAN]


class _Fleet(NamedTuple):
    """Totals over the data-centre sites, from one pass over them."""

    built_mw: float
    committed_mw: float
    power_used_mw: float
    electricity_gwh: float  # this quarter's
    chips: float
    h100eq: list[float]  # by site


def _fleet(m: SovereignAIModel) -> _Fleet:
    """The sites' totals for the record."""
    built = committed = power_used = electricity = chips = 0.0
    h100eq = []
    for c in m.datacentres:
        built += c.built_mw
        committed += c.committed_mw
        power_used += c.power_used_mw
        electricity += c.electricity_gwh
        chips += c.chips
        h100eq.append(c.h100eq)
    return _Fleet(built, committed, power_used, electricity, chips, h100eq)


#: The names of the quarter's scalar values the record is derived from, in the order :func:`_quarter_values`
#: gives them. Values that are columns as they stand carry their column's name; the others are the
#: inputs of :func:`_columns`.
QUARTER_VALUES: tuple[str, ...] = (
    "exports",
    "offshore_training",
    "region_training",
    "domestic_compute_eflops",
    "domestic_operator_eflops",
    "gpus_installed",
    "dc_power_mw",
    "committed_mw",
    "dc_power_used_mw",
    "electricity_quarter_gwh",
    "best_domestic_capability",
    "japanese_proficiency_domestic",
    "revenue_quarter_jpy_bn",
    "private_in_quarter_jpy_bn",
    "budget_appropriated_jpy_bn",
    "budget_spent_jpy_bn",
    "budget_unspent_jpy_bn",
    "budget_lapsed_jpy_bn",
    *SPENT_COLUMNS.values(),
    "tax_expenditure_jpy_bn",
    "unmet_hours",
    "demand_hours",
    "gpu_hour_price_jpy",
    "gpu_orders_unfilled_share",
    "adoption_subsidy_rate",
    "researchers",
    "data_stock_btokens",
    "compute_hhi",
    "accelerator_spend_jpy_bn",
    "gpu_price_ratio",
    "japan_region_gpu_hour_price_jpy",
    "utilisation_domestic",
    "champion_award_jpy_bn",
    "champion_award_withheld_jpy_bn",
)


def _quarter_values(m: SovereignAIModel, flows: dict[str, float]) -> list[float]:
    """The quarter's scalar values the record is derived from, read at its end, in the order of :data:`QUARTER_VALUES`.

    A list in that order rather than a dict by name: a dict of ~40 entries each quarter cost a
    quarter of the record's reading.
    """
    gov = m.government
    fleet = _fleet(m)
    market = m.chip_market["domestic"]
    pools = m.pool_results.values()
    return [
        flows.get("exports", 0.0),
        flows.get("offshore_training", 0.0),
        flows.get("region_training", 0.0),
        m.domestic_eflops,
        m.eflops(m.domestic_dcs),
        fleet.chips,
        fleet.built_mw,
        fleet.committed_mw,
        fleet.power_used_mw,
        fleet.electricity_gwh,
        m.best_domestic_capability,
        max([d.japanese for d in m.developers]) if m.developers else 0.0,  # (a keyword costs builtin max more)
        m.domestic_revenue_jpy_bn,
        sum([d.private_in_jpy_bn for d in m.developers]),
        gov.appropriated_jpy_bn,
        gov.spent_jpy_bn,
        gov.unspent_jpy_bn,
        gov.lapsed_jpy_bn,
        *[gov.spent[prog] for prog in SPENT_COLUMNS],
        gov.tax_expenditure_jpy_bn,
        sum([r.demand_hours - r.sold_hours for r in pools]),
        sum([r.demand_hours for r in pools]),
        m.price_jpy_per_hour["domestic"],
        market.unfilled_share if market else 0.0,
        m.adoption_subsidy_rate,
        m.talent_pool,
        m.data_stock_btokens,
        concentration(fleet.h100eq),
        m.accelerator_spend_jpy_bn,
        market.price_ratio if market else 1.0,
        m.price_jpy_per_hour["japan_region"],
        m.pool_results["domestic"].utilisation,
        gov.spent[AWARD],
        gov.award_refused_jpy_bn,
    ]


class RunRecord:
    """The run's record: each quarter's raw values, kept as read; the outcome columns derived from them at once.

    Every quarter :meth:`add` keeps what the record is made of (the spend arrays, the adopters, ~40
    scalars); the ~90 columns are worked out by :meth:`columns` for all the quarters asked for in one
    pass of array arithmetic (the same elementwise operations a quarter-by-quarter record would do),
    which costs far less than working them out quarter by quarter.

    The columns read the parameters and world paths when they are worked out, not when the quarter
    ran: a run's parameters must stay as they were set (the model never changes them).

    Args:
        m: The model (read for what is fixed over the run: parameters, paths, providers, sectors).

    Attributes:
        layout: What the record reads that is fixed over the run (:class:`RecordLayout`).
        p, env: The run's parameters and world paths.
        n_providers, n_sectors: Providers and sectors in the run.
        grid_limit_mw: Each quarter's limit of data-centre power by region (the model's, fixed for the run).
    """

    def __init__(self, m: SovereignAIModel) -> None:
        self.layout = RecordLayout(m)
        self.p, self.env = m.p, m.env
        self.n_providers, self.n_sectors = len(m.provider_names), len(m.sector_names)
        self.grid_limit_mw = m.grid_limit_mw
        self._t: list[int] = []
        self._text: list[tuple[str, str]] = []  # quarter label, events
        self._spend: list[np.ndarray] = []  # (sectors, slices, 5 x providers): served, rerouted, unmet, demand, volume
        # Adopters by sector x provider (bin 0: none), the offers' prices and list prices, then the
        # data-centre power built and planned by region (the grid's room is the limit less it).
        self._vectors: list[np.ndarray] = []
        self._values: list[float] = []  # each quarter's scalar values one after the other
        self._last: tuple[int, dict[str, Any]] = (0, {})

    def __len__(self) -> int:
        return len(self._t)

    def add(self, m: SovereignAIModel, flows: dict[str, float]) -> None:
        """Keep the quarter just ended (or, before the first step, the start of the run).

        Args:
            m: The model, at the end of the quarter.
            flows: This quarter's exports and training rent (empty before the first quarter).
        """
        t, d = m.t, m.delivery
        self._t.append(t)
        self._text.append((quarter_label(t), "; ".join(m.events_in(t)) if m.steps > 0 else ""))
        # Copies: the model may reuse its arrays next quarter.
        self._spend.append(booked_side_by_side(d, m.demand, m.volume))
        # The adopters' sector x provider table as it is: its sums are done for all quarters at once.
        adopters = m.population.adopter_table(self.n_providers, self.n_sectors)
        committed = m.committed_by_region()
        self._vectors.append(np.concatenate((adopters.ravel(), m.offers.price, m.offers.list_price, committed)))
        self._values.extend(_quarter_values(m, flows))

    def latest(self) -> dict[str, Any]:
        """The record of the latest quarter kept: every column's value, as a Python float or text."""
        n = len(self)
        if self._last[0] != n:  # quarters are only ever added, so the row of the n-th stays the same
            self._last = (n, {k: v[0] for k, v in self.columns([n - 1], lists=True).items()})
        return self._last[1]

    def columns(self, rows: Sequence[int] | None = None, *, lists: bool = False) -> dict[str, Any]:
        """The record's columns at the kept quarters ``rows`` (all when None), in the record's order.

        Args:
            rows: Indices of the kept quarters (0 = the start of the run, then one per step).
            lists: Give every column as a list (Python floats and text); otherwise the numeric
                columns are float arrays and the text columns lists.
        """
        rows = list(range(len(self))) if rows is None else list(rows)
        text = [self._text[i] for i in rows]
        out: dict[str, Any] = {"quarter": [q for q, _ in text]}
        # fromiter: NumPy's array() works out the shape and type of a list element by element, at a third more cost
        values = np.fromiter(self._values, float, len(self._values)).reshape(len(self), len(QUARTER_VALUES))[rows]
        numbers = _columns(
            self,
            np.array([self._t[i] for i in rows], dtype=int),
            dict(zip(QUARTER_VALUES, values.T, strict=True)),
            np.array([self._spend[i] for i in rows]).reshape(len(rows), *self._spend[0].shape),
            np.array([self._vectors[i] for i in rows]).reshape(len(rows), *self._vectors[0].shape),
        )
        if lists:
            numbers = {k: v.tolist() for k, v in numbers.items()}
        out.update(numbers)
        out["events"] = [e for _, e in text]
        return out


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``part / whole`` where the whole is positive, else 0 (elementwise)."""
    return np.divide(part, whole, out=np.zeros(np.shape(part)), where=whole > 0)


def _columns(
    record: RunRecord, t: np.ndarray, v: dict[str, np.ndarray], spend: np.ndarray, vectors: np.ndarray
) -> dict[str, np.ndarray]:
    """The record's numeric columns (flows annualised) over quarters ``t``, each an array with one value a quarter.

    Args:
        record: The run's record (its layout, parameters and world paths).
        t: Each row's quarter index.
        v: The rows' scalar values by name (:data:`QUARTER_VALUES`), each an array.
        spend: The rows' spend arrays, (rows, sectors, slices, 5 x providers).
        vectors: The rows' adopters by sector x provider (and none), the offers' prices and list prices,
            and the power built and planned by region.
    """
    layout, p, env, n = record.layout, record.p, record.env, record.n_providers
    # Spend by sector and slice, split by where it went (RAN_ABROAD ... UNMET): (rows, sectors, slices, 5).
    cells = spend_by_cell(spend, layout)
    by_sector = cells.sum(axis=2)  # (rows, sectors, 5)
    regulated = cells[:, layout.regulated].sum(axis=1)  # (rows, slices, 5)
    everything = by_sector.sum(axis=1)  # (rows, 5)
    regulated_all = regulated.sum(axis=1)
    sensitive = regulated[:, [SENSITIVE_FREE, SENSITIVE_BOUND]]  # (rows, 2, 5)
    bound = regulated[:, SENSITIVE_BOUND]

    total = _ran(everything)
    rerouted = everything[:, REROUTED]

    # By provider: spend served, spend booked (at list prices) and volume booked (at FY2026 prices).
    by_provider = spend.sum(axis=(1, 2))  # served, rerouted, unmet, demand, volume, side by side
    served, demand, volume = (by_provider[:, k * n : (k + 1) * n] for k in (0, 3, 4))
    volume_served = volume * _share(served, demand)
    domestic, foreign = layout.domestic, layout.foreign
    domestic_demand = demand[:, domestic].sum(axis=1)
    # Slices of the rows' vectors (views, as np.split gives, without its Python-level cost).
    a = record.n_sectors * (n + 1)
    adopters, price, list_price = vectors[:, :a], vectors[:, a : a + n], vectors[:, a + n : a + 2 * n]
    committed = vectors[:, a + 2 * n :]
    users_by_provider, adopters_by_sector = adopter_totals(adopters.reshape(len(t), record.n_sectors, n + 1))

    exports, offshore = v["exports"], v["offshore_training"]
    compute_imports = offshore + p["japan_region_compute_deficit_share"] * v["region_training"]
    deficit_ai = 4 * (served @ np.array(layout.deficit_share) + rerouted + compute_imports - exports)
    adopting = adopters_by_sector.sum(axis=1)
    electricity = v["electricity_quarter_gwh"] * 4
    best = v["best_domestic_capability"]
    frontier = env.frontier_capability[t].astype(float)
    out = {
        "adoption_rate": _share(adopting, np.float64(layout.everyone)),
        "domestic_share": _share(everything[:, DOMESTIC_MODELS], total),
        "domestic_user_share": _share(users_by_provider[:, domestic].sum(axis=1), adopting),
        "sovereign_share_regulated": _share(regulated_all[:, RAN_IN_JAPAN], _ran(regulated_all)),
        "domestic_share_regulated": _share(regulated_all[:, DOMESTIC_MODELS], _ran(regulated_all)),
        "abroad_share_sensitive": _share(sensitive[..., RAN_ABROAD].sum(axis=1), _ran(sensitive).sum(axis=1)),
        "digital_deficit_ai_jpy_bn": deficit_ai,
        "digital_deficit_total_jpy_bn": env.deficit_non_ai_jpy_bn[t] + deficit_ai,
        "foreign_ai_spend_jpy_bn": 4 * (served[:, foreign].sum(axis=1) + rerouted),
        "ai_exports_jpy_bn": 4 * exports,
        "compute_imports_jpy_bn": 4 * compute_imports,
        "domestic_compute_eflops": v["domestic_compute_eflops"],
        "domestic_operator_eflops": v["domestic_operator_eflops"],
        "gpus_installed": v["gpus_installed"],
        "dc_power_mw": v["dc_power_mw"],
        "dc_power_pipeline_mw": v["committed_mw"] - v["dc_power_mw"],
        "dc_power_draw_mw": electricity * 1000 / (4 * QUARTER_HOURS),
        "dc_power_used_mw": v["dc_power_used_mw"],
        "electricity_gwh": electricity,
        "co2_mt": electricity * p["grid_co2_kg_per_kwh"] / 1000,
        "best_domestic_capability": best,
        "frontier_capability": frontier,
        "capability_gap": frontier - best,
        "japanese_proficiency_domestic": v["japanese_proficiency_domestic"],
        "domestic_ai_revenue_jpy_bn": 4 * v["revenue_quarter_jpy_bn"],
        "private_investment_jpy_bn": 4 * v["private_in_quarter_jpy_bn"],
        "budget_appropriated_jpy_bn": v["budget_appropriated_jpy_bn"],
        "budget_spent_jpy_bn": v["budget_spent_jpy_bn"],
        "budget_unspent_jpy_bn": v["budget_unspent_jpy_bn"],
        "budget_lapsed_jpy_bn": v["budget_lapsed_jpy_bn"],
        **{column: v[column] for column in SPENT_COLUMNS.values()},
        "tax_expenditure_jpy_bn": v["tax_expenditure_jpy_bn"],
        "unmet_compute_demand_share": _share(v["unmet_hours"], v["demand_hours"]),
        "gpu_hour_price_jpy": v["gpu_hour_price_jpy"],
        "gpu_orders_unfilled_share": v["gpu_orders_unfilled_share"],
        "adoption_subsidy_rate": v["adoption_subsidy_rate"],
        "researchers": v["researchers"],
        "data_stock_btokens": v["data_stock_btokens"],
        "compute_hhi": v["compute_hhi"],
        "foreign_outage": env.foreign_outage[t].astype(float),
        "ai_spend_jpy_bn": 4 * demand.sum(axis=1),
        "domestic_ai_volume_jpy26_bn": 4 * volume_served[:, domestic].sum(axis=1),
        "foreign_ai_volume_jpy26_bn": 4 * volume_served[:, foreign].sum(axis=1),
        "foreign_price_index": list_price[:, layout.abroad].min(axis=1) if layout.abroad else np.zeros(len(t)),
        "domestic_price_index": _share((price[:, domestic] * demand[:, domestic]).sum(axis=1), domestic_demand),
        "domestic_volume_share": _share(volume_served[:, domestic].sum(axis=1), volume_served.sum(axis=1)),
        "domestic_infra_share": _share(served[:, layout.domestic_infra].sum(axis=1), total),
        "open_weight_share": _share(served[:, layout.open_weight].sum(axis=1), total),
        "unmet_ai_demand_jpy_bn": 4 * everything[:, UNMET],
        # The hosting modes split all served work between Japan and abroad: what ran, plus what did not.
        "unmet_sensitive_share": _share(bound[:, UNMET], _ran(bound) + bound[:, UNMET]),
        "rerouted_abroad_jpy_bn": 4 * rerouted,
        "offshore_compute_spend_jpy_bn": 4 * offshore,
        "accelerator_imports_jpy_bn": 4 * v["accelerator_spend_jpy_bn"],
        "gpu_price_ratio": v["gpu_price_ratio"],
        "japan_region_gpu_hour_price_jpy": v["japan_region_gpu_hour_price_jpy"],
        "utilisation_domestic": v["utilisation_domestic"],
        # the grid connections still open by region (negative where a region is over), summed where open
        "grid_headroom_mw": np.maximum(record.grid_limit_mw[t] - committed, 0.0).sum(axis=1),
        "champion_award_jpy_bn": v["champion_award_jpy_bn"],
        "champion_award_withheld_jpy_bn": v["champion_award_withheld_jpy_bn"],
        "fx_jpy_per_usd": env.fx[t].astype(float),
    }
    # Per provider and per sector: one division for all of them, then a column each.
    users = _share(users_by_provider[:, :n], np.float64(layout.everyone))  # the last: adopters with no provider
    out.update(zip(layout.user_columns, users.T, strict=True))
    sector_adoption = _share(adopters_by_sector, np.array(layout.sector_weight))
    sector_domestic = _share(by_sector[..., DOMESTIC_MODELS], _ran(by_sector))
    for s in range(record.n_sectors):
        out[layout.adoption_columns[s]] = sector_adoption[:, s]
        out[layout.sector_share_columns[s]] = sector_domestic[:, s]
    return out


#: Outcomes in the run summary: column, label, unit, format.
SUMMARY: tuple[tuple[str, str, str, str], ...] = (
    ("adoption_rate", "enterprises using AI", "share", "{:.1%}"),
    ("domestic_share", "AI spend on domestic providers", "share", "{:.1%}"),
    ("domestic_infra_share", "AI spend run on infrastructure in Japan", "share", "{:.1%}"),
    ("sovereign_share_regulated", "regulated AI work run in Japan", "share", "{:.1%}"),
    ("unmet_sensitive_share", "rule-bound sensitive work left unserved", "share", "{:.1%}"),
    ("digital_deficit_ai_jpy_bn", "digital deficit, AI part", "¥bn/yr", "{:,.0f}"),
    ("digital_deficit_total_jpy_bn", "digital deficit, total", "¥bn/yr", "{:,.0f}"),
    ("best_domestic_capability", "best domestic capability", "points", "{:.1f}"),
    ("capability_gap", "gap to the frontier", "points", "{:.1f}"),
    ("domestic_ai_revenue_jpy_bn", "domestic AI revenue", "¥bn/yr", "{:,.0f}"),
    ("offshore_compute_spend_jpy_bn", "training compute rented abroad", "¥bn/yr", "{:,.0f}"),
    ("domestic_compute_eflops", "AI compute in Japan", "EFLOPS", "{:,.1f}"),
    ("accelerator_imports_jpy_bn", "accelerators bought (goods)", "¥bn/yr", "{:,.0f}"),
    ("dc_power_mw", "AI data-centre capacity", "MW", "{:,.0f}"),
    ("electricity_gwh", "AI data-centre electricity", "GWh/yr", "{:,.0f}"),
    ("unmet_compute_demand_share", "unmet GPU-hour demand", "share", "{:.1%}"),
    ("budget_spent_jpy_bn", "public budget spent (cumulative)", "¥bn", "{:,.0f}"),
    ("champion_award_jpy_bn", "champion award paid (cumulative)", "¥bn", "{:,.0f}"),
    ("tax_expenditure_jpy_bn", "tax credit forgone (cumulative)", "¥bn", "{:,.0f}"),
)

"""What the model reports each quarter: the time-series columns (flows annualised, stocks at quarter end)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from agents.government import AWARD
from agents.user import ABROAD, DOMESTIC, IN_JAPAN, OPEN_DOMESTIC, SENSITIVE_BOUND, SENSITIVE_FREE
from sim import service
from sim.environment import QUARTER_HOURS
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
        sector_weight, self.regulated = m.population.sector_totals(len(m.sector_names))
        self.sector_weight = sector_weight.tolist()
        self.everyone = sum(self.sector_weight)


def spend_by_cell(delivery: service.Delivery, layout: RecordLayout) -> np.ndarray:
    """The quarter's AI spend by sector and slice, split by where it went: shape (sectors, slices, 5).

    One matrix product gives every split the record needs (the columns RAN_ABROAD ... UNMET).
    """
    return np.concatenate((delivery.served, delivery.rerouted, delivery.unmet), axis=-1) @ layout.split


def _ran(cell: list[float]) -> float:
    """Spend on work that was served, in Japan or abroad."""
    return cell[RAN_ABROAD] + cell[RAN_IN_JAPAN]


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


def quarter_outcomes(m: SovereignAIModel, layout: RecordLayout, flows: dict[str, Any]) -> dict[str, float]:
    """Outcome values of the quarter just ended (flows annualised).

    Args:
        m: The model, at the end of the quarter.
        layout: What the record reads that is fixed over the run (:class:`RecordLayout`).
        flows: This quarter's exports and training rent (empty before the first quarter).
    """
    pop, gov, env, p, t = m.population, m.government, m.env, m.p, m.t
    delivery = m.delivery
    # NumPy for the sums over the (sector, slice, provider) cells, plain floats for the rest: on a handful of
    # sectors, sites and providers NumPy's calls cost more than the sums.
    cells = spend_by_cell(delivery, layout)
    by_sector = cells.sum(axis=1).tolist()
    regulated = cells[layout.regulated].sum(axis=0).tolist()  # by slice
    everything = [sum(column) for column in zip(*by_sector, strict=True)]
    regulated_all = [sum(column) for column in zip(*regulated, strict=True)]
    sensitive = [regulated[SENSITIVE_FREE], regulated[SENSITIVE_BOUND]]
    bound = regulated[SENSITIVE_BOUND]
    total = _ran(everything)
    rerouted = everything[REROUTED]

    # By provider: spend served, spend booked (at list prices) and volume booked (at FY2026 prices).
    served = delivery.served.sum(axis=(0, 1)).tolist()
    demand = m.demand.sum(axis=(0, 1)).tolist()
    volume = m.volume.sum(axis=(0, 1)).tolist()
    volume_served = [v * (s / d) if d > 0 else 0.0 for v, s, d in zip(volume, served, demand, strict=True)]
    domestic_demand = sum(demand[k] for k in layout.domestic)
    price = m.offers.price.tolist()
    list_price = m.offers.list_price.tolist()

    exports = flows.get("exports", 0.0)
    compute_imports = flows.get("offshore_training", 0.0) + p["japan_region_compute_deficit_share"] * flows.get(
        "region_training", 0.0
    )
    deficit_ai = 4 * (
        sum(s * f for s, f in zip(served, layout.deficit_share, strict=True)) + rerouted + compute_imports - exports
    )
    users_by_provider, adopters_by_sector = (x.tolist() for x in pop.adopter_weights(len(served), len(by_sector)))
    adopting = sum(adopters_by_sector)
    fleet = _fleet(m)
    electricity = fleet.electricity_gwh * 4
    best = m.best_domestic_capability
    frontier = float(env.frontier_capability[t])
    market = m.chip_market["domestic"]
    out = {
        "adoption_rate": _share(adopting, layout.everyone),
        "domestic_share": _share(everything[DOMESTIC_MODELS], total),
        "domestic_user_share": _share(sum(users_by_provider[k] for k in layout.domestic), adopting),
        "sovereign_share_regulated": _share(regulated_all[RAN_IN_JAPAN], _ran(regulated_all)),
        "domestic_share_regulated": _share(regulated_all[DOMESTIC_MODELS], _ran(regulated_all)),
        "abroad_share_sensitive": _share(sum(c[RAN_ABROAD] for c in sensitive), sum(_ran(c) for c in sensitive)),
        "digital_deficit_ai_jpy_bn": deficit_ai,
        "digital_deficit_total_jpy_bn": env.deficit_non_ai_jpy_bn[t] + deficit_ai,
        "foreign_ai_spend_jpy_bn": 4 * (sum(served[k] for k in layout.foreign) + rerouted),
        "ai_exports_jpy_bn": 4 * exports,
        "compute_imports_jpy_bn": 4 * compute_imports,
        "domestic_compute_eflops": m.domestic_eflops,
        "domestic_operator_eflops": m.eflops(m.domestic_dcs),
        "gpus_installed": fleet.chips,
        "dc_power_mw": fleet.built_mw,
        "dc_power_pipeline_mw": fleet.committed_mw - fleet.built_mw,
        "dc_power_draw_mw": electricity * 1000 / (4 * QUARTER_HOURS),
        "dc_power_used_mw": fleet.power_used_mw,
        "electricity_gwh": electricity,
        "co2_mt": electricity * p["grid_co2_kg_per_kwh"] / 1000,
        "best_domestic_capability": best,
        "frontier_capability": frontier,
        "capability_gap": frontier - best,
        "japanese_proficiency_domestic": max((d.japanese for d in m.developers), default=0.0),
        "domestic_ai_revenue_jpy_bn": 4 * m.domestic_revenue_jpy_bn,
        "private_investment_jpy_bn": 4 * sum(d.private_in_jpy_bn for d in m.developers),
        "budget_appropriated_jpy_bn": gov.appropriated_jpy_bn,
        "budget_spent_jpy_bn": gov.spent_jpy_bn,
        "budget_unspent_jpy_bn": gov.unspent_jpy_bn,
        "budget_lapsed_jpy_bn": gov.lapsed_jpy_bn,
        **{column: gov.spent[prog] for prog, column in SPENT_COLUMNS.items()},
        "tax_expenditure_jpy_bn": gov.tax_expenditure_jpy_bn,
        "unmet_compute_demand_share": _share(
            sum(r.demand_hours - r.sold_hours for r in m.pool_results.values()),
            sum(r.demand_hours for r in m.pool_results.values()),
        ),
        "gpu_hour_price_jpy": m.price_jpy_per_hour["domestic"],
        "gpu_orders_unfilled_share": market.unfilled_share if market else 0.0,
        "adoption_subsidy_rate": m.adoption_subsidy_rate,
        "researchers": m.talent_pool,
        "data_stock_btokens": m.data_stock_btokens,
        "compute_hhi": concentration(fleet.h100eq),
        "foreign_outage": float(env.foreign_outage[t]),
        "ai_spend_jpy_bn": 4 * sum(demand),
        "domestic_ai_volume_jpy26_bn": 4 * sum(volume_served[k] for k in layout.domestic),
        "foreign_ai_volume_jpy26_bn": 4 * sum(volume_served[k] for k in layout.foreign),
        "foreign_price_index": min(list_price[k] for k in layout.abroad) if layout.abroad else 0.0,
        "domestic_price_index": sum(price[k] * demand[k] for k in layout.domestic) / domestic_demand
        if domestic_demand > 0
        else 0.0,
        "domestic_volume_share": _share(sum(volume_served[k] for k in layout.domestic), sum(volume_served)),
        "domestic_infra_share": _share(sum(served[k] for k in layout.domestic_infra), total),
        "open_weight_share": _share(sum(served[k] for k in layout.open_weight), total),
        "unmet_ai_demand_jpy_bn": 4 * everything[UNMET],
        # The hosting modes split all served work between Japan and abroad: what ran, plus what did not.
        "unmet_sensitive_share": _share(bound[UNMET], _ran(bound) + bound[UNMET]),
        "rerouted_abroad_jpy_bn": 4 * rerouted,
        "offshore_compute_spend_jpy_bn": 4 * flows.get("offshore_training", 0.0),
        "accelerator_imports_jpy_bn": 4 * m.accelerator_spend_jpy_bn,
        "gpu_price_ratio": market.price_ratio if market else 1.0,
        "japan_region_gpu_hour_price_jpy": m.price_jpy_per_hour["japan_region"],
        "utilisation_domestic": m.pool_results["domestic"].utilisation,
        "grid_headroom_mw": sum(
            max(limit - used, 0.0)
            for limit, used in zip(m.grid_limit_mw[t].tolist(), m.committed_by_region().tolist(), strict=True)
        ),
        "champion_award_jpy_bn": gov.spent[AWARD],
        "champion_award_withheld_jpy_bn": gov.award_refused_jpy_bn,
        "fx_jpy_per_usd": float(env.fx[t]),
    }
    for column, users in zip(layout.user_columns, users_by_provider[:-1], strict=True):  # the last: no provider
        out[column] = _share(users, layout.everyone)
    for s, sector in enumerate(by_sector):
        out[layout.adoption_columns[s]] = _share(adopters_by_sector[s], layout.sector_weight[s])
        out[layout.sector_share_columns[s]] = _share(sector[DOMESTIC_MODELS], _ran(sector))
    return {k: float(v) for k, v in out.items()}


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole > 0 else 0.0


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

"""What the model reports each quarter: the time-series columns (flows annualised, stocks at quarter end)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from agents.user import ABROAD, DOMESTIC, GENERAL, IN_JAPAN, SENSITIVE_BOUND, SENSITIVE_FREE
from sim.environment import QUARTER_HOURS
from sim.networks import concentration
from sim.params import PROGRAMMES

if TYPE_CHECKING:
    from sim.model import SovereignAIModel

#: Fixed columns (always present) with their meaning; per-provider and per-sector columns follow them.
COLUMNS: dict[str, str] = {
    "quarter": "fiscal quarter, e.g. FY2026Q1",
    "adoption_rate": "share of enterprises using AI (weighted by the enterprises each agent stands for)",
    "domestic_share": "share of enterprises' AI spend going to domestic providers",
    "domestic_user_share": "share of adopting enterprises whose general AI work runs on a domestic provider",
    "sovereign_share_regulated": "share of regulated sectors' AI spend hosted in Japan (domestic or Japan-hosted "
    "foreign)",
    "domestic_share_regulated": "share of regulated sectors' AI spend going to domestic providers",
    "abroad_share_sensitive": "share of regulated sectors' sensitive AI spend served from abroad",
    "digital_deficit_ai_jpy_bn": "AI part of the digital deficit (foreign AI services, Japan-hosted foreign AI's "
    "payments abroad, compute rented abroad, less AI exports), ¥bn a year",
    "digital_deficit_total_jpy_bn": "digital deficit, non-AI base plus AI part, ¥bn a year",
    "foreign_ai_spend_jpy_bn": "enterprises' spend on foreign AI (abroad and Japan-hosted), ¥bn a year",
    "ai_exports_jpy_bn": "domestic developers' revenue from partner markets abroad, ¥bn a year",
    "compute_imports_jpy_bn": "compute rented abroad (developers' training; Japan-hosted AI that ran out of "
    "room), ¥bn a year",
    "domestic_compute_eflops": "AI compute installed in Japan, dense BF16 EFLOPS",
    "domestic_operator_eflops": "AI compute in Japan run by domestic operators (foreign hyperscalers' regions "
    "excluded), EFLOPS",
    "gpus_installed": "accelerators installed in Japan (chips, all generations)",
    "dc_power_mw": "built AI data-centre power capacity, MW",
    "dc_power_pipeline_mw": "AI data-centre capacity under construction, MW",
    "dc_power_draw_mw": "average power drawn by AI data centres, MW",
    "electricity_gwh": "electricity used by AI data centres, GWh a year (annualised quarter)",
    "co2_mt": "CO2 from that electricity, Mt a year",
    "best_domestic_capability": "capability of the best domestic model (10 points = 10x effective compute)",
    "frontier_capability": "capability of the global frontier model",
    "capability_gap": "frontier minus best domestic capability, points",
    "japanese_proficiency_domestic": "Japanese proficiency of the best-scoring domestic model (0-1)",
    "domestic_ai_revenue_jpy_bn": "domestic developers' revenue (users, procurement, exports), ¥bn a year",
    "private_investment_jpy_bn": "private capital into domestic developers, ¥bn a year",
    "budget_appropriated_jpy_bn": "public AI budget appropriated so far, ¥bn (cumulative)",
    "budget_spent_jpy_bn": "public AI budget spent so far, ¥bn (cumulative)",
    "budget_unspent_jpy_bn": "appropriated money still available, ¥bn",
    "budget_lapsed_jpy_bn": "appropriated money that lapsed unspent, ¥bn (cumulative)",
    **{
        f"spent_{prog}_jpy_bn": f"budget spent on the {prog.replace('_', ' ')} programme, ¥bn (cumulative)"
        for prog in PROGRAMMES
    },
    "tax_expenditure_jpy_bn": "revenue forgone through the investment tax credit, ¥bn (cumulative, off-budget)",
    "unmet_compute_demand_share": "share of GPU-hour demand the domestic market could not serve",
    "gpu_hour_price_jpy": "domestic GPU-hour price, ¥ per H100-hour",
    "gpu_orders_unfilled_share": "share of accelerator orders the world market did not fill",
    "adoption_subsidy_rate": "share of a domestic AI bill paid by the adoption programme",
    "researchers": "foundation-model researchers in Japan",
    "data_stock_btokens": "high-quality Japanese training data, bn tokens",
    "compute_hhi": "concentration of installed compute across data-centre sites (HHI, 0-1)",
    "foreign_outage": "1 in a quarter with a foreign disruption",
}


def quarter_outcomes(m: SovereignAIModel, spend: np.ndarray, flows: dict[str, Any]) -> dict[str, float]:
    """Outcome values of the quarter just ended. ``spend`` is (sectors, slices, providers) in ¥bn."""
    pop, gov, env, p, t = m.population, m.government, m.env, m.p, m.t
    hosting = m.hosting
    total = spend.sum()
    by_host = {h: spend[:, :, hosting == h].sum() for h in (DOMESTIC, IN_JAPAN, ABROAD)}
    regulated = np.array([pop.regulated[pop.sector == s].any() for s in range(len(m.sector_names))])
    reg = spend[regulated]
    reg_total = reg.sum()
    sensitive = reg[:, [SENSITIVE_FREE, SENSITIVE_BOUND]]
    exports = flows.get("exports", 0.0)
    compute_imports = flows.get("compute_imports", 0.0) + flows.get("hosted_offshore", 0.0)
    deficit_ai = 4 * (
        by_host[ABROAD] + p["hosted_in_japan_deficit_share"] * by_host[IN_JAPAN] + compute_imports - exports
    )
    w = pop.weight
    adopters = pop.adopted
    dom_user = (
        adopters & (pop.provider[:, GENERAL] >= 0) & (hosting[np.maximum(pop.provider[:, GENERAL], 0)] == DOMESTIC)
    )
    electricity = sum(c.electricity_gwh for c in m.datacentres) * 4
    eflops = m.domestic_eflops
    best = m.best_domestic_capability
    out = {
        "adoption_rate": _share(w[adopters].sum(), w.sum()),
        "domestic_share": _share(by_host[DOMESTIC], total),
        "domestic_user_share": _share(w[dom_user].sum(), w[adopters].sum()),
        "sovereign_share_regulated": _share(reg[:, :, hosting != ABROAD].sum(), reg_total),
        "domestic_share_regulated": _share(reg[:, :, hosting == DOMESTIC].sum(), reg_total),
        "abroad_share_sensitive": _share(sensitive[:, :, hosting == ABROAD].sum(), sensitive.sum()),
        "digital_deficit_ai_jpy_bn": deficit_ai,
        "digital_deficit_total_jpy_bn": env.deficit_non_ai_jpy_bn[t] + deficit_ai,
        "foreign_ai_spend_jpy_bn": 4 * (by_host[ABROAD] + by_host[IN_JAPAN]),
        "ai_exports_jpy_bn": 4 * exports,
        "compute_imports_jpy_bn": 4 * compute_imports,
        "domestic_compute_eflops": eflops,
        "domestic_operator_eflops": m.eflops(m.domestic_dcs),
        "gpus_installed": float(sum(c.gpus.sum() for c in m.datacentres)),
        "dc_power_mw": sum(c.built_mw for c in m.datacentres),
        "dc_power_pipeline_mw": sum(c.committed_mw - c.built_mw for c in m.datacentres),
        "dc_power_draw_mw": electricity * 1000 / (4 * QUARTER_HOURS),
        "electricity_gwh": electricity,
        "co2_mt": electricity * p["grid_co2_kg_per_kwh"] / 1000,
        "best_domestic_capability": best,
        "frontier_capability": float(env.frontier_capability[t]),
        "capability_gap": float(env.frontier_capability[t]) - best,
        "japanese_proficiency_domestic": max((d.japanese for d in m.developers), default=0.0),
        "domestic_ai_revenue_jpy_bn": 4 * m.domestic_revenue_jpy_bn,
        "private_investment_jpy_bn": 4 * sum(d.private_in_jpy_bn for d in m.developers),
        "budget_appropriated_jpy_bn": gov.appropriated_jpy_bn,
        "budget_spent_jpy_bn": gov.spent_jpy_bn,
        "budget_unspent_jpy_bn": gov.unspent_jpy_bn,
        "budget_lapsed_jpy_bn": gov.lapsed_jpy_bn,
        **{f"spent_{prog}_jpy_bn": gov.spent[prog] for prog in PROGRAMMES},
        "tax_expenditure_jpy_bn": gov.tax_expenditure_jpy_bn,
        "unmet_compute_demand_share": m.unmet_compute_share,
        "gpu_hour_price_jpy": m.price_jpy_per_hour,
        "gpu_orders_unfilled_share": m.gpu_orders_unfilled_share,
        "adoption_subsidy_rate": m.adoption_subsidy_rate,
        "researchers": m.talent_pool,
        "data_stock_btokens": m.data_stock_btokens,
        "compute_hhi": concentration(np.array([c.h100eq for c in m.datacentres])),
        "foreign_outage": float(env.foreign_outage[t]),
    }
    for k, name in enumerate(m.provider_names):
        uses = adopters & (pop.provider[:, GENERAL] == k)
        out[f"users_{name}"] = _share(w[uses].sum(), w.sum())
    for s, sector in enumerate(m.sector_names):
        in_sector = pop.sector == s
        out[f"adoption_{sector}"] = _share(w[in_sector & adopters].sum(), w[in_sector].sum())
        out[f"domestic_share_{sector}"] = _share(spend[s][:, hosting == DOMESTIC].sum(), spend[s].sum())
    return {k: float(v) for k, v in out.items()}


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole > 0 else 0.0


#: Outcomes in the run summary: column, label, unit, format.
SUMMARY: tuple[tuple[str, str, str, str], ...] = (
    ("adoption_rate", "enterprises using AI", "share", "{:.1%}"),
    ("domestic_share", "AI spend on domestic providers", "share", "{:.1%}"),
    ("sovereign_share_regulated", "regulated AI spend hosted in Japan", "share", "{:.1%}"),
    ("digital_deficit_ai_jpy_bn", "digital deficit, AI part", "¥bn/yr", "{:,.0f}"),
    ("digital_deficit_total_jpy_bn", "digital deficit, total", "¥bn/yr", "{:,.0f}"),
    ("best_domestic_capability", "best domestic capability", "points", "{:.1f}"),
    ("capability_gap", "gap to the frontier", "points", "{:.1f}"),
    ("domestic_ai_revenue_jpy_bn", "domestic AI revenue", "¥bn/yr", "{:,.0f}"),
    ("domestic_compute_eflops", "AI compute in Japan", "EFLOPS", "{:,.1f}"),
    ("dc_power_mw", "AI data-centre capacity", "MW", "{:,.0f}"),
    ("electricity_gwh", "AI data-centre electricity", "GWh/yr", "{:,.0f}"),
    ("unmet_compute_demand_share", "unmet GPU-hour demand", "share", "{:.1%}"),
    ("budget_spent_jpy_bn", "public budget spent (cumulative)", "¥bn", "{:,.0f}"),
    ("tax_expenditure_jpy_bn", "tax credit forgone (cumulative)", "¥bn", "{:,.0f}"),
)

"""Every model parameter: default, allowed range, unit, meaning and source.

The registry :data:`PARAMS` is the single source of truth: the model's keyword arguments, the
``--set`` parser, ``sovai params``, docs/parameters.md, the scenario validator and the sweep
validator all read it. Nothing else lists parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import UserError, suggest

#: Programme share parameters; they must sum to 1.
SHARE_NAMES: tuple[str, ...] = (
    "share_compute_capex",
    "share_compute_grants",
    "share_rnd",
    "share_data",
    "share_talent",
    "share_adoption",
    "share_procurement",
)
#: Programme names, in the order of :data:`SHARE_NAMES`.
PROGRAMMES: tuple[str, ...] = tuple(n.removeprefix("share_") for n in SHARE_NAMES)
SHARE_TOLERANCE = 1e-6


class ParameterError(UserError, ValueError):
    """A parameter name or value that the model cannot accept; the message says what is allowed."""


@dataclass(frozen=True)
class Param:
    """One model parameter.

    Attributes:
        name: Keyword name, with its unit as a suffix where it has one.
        default: Value used when nothing overrides it.
        unit: Unit of the value ("share", "per year", "¥bn", "-" for dimensionless).
        meaning: One line saying what it is.
        source: Where the default comes from, or the word "assumption" with the reasoning.
        low: Smallest allowed value (numbers only).
        high: Largest allowed value (numbers only).
        choices: Allowed values (strings only).
        group: "lever" (a policy choice), "uncertainty" (the world) or "structure" (model set-up).

    """

    name: str
    default: Any
    unit: str
    meaning: str
    source: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    group: str = "uncertainty"

    @property
    def kind(self) -> type:
        """The Python type of the value (bool, int, float or str)."""
        return type(self.default)

    @property
    def allowed(self) -> str:
        """The allowed values, as a user reads them."""
        if self.kind is bool:
            return "true or false"
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return f"{_fmt(self.low)} to {_fmt(self.high)}"

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type and checked against its range.

        Strings (from the command line) are parsed; numpy scalars count as the Python values they
        hold; numbers of the wrong kind are converted when that loses nothing.

        Raises:
            ParameterError: the value has the wrong type or lies outside the allowed range.

        """
        kind = self.kind
        if isinstance(value, np.generic):
            # numpy.bool_, numpy.int64, numpy.float32...: what samplers and data frames hand over.
            value = value.item()
        try:
            if kind is bool:
                value = _to_bool(value)
            elif kind is int:
                value = _to_int(value)
            elif kind is float:
                if isinstance(value, bool):
                    raise ValueError
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError
            else:
                value = str(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"parameter {self.name!r}: value {value!r} is not a valid {kind.__name__}; allowed: {self.allowed}"
            ) from None
        if self.choices and value not in self.choices:
            raise ParameterError(f"parameter {self.name!r}: value {value!r} is not allowed; {self.allowed}")
        if kind in (int, float) and not (self.low <= value <= self.high):
            raise ParameterError(
                f"parameter {self.name!r}: value {_fmt(value)} is out of range; allowed: {self.allowed} ({self.unit})"
            )
        return value


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    if isinstance(x, float) and (abs(x) >= 1e6 or (x != 0 and abs(x) < 1e-3)):
        return f"{x:g}"
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise ValueError(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, str):
        value = float(value.replace("_", ""))
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        value = int(value)
    return int(value)


_P = Param
_A = "assumption"
#: All parameters, grouped by the part of the model they belong to.
# fmt: off
PARAMS_LIST: tuple[Param, ...] = (
    # --- run set-up -----------------------------------------------------------------------------
    _P("quarters", 40, "quarters", "simulated fiscal quarters from FY2026Q1 (40 = to FY2035Q4)",
       "MODEL.md: default horizon FY2026Q1–FY2035Q4", 1, 200, group="structure"),
    _P("n_user_agents", 5000, "agents", "user agents (super-individuals) standing for Japan's enterprises",
       "assumption: resolution, not a real quantity; results converge above ~2,000", 60, 1_000_000,
       group="structure"),
    # --- government budget and programmes ----------------------------------------------------------
    _P("budget_total_jpy_bn", 1000.0, "¥bn", "public AI budget over the programme years",
       "AI Basic Plan (cabinet decision 23 Dec 2025): about ¥1tn over FY2026–FY2030", 0.0, 10000.0,
       group="lever"),
    _P("budget_years", 5, "years", "fiscal years over which the budget is appropriated, from FY2026",
       "AI Basic Plan: five years FY2026–FY2030", 1, 10, group="lever"),
    _P("budget_first_year_share", 0.3, "share", "share of the budget appropriated in FY2026; the rest is even",
       "FY2026 budget ¥300bn+ of ¥1tn (AI Basic Plan; METI/MIC plans)", 0.0, 1.0, group="lever"),
    _P("share_compute_capex", 0.2, "share", "programme share: capex subsidy to data centres",
       "assumption; economic-security cloud programme (METI): SoftBank up to ¥42.1bn, Sakura ¥50.1bn",
       0.0, 1.0, group="lever"),
    _P("share_compute_grants", 0.3, "share", "programme share: GPU-hours bought for domestic developers",
       "assumption; GENIAC compute support up to ¥72.5bn (METI); Noetra ¥387.3bn in FY2026 (Jiji)",
       0.0, 1.0, group="lever"),
    _P("share_rnd", 0.2, "share", "programme share: R&D cash grants to domestic developers",
       "assumption; FY2023 supplementary budget ¥29bn for AI development (METI)", 0.0, 1.0, group="lever"),
    _P("share_data", 0.08, "share", "programme share: Japanese data (NICT corpus, data procurement)",
       _A, 0.0, 1.0, group="lever"),
    _P("share_talent", 0.07, "share", "programme share: AI researcher training, hiring and retention",
       _A, 0.0, 1.0, group="lever"),
    _P("share_adoption", 0.08, "share", "programme share: subsidy lowering enterprises' price of domestic AI",
       _A, 0.0, 1.0, group="lever"),
    _P("share_procurement", 0.07, "share", "programme share: government buys domestic AI services (Gennai)",
       "assumption; government AI 'Gennai' for 100k+ civil servants (Prime Minister's Office)", 0.0, 1.0,
       group="lever"),
    _P("capex_subsidy_rate", 1 / 3, "share", "share of eligible data-centre capex the subsidy covers",
       "METI economic-security cloud subsidy: 1/3 of capex for large firms, 1/2 for SMEs", 0.0, 1.0,
       group="lever"),
    _P("adoption_subsidy_max_rate", 0.5, "share", "largest share of a domestic AI bill the adoption subsidy pays",
       "assumption; SME Agency IT Introduction Subsidy pays 1/2 to 2/3 of eligible IT costs", 0.0, 0.9,
       group="lever"),
    _P("grant_concentration", 1.0, "-", "merit exponent for grant allocation (0 = equal split, 3 = to the leader)",
       "assumption; GENIAC selects by merit, Noetra concentrates on one champion", 0.0, 5.0, group="lever"),
    _P("champion_grant_share", 0.5, "share", "share of compute and R&D grants reserved for the national champion",
       "assumption; Noetra was awarded the ¥1tn foundation-model programme, ¥387.3bn in FY2026 (Jiji, 30 Jun 2026)",
       0.0, 1.0, group="lever"),
    _P("unspent_policy", "carry_over", "-", "what happens to money a programme did not spend by fiscal-year end",
       "assumption; fund-type (kikin) budgets carry over, ordinary appropriations lapse", choices=(
           "carry_over", "lapse"), group="lever"),
    _P("adaptive_policy", False, "-", "each fiscal year move money toward the programme with the best effect",
       _A, group="lever"),
    _P("adaptive_shift_share", 0.1, "share", "share of next year's money the adaptive policy moves",
       _A, 0.0, 0.5, group="lever"),
    _P("sovereignty_rule", 0.25, "share", "share of regulated sectors' sensitive workloads that must stay in Japan",
       "assumption; today's guidance (FISC for finance, ISMAP for government) binds part of sensitive data",
       0.0, 1.0, group="lever"),
    _P("investment_tax_credit_rate", 0.07, "share", "tax credit on private AI capex (forgone revenue, off-budget)",
       "FY2026 tax reform outline: 7% credit or immediate write-off for plans ≥ ¥3.5bn", 0.0, 0.5,
       group="lever"),
    _P("export_partnership", False, "-", "open partner markets (e.g. Japan–ASEAN local-language models)",
       "MODEL.md seed 002: Japan–ASEAN joint development (a Khmer LLM first)", group="lever"),
    _P("export_market_jpy_bn_per_year", 50.0, "¥bn/year", "size of the partner AI market open to domestic firms",
       _A, 0.0, 2000.0),
    # --- talent and data ---------------------------------------------------------------------------
    _P("researchers_initial", 3000.0, "researchers", "foundation-model researchers working for domestic developers",
       "assumption; the national champion starts with ~100 staff (press reports)", 300.0, 30000.0),
    _P("talent_cost_jpy_mn_per_researcher", 30.0, "¥mn", "programme cost of one added researcher",
       _A, 5.0, 200.0),
    _P("talent_lag_quarters", 8, "quarters", "delay from talent spending to researchers at work",
       "assumption: graduate training and hiring take about two years", 0, 20),
    _P("brain_drain_rate_per_year", 0.05, "per year", "researchers lost abroad each year without the programme",
       _A, 0.0, 0.3),
    _P("talent_drain_scale_jpy_bn", 50.0, "¥bn/year", "talent spending that cuts brain drain by a factor e",
       _A, 1.0, 1000.0),
    _P("talent_elasticity", 0.3, "-", "elasticity of effective training compute to researchers",
       _A, 0.0, 1.0),
    _P("data_stock_initial_btokens", 500.0, "bn tokens", "high-quality Japanese training data available",
       "assumption; NICT corpus and public web crawls, order of 10^11–10^12 tokens", 50.0, 10000.0),
    _P("data_cost_jpy_bn_per_btoken", 0.05, "¥bn per bn tokens", "programme cost of a billion new Japanese tokens",
       _A, 0.005, 1.0),
    _P("data_elasticity", 0.2, "-", "elasticity of effective training compute to the Japanese data stock",
       _A, 0.0, 1.0),
    _P("data_proficiency_elasticity", 0.5, "-", "how fast more Japanese data closes the proficiency gap",
       _A, 0.0, 2.0),
    _P("japanese_proficiency_domestic_initial", 0.85, "0–1", "Japanese proficiency of domestic models in FY2026",
       "assumption; domestic models lead on Japanese benchmarks (e.g. JGLUE) but not by much", 0.3, 0.99),
    _P("japanese_proficiency_foreign_initial", 0.75, "0–1", "Japanese proficiency of foreign models in FY2026",
       _A, 0.3, 0.99),
    _P("foreign_proficiency_gain_per_year", 0.02, "per year", "yearly gain in foreign models' Japanese proficiency",
       _A, 0.0, 0.1),
    # --- developers and capability --------------------------------------------------------------------
    _P("capability_a", -160.0, "points", "capability = a + b·log10(effective training FLOP): intercept",
       "assumption: scale chosen so 10 points = 10x effective compute", -300.0, 0.0, group="structure"),
    _P("capability_b", 10.0, "points per decade", "capability = a + b·log10(effective training FLOP): slope",
       _A, 1.0, 30.0, group="structure"),
    _P("frontier_flop_2026", 5e26, "FLOP", "effective training compute of the frontier model in FY2026Q1",
       "estimate (Epoch AI database): largest 2025 runs ~5e26 FLOP; GPT-4 ~2.1e25", 1e25, 1e28),
    _P("frontier_compute_growth_per_year", 4.0, "x per year", "growth of the frontier's training compute",
       "Epoch AI (Sevilla et al.): training compute of frontier models grows 4–5x a year", 1.0, 10.0),
    _P("algorithmic_efficiency_growth_per_year", 3.0, "x per year", "growth of algorithmic efficiency (all models)",
       "Epoch AI (Ho et al. 2024): compute to reach a given performance halves every ~8 months", 1.0, 10.0),
    _P("mfu", 0.4, "share", "model FLOP utilisation of training runs",
       "MODEL.md estimate: 1T dense model ~1.2e26 FLOP, ~8e7 H100-hours at 40% utilisation", 0.1, 0.7),
    _P("compute_spend_share", 0.25, "share per quarter", "share of a developer's cash bid for training compute",
       _A, 0.05, 1.0),
    _P("offshore_compute_share", 0.5, "share", "share of unserved training demand bought from clouds abroad",
       "assumption: developers rent foreign cloud GPUs when Japan's are short; it adds to the digital deficit",
       0.0, 1.0),
    _P("salary_jpy_mn_per_researcher", 15.0, "¥mn/year", "cost of a researcher to a developer",
       _A, 5.0, 100.0),
    _P("price_margin", 0.3, "share", "developers' mark-up over inference cost", _A, 0.0, 2.0),
    _P("domestic_serving_cost_index", 0.7, "index", "domestic inference cost per unit service (foreign 2026 = 1)",
       "assumption; domestic models are smaller (e.g. tsuzumi runs on one GPU)", 0.1, 5.0),
    _P("private_investment_jpy_bn_per_year", 100.0, "¥bn/year", "private capital into domestic developers",
       "JRI: private AI investment 2023 Japan ~¥0.1tn (US ~¥10tn, China ~¥1.2tn)", 0.0, 3000.0),
    _P("private_investment_revenue_elasticity", 0.5, "-", "private inflow response to developers' revenue growth",
       _A, 0.0, 3.0),
    _P("private_crowd_in_per_public_jpy", 0.3, "¥ per ¥", "private money drawn in per yen of public support",
       _A, 0.0, 2.0),
    # --- foreign providers and the environment --------------------------------------------------------
    _P("foreign_price_decline_per_year", 0.3, "share per year", "yearly fall of foreign AI prices in USD",
       "assumption; provider price pages 2025–26 show cheaper tiers (GPT-5 mini at 1/5 of GPT-5)", 0.0, 0.9),
    _P("fx_jpy_per_usd", 150.0, "¥ per $", "exchange rate in FY2026", "assumption; 2024–25 average near ¥150",
       80.0, 250.0),
    _P("fx_drift_per_year", 0.0, "share per year", "yearly change of the ¥/$ rate (+ = weaker yen)", _A,
       -0.2, 0.2),
    _P("sovereign_cloud_price_premium", 0.15, "share", "price premium of foreign models hosted in Japan", _A,
       0.0, 1.0),
    _P("hosted_in_japan_deficit_share", 0.7, "share", "share of spend on Japan-hosted foreign AI paid abroad",
       "assumption: licence fees and margins go abroad; local compute, power and staff stay", 0.0, 1.0),
    _P("chinese_provider_enabled", False, "-", "offer a Chinese open-model provider to Japanese users", _A),
    _P("foreign_outage_prob_per_year", 0.02, "per year", "chance of a foreign disruption (outage, sanction)",
       _A, 0.0, 0.5),
    _P("foreign_outage_duration_quarters", 2, "quarters", "length of a foreign disruption", _A, 1, 200),
    _P("foreign_outage_start_quarter", -1, "quarter", "force a disruption at this quarter (-1: random only)",
       _A, -1, 199),
    _P("foreign_outage_scope", "abroad", "-", "which foreign offers a disruption cuts",
       "assumption: an outage cuts service from abroad; a sanction also cuts Japan-hosted foreign models",
       choices=("abroad", "all")),
    _P("gpu_supply_japan_h100eq_per_year", 20000.0, "H100-eq per year", "accelerators the world market sells Japan at the base price",
       "assumption, calibrated so installed compute reaches ~60–120 EFLOPS by end FY2027 (METI: 60 EFLOPS, "
       "on track); of the order of SoftBank's and Sakura's announced 10k-GPU builds", 0.0, 500000.0),
    _P("gpu_supply_price_elasticity", 1.0, "-", "how much more of the world's supply Japan gets when it pays more",
       "assumption: allocation follows price; a tight domestic market outbids others", 0.0, 3.0),
    _P("hyperscaler_supply_h100eq_per_year", 20000.0, "H100-eq per year", "accelerators foreign hyperscalers can add to their Japan regions",
       "assumption; AWS (¥2.26tn 2023–27), Microsoft ($2.9bn) and Oracle ($8bn) announced Japan builds, AI only in part",
       0.0, 500000.0),
    _P("gpu_shock_start_quarter", -1, "quarter", "start of a GPU export-control or supply shock (-1: none)",
       _A, -1, 199),
    _P("gpu_shock_duration_quarters", 4, "quarters", "length of the GPU supply shock", _A, 1, 200),
    _P("gpu_shock_supply_factor", 0.25, "share", "share of normal GPU supply that arrives during the shock",
       _A, 0.0, 1.0),
    _P("gpu_price_scale", 1.0, "x", "multiplier on GPU list prices (H100 ~$30k, B200 ~$50k)",
       "market estimates: H100 ~$25–40k, B200 ~$40–70k", 0.3, 3.0),
    _P("gpu_lifetime_years", 5.0, "years", "service life of an accelerator", _A, 2.0, 10.0),
    _P("domestic_accelerator_year", 2029, "fiscal year", "first year a domestic accelerator (MN-Core on Rapidus) ships",
       "assumption; Rapidus targets 2nm mass production in 2027", 2026, 2045),
    _P("domestic_accelerator_share", 0.2, "share", "share of accelerator orders placed for the domestic chip",
       _A, 0.0, 1.0),
    _P("domestic_accelerator_supply_h100eq_per_year", 5000.0, "H100-eq per year", "domestic accelerator output",
       "assumption; Rapidus's first 2nm line is small", 0.0, 200000.0),
    _P("electricity_price_jpy_per_kwh", 25.0, "¥/kWh", "industrial electricity price in FY2026",
       "industrial high/extra-high voltage ¥27.55/kWh FY2022 (government data)", 5.0, 80.0),
    _P("electricity_price_growth_per_year", 0.0, "share per year", "yearly change of the electricity price", _A,
       -0.1, 0.3),
    _P("grid_co2_kg_per_kwh", 0.45, "kg/kWh", "CO2 intensity of grid electricity",
       "assumption; Japanese grid emission factors ~0.43–0.47 kg/kWh (MoE)", 0.0, 1.0),
    _P("grid_headroom_scale", 1.0, "x", "multiplier on grid headroom for data centres in every region",
       "OCCTO Jan 2025 outlook: data-centre and fab demand 0.56 GW (FY2025) to 5.38 GW (FY2030)", 0.0, 5.0),
    # --- data centres ---------------------------------------------------------------------------------
    _P("gpu_hour_price_usd_2026", 2.35, "$ per H100-hour", "GPU-hour rental price at target utilisation, before energy",
       "SemiAnalysis H100 rental index as reported: $2.35 (Mar 2026, 1-year contract); Japan's energy cost is added",
       0.5, 12.0),
    _P("gpu_price_utilisation_elasticity", 0.5, "-", "how steeply the GPU-hour price rises with utilisation", _A,
       0.0, 5.0),
    _P("target_utilisation", 0.8, "share", "utilisation at which the GPU-hour price is at its base level", _A,
       0.3, 0.98),
    _P("gpu_hour_capex_cost_share", 0.7, "share", "share of the GPU-hour price that pays back hardware capex",
       "assumption; Epoch AI: energy is 2–6% of frontier training cost, hardware most of the rest", 0.2, 0.95),
    _P("background_gpu_demand_share", 0.3, "share", "share of domestic GPU-hours used by other AI work",
       "assumption: academia, non-LLM AI and enterprise fine-tuning", 0.0, 0.9),
    _P("dc_capex_jpy_bn_per_mw", 1.5, "¥bn per MW", "construction cost of data-centre shell and power per MW",
       "assumption; SoftBank ~¥150bn for its subsidised build (METI)", 0.3, 6.0),
    _P("build_lag_quarters", 8, "quarters", "time from the decision to build to capacity in use",
       "MODEL.md: about two years", 1, 24),
    _P("expansion_step_mw", 50.0, "MW", "size of one expansion decision", _A, 5.0, 500.0),
    _P("expansion_utilisation_threshold", 0.7, "share", "utilisation above which operators plan expansion", _A,
       0.2, 1.0),
    _P("dc_discount_rate", 0.08, "per year", "operators' discount rate for expansion NPV", _A, 0.0, 0.3),
    _P("pue", 1.3, "-", "power usage effectiveness of AI data centres",
       "ANRE benchmark ≤ 1.4 by FY2030; new AI data centres ~1.2 (estimate)", 1.0, 2.5),
    # --- deficit ----------------------------------------------------------------------------------------
    _P("deficit_non_ai_2026_jpy_bn", 6600.0, "¥bn/year", "digital deficit excluding enterprise AI services, FY2026",
       "MIC White Paper 2025: ¥6.7tn (2024); NRI ~¥6.8tn (2025); less the modelled AI part", 3000.0, 15000.0),
    _P("deficit_non_ai_growth_per_year", 0.06, "share per year", "growth of the non-AI digital deficit",
       "MOF/BoJ via Jiji: ¥2.0tn (2014) to ¥6.7tn (2024); METI projects ~¥10tn in 2030", 0.0, 0.25),
    # --- users and adoption -----------------------------------------------------------------------------
    _P("bass_p", 0.03, "per year", "Bass innovation coefficient (external influence)",
       "Sultan, Farley & Lehmann 1990: p ≈ 0.03", 0.0, 1.0),
    _P("bass_q", 0.38, "per year", "Bass imitation coefficient (peer influence)",
       "Sultan, Farley & Lehmann 1990; Van den Bulte & Stremersch 2004: q ≈ 0.38", 0.0, 3.0),
    _P("adoption_value_elasticity", 0.3, "-", "response of the adoption hazard to the value of AI on offer",
       "assumption: the Bass hazard scales with exp(elasticity x change in logit inclusive value)", 0.0, 3.0),
    _P("initial_adoption_scale", 1.0, "x", "multiplier on FY2026 adoption by size class",
       "MIC White Paper 2024/2025: 46.8% of firms use generative AI; policies at ~56% of large, ~34% of SMEs",
       0.0, 1.5),
    _P("reconsider_prob_per_year", 0.25, "per year", "chance an adopter reconsiders its provider in a year", _A,
       0.0, 1.0),
    _P("switching_cost", 1.0, "utility", "utility cost of leaving the current provider", _A, 0.0, 10.0),
    _P("beta_capability", 0.15, "utility per point", "weight of capability in provider choice", _A, 0.0, 2.0),
    _P("capability_gap_scale", 10.0, "points", "gap to the frontier beyond which each further point matters less",
       "assumption: diminishing usefulness; a model 10x behind in effective compute still serves most tasks",
       1.0, 100.0),
    _P("beta_japanese", 4.0, "utility per unit", "weight of Japanese proficiency (0–1) in provider choice", _A,
       0.0, 20.0),
    _P("beta_price", 1.5, "utility per log price", "weight of the log effective price in provider choice", _A,
       0.0, 10.0),
    _P("beta_disruption", 1.0, "utility", "penalty on a provider per unit of its disruption record", _A,
       0.0, 10.0),
    _P("beta_shortage", 2.0, "utility", "penalty on domestic providers per share of unmet compute", _A, 0.0, 10.0),
    _P("nest_lambda", 0.5, "-", "nested-logit similarity: 1 = plain logit; lower = domestic providers substitute more for each other",
       "assumption; a nested logit (McFadden 1978) keeps the domestic share from growing with the number of domestic firms listed",
       0.05, 1.0),
    _P("domestic_trust_constant", -2.5, "utility", "alternative-specific constant of domestic providers",
       "assumption, set so domestic providers start with ~7% of enterprises' AI spend (NTT and NEC target tens of ¥bn a year)", -5.0, 5.0),
    _P("sovereignty_penalty", 1.5, "utility", "penalty on foreign AI served from abroad for sensitive work (half if hosted in Japan)",
       _A, 0.0, 10.0),
    _P("ai_spend_growth_per_year", 0.25, "share per year", "growth of AI spend per adopting enterprise", _A,
       0.0, 1.0),
    _P("spend_large_jpy_mn_per_year", 60.0, "¥mn/year", "AI services spend of a large adopting enterprise", _A,
       1.0, 1000.0),
    _P("spend_medium_jpy_mn_per_year", 1.0, "¥mn/year", "AI services spend of a medium adopting enterprise", _A,
       0.05, 50.0),
    _P("spend_small_jpy_mn_per_year", 0.2, "¥mn/year", "AI services spend of a small adopting enterprise", _A,
       0.01, 10.0),
    _P("homogeneous_users", False, "-", "one kind of user (all alike, equal weights): for the Bass check",
       "validation set-up (Rand & Rust 2011)", group="structure"),
    _P("single_provider", False, "-", "offer only one foreign provider and no domestic ones: for the Bass check",
       "validation set-up", group="structure"),
    _P("peer_network", "small_world", "-", "user peer network: sector small-world blocks, or complete (mean field)",
       "Rand & Rust 2011; Dahlke et al. 2024 (adoption spreads through networks and co-location)",
       choices=("small_world", "complete"), group="structure"),
    _P("peer_degree", 8, "links", "mean number of peers of a user agent", _A, 2, 60, group="structure"),
    _P("peer_rewire_prob", 0.1, "share", "Watts–Strogatz rewiring probability within a sector", _A, 0.0, 1.0,
       group="structure"),
    _P("peer_cross_sector_share", 0.2, "share", "share of a user's links that go to other sectors (same region)",
       _A, 0.0, 1.0, group="structure"),
)
# fmt: on

#: The registry, by name.
PARAMS: dict[str, Param] = {p.name: p for p in PARAMS_LIST}


def defaults() -> dict[str, Any]:
    """Return a fresh dict of every parameter at its default."""
    return {p.name: p.default for p in PARAMS_LIST}


def unknown_name_message(name: str, where: str = "") -> str:
    """Say that ``name`` is not a parameter, with the nearest names."""
    return f"{where}unknown parameter {name!r}; {suggest(name, PARAMS, '`sovai params` lists them all')}"


def check_shares(params: Mapping[str, Any]) -> None:
    """Raise :class:`ParameterError` unless the programme shares sum to 1."""
    total = sum(float(params[n]) for n in SHARE_NAMES)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        listed = ", ".join(f"{n}={float(params[n]):g}" for n in SHARE_NAMES)
        raise ParameterError(f"programme shares must sum to 1 but sum to {total:.6g} ({listed})")


def resolve(overrides: Mapping[str, Any] | None = None, *, where: str = "") -> dict[str, Any]:
    """Return the full parameter set: defaults updated with checked, type-converted ``overrides``.

    Args:
        overrides: Parameter values by name; strings are parsed (as from ``--set``).
        where: Prefix for error messages (for example a file name).

    Raises:
        ParameterError: an unknown name, a value of the wrong type or out of range, or programme
            shares that do not sum to 1.

    """
    params = defaults() | checked(overrides or {}, where=lambda _: where)
    try:
        check_shares(params)
    except ParameterError as err:
        raise ParameterError(f"{where}{err}") from None
    return params


def checked(overrides: Mapping[str, Any], where: Callable[[str], str]) -> dict[str, Any]:
    """Return ``overrides`` with every name checked and every value converted and range-checked.

    Args:
        overrides: Parameter values by name.
        where: Gives the error-message prefix for a name (for example ``"file.toml:3: "``).

    Raises:
        ParameterError: an unknown name or a bad value.
    """
    out = {}
    for name, value in overrides.items():
        if name not in PARAMS:
            raise ParameterError(unknown_name_message(name, where(name)))
        try:
            out[name] = PARAMS[name].coerce(value)
        except ParameterError as err:
            raise ParameterError(f"{where(name)}{err}") from None
    return out


def normalise_shares(params: dict[str, Any], names: Iterable[str] = SHARE_NAMES) -> dict[str, Any]:
    """Return ``params`` with the programme shares scaled to sum to 1 (for sampled designs).

    All-zero shares become equal shares.
    """
    names = tuple(names)
    out = dict(params)
    total = sum(float(out[n]) for n in names)
    for n in names:
        out[n] = float(out[n]) / total if total > 0 else 1.0 / len(names)
    return out


def parse_sets(items: list[str]) -> dict[str, str]:
    """Parse ``KEY=VALUE`` strings (values are checked later, by the parameter registry)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(f"--set {item!r}: expected KEY=VALUE, e.g. --set budget_total_jpy_bn=2000")
        if key not in PARAMS:
            raise ParameterError(f"--set: {unknown_name_message(key)}")
        out[key] = value.strip()
    return out

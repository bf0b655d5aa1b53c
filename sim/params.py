"""Every model parameter: default, allowed range, unit, meaning and source.

The registry :data:`PARAMS` is the single source of truth: the model's keyword arguments, the
``--set`` parser, ``sovai params``, docs/parameters.md, the scenario validator and the sweep
validator all read it. Nothing else lists parameters.
"""

from __future__ import annotations

import math
import sys
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
#: Programme names, in the order of :data:`SHARE_NAMES`. Interned, as the literals that name a programme
#: in the code are: they key the government's accounts, and a lookup by a literal then finds its key by
#: identity instead of comparing the text (cutting the prefix makes new strings; ~100 lookups a quarter).
PROGRAMMES: tuple[str, ...] = tuple(sys.intern(n.removeprefix("share_")) for n in SHARE_NAMES)
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
    if isinstance(x, int) and abs(x) >= 10**15:  # a huge whole number reads best in scientific notation
        return f"{float(x):.3g}"
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
       "assumption: the AI Basic Plan's five budget years (FY2026–FY2030) and five more to see what they leave", 1, 200, group="structure"),
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
    _P("champion_grant_share", 0.0, "share", "share of the plan's compute and R&D grants reserved for the national champion",
       "assumption: the champion is funded by its own award (champion_award_*), so the plan's grants go by merit",
       0.0, 1.0, group="lever"),
    _P("champion_award_total_jpy_bn", 1000.0, "¥bn", "foundation-model award to the national champion (own line, outside the plan budget)",
       "Japan Times, Jiji, Asia Times (30 Jun 2026): Noetra with AIST, about ¥1tn over five years, GX-bond funded",
       0.0, 5000.0, group="lever"),
    _P("champion_award_first_year_jpy_bn", 387.3, "¥bn", "award tranche appropriated in FY2026 (the rest is even over the later years)",
       "Jiji, 22 Dec 2025; Japan Times, 30 Jun 2026: ¥387.3bn for the domestic foundation model in the FY2026 budget",
       0.0, 5000.0, group="lever"),
    _P("champion_award_years", 5, "years", "fiscal years of award tranches from FY2026",
       "Japan Times, 30 Jun 2026: about ¥1tn over five years", 1, 10, group="lever"),
    _P("champion_award_compute_share", 0.3, "share", "share of the award spent on GPU-hours in Japan (the rest pays staff, data and hardware for physical AI)",
       "assumption: one 1-trillion-parameter dense run needs ~1.2e26 FLOP, ~8e7 H100-hours at 40% utilisation "
       "(estimate), ~¥30bn at rental prices; the award also funds data, staff and physical-AI work (Japan Times, "
       "30 Jun 2026)", 0.0, 1.0, group="lever"),
    _P("champion_review_min_gain_points", 1.0, "points", "capability gain a yearly review asks for before the next tranche (0 = always paid)",
       "Yomiuri, 21 Dec 2025: aid after the first year tied to results; the threshold is an assumption", 0.0, 20.0,
       group="lever"),
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
       "ASEAN: Japan–ASEAN digital ministers' meeting, Hanoi, Jan 2026, as reported: joint development of "
       "local-language models (a Khmer LLM first)", group="lever"),
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
    _P("frontier_compute_growth_per_year", 4.0, "x per year", "growth of the frontier's training compute until the slowdown",
       "Epoch AI, 'Training compute of frontier AI models grows by 4-5x per year' (2024)", 1.0, 10.0),
    _P("frontier_slowdown_year", 2030, "fiscal year", "first year the frontier's compute growth slows (power, chips, money bind)",
       "Epoch AI, 'Can AI scaling continue through 2030?' (Aug 2024): ~2e29 FLOP runs feasible by 2030, power binds first",
       2026, 2045),
    _P("frontier_compute_growth_after_per_year", 2.0, "x per year", "growth of the frontier's training compute after the slowdown",
       "assumption within Cottier et al. (arXiv 2405.21015): the cost of the largest runs grows 2.4x a year and cannot "
       "outgrow investment for long", 1.0, 5.0),
    _P("algorithmic_efficiency_growth_per_year", 3.0, "x per year", "growth of algorithmic efficiency (all models)",
       "Epoch AI (Ho et al. 2024): compute to reach a given performance halves every ~8 months", 1.0, 10.0),
    _P("mfu", 0.4, "share", "model FLOP utilisation of training runs",
       "assumption: 30–50% is usual for large dense training runs; at 40% a 1T dense model (~1.2e26 FLOP) "
       "takes ~8e7 H100-hours", 0.1, 0.7),
    _P("compute_spend_share", 0.15, "share per quarter", "share of a developer's cash bid for training compute",
       _A, 0.05, 1.0),
    _P("offshore_compute_share", 0.8, "share", "largest share of a developer's own training compute it may rent abroad",
       "assumption: part of training data (customer and licensed Japanese data) may not leave Japan", 0.0, 1.0),
    _P("training_venue_price_beta", 4.0, "utility per log price", "how strongly developers pick where to train by price",
       "assumption: GPU-hours are close substitutes across clouds; 4 means a 10% dearer venue loses ~1/3 of its share",
       0.0, 20.0),
    _P("offshore_training_premium", 0.15, "share", "extra cost of training abroad (data transfer, latency, legal review)",
       _A, 0.0, 1.0),
    _P("grant_compute_abroad_allowed", False, "-", "compute bought with public grants and the award may run abroad",
       "METI: the economic-security programme's compute must be offered in Japan; GENIAC cycle 1 bought Google Cloud "
       "capacity (Dempa Shimbun, 2 Feb 2024)", group="lever"),
    _P("japan_region_compute_deficit_share", 0.3, "share", "share of GPU-hour rent at foreign hyperscalers' Japan regions paid abroad",
       "assumption: intra-group fees and margins go abroad; power, buildings and staff are local", 0.0, 1.0),
    _P("domestic_serving_compute_share", 0.6, "share", "share of domestic serving cost that is GPU-hours (the rest: staff, in yen)",
       _A, 0.0, 1.0),
    _P("salary_jpy_mn_per_researcher", 15.0, "¥mn/year", "cost of a researcher to a developer",
       _A, 5.0, 100.0),
    _P("price_margin", 0.3, "share", "developers' mark-up over inference cost", _A, 0.0, 2.0),
    _P("domestic_serving_cost_index", 0.7, "index", "domestic inference cost per unit service (foreign 2026 = 1)",
       "assumption; domestic models are smaller (e.g. tsuzumi runs on one GPU)", 0.1, 5.0),
    _P("private_investment_jpy_bn_per_year", 50.0, "¥bn/year", "private capital into the modelled domestic developers",
       "assumption: part of Japan's private AI investment, ~¥0.1tn in 2023 for all AI (JRI; US ~¥10tn, China ~¥1.2tn)",
       0.0, 3000.0),
    _P("private_investment_revenue_elasticity", 0.5, "-", "private inflow response to developers' revenue growth",
       _A, 0.0, 3.0),
    _P("private_crowd_in_per_public_jpy", 0.3, "¥ per ¥", "private money drawn in per yen of public support",
       _A, 0.0, 2.0),
    # --- foreign providers and the environment --------------------------------------------------------
    _P("foreign_price_decline_per_year", 0.3, "share per year", "yearly fall of foreign AI list prices in USD",
       "assumption between the frontier's slow price falls and ~10x a year at constant capability (a16z, 'Welcome "
       "to LLMflation', 12 Nov 2024; Epoch AI, 'LLM inference prices have fallen rapidly but unequally across "
       "tasks', 12 Mar 2025)", 0.0, 0.9),
    _P("serving_cost_decline_per_year", 0.3, "share per year", "yearly fall in the cost of serving a unit of AI on given hardware (models get more efficient)",
       "assumption: the technology behind foreign price falls (smaller, distilled models) is open to domestic "
       "providers too; set equal to foreign_price_decline_per_year by default", 0.0, 0.9),
    _P("fx_jpy_per_usd", 150.0, "¥ per $", "exchange rate in FY2026 (dollar prices of foreign AI and GPUs convert at it)",
       "assumption; 2024–25 average near ¥150", 80.0, 250.0),
    _P("fx_drift_per_year", 0.0, "share per year", "yearly change of the ¥/$ rate (+ = weaker yen)", _A,
       -0.2, 0.2),
    _P("sovereign_cloud_price_premium", 0.15, "share", "price premium of foreign models hosted in Japan", _A,
       0.0, 1.0),
    _P("hosted_in_japan_deficit_share", 0.7, "share", "share of spend on Japan-hosted foreign AI paid abroad",
       "assumption: licence fees and margins go abroad; local compute, power and staff stay", 0.0, 1.0),
    _P("open_weight_deficit_share", 0.05, "share", "share of spend on foreign open-weight models run in Japan paid abroad",
       "assumption: open weights carry no licence fee; support contracts and tools go abroad", 0.0, 1.0),
    _P("chinese_provider_enabled", False, "-", "offer a Chinese open-model provider to Japanese users", _A),
    _P("foreign_outage_prob_per_year", 0.02, "per year", "chance of a foreign disruption (outage, sanction)",
       _A, 0.0, 0.5),
    _P("foreign_outage_duration_quarters", 2, "quarters", "length of a foreign disruption", _A, 1, 200),
    _P("foreign_outage_start_quarter", -1, "quarter", "force a disruption at this quarter (-1: random only)",
       _A, -1, 199),
    _P("foreign_outage_scope", "abroad", "-", "which foreign offers a disruption cuts",
       "assumption: an outage cuts service from abroad; a sanction also cuts Japan-hosted foreign models",
       choices=("abroad", "all")),
    _P("gpu_supply_japan_h100eq_per_year", 150000.0, "H100-eq per year", "accelerators the world market sells Japan at list price in a normal year",
       "estimate: Japan's ~1-2% share of world AI accelerator output (Epoch AI, 'Can AI scaling continue through "
       "2030?', Aug 2024: ~100m H100-eq producible by 2030); SoftBank alone plans ~¥2tn of AI data centres over "
       "six years (Yomiuri, 21 Dec 2025)", 0.0, 1000000.0),
    _P("gpu_supply_price_elasticity", 0.5, "-", "elasticity of the world's allocation to Japan to the price paid above list",
       "assumption: beyond its normal allocation Japan gets more only by outbidding other buyers; within a quarter "
       "supply is inelastic (H100 server lead times 36-52 weeks at the 2023 peak, Tom's Hardware, Nov 2023)", 0.0, 3.0),
    _P("hyperscaler_supply_h100eq_per_year", 40000.0, "H100-eq per year", "accelerators foreign hyperscalers can add to their Japan regions",
       "assumption; AWS (¥2.26tn 2023–27), Microsoft ($2.9bn) and Oracle ($8bn) announced Japan builds, AI only in part",
       0.0, 500000.0),
    _P("gpu_shock_start_quarter", -1, "quarter", "start of a GPU export-control or supply shock (-1: none)",
       _A, -1, 199),
    _P("gpu_shock_duration_quarters", 4, "quarters", "length of the GPU supply shock", _A, 1, 200),
    _P("gpu_shock_supply_factor", 0.25, "share", "share of normal GPU supply that arrives during the shock",
       _A, 0.0, 1.0),
    _P("gpu_price_scale", 1.0, "x", "multiplier on GPU list prices (H100 ~$30k, B200 ~$50k)",
       "market estimates: H100 ~$25–40k, B200 ~$40–70k", 0.3, 3.0),
    _P("server_cost_overhead", 1.5, "x", "cost of a deployed accelerator (servers, network, storage) over the chip's price",
       "estimate: a GB200 NVL72 rack at $3.1-5m is $43-70k per GPU against $30-40k for the chip (AI Infra Map TCO tool; "
       "Stratrix)", 1.0, 3.0),
    _P("gpu_rent_decline_per_year", 0.1, "share per year", "yearly fall in what an installed accelerator earns as newer chips arrive",
       "estimate from the H100 rental index as reported by SemiAnalysis: $8-12 (2023), $2.85 (early 2024), $1.70 "
       "(Oct 2025), $2.35 (Mar 2026, 1-year contract)", 0.0, 0.6),
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
    _P("grid_headroom_scale", 1.0, "x", "multiplier on new grid connections open to AI data centres in every region",
       "OCCTO outlook (ITmedia, 29 Jan 2025): data-centre and fab peak demand +0.56 GW (FY2025), +5.38 GW (FY2030), "
       "+7.15 GW (FY2034; data centres 6.16 GW); sim/data/regions.csv splits the AI part by region", 0.0, 5.0),
    _P("ai_share_of_dc_grid", 0.5, "share", "share of new data-centre grid connections that go to AI (GPU) data centres",
       "assumption; Wood Mackenzie (RCR Wireless, 29 Aug 2025): data-centre use 19 TWh (2024) to 57-66 TWh (2034), "
       "driven by AI", 0.1, 1.0),
    _P("server_power_overhead", 2.0, "x", "all-in IT power per accelerator over its chip's rated power (servers, network)",
       "Epoch AI, 'Can AI scaling continue through 2030?' (Aug 2024): ~1.7 kW per H100 all-in; GB200 NVL72 "
       "~120 kW a rack (~1.7 kW per GPU)", 1.2, 3.0),
    # --- data centres ---------------------------------------------------------------------------------
    _P("gpu_hour_price_usd_2026", 2.35, "$ per H100-hour", "GPU-hour rental price at target utilisation, before energy",
       "SemiAnalysis H100 rental index as reported: $2.35 (Mar 2026, 1-year contract); Japan's energy cost is added",
       0.5, 12.0),
    _P("market_adjustment_per_quarter", 0.4, "share", "share of a new market signal (tightness, cheaper venue) acted on within a quarter",
       "assumption: GPU-hours are sold on contracts of months to a year (SemiAnalysis quotes 1-year contracts), so "
       "prices and buyers' venues adjust gradually", 0.05, 1.0),
    _P("open_weight_constant", -1.3, "utility", "alternative-specific constant of foreign open-weight models run in Japan",
       "assumption: integration and operation in-house cost more than an API; set so open weights serve ~10% of "
       "enterprise AI spend in FY2026 (no survey share found)", -10.0, 5.0),
    _P("gpu_price_utilisation_elasticity", 0.5, "-", "how steeply the GPU-hour price rises with utilisation", _A,
       0.0, 5.0),
    _P("target_utilisation", 0.8, "share", "utilisation at which the GPU-hour price is at its base level", _A,
       0.3, 0.98),
    _P("gpu_hour_capex_cost_share", 0.7, "share", "share of the GPU-hour price that pays back hardware capex",
       "assumption; Epoch AI: energy is 2–6% of frontier training cost, hardware most of the rest", 0.2, 0.95),
    _P("background_gpu_demand_share", 0.4, "share", "GPU-hour demand from other AI work in FY2026, as a share of FY2026 capacity",
       "assumption: academia, non-LLM AI, enterprise fine-tuning; Sakura reports 80-90% utilisation (Bloomberg, "
       "30 Oct 2024)", 0.0, 0.9),
    _P("background_gpu_demand_growth_per_year", 0.3, "share per year", "growth of other AI work's GPU-hour demand at constant prices",
       "assumption near the AI market's growth (IDC Japan: AI systems ¥1.076tn 2024 to ¥2.89tn 2028, ASCII, "
       "18 Nov 2024)", 0.0, 1.5),
    _P("gpu_hour_demand_price_elasticity", 1.0, "-", "price elasticity of other AI work's GPU-hour demand", _A,
       0.0, 3.0),
    _P("dc_capex_jpy_bn_per_mw", 1.5, "¥bn per MW", "construction cost of data-centre shell and power per MW",
       "assumption; SoftBank ~¥150bn for its subsidised build (METI)", 0.3, 6.0),
    _P("build_lag_quarters", 8, "quarters", "time from the decision to build to capacity in use",
       "assumption: about two years from decision to halls in use (a fast-tracked Tokyo substation took ~4 "
       "years, ITmedia Smart Japan, 30 Sep 2025; KDDI converted a factory in ~6 months, Yomiuri, 24 Jan 2026)", 1, 24),
    _P("expansion_step_mw", 50.0, "MW", "size of one expansion decision", _A, 5.0, 500.0),
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
    _P("adoption_value_elasticity", 0.5, "-", "elasticity of the adoption hazard to the quality-adjusted price of AI on offer",
       "assumption (no Japanese estimate found): the hazard scales with (value for money)^elasticity, value measured by "
       "the logit inclusive value in log-price units; ICT adoption price elasticities are commonly 0.3–1.5", 0.0, 3.0),
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
    _P("ai_spend_growth_per_year", 0.3, "share per year", "growth of AI demand per adopting enterprise at constant prices",
       "assumption, set so enterprises' AI services spend (adoption and use together) reaches ~¥1.8-2tn by FY2030 "
       "(JEITA: generative-AI demand in Japan ~¥1.8tn by 2030, Weekly BCN, 11 Jan 2024)", 0.0, 1.5),
    _P("ai_demand_price_elasticity", 0.6, "-", "price elasticity of enterprises' AI service volume (spend = volume x price)",
       "assumption: enterprise budgets respond less than 1:1 in the short run; Google's token volume grew ~50x a year "
       "while prices fell ~10x (Google I/O and earnings as reported; a16z, 'Welcome to LLMflation', 12 Nov 2024), "
       "a long-run elasticity above 1 that mixes in new uses", 0.0, 2.0),
    _P("spend_large_jpy_mn_per_year", 60.0, "¥mn/year", "AI services spend of a large adopting enterprise", _A,
       1.0, 1000.0),
    _P("spend_medium_jpy_mn_per_year", 1.0, "¥mn/year", "AI services spend of a medium adopting enterprise", _A,
       0.05, 50.0),
    _P("spend_small_jpy_mn_per_year", 0.2, "¥mn/year", "AI services spend of a small adopting enterprise", _A,
       0.01, 10.0),
    _P("homogeneous_users", False, "-", "one kind of user (all alike, equal weights): for the Bass check",
       "validation set-up (Rand & Rust 2011)", group="structure"),
    _P("single_provider", False, "-", "offer only one foreign provider and no domestic ones: for the Bass check",
       "assumption: a validation set-up, not a real quantity", group="structure"),
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


#: Every parameter at its default, gathered once (the registry is fixed); only :func:`defaults` reads it.
_DEFAULTS: dict[str, Any] = {p.name: p.default for p in PARAMS_LIST}


def defaults() -> dict[str, Any]:
    """Return a fresh dict of every parameter at its default."""
    return _DEFAULTS.copy()  # a plain dict's copy: a fraction of the cost of reading 135 parameters again


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

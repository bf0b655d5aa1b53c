"""The student's controls: the levers, the settings they make, and the model built from them.

How settings reach the model: the levers panel edits a :class:`Settings` value held in a Solara
reactive variable (one per browser tab, never shared between students). Reset builds
``StudentModel(settings=...)`` from the current levers. Every value is clamped to the parameter's
allowed range and the programme weights are scaled to shares that sum to 1 (:func:`assemble`), so no
slider position can make the model refuse to start; what was changed to make it valid is listed on
the page.

The pure functions (settings, clamping, share normalisation, parameter assembly, run names) need no
browser and are unit-tested; the panel is tested in headless Chromium with the rest of the page.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import numpy as np
import solara

from app.charts import PROGRAMME_COLOURS, PROGRAMME_LABELS, page_record
from sim import networks
from sim.environment import quarter_label
from sim.errors import UserError
from sim.model import DOMESTIC, SovereignAIModel  # agents.* must not be imported before sim
from sim.params import PARAMS, SHARE_NAMES, ParameterError, normalise_shares, resolve
from sim.scenarios import list_scenarios, load_scenario

logger = logging.getLogger(__name__)

# --- what the page lets a student change --------------------------------------------------------------


@dataclass(frozen=True)
class SliderSpec:
    """A slider for one model parameter (its range and unit come from ``sim.params.PARAMS``).

    Attributes:
        name: Parameter name.
        label: What the student reads next to the slider.
        step: Slider increment, in the parameter's unit.
        fmt: How the value is shown.
        short: The parameter's name in a run's name ("budget ¥2,000bn").
    """

    name: str
    label: str
    step: float
    fmt: str = "{:g}"
    short: str = ""

    def show(self, value: float) -> str:
        """The value as the student reads it, e.g. "¥1,000bn" or "25%"."""
        return self.fmt.format(value)

    @property
    def low(self) -> float:
        """Smallest allowed value."""
        return float(PARAMS[self.name].low)

    @property
    def high(self) -> float:
        """Largest allowed value."""
        return float(PARAMS[self.name].high)

    @property
    def group(self) -> str:
        """``"lever"`` (a policy choice) or ``"uncertainty"`` (the world)."""
        return PARAMS[self.name].group


#: The sliders, in the order the page shows them. Ranges are the parameters' allowed ranges.
SLIDERS: tuple[SliderSpec, ...] = (
    SliderSpec("budget_total_jpy_bn", "Public AI budget over the plan's years", 10.0, "¥{:,.0f}bn", "budget"),
    SliderSpec(
        "sovereignty_rule", "Sovereignty rule: sensitive regulated work kept in Japan", 0.05, "{:.0%}", "sovereignty"
    ),
    SliderSpec(
        "investment_tax_credit_rate", "Tax credit on private AI investment", 0.01, "{:.0%} of capex", "tax credit"
    ),
    SliderSpec(
        "gpu_supply_japan_h100eq_per_year", "GPU supply to Japan", 1000.0, "{:,.0f} H100-eq a year", "GPU supply"
    ),
    SliderSpec("electricity_price_jpy_per_kwh", "Electricity price in FY2026", 1.0, "¥{:.0f}/kWh", "electricity"),
    SliderSpec(
        "foreign_price_decline_per_year", "Foreign AI prices fall each year by", 0.01, "{:.0%}", "foreign prices fall"
    ),
    SliderSpec("fx_jpy_per_usd", "Yen rate in FY2026", 1.0, "¥{:.0f} per $", "yen"),
)
SLIDER_BY_NAME: dict[str, SliderSpec] = {s.name: s for s in SLIDERS}

#: Raw programme weights run from 0 to this; the page scales them to shares that sum to 1.
WEIGHT_MAX = 100.0
SEED_MAX = 2**32 - 1
DEFAULT_SEED = 42
DEFAULT_SCENARIO = "baseline"
#: Scenario files whose description starts so are checks of the model, not lessons (e.g. ``bass_check``).
TEST_SCENARIO_PREFIX = "Validation"


def student_scenarios() -> dict[str, str]:
    """The scenarios offered to students (names and descriptions): every shipped one but the model's checks."""
    return {n: d for n, d in list_scenarios().items() if not d.startswith(TEST_SCENARIO_PREFIX)}


@dataclass(frozen=True)
class Settings:
    """Everything the student has set on the page (what Reset builds the next run from).

    Attributes:
        scenario: Scenario name; its file supplies every parameter the page has no slider for.
        seed: The seed box's text (checked by :func:`parse_seed`).
        values: Slider values by parameter name (default: the parameters' defaults).
        weights: Raw programme weights (0–``WEIGHT_MAX``) by share parameter name (default: the
            default shares times ``WEIGHT_MAX``).
    """

    scenario: str = DEFAULT_SCENARIO
    seed: str = str(DEFAULT_SEED)
    values: Mapping[str, float] = field(
        default_factory=lambda: {s.name: float(PARAMS[s.name].default) for s in SLIDERS}
    )
    weights: Mapping[str, float] = field(
        default_factory=lambda: {n: round(float(PARAMS[n].default) * WEIGHT_MAX, 6) for n in SHARE_NAMES}
    )


def settings_for_scenario(name: str, seed: str | int = DEFAULT_SEED) -> Settings:
    """Return the page's settings for a scenario: its values on every slider, its shares as weights.

    An unknown scenario name gives the baseline's settings under that name; :func:`assemble` says so.
    """
    try:
        overrides = load_scenario(name)
    except UserError:
        overrides = {}
    params = {**{n: p.default for n, p in PARAMS.items()}, **overrides}
    return Settings(
        scenario=name,
        seed=str(seed),
        values={s.name: float(params[s.name]) for s in SLIDERS},
        weights={n: round(float(params[n]) * WEIGHT_MAX, 6) for n in SHARE_NAMES},
    )


def with_value(settings: Settings, name: str, value: float) -> Settings:
    """Return ``settings`` with one slider (parameter ``name``) set to ``value``."""
    return replace(settings, values={**settings.values, name: value})


def with_weight(settings: Settings, name: str, value: float) -> Settings:
    """Return ``settings`` with one programme weight (share parameter ``name``) set to ``value``."""
    return replace(settings, weights={**settings.weights, name: value})


def clamp(name: str, value: Any) -> tuple[float | int, str | None]:
    """Bring a slider value inside the parameter's allowed range.

    Args:
        name: Parameter name (a key of ``sim.params.PARAMS``).
        value: What the slider sent.

    Returns:
        The value to use, and a sentence for the student when it had to be changed (else None).
    """
    param = PARAMS[name]
    label = SLIDER_BY_NAME[name].label if name in SLIDER_BY_NAME else name
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        return param.default, f"{label}: {value!r} is not a number; using the default {param.default:g}."
    low, high = float(param.low), float(param.high)
    used = min(max(number, low), high)
    if param.kind is int:
        used = int(round(used))
    note = None
    if used != number:
        show = SLIDER_BY_NAME[name].show if name in SLIDER_BY_NAME else (lambda x: f"{x:g} {param.unit}")
        side = "below the smallest" if number < low else "above the largest"
        note = (
            f"{label}: {show(number)} is {side} value the model accepts ({show(low)} to {show(high)}); "
            f"using {show(used)}."
        )
    return used, note


def programme_shares(weights: Mapping[str, Any]) -> tuple[dict[str, float], str | None]:
    """Scale raw programme weights to shares that sum to 1.

    Args:
        weights: Raw weights by share parameter name; missing, negative or non-numbers count as 0,
            values above ``WEIGHT_MAX`` as ``WEIGHT_MAX``.

    Returns:
        The shares by share parameter name, and a sentence when all weights were 0 (equal shares).
    """
    raw: dict[str, float] = {}
    for name in SHARE_NAMES:
        try:
            w = float(weights.get(name, 0.0))
        except (TypeError, ValueError):
            w = 0.0
        raw[name] = min(max(w, 0.0), WEIGHT_MAX) if math.isfinite(w) else 0.0
    shares = normalise_shares(raw)
    note = None
    if sum(raw.values()) <= 0:
        note = "All programme weights are 0, so the budget is split equally across the seven programmes."
    return {n: float(shares[n]) for n in SHARE_NAMES}, note


def parse_seed(text: Any) -> tuple[int, str | None]:
    """Read the seed box: a whole number from 0 to 2³²−1.

    Returns:
        The seed to use, and a sentence when the text had to be changed (else None).
    """
    raw = str(text).strip().replace("_", "").replace(",", "")
    try:
        number = float(raw)
        if not number.is_integer():
            raise ValueError(raw)
        seed = int(number)
    except (ValueError, OverflowError):
        return DEFAULT_SEED, f"Seed {str(text)!r} is not a whole number; using {DEFAULT_SEED}."
    if not 0 <= seed <= SEED_MAX:
        used = min(max(seed, 0), SEED_MAX)
        return used, f"Seed {seed} is outside 0 to {SEED_MAX:,}; using {used}."
    return seed, None


@dataclass(frozen=True)
class Assembly:
    """What a run is built from.

    Attributes:
        params: Parameter overrides for ``SovereignAIModel`` (checked by ``sim.params.resolve``).
        seed: The run's seed.
        notes: Sentences telling the student what was clamped, scaled or replaced, and why.
    """

    params: dict[str, Any]
    seed: int
    notes: tuple[str, ...]


def assemble(settings: Settings) -> Assembly:
    """Turn the page's settings into model parameters that the model accepts.

    The scenario supplies everything without a slider; each slider value is clamped to its range;
    the weights become shares summing to 1. Should the result still be refused, the scenario alone
    is used and the reason is given.
    """
    notes: list[str] = []
    try:
        base = load_scenario(settings.scenario)
    except UserError as err:
        base = {}
        notes.append(f"{err}; using the baseline.")
    params = dict(base)
    for spec in SLIDERS:
        value, note = clamp(spec.name, settings.values.get(spec.name, PARAMS[spec.name].default))
        params[spec.name] = value
        if note:
            notes.append(note)
    shares, note = programme_shares(settings.weights)
    params.update(shares)
    if note:
        notes.append(note)
    seed, note = parse_seed(settings.seed)
    if note:
        notes.append(note)
    try:
        resolve(params)
    except ParameterError as err:  # should not happen: every value above is in range
        notes.append(f"The model refused these settings ({err}); running the scenario as it is.")
        params = dict(base)
    return Assembly(params=params, seed=seed, notes=tuple(notes))


def changed_settings(applied: Settings, pending: Settings) -> list[str]:
    """Name what differs between the running model's settings and the panel's (for the Reset hint)."""
    changed = []
    if applied.scenario != pending.scenario:
        changed.append("scenario")
    if str(applied.seed).strip() != str(pending.seed).strip():
        changed.append("seed")
    for spec in SLIDERS:
        if applied.values.get(spec.name) != pending.values.get(spec.name):
            changed.append(spec.label.split(":")[0])
    if programme_shares(applied.weights)[0] != programme_shares(pending.weights)[0]:
        changed.append("programme shares")
    return changed


def run_name(settings: Settings) -> str:
    """A run named by what differs from its scenario's own settings, e.g. "baseline: budget ¥2,000bn".

    Values are shown as the run used them (clamped); programme shares that moved by a percentage point
    or more are named with their new share; a seed other than the default is named last.
    """
    base = settings_for_scenario(settings.scenario)
    parts = []
    for spec in SLIDERS:
        used = clamp(spec.name, settings.values.get(spec.name, PARAMS[spec.name].default))[0]
        if not math.isclose(used, base.values[spec.name], rel_tol=1e-9, abs_tol=1e-12):
            parts.append(f"{spec.short} {spec.show(used)}")
    shares, base_shares = programme_shares(settings.weights)[0], programme_shares(base.weights)[0]
    for name in SHARE_NAMES:
        if abs(shares[name] - base_shares[name]) >= 0.005:
            parts.append(f"{PROGRAMME_LABELS[name]} {shares[name]:.0%}")
    seed = parse_seed(settings.seed)[0]
    if seed != DEFAULT_SEED:
        parts.append(f"seed {seed}")
    return f"{settings.scenario}: {', '.join(parts)}" if parts else settings.scenario


# --- the model behind the page ------------------------------------------------------------------------


class StudentModel(SovereignAIModel):
    """``SovereignAIModel`` built from the page's settings, which never shows a traceback.

    Args:
        settings: The page's settings, or a Solara reactive variable holding them; None = baseline.

    Attributes:
        settings: The settings this run was built from.
        seed: The run's seed.
        params: The parameter overrides the run was built from (see :func:`assemble`).
        notes: What was clamped or replaced to make the settings valid (shown on the page).
        error: Why the run stopped early, if a step failed (shown on the page), else None.
        records: One record per quarter run, as the charts read them (:func:`app.charts.page_record`).
    """

    def __init__(self, *, settings: Settings | Any = None) -> None:
        settings = getattr(settings, "value", settings)
        if not isinstance(settings, Settings):
            settings = settings_for_scenario(DEFAULT_SCENARIO)
        built = assemble(settings)
        super().__init__(rng=built.seed, **built.params)
        self.settings: Settings = settings
        self.seed: int = built.seed
        self.params: dict[str, Any] = built.params
        self.notes: tuple[str, ...] = built.notes
        self.error: str | None = None
        self.records: list[dict[str, Any]] = []
        self._users = [f"users_{n}" for n in self.provider_names]
        self._domestic = [bool(h == DOMESTIC) for h in self.hosting]
        self._peer_view: tuple[nx.Graph, dict[int, np.ndarray]] | None = None
        self._mesa_step = self.step  # Mesa's wrapper: advances the clock, counts, then calls step()
        self.step = self._step_unless_done

    def _step_unless_done(self) -> None:
        """What ``model.step()`` does on the page: nothing once the run is over or has stopped.

        "Quarters per Step" can ask for more quarters than are left; the run then stays at its last
        quarter, with Mesa's clock and step count unchanged.
        """
        if self.steps >= self.p["quarters"] or self.error is not None:
            self.running = False
            return
        self._mesa_step()

    def step(self) -> None:
        """Advance one quarter; should the model fail, stop the run and say why instead of raising."""
        try:
            super().step()
            self.records.append(page_record(self.record, self._users, self._domestic))
        except Exception as err:  # noqa: BLE001 - a student's page shows a sentence, the log the traceback
            logger.exception("step %d failed", self.steps)
            self.running = False
            self.error = (
                f"The model stopped in {quarter_label(max(self.steps - 1, 0))}: {err}. "
                "Press Reset to start again, perhaps with less extreme settings."
            )

    def provider_labels(self) -> list[str]:
        """Short readable names of the providers, in the model's order."""
        names = {a.key: a.name.split(" (")[0] for a in self.providers}
        return [names[k] for k in self.provider_names]

    def domestic_providers(self) -> list[bool]:
        """Whether each provider (in the model's order) is a Japanese one."""
        return list(self._domestic)

    def peer_view(self, n_nodes: int = 40) -> tuple[nx.Graph, dict[int, np.ndarray]] | None:
        """A connected neighbourhood of the peer network (snowball from one user) and its layout.

        Returns None for the complete (mean-field) network, which has no graph to draw.
        """
        if self.peer_adjacency is None:
            return None
        if self._peer_view is None:
            adj = self.peer_adjacency
            start = int(np.random.default_rng(0).integers(adj.shape[0]))
            g = networks.peer_graph(adj, around=start, n_nodes=n_nodes)
            self._peer_view = (g, nx.spring_layout(g, seed=0))
        return self._peer_view


def quarter_text(model: SovereignAIModel) -> str:
    """The current fiscal quarter as the page shows it."""
    total = model.p["quarters"]
    if model.steps == 0:
        return f"Quarter: start of FY2026Q1 (0 of {total} done)"
    return f"Quarter: {model.record['quarter']} ({model.steps} of {total} done)"


# --- the levers panel ----------------------------------------------------------------------------------


@solara.component
def LeverPanel(settings: solara.Reactive[Settings]) -> None:
    """Scenario, seed and sliders. Changes apply when the student presses Reset."""
    s = settings.value
    scenarios = student_scenarios()

    def pick_scenario(name: str) -> None:
        settings.set(settings_for_scenario(name, seed=settings.value.seed))

    with solara.Card("Scenario and seed", margin=0, classes=["sovai-levers"]):
        solara.Select("Scenario", value=s.scenario, values=list(scenarios), on_value=pick_scenario)
        _small(scenarios.get(s.scenario, ""), italic=True)
        solara.InputText(
            "Seed (a whole number: same seed, same run)",
            value=s.seed,
            on_value=lambda text: settings.set(replace(settings.value, seed=text)),
        )
        _small("Picking a scenario sets the sliders to its values. Changes apply when you press Reset.")

    shares, _ = programme_shares(s.weights)
    budget = float(clamp("budget_total_jpy_bn", s.values.get("budget_total_jpy_bn", 0.0))[0])
    with solara.Card("Budget and programmes", margin=0):
        _slider(settings, SLIDER_BY_NAME["budget_total_jpy_bn"])
        _small("How the budget is split: move the weights; the page scales them so the shares always add up to 100%.")
        _share_bar(shares)
        for name in SHARE_NAMES:
            with solara.Column(gap="0px", classes=[f"sovai-slider-{name}"]):
                _small(
                    f"{PROGRAMME_LABELS[name]}: {shares[name]:.0%} = ¥{shares[name] * budget:,.0f}bn",
                    colour=PROGRAMME_COLOURS[name],
                    bold=True,
                    classes=["sovai-slider-label"],
                )
                solara.SliderFloat(
                    "",
                    value=float(s.weights.get(name, 0.0)),
                    min=0.0,
                    max=WEIGHT_MAX,
                    step=1.0,
                    on_value=lambda v, n=name: settings.set(with_weight(settings.value, n, v)),
                )
        _small(f"Shares add up to {sum(shares.values()):.0%}.", classes=["sovai-share-total"])

    with solara.Card("Policy levers", margin=0):
        for spec in SLIDERS:
            if spec.group == "lever" and spec.name != "budget_total_jpy_bn":
                _slider(settings, spec)
    with solara.Card("The world (uncertainties)", margin=0):
        for spec in SLIDERS:
            if spec.group != "lever":
                _slider(settings, spec)


def _small(
    text: str, *, italic: bool = False, bold: bool = False, colour: str = "#444444", classes: list[str] | None = None
) -> None:
    style = {
        "font-size": "0.85rem",
        "color": colour,
        "display": "block",
        "font-style": "italic" if italic else "normal",
        "font-weight": "600" if bold else "normal",
    }
    solara.Text(text, style=style, classes=classes or [])


def _slider(settings: solara.Reactive[Settings], spec: SliderSpec) -> None:
    """A slider with its label and current value on the line above it."""
    value = float(clamp(spec.name, settings.value.values.get(spec.name, PARAMS[spec.name].default))[0])
    with solara.Column(gap="0px", classes=[f"sovai-slider-{spec.name}"]):
        _small(f"{spec.label}: {spec.show(value)}", bold=True, classes=["sovai-slider-label"])
        solara.SliderFloat(
            "",
            value=value,
            min=spec.low,
            max=spec.high,
            step=spec.step,
            on_value=lambda v: settings.set(with_value(settings.value, spec.name, v)),
        )


def _share_bar(shares: Mapping[str, float]) -> None:
    """One horizontal bar split by programme, so the 100% is visible at a glance."""
    with solara.Row(
        gap="0px", style={"height": "14px", "width": "100%", "margin": "4px 0 8px 0"}, classes=["sovai-share-bar"]
    ):
        for name, share in shares.items():
            if share > 0:
                solara.Div(
                    style={"width": f"{share * 100:.2f}%", "background": PROGRAMME_COLOURS[name], "height": "14px"}
                )

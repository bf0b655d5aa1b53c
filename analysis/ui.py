"""The students' page: move the levers, press Step, watch Japan's AI ecosystem change.

Built on Mesa's own SolaraViz (its Reset / Play / Step controls, its plot components) with a few
custom Solara components: the levers panel, the quarter shown in the app bar, two charts that need
more than one line per measure, and a small network view. Start it with ``sovai ui`` or
``solara run analysis.ui``.

How settings reach the model: the levers panel edits a :class:`Settings` value held in a Solara
reactive variable (one per browser tab). SolaraViz receives that reactive variable as a fixed model
parameter, so its Reset button builds ``StudentModel(settings=...)`` from the current levers. Every
value is clamped to the parameter's allowed range and the programme weights are scaled to shares
that sum to 1 (:func:`assemble`), so no slider position can make the model refuse to start; what was
changed to make it valid is listed on the page.

The pure functions at the top (settings, clamping, share normalisation, parameter assembly) need no
browser and are unit-tested; the components below them are tested in headless Chromium.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import matplotlib.ticker as mticker
import networkx as nx
import numpy as np
import solara
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from sim import networks
from sim.environment import quarter_label
from sim.errors import UserError
from sim.model import DOMESTIC, GENERAL, SovereignAIModel  # agents.* must not be imported before sim
from sim.params import PARAMS, PROGRAMMES, SHARE_NAMES, ParameterError, normalise_shares, resolve
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
    """

    name: str
    label: str
    step: float
    fmt: str = "{:g}"

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
    SliderSpec("budget_total_jpy_bn", "Public AI budget over the plan's years", 10.0, "¥{:,.0f}bn"),
    SliderSpec("sovereignty_rule", "Sovereignty rule: sensitive regulated work kept in Japan", 0.05, "{:.0%}"),
    SliderSpec("investment_tax_credit_rate", "Tax credit on private AI investment", 0.01, "{:.0%} of capex"),
    SliderSpec("gpu_supply_japan_h100eq_per_year", "GPU supply to Japan", 1000.0, "{:,.0f} H100-eq a year"),
    SliderSpec("electricity_price_jpy_per_kwh", "Electricity price in FY2026", 1.0, "¥{:.0f}/kWh"),
    SliderSpec("foreign_price_decline_per_year", "Foreign AI prices fall each year by", 0.01, "{:.0%}"),
    SliderSpec("fx_jpy_per_usd", "Yen rate in FY2026", 1.0, "¥{:.0f} per $"),
)
SLIDER_BY_NAME: dict[str, SliderSpec] = {s.name: s for s in SLIDERS}

#: Raw programme weights run from 0 to this; the page scales them to shares that sum to 1.
WEIGHT_MAX = 100.0
#: Readable programme names, by share parameter.
PROGRAMME_LABELS: dict[str, str] = {
    "share_compute_capex": "Data-centre capex subsidy",
    "share_compute_grants": "GPU-hours for developers",
    "share_rnd": "R&D grants",
    "share_data": "Japanese data",
    "share_talent": "Talent",
    "share_adoption": "Adoption subsidy",
    "share_procurement": "Government procurement",
}
#: One colour per programme, used by the weights panel and the budget chart alike.
PROGRAMME_COLOURS: dict[str, str] = dict(
    zip(SHARE_NAMES, ("#1f77b4", "#17becf", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#2ca02c"), strict=True)
)
SEED_MAX = 2**32 - 1
DEFAULT_SEED = 42
DEFAULT_SCENARIO = "baseline"


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


# --- the model behind the page ------------------------------------------------------------------------


class StudentModel(SovereignAIModel):
    """``SovereignAIModel`` built from the page's settings, which never shows a traceback.

    SolaraViz's Reset calls ``type(model)(**fixed_params, scenario=...)``, so this constructor takes
    the settings (or the reactive variable that holds them) and Mesa's own ``scenario`` object, which
    it does not need: the seed comes from the settings.

    Args:
        settings: The page's settings, or a Solara reactive variable holding them; None = baseline.
        scenario: Mesa's Scenario object passed by SolaraViz's Reset (unused).

    Attributes:
        settings: The settings this run was built from.
        notes: What was clamped or replaced to make the settings valid (shown on the page).
        error: Why the run stopped early, if a step failed (shown on the page), else None.
    """

    def __init__(self, *, settings: Settings | Any = None, scenario: Any = None) -> None:
        del scenario  # Mesa's experiment object; the seed and parameters come from the settings
        settings = getattr(settings, "value", settings)
        if not isinstance(settings, Settings):
            settings = settings_for_scenario(DEFAULT_SCENARIO)
        built = assemble(settings)
        super().__init__(rng=built.seed, **built.params)
        self.settings: Settings = settings
        self.seed: int = built.seed
        self.notes: tuple[str, ...] = built.notes
        self.error: str | None = None
        self._peer_view: tuple[nx.Graph, dict[int, np.ndarray]] | None = None
        self._mesa_step = self.step  # Mesa's wrapper: advances the clock, counts, then calls step()
        self.step = self._step_unless_done

    def _step_unless_done(self) -> None:
        """What ``model.step()`` does on the page: nothing once the run is over or has stopped.

        Mesa's Render Interval can ask for more quarters than are left; the run then stays at its
        last quarter, with Mesa's clock and step count unchanged.
        """
        if self.steps >= self.p["quarters"] or self.error is not None:
            self.running = False
            return
        self._mesa_step()

    def step(self) -> None:
        """Advance one quarter; should the model fail, stop the run and say why instead of raising."""
        try:
            super().step()
        except Exception as err:  # noqa: BLE001 - a student's page shows a sentence, the log the traceback
            logger.exception("step %d failed", self.steps)
            self.running = False
            self.error = (
                f"The model stopped in {quarter_label(max(self.steps - 1, 0))}: {err}. "
                "Press Reset to start again, perhaps with less extreme settings."
            )

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


# --- charts -------------------------------------------------------------------------------------------

CHART_SIZE = (6.4, 3.9)
CHART_DPI = 80


def short_quarter(t: float) -> str:
    """Tick label of quarter index ``t``: "FY27Q2" (blank between whole quarters)."""
    if t < 0 or not float(t).is_integer():
        return ""
    label = quarter_label(int(t))
    return f"FY{label[4:6]}{label[6:]}"


def _quarter_axis(ax: Axes, n_points: int) -> None:
    """Fiscal quarters on the x axis, the whole horizon shown from the start."""
    ax.set_xlim(-0.5, max(n_points, PARAMS["quarters"].default) - 0.5)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda x, _pos: short_quarter(x)))
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.label.set_visible(False)  # Mesa labels it "Step"; the ticks say the quarter
    ax.grid(alpha=0.3)
    if n_points == 0:
        ax.text(
            0.5,
            0.5,
            "Press Step or ▶ to run the first quarter",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            color="#666666",
        )
        ax.set_yticks([])


def _styler(title: str, ylabel: str, labels: Mapping[str, str] | None = None) -> Callable[[Axes], None]:
    """Return a post_process for Mesa's matplotlib plot component: title, units, names, quarters."""

    def post_process(ax: Axes) -> None:
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_ylabel(ylabel)
        lines = ax.get_lines()
        n_points = max((len(line.get_xdata()) for line in lines), default=0)
        for line in lines:
            if n_points == 1:
                line.set_marker("o")  # one quarter is a point, not yet a line
        _quarter_axis(ax, n_points)
        if labels:
            ax.legend(
                lines,
                [labels.get(h.get_label(), h.get_label()) for h in lines],
                fontsize=7,
                loc="upper left",
                ncol=2,
                framealpha=0.8,
            )

    return post_process


#: The page redraws every chart each quarter; SVG costs the server about half what PNG does (no
#: rasterising) and stays sharp at any size.
FIGURE_FORMAT = "svg"
FIGURE_OPTIONS: dict[str, Any] = {"format": FIGURE_FORMAT}


def _figure(right_axis: bool = False) -> tuple[Figure, Axes]:
    """A chart-sized figure with fixed margins (cheaper than constrained or tight layout)."""
    fig = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
    fig.subplots_adjust(left=0.11, right=0.88 if right_axis else 0.97, top=0.9, bottom=0.1)
    return fig, fig.subplots()


def _memo_figure(build: Callable[[], Figure], dependencies: list[Any]) -> None:
    """Show a figure, building and encoding it again only when ``dependencies`` change."""
    fig = solara.use_memo(build, dependencies)
    solara.FigureMatplotlib(fig, dependencies=dependencies, **FIGURE_OPTIONS)


def provider_label(model: SovereignAIModel, key: str) -> str:
    """Short readable name of a provider."""
    agent = next(a for a in model.providers if a.key == key)
    return agent.name.split(" (")[0]


def adoption_figure(model: SovereignAIModel) -> Figure:
    """Share of enterprises using each provider for their general AI work (stacked: the top is adoption)."""
    df = model.datacollector.get_model_vars_dataframe()
    fig, ax = _figure()
    keys = model.provider_names
    warm = iter(("#d62728", "#ff7f0e", "#e377c2", "#bcbd22", "#8c564b", "#f7b6d2", "#ffbb78", "#c49c94"))
    cool = iter(("#1f77b4", "#17becf", "#9467bd", "#aec7e8", "#7f7f7f"))
    colours = [next(warm) if h == DOMESTIC else next(cool) for h in model.hosting]
    if len(df):
        x, ys = np.arange(len(df), dtype=float), [df[f"users_{k}"].to_numpy() for k in keys]
        if len(df) == 1:  # one quarter: a block rather than an invisible zero-width area
            x, ys = np.array([-0.4, 0.4]), [np.repeat(y, 2) for y in ys]
        ax.stackplot(x, ys, colors=colours, labels=[provider_label(model, k) for k in keys], alpha=0.9)
        ax.legend(fontsize=7, loc="upper left", ncol=2, framealpha=0.8)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set_title("Adoption by provider (red = domestic, blue = foreign)", fontsize=11, loc="left")
    ax.set_ylabel("share of enterprises")
    _quarter_axis(ax, len(df))
    return fig


def compute_power_figure(model: SovereignAIModel) -> Figure:
    """AI compute installed in Japan (left axis) and the data centres' power (right axis)."""
    df = model.datacollector.get_model_vars_dataframe()
    fig, ax = _figure(right_axis=True)
    right = ax.twinx()
    x = np.arange(len(df))
    if len(df):
        marker = "o" if len(df) == 1 else None
        ax.plot(x, df["domestic_compute_eflops"], color="#1f77b4", marker=marker, label="compute (EFLOPS, left)")
        right.plot(x, df["dc_power_mw"], color="#ff7f0e", marker=marker, label="built power (MW, right)")
        right.plot(
            x, df["dc_power_draw_mw"], color="#ff7f0e", linestyle=":", marker=marker, label="power drawn (MW, right)"
        )
        handles = ax.get_lines() + right.get_lines()
        ax.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="center right", framealpha=0.8)
        right.set_ylim(bottom=0)
    else:
        right.set_yticks([])
    ax.set_ylim(bottom=0)
    ax.set_ylabel("AI compute in Japan (EFLOPS)", color="#1f77b4")
    right.set_ylabel("data-centre power (MW)", color="#ff7f0e")
    ax.set_title("Compute and power in Japan", fontsize=11, loc="left")
    _quarter_axis(ax, len(df))
    return fig


@solara.component
def AdoptionChart(model: SovereignAIModel) -> None:
    """Adoption by provider (custom: the provider list depends on the scenario)."""
    update_counter.get()
    _memo_figure(lambda: adoption_figure(model), [model, model.steps])


@solara.component
def ComputePowerChart(model: SovereignAIModel) -> None:
    """Compute and power on two axes (custom: two units in one chart)."""
    update_counter.get()
    _memo_figure(lambda: compute_power_figure(model), [model, model.steps])


#: Mesa's own plot components for the charts with one line per measure.
DeficitChart = make_plot_component(
    {"digital_deficit_ai_jpy_bn": "#d62728"},
    post_process=_styler(
        "Digital deficit from AI (foreign AI and compute, less exports)",
        "¥bn a year",
        {"digital_deficit_ai_jpy_bn": "AI part of the digital deficit"},
    ),
    save_format=FIGURE_FORMAT,
)
CapabilityChart = make_plot_component(
    {"best_domestic_capability": "#d62728", "frontier_capability": "#1f77b4"},
    post_process=_styler(
        "Capability: best domestic model vs the world frontier",
        "points (10 = 10x compute)",
        {"best_domestic_capability": "best domestic model", "frontier_capability": "frontier"},
    ),
    save_format=FIGURE_FORMAT,
)
BudgetChart = make_plot_component(
    {f"spent_{p}_jpy_bn": PROGRAMME_COLOURS[f"share_{p}"] for p in PROGRAMMES},
    post_process=_styler(
        "Public budget spent by programme (cumulative)",
        "¥bn",
        {f"spent_{p}_jpy_bn": PROGRAMME_LABELS[f"share_{p}"] for p in PROGRAMMES},
    ),
    save_format=FIGURE_FORMAT,
)


NETWORK_VIEWS = ("Supply network", "Peer network")


def network_figure(model: StudentModel, view: str = NETWORK_VIEWS[0]) -> Figure:
    """The supply network (who pays whom) or a neighbourhood of the users' peer network."""
    fig, ax = _figure()
    fig.subplots_adjust(left=0.01, right=0.99, top=0.86, bottom=0.01)
    if view == NETWORK_VIEWS[0]:
        _draw_supply_network(ax, model)
    else:
        _draw_peer_network(ax, model)
    ax.set_axis_off()
    return fig


@solara.component
def NetworkView(model: StudentModel) -> None:
    """Who pays whom (the supply network) or how adoption spreads (a neighbourhood of the peer network)."""
    update_counter.get()
    view, set_view = solara.use_state(NETWORK_VIEWS[0])
    with solara.Column(gap="0px", classes=["sovai-network"]):
        solara.ToggleButtonsSingle(value=view, on_value=set_view, values=list(NETWORK_VIEWS), dense=True)
        _memo_figure(lambda: network_figure(model, view), [model, model.steps, view])


def _draw_supply_network(ax: Axes, model: StudentModel) -> None:
    """Government left, developers in the middle, data centres right; line width = money so far."""
    g = model.supply_network()
    devs = [n for n, d in g.nodes(data=True) if d["kind"] == "developer"]
    dcs = [n for n, d in g.nodes(data=True) if d["kind"] == "datacentre"]
    pos = {"government": np.array([0.0, 0.5])}
    for column, nodes in ((1.0, devs), (2.0, dcs)):
        for i, n in enumerate(nodes):
            pos[n] = np.array([column, 1 - (i + 0.5) / max(len(nodes), 1)])
    edges = list(g.edges(data=True))
    amounts = np.array([d.get("jpy_bn", 0.0) for *_, d in edges])
    top = amounts.max() if len(amounts) and amounts.max() > 0 else 1.0
    if edges:
        ax.add_collection(
            LineCollection(
                [(pos[u], pos[v]) for u, v, _ in edges],
                linewidths=0.4 + 5 * np.sqrt(amounts / top),
                colors=["#2ca02c" if u == "government" else "#7f7f7f" for u, _, _ in edges],
                alpha=0.5,
                zorder=1,
            )
        )
    kinds = {"government": ("#2ca02c", "s"), "developer": ("#d62728", "o"), "datacentre": ("#1f77b4", "D")}
    for n, d in g.nodes(data=True):
        colour, marker = kinds[d["kind"]]
        size = 160 if d["kind"] != "datacentre" else 40 + 260 * min(1.0, d.get("eflops", 0.0) / 20)
        ax.scatter(*pos[n], s=size, c=colour, marker=marker, zorder=3, edgecolors="white")
        label = "Government" if n == "government" else d.get("label", n).split(" (")[0][:32]
        align = {"government": "right", "developer": "center", "datacentre": "left"}[d["kind"]]
        dx = {"right": -0.08, "center": 0.0, "left": 0.1}[align]
        dy = 0.05 if d["kind"] == "developer" else 0.0
        ax.text(pos[n][0] + dx, pos[n][1] + dy, label, fontsize=7, ha=align, va="center", zorder=4)
    ax.set_xlim(-0.55, 3.55)
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(
        "Supply network: who pays whom (line width = ¥ so far)\ngreen = public money, "
        "grey = developers' compute contracts, ◆ size = compute",
        fontsize=9,
        loc="left",
    )


def _draw_peer_network(ax: Axes, model: StudentModel) -> None:
    """A connected neighbourhood of 40 users; colour = provider of their general AI work."""
    view = model.peer_view()
    if view is None:
        ax.text(
            0.5,
            0.5,
            "In this scenario every user sees every other user\n(a complete network): nothing to draw.",
            ha="center",
            va="center",
            fontsize=10,
        )
        return
    g, pos = view
    pop = model.population
    nodes = list(g.nodes)
    provider = pop.provider[nodes, GENERAL]
    adopted = pop.adopted[nodes]
    domestic = adopted & (provider >= 0) & (model.hosting[np.maximum(provider, 0)] == DOMESTIC)
    colours = np.where(~adopted, "#d9d9d9", np.where(domestic, "#d62728", "#1f77b4"))
    for u, v in g.edges:
        ax.plot(*zip(pos[u], pos[v], strict=True), color="#bbbbbb", lw=0.6, zorder=1)
    sizes = 20 + 25 * np.log10(1 + pop.weight[nodes])
    ax.scatter(
        [pos[n][0] for n in nodes],
        [pos[n][1] for n in nodes],
        s=sizes,
        c=list(colours),
        zorder=2,
        edgecolors="white",
        linewidths=0.5,
    )
    ax.set_title(
        "Peer network around one user: grey = no AI yet, red = domestic AI,\nblue = foreign AI "
        "(dot size = enterprises it stands for; adoption spreads along links)",
        fontsize=9,
        loc="left",
    )


# --- the page -----------------------------------------------------------------------------------------


@solara.component
def QuarterStatus(model: SovereignAIModel) -> None:
    """The current fiscal quarter, in the app bar."""
    update_counter.get()
    solara.Text(quarter_text(model), classes=["sovai-quarter"], style={"font-size": "1.1rem", "margin": "0 1rem"})


@solara.component
def RunNotes(model: StudentModel, settings: solara.Reactive[Settings]) -> None:
    """What Reset will change, what was clamped, and why a run stopped early."""
    update_counter.get()
    changed = changed_settings(model.settings, settings.value)
    with solara.Column(gap="6px", classes=["sovai-notes"]):
        if changed:
            solara.Warning(
                f"Changed since this run started: {', '.join(changed)}. Press Reset to start a new "
                "run from FY2026Q1 with them.",
                dense=True,
                classes=["sovai-pending"],
            )
        for note in model.notes:
            solara.Info(note, dense=True, classes=["sovai-note"])
        if model.error:
            solara.Error(model.error, dense=True, classes=["sovai-error"])
        elif not model.running and model.steps > 0:
            solara.Success(f"The run reached {model.record['quarter']}. Press Reset to start again.", dense=True)


@solara.component
def LeverPanel(settings: solara.Reactive[Settings]) -> None:
    """Scenario, seed and sliders. Changes apply when the student presses Reset."""
    s = settings.value
    scenarios = list_scenarios()

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


@solara.component
def SidebarContent(model: StudentModel, settings: solara.Reactive[Settings]) -> None:
    """The notes and the levers, placed in the sidebar below SolaraViz's own Controls card."""
    with solara.Sidebar():
        with solara.Column(gap="12px", style={"padding": "0 12px 12px 12px"}):
            RunNotes(model, settings)
            LeverPanel(settings)


@solara.component
def SidebarPanel(model: StudentModel, settings: solara.Reactive[Settings], depth: int = 3) -> None:
    """Nest the sidebar content deeper than SolaraViz's, so the sidebar lists Mesa's Controls first.

    Solara orders sidebar parts by how deep in the component tree they are declared.
    """
    if depth > 0:
        SidebarPanel(model, settings, depth - 1)
    else:
        SidebarContent(model, settings)


CSS = """
.sovai-quarter { font-weight: 600; }
.v-application .vue-grid-item img { max-width: 100%; height: auto; }
/* Mesa's "Model Parameters" card has nothing in it here (the levers have their own cards): hide it */
.v-card:has(> .v-card__text > .v-sheet:empty) { display: none; }
"""


@solara.component
def Page() -> None:
    """The page: Mesa's SolaraViz with the levers panel, the charts and the network view."""
    settings = solara.use_reactive(solara.use_memo(lambda: settings_for_scenario(DEFAULT_SCENARIO), []))
    first = solara.use_memo(lambda: StudentModel(settings=settings.value), [])
    model = solara.use_reactive(first)
    solara.Style(CSS)
    solara.Title("sovai: Japan's sovereign-AI ecosystem")
    with solara.AppBar():
        QuarterStatus(model.value)
    SidebarPanel(model.value, settings)
    SolaraViz(
        model,
        components=[AdoptionChart, DeficitChart, ComputePowerChart, CapabilityChart, BudgetChart, NetworkView],
        model_params={"settings": settings},
        name="sovai: Japan's sovereign-AI ecosystem",
        play_interval=150,
    )


page = Page

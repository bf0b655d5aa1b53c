"""The page's charts, drawn in the browser with Vega-Lite, and what they show.

Each chart is a :class:`LiveChart` widget: the Vega-Lite spec is built here once per run layout and
compiled in the browser; each quarter the widget receives the run's rows and the browser inserts only
the new ones (see ``livechart.vue``), so a Step costs the server a few dictionaries rather than a
rendered image. Beside the run each chart can show other runs for comparison (the previous run as a
faint "ghost", up to three pinned runs, the no-policy run of the same seed) and the run's events
(vertical rules), all passed in as plain data.

Everything above the widget is plain Python (records, rows, specs, events), unit-tested without a
browser.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipyvuetify
import numpy as np
import solara
import traitlets
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from sim.environment import quarter_label
from sim.model import DOMESTIC, GENERAL  # agents.* must not be imported before sim
from sim.params import PROGRAMMES

#: The programme colours, shared by the budget chart and the levers' share bar.
PROGRAMME_COLOURS: dict[str, str] = dict(
    zip(
        (f"share_{p}" for p in PROGRAMMES),
        ("#1f77b4", "#17becf", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#2ca02c"),
        strict=True,
    )
)
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
WARM = ("#d62728", "#ff7f0e", "#e377c2", "#bcbd22", "#8c564b", "#f7b6d2", "#ffbb78", "#c49c94")
COOL = ("#1f77b4", "#17becf", "#9467bd", "#aec7e8", "#7f7f7f")
#: Colours of the comparison runs, in order: the previous run, the no-policy run, then the pins.
RUN_COLOURS = ("#9e9e9e", "#000000", "#b15928", "#6a3d9a", "#1b9e77")
#: Derived record fields the page adds to the model's own.
DOMESTIC_ADOPTION = "domestic_adoption"
TOTAL_SPENT = "budget_spent_jpy_bn"


# --- records --------------------------------------------------------------------------------------------
def page_record(record: Mapping[str, Any], users: Sequence[str], domestic: Sequence[bool]) -> dict[str, Any]:
    """One quarter's model record with the page's derived fields, JSON-safe (non-finite numbers -> None).

    Args:
        record: The model's record of the quarter (``model.record``).
        users: The record's ``users_<provider>`` column names, in provider order.
        domestic: Whether each provider is a Japanese one.
    """
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, bool | int | float):
            value = float(value)
            out[key] = value if math.isfinite(value) else None
        else:
            out[key] = value
    out[DOMESTIC_ADOPTION] = sum(float(record[c]) for c, d in zip(users, domestic, strict=True) if d)
    return out


@dataclass(frozen=True)
class Series:
    """One line of a chart: a record field, its name in the legend, its colour."""

    field: str
    label: str
    colour: str


@dataclass(frozen=True)
class ChartSpec:
    """What one chart shows.

    Attributes:
        key: Short name (CSS class ``sovai-chart-<key>``).
        title: Title, saying what is measured.
        unit: The y axis's unit.
        series: The run's lines.
        compare: Fields drawn for the comparison runs (the chart's headline measure).
        percent: Values are shares, shown in %.
    """

    key: str
    title: str
    unit: str
    series: tuple[Series, ...]
    compare: tuple[str, ...]
    percent: bool = False


def provider_series(names: Sequence[str], labels: Sequence[str], domestic: Sequence[bool]) -> tuple[Series, ...]:
    """One series per provider: red-to-yellow for Japanese providers, blues for foreign ones."""
    warm, cool = iter(WARM), iter(COOL)
    return tuple(
        Series(f"users_{n}", label, next(warm) if d else next(cool))
        for n, label, d in zip(names, labels, domestic, strict=True)
    )


def chart_specs(providers: Sequence[Series]) -> tuple[ChartSpec, ...]:
    """The page's charts, given the run's providers (which depend on the scenario)."""
    return (
        ChartSpec(
            "adoption",
            "Enterprises using AI, by provider",
            "% of enterprises",
            (Series("adoption_rate", "all providers", "#000000"), *providers),
            ("adoption_rate",),
            percent=True,
        ),
        ChartSpec(
            "domestic",
            "Domestic AI: enterprises using a Japanese provider",
            "% of enterprises",
            (Series(DOMESTIC_ADOPTION, "Japanese providers", "#d62728"),),
            (DOMESTIC_ADOPTION,),
            percent=True,
        ),
        ChartSpec(
            "capability",
            "Capability: best domestic model vs the world frontier",
            "points (10 points = 10x effective compute)",
            (
                Series("best_domestic_capability", "best domestic model", "#d62728"),
                Series("frontier_capability", "world frontier", "#1f77b4"),
            ),
            ("best_domestic_capability",),
        ),
        ChartSpec(
            "deficit",
            "Digital deficit from AI (foreign AI and compute, less exports)",
            "¥bn a year",
            (Series("digital_deficit_ai_jpy_bn", "AI part of the digital deficit", "#d62728"),),
            ("digital_deficit_ai_jpy_bn",),
        ),
        ChartSpec(
            "compute",
            "AI compute installed in Japan",
            "EFLOPS (dense BF16)",
            (Series("domestic_compute_eflops", "compute in Japan", "#1f77b4"),),
            ("domestic_compute_eflops",),
        ),
        ChartSpec(
            "power",
            "Data-centre power in Japan",
            "MW",
            (
                Series("dc_power_mw", "capacity built", "#ff7f0e"),
                Series("dc_power_draw_mw", "average draw", "#8c564b"),
            ),
            ("dc_power_mw",),
        ),
        ChartSpec(
            "budget",
            "Public AI budget spent, by programme (cumulative)",
            "¥bn",
            (
                Series(TOTAL_SPENT, "all programmes", "#000000"),
                *(
                    Series(f"spent_{p}_jpy_bn", PROGRAMME_LABELS[f"share_{p}"], PROGRAMME_COLOURS[f"share_{p}"])
                    for p in PROGRAMMES
                ),
            ),
            (TOTAL_SPENT,),
        ),
    )


def run_row(chart: ChartSpec, q: int, record: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's row of one quarter: its index ``q`` and the value of each series' field.

    One row per quarter (the browser folds it into one point per line), so a quarter costs the
    server one small dictionary per chart.
    """
    return {"q": q, **{s.field: record.get(s.field) for s in chart.series}}


def compare_rows(chart: ChartSpec, runs: Iterable[tuple[str, Sequence[Mapping[str, Any]]]]) -> list[dict[str, Any]]:
    """Rows of the comparison runs (name, records): ``r`` names the run, ``s`` the series."""
    labels = {s.field: s.label for s in chart.series}
    return [
        {"q": q, "s": labels[f], "v": rec.get(f), "r": name, "k": f"{name} · {labels[f]}"}
        for name, records in runs
        for q, rec in enumerate(records)
        for f in chart.compare
    ]


# --- events ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """Something that happened in the run, marked on the time axis: quarter index and a short label."""

    quarter: int
    label: str


def model_events(model: Any, records: Sequence[Mapping[str, Any]]) -> list[Event]:
    """The run's events as the model records them (``model.events``), up to the quarters shown.

    ``events`` may hold ``(quarter, label)`` pairs or mappings with ``quarter`` and ``label``.
    """
    events = []
    for item in model.events:
        quarter, label = (item["quarter"], item["label"]) if isinstance(item, Mapping) else item
        if int(quarter) < len(records):
            events.append(Event(int(quarter), str(label)))
    return events


def event_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Events as chart rows; events of the same quarter share one rule."""
    by_quarter: dict[int, list[str]] = {}
    for e in events:
        by_quarter.setdefault(e.quarter, []).append(e.label)
    return [{"q": q, "e": f"{short_quarter(q)}: " + "; ".join(labels)} for q, labels in by_quarter.items()]


# --- the Vega-Lite spec ---------------------------------------------------------------------------------
def short_quarter(q: int) -> str:
    """Tick label of quarter index ``q``: "FY27Q2"."""
    label = quarter_label(int(q))
    return f"FY{label[4:6]}{label[6:]}"


#: The same labels in Vega's expression language (checked against :func:`short_quarter` by the tests).
QUARTER_EXPR = "'FY' + (26 + floor(datum.value / 4)) + 'Q' + (datum.value % 4 + 1)"


def vega_lite(chart: ChartSpec, quarters: int, run_names: Sequence[str]) -> dict[str, Any]:
    """The chart's Vega-Lite spec: the run's lines, the comparison runs faint below them, event rules.

    The data sets are named and empty (``run``, ``compare``, ``events``): the browser fills them. The x
    axis spans the whole horizon from the start; the legends sit outside the plot, where they cover no
    line: the lines' below it, the comparison runs' (one a row) above it.
    """
    x = {
        "field": "q",
        "type": "quantitative",
        "title": None,
        "scale": {"domain": [0, max(quarters - 1, 1)], "nice": False},
        "axis": {"values": list(range(0, quarters, 4)), "labelExpr": QUARTER_EXPR, "grid": True},
    }
    y_axis = {"title": None, "format": ".2~%" if chart.percent else "~s"}
    y = {"field": "v", "type": "quantitative", "axis": y_axis, "scale": {"zero": True}}
    fmt = ".1%" if chart.percent else ",.1f"
    tooltip = [{"field": "s", "title": "line"}, {"field": "v", "title": chart.unit, "format": fmt}]
    legend = {"orient": "bottom", "direction": "horizontal", "columns": 2, "title": None, "labelLimit": 200}
    runs_legend = {"orient": "top", "direction": "vertical", "title": None, "labelLimit": 400, "symbolDash": [5, 3]}
    series = {
        "field": "s",
        "type": "nominal",
        "scale": {"domain": [s.label for s in chart.series], "range": [s.colour for s in chart.series]},
        "legend": legend if len(chart.series) > 1 else None,
    }
    runs = list(run_names)
    label_expr = "{" + ", ".join(f"{json.dumps(s.field)}: {json.dumps(s.label)}" for s in chart.series) + "}[datum.f]"
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container",
        "height": 190,
        # resize: lay the chart out again as its axis labels grow (e.g. from "0" to "1,500")
        "autosize": {"type": "fit-x", "contains": "padding", "resize": True},
        "title": {
            "text": chart.title,
            "subtitle": chart.unit,
            "anchor": "start",
            "frame": "group",
            "fontSize": 13,
            "fontWeight": 600,
            "subtitleColor": "#555555",
        },
        "resolve": {"scale": {"color": "independent"}, "legend": {"color": "independent"}},
        "layer": [
            {
                "data": {"name": "compare"},
                "mark": {"type": "line", "strokeWidth": 2, "opacity": 0.55, "strokeDash": [5, 3]},
                "encoding": {
                    "x": x,
                    "y": y,
                    "detail": {"field": "k"},
                    "color": {
                        "field": "r",
                        "type": "nominal",
                        "scale": {"domain": runs or ["-"], "range": list(RUN_COLOURS[: max(len(runs), 1)])},
                        "legend": runs_legend if runs else None,
                    },
                    "tooltip": [{"field": "r", "title": "run"}, *tooltip],
                },
            },
            {
                "data": {"name": "events"},
                "mark": {"type": "rule", "color": "#888888", "strokeDash": [2, 2], "strokeWidth": 1},
                "encoding": {"x": x, "tooltip": [{"field": "e", "title": "event"}]},
            },
            {
                "data": {"name": "run"},
                "transform": [
                    {"fold": [s.field for s in chart.series], "as": ["f", "v"]},
                    {"calculate": label_expr, "as": "s"},
                ],
                "mark": {"type": "line", "strokeWidth": 2.2, "point": {"size": 18}},
                "encoding": {"x": x, "y": y, "color": series, "tooltip": tooltip},
            },
        ],
    }


# --- the widget -----------------------------------------------------------------------------------------
class LiveChart(ipyvuetify.VuetifyTemplate):
    """A Vega-Lite chart drawn in the browser that appends the run's new rows (see ``livechart.vue``)."""

    template_file = str(Path(__file__).with_name("livechart.vue"))
    spec = traitlets.Dict().tag(sync=True)
    run = traitlets.List().tag(sync=True)
    run_id = traitlets.Unicode("").tag(sync=True)
    layers = traitlets.Dict().tag(sync=True)
    quarters = traitlets.Int(0).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        import solara.settings

        return None if solara.settings.assets.proxy else solara.settings.assets.cdn


class Runs:
    """Runs to compare, as ``(name, records)`` pairs, held opaquely.

    Solara walks lists and dicts passed to components looking for elements; wrapping whole runs
    spares it that walk on every quarter.
    """

    def __init__(self, runs: Sequence[tuple[str, Sequence[Mapping[str, Any]]]] = ()) -> None:
        self.runs = tuple(runs)

    def names(self) -> tuple[str, ...]:
        """The runs' names, in order."""
        return tuple(name for name, _ in self.runs)


@solara.component
def Chart(chart: ChartSpec, model: Any, steps: int, compare: Runs, events: tuple[Event, ...]) -> solara.Element:
    """One live chart of the run (``model.records``), with the comparison runs and the events.

    The model's records grow in place as the run goes on; ``steps`` (how many there are) tells
    Solara that they changed.
    """
    quarters = int(model.p["quarters"])
    names = compare.names()
    spec = solara.use_memo(lambda: vega_lite(chart, quarters, names), [chart, quarters, names])
    layers = solara.use_memo(
        lambda: {"compare": compare_rows(chart, compare.runs), "events": event_rows(events)}, [chart, compare, events]
    )
    rows = solara.use_memo(list, [chart, model])  # this run's rows so far, grown as it goes on
    rows.extend(run_row(chart, q, model.records[q]) for q in range(len(rows), steps))
    with solara.Div(classes=["sovai-chart-box", f"sovai-chart-{chart.key}"]) as box:
        LiveChart.element(spec=spec, run=rows[:steps], run_id=str(id(model)), quarters=steps, layers=layers)
    return box


# --- the networks (on demand) ---------------------------------------------------------------------------
NETWORK_VIEWS = ("Supply network", "Peer network")


def network_figure(model: Any, view: str = NETWORK_VIEWS[0]) -> Figure:
    """The supply network (who pays whom) or a neighbourhood of the users' peer network."""
    fig = Figure(figsize=(6.4, 3.9), dpi=80)
    ax = fig.subplots()
    fig.subplots_adjust(left=0.01, right=0.99, top=0.86, bottom=0.01)
    if view == NETWORK_VIEWS[0]:
        _draw_supply_network(ax, model)
    else:
        _draw_peer_network(ax, model)
    ax.set_axis_off()
    return fig


@solara.component
def NetworkView(model: Any, steps: int) -> None:
    """Who pays whom (the supply network) or how adoption spreads (a neighbourhood of the peer network).

    Drawn on the server (matplotlib, SVG), so the page shows it only when the student opens it.
    """
    view, set_view = solara.use_state(NETWORK_VIEWS[0])
    with solara.Column(gap="0px", classes=["sovai-network"]):
        solara.ToggleButtonsSingle(value=view, on_value=set_view, values=list(NETWORK_VIEWS), dense=True)
        fig = solara.use_memo(lambda: network_figure(model, view), [model, steps, view])
        solara.FigureMatplotlib(fig, dependencies=[model, steps, view], format="svg")


def _draw_supply_network(ax: Axes, model: Any) -> None:
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


def _draw_peer_network(ax: Axes, model: Any) -> None:
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

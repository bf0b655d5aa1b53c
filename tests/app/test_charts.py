"""The page's charts and comparisons without a browser: records, rows, Vega-Lite specs, events, pins, the
no-policy run, and the page's wiring rendered in-process (Step, Reset and the ghost, pins, per-session state)."""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("solara", reason="the UI extra (solara) is not installed: pip install -e '.[ui]'")

from app import charts, layout, levers  # noqa: E402
from sim.environment import quarter_label  # noqa: E402
from sim.model import SovereignAIModel  # noqa: E402
from sim.scenarios import load_scenario  # noqa: E402


def _specs(model):
    return charts.chart_specs(
        charts.provider_series(model.provider_names, model.provider_labels(), model.domestic_providers())
    )


# --- records and rows -----------------------------------------------------------------------------------
def test_page_records_are_json_safe_and_add_domestic_adoption():
    record = {"quarter": "FY2026Q1", "users_a": 0.1, "users_b": 0.25, "x": float("nan"), "flag": True}
    out = charts.page_record(record, ["users_a", "users_b"], [True, False])
    assert out["x"] is None and out["flag"] == 1.0 and out["quarter"] == "FY2026Q1"
    assert out[charts.DOMESTIC_ADOPTION] == pytest.approx(0.1)
    json.dumps(out, allow_nan=False)


def test_domestic_adoption_is_the_japanese_providers_share_of_enterprises():
    model = levers.StudentModel()
    for _ in range(3):
        model.step()
    record = model.record
    domestic = sum(
        record[f"users_{n}"] for n, d in zip(model.provider_names, model.domestic_providers(), strict=True) if d
    )
    assert model.records[-1][charts.DOMESTIC_ADOPTION] == pytest.approx(domestic)
    assert 0 < domestic < record["adoption_rate"]


def test_every_chart_has_a_unit_and_draws_fields_the_model_records():
    model = levers.StudentModel()
    model.step()
    for spec in _specs(model):
        assert spec.unit and spec.title
        assert set(spec.compare) <= {s.field for s in spec.series}
        for s in spec.series:
            assert s.field in model.records[0], s.field
        row = charts.run_row(spec, 0, model.records[0])
        assert row["q"] == 0 and all(isinstance(row[s.field], float) for s in spec.series)
    domestic = next(s for s in _specs(model) if s.key == "domestic")
    assert domestic.percent and domestic.series[0].field == charts.DOMESTIC_ADOPTION


def test_comparison_rows_name_the_run_and_the_series():
    model = levers.StudentModel()
    model.step()
    model.step()
    spec = _specs(model)[0]
    rows = charts.compare_rows(spec, [("previous run: baseline", model.records)])
    assert len(rows) == 2 * len(spec.compare)
    assert rows[0] == {
        "q": 0,
        "s": "all providers",
        "v": model.records[0]["adoption_rate"],
        "r": "previous run: baseline",
        "k": "previous run: baseline · all providers",
    }


# --- the Vega-Lite spec ---------------------------------------------------------------------------------
def test_quarter_labels_in_vega_match_python():
    # QUARTER_EXPR is evaluated in the browser (where + joins strings and numbers); the same arithmetic
    # here must give short_quarter's labels
    expr = charts.QUARTER_EXPR.replace("+ (", "+ str(").replace("floor(", "math.floor(").replace("datum.value", "v")
    for v in range(40):
        assert eval(expr, {"math": math, "v": v}) == charts.short_quarter(v)  # noqa: S307 - our own constant
    assert charts.short_quarter(0) == "FY26Q1" and charts.short_quarter(5) == "FY27Q2"
    assert quarter_label(39) == "FY2035Q4"


def test_spec_spans_the_horizon_keeps_legends_off_the_lines_and_names_the_runs():
    model = levers.StudentModel()
    budget = next(s for s in _specs(model) if s.key == "budget")
    spec = charts.vega_lite(budget, 40, ["previous run: baseline", "pinned: baseline: budget ¥2,000bn"])
    compare, events, run = spec["layer"]
    assert [layer["data"]["name"] for layer in spec["layer"]] == ["compare", "events", "run"]
    assert run["encoding"]["x"]["scale"]["domain"] == [0, 39]
    assert run["encoding"]["color"]["legend"]["orient"] == "bottom"
    assert compare["encoding"]["color"]["legend"]["orient"] == "top"
    assert compare["encoding"]["color"]["scale"]["domain"] == [
        "previous run: baseline",
        "pinned: baseline: budget ¥2,000bn",
    ]
    assert spec["title"]["subtitle"] == "¥bn"
    assert run["transform"][0]["fold"] == [s.field for s in budget.series]
    assert events["mark"]["type"] == "rule"
    json.dumps(spec)


# --- events ---------------------------------------------------------------------------------------------
def test_the_pages_events_are_the_models_own():
    model = SovereignAIModel(rng=42, **load_scenario("foreign_outage"))
    records = []
    for _ in range(20):
        model.step()
        records.append(dict(model.record))
    labels = [(quarter_label(e.quarter), e.label) for e in charts.model_events(model, records)]
    assert ("FY2029Q1", "foreign AI disruption begins") in labels
    assert ("FY2030Q1", "foreign AI disruption ends") in labels
    assert any("plan budget appropriated" in label for _, label in labels)
    assert any("MW completed" in label for _, label in labels)
    assert all(e.quarter < 8 for e in charts.model_events(model, records[:8]))  # only the quarters shown


def test_model_events_reads_pairs_and_mappings_up_to_the_quarters_shown():
    class WithEvents:
        events = [(1, "a GPU shock"), {"quarter": 3, "label": "an outage"}, (9, "later")]

    events = charts.model_events(WithEvents(), [{}] * 5)
    assert events == [charts.Event(1, "a GPU shock"), charts.Event(3, "an outage")]
    rows = charts.event_rows([charts.Event(1, "x"), charts.Event(1, "y"), charts.Event(2, "z")])
    assert rows == [{"q": 1, "e": "FY26Q2: x; y"}, {"q": 2, "e": "FY26Q3: z"}]


# --- pins and the no-policy run ---------------------------------------------------------------------------
def test_pins_keep_three_runs_with_unique_names():
    pins = ()
    for i in range(4):
        pins = layout.pin(pins, "baseline", [{"i": i}])
    assert [name for name, _ in pins] == ["baseline (2)", "baseline (3)", "baseline (4)"]
    assert pins[-1][1] == [{"i": 3}]
    runs = layout.comparison_runs(("baseline", [{}]), True, [{}], True, pins[:1])
    assert [n for n, _ in runs] == ["previous run: baseline", layout.NO_POLICY, "pinned: baseline (2)"]
    assert layout.comparison_runs(("baseline", [{}]), False, None, True, ()) == []


def test_no_policy_run_has_the_same_seed_and_world_without_the_policy():
    model = levers.StudentModel(settings=levers.with_value(levers.Settings(seed="7"), "fx_jpy_per_usd", 200.0))
    records = layout.no_policy_records(model)
    assert len(records) == 40
    reference = SovereignAIModel(rng=7, **{**model.params, **load_scenario("no_policy")})
    reference.step()
    assert records[0]["adoption_rate"] == pytest.approx(reference.record["adoption_rate"])
    assert records[-1]["budget_spent_jpy_bn"] == 0
    assert layout.no_policy_records(levers.StudentModel(settings=levers.settings_for_scenario("no_policy"))) is None


# --- the page, rendered in-process ------------------------------------------------------------------------
def _render():
    import solara

    return solara.render(solara.AppLayout(children=[layout.Page()]), handle_error=False)[1]


def _click(rc, text):
    import ipyvuetify as v

    rc.find(v.Btn, children=[text]).widget.click()


def test_page_steps_resets_to_a_ghost_and_pins():

    rc = _render()
    try:
        widgets = rc.find(charts.LiveChart).widgets
        assert len(widgets) == 7 and all(w.quarters == 0 for w in widgets)
        _click(rc, "Step")
        _click(rc, "Step")
        assert all(w.quarters == 2 and len(w.run) == 2 for w in rc.find(charts.LiveChart).widgets)
        _click(rc, "Pin this run (0 of 3 pinned)")
        _click(rc, "Reset")
        chart = rc.find(charts.LiveChart).widgets[0]
        assert chart.quarters == 0 and chart.run == []
        runs = {row["r"] for row in chart.layers["compare"]}
        assert runs == {"previous run: baseline", "pinned: baseline"}
        assert "previous run: baseline" in chart.spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
    finally:
        rc.close()


def test_two_sessions_never_share_a_run():
    first, second = _render(), _render()
    try:
        for _ in range(3):
            _click(first, "Step")
        assert first.find(charts.LiveChart).widgets[0].quarters == 3
        assert second.find(charts.LiveChart).widgets[0].quarters == 0
    finally:
        first.close()
        second.close()


def test_network_views_draw_at_any_point_of_a_run():
    import io

    model = levers.StudentModel(settings=levers.settings_for_scenario("cheap_foreign"))
    for _ in range(2):
        for view in charts.NETWORK_VIEWS:
            charts.network_figure(model, view).savefig(io.BytesIO(), format="svg")
        model.step()

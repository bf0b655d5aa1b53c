"""The students' page without a browser: settings, clamping, shares, parameter assembly, the model behind
the page, its figures, the page's wiring (rendered in-process) and the ``sovai ui`` command."""

from __future__ import annotations

import io
import math
import socket
import statistics
import time
from types import SimpleNamespace

import pytest

pytest.importorskip("solara", reason="the UI extra (solara) is not installed: pip install -e '.[ui]'")

import mesa.visualization.solara_viz as solara_viz  # noqa: E402

from analysis import ui  # noqa: E402
from sim.cli import main as sovai_main  # noqa: E402
from sim.model import SovereignAIModel  # noqa: E402
from sim.params import PARAMS, SHARE_NAMES, resolve  # noqa: E402


# --- settings ------------------------------------------------------------------------------------------
def test_baseline_settings_are_the_defaults():
    s = ui.settings_for_scenario("baseline")
    assert s.scenario == "baseline" and s.seed == "42"
    for spec in ui.SLIDERS:
        assert s.values[spec.name] == pytest.approx(PARAMS[spec.name].default)
    for name in SHARE_NAMES:
        assert s.weights[name] == pytest.approx(PARAMS[name].default * ui.WEIGHT_MAX)


def test_scenario_settings_put_its_values_on_the_sliders():
    s = ui.settings_for_scenario("strong_sovereignty", seed=7)
    assert s.values["sovereignty_rule"] == 1.0
    assert s.weights["share_compute_grants"] == pytest.approx(27.0)
    assert s.seed == "7"
    assert ui.settings_for_scenario("weak_yen").values["fx_jpy_per_usd"] == 180


def test_every_slider_uses_its_parameter_range_and_group():
    for spec in ui.SLIDERS:
        assert (spec.low, spec.high) == (PARAMS[spec.name].low, PARAMS[spec.name].high)
        assert spec.group in ("lever", "uncertainty")
        assert 0 < spec.step <= (spec.high - spec.low) / 10
    groups = {s.name: s.group for s in ui.SLIDERS}
    assert groups["budget_total_jpy_bn"] == groups["sovereignty_rule"] == "lever"
    assert groups["fx_jpy_per_usd"] == groups["gpu_supply_japan_h100eq_per_year"] == "uncertainty"


# --- share normalisation -----------------------------------------------------------------------------------
def test_weights_become_shares_that_sum_to_one():
    shares, note = ui.programme_shares({n: 10.0 for n in SHARE_NAMES[:2]})
    assert note is None
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares[SHARE_NAMES[0]] == shares[SHARE_NAMES[1]] == pytest.approx(0.5)
    assert all(shares[n] == 0 for n in SHARE_NAMES[2:])


def test_shares_keep_proportions():
    shares, _ = ui.programme_shares(ui.settings_for_scenario("baseline").weights)
    for name in SHARE_NAMES:
        assert shares[name] == pytest.approx(PARAMS[name].default)


def test_all_zero_weights_split_equally_and_say_so():
    shares, note = ui.programme_shares(dict.fromkeys(SHARE_NAMES, 0.0))
    assert all(v == pytest.approx(1 / 7) for v in shares.values())
    assert "split equally" in note


def test_bad_weights_are_clamped():
    weights = {SHARE_NAMES[0]: -50, SHARE_NAMES[1]: float("nan"), SHARE_NAMES[2]: 1e9, SHARE_NAMES[3]: "x"}
    shares, _ = ui.programme_shares(weights)
    assert shares[SHARE_NAMES[2]] == pytest.approx(1.0)
    assert sum(shares.values()) == pytest.approx(1.0)


# --- clamping and the seed --------------------------------------------------------------------------------
def test_values_in_range_pass_unchanged():
    assert ui.clamp("fx_jpy_per_usd", 150) == (150.0, None)


@pytest.mark.parametrize(("value", "expected"), [(1e9, 10000.0), (-5, 0.0)])
def test_values_out_of_range_are_clamped_with_a_reason(value, expected):
    used, note = ui.clamp("budget_total_jpy_bn", value)
    assert used == expected
    assert "(¥0bn to ¥10,000bn)" in note and f"using ¥{expected:,.0f}bn" in note


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "abc", None])
def test_non_numbers_fall_back_to_the_default(value):
    used, note = ui.clamp("electricity_price_jpy_per_kwh", value)
    assert used == PARAMS["electricity_price_jpy_per_kwh"].default
    assert "not a number" in note


@pytest.mark.parametrize(
    ("text", "seed", "noted"),
    [
        ("42", 42, False),
        (" 7 ", 7, False),
        ("1e3", 1000, False),
        ("1_000", 1000, False),
        ("abc", 42, True),
        ("3.5", 42, True),
        ("", 42, True),
        ("-5", 0, True),
        (str(2**40), 2**32 - 1, True),
    ],
)
def test_seed_box(text, seed, noted):
    used, note = ui.parse_seed(text)
    assert used == seed
    assert (note is not None) == noted


# --- parameter assembly -------------------------------------------------------------------------------------
def test_assembly_keeps_what_the_scenario_sets_without_a_slider():
    s = ui.with_value(ui.settings_for_scenario("gpu_shock"), "fx_jpy_per_usd", 200)
    built = ui.assemble(s)
    assert built.params["gpu_shock_start_quarter"] == 8
    assert built.params["fx_jpy_per_usd"] == 200
    assert sum(built.params[n] for n in SHARE_NAMES) == pytest.approx(1.0)
    assert built.notes == ()
    resolve(built.params)  # the model accepts it


def test_assembly_explains_everything_it_changed():
    s = ui.Settings(
        scenario="no_such_scenario",
        seed="x",
        values={"budget_total_jpy_bn": 1e12, "fx_jpy_per_usd": float("nan")},
        weights={},
    )
    built = ui.assemble(s)
    text = " ".join(built.notes)
    for words in ("unknown scenario", "budget", "Yen rate", "split equally", "Seed"):
        assert words in text
    assert built.params["budget_total_jpy_bn"] == 10000.0
    assert built.seed == ui.DEFAULT_SEED
    resolve(built.params)


def test_changed_settings_name_what_reset_will_change():
    base = ui.settings_for_scenario("baseline")
    assert ui.changed_settings(base, base) == []
    moved = ui.with_weight(ui.with_value(base, "sovereignty_rule", 0.9), "share_rnd", 90.0)
    assert ui.changed_settings(base, moved) == ["Sovereignty rule", "programme shares"]
    scaled = ui.Settings(**{**base.__dict__, "weights": {k: 2 * v for k, v in base.weights.items()}})
    assert ui.changed_settings(base, scaled) == []  # same shares, nothing to apply


# --- the model behind the page --------------------------------------------------------------------------
EXTREMES = {
    "all lowest": {s.name: s.low for s in ui.SLIDERS},
    "all highest": {s.name: s.high for s in ui.SLIDERS},
    "beyond the ranges": {s.name: (1e12 if i % 2 else -1e12) for i, s in enumerate(ui.SLIDERS)},
}


@pytest.mark.parametrize("case", EXTREMES)
def test_extreme_settings_run_to_the_end_without_errors(case):
    weights = dict.fromkeys(SHARE_NAMES, 0.0) if case == "all lowest" else {"share_rnd": 100.0}
    model = ui.StudentModel(settings=ui.Settings(values=EXTREMES[case], weights=weights))
    while model.running:
        model.step()
    assert model.error is None
    assert model.steps == PARAMS["quarters"].default
    df = model.datacollector.get_model_vars_dataframe()
    numbers = df.drop(columns=["quarter", "events"]).to_numpy(dtype=float)
    assert math.isfinite(numbers.sum())


def test_solaraviz_reset_rebuilds_the_model_from_the_current_settings():
    holder = SimpleNamespace(value=ui.settings_for_scenario("baseline"))  # stands in for the reactive variable
    model = ui.StudentModel(settings=holder)
    solara_viz._check_model_params(model, {"settings": holder})  # what SolaraViz checks on start
    holder.value = ui.with_value(holder.value, "budget_total_jpy_bn", 2500.0)
    kwargs = solara_viz._build_model_init_kwargs(
        model, {"settings": holder}, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    assert "scenario" in kwargs  # Mesa passes its own Scenario object
    rebuilt = type(model)(**kwargs)
    assert rebuilt.p["budget_total_jpy_bn"] == 2500.0
    assert rebuilt.settings == holder.value


def test_same_seed_same_run():
    a, b = ui.StudentModel(), ui.StudentModel()
    for _ in range(3):
        a.step()
        b.step()
    assert a.record == b.record
    assert ui.Settings() == ui.settings_for_scenario("baseline")
    assert ui.StudentModel(settings=ui.Settings(seed="42")).p == SovereignAIModel(rng=42).p


def test_a_failing_step_stops_the_run_with_a_sentence(monkeypatch):
    model = ui.StudentModel()
    model.step()

    def broken(self):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(SovereignAIModel, "step", broken)
    model.step()
    assert not model.running
    assert "stopped in FY2026Q2" in model.error and "division by zero" in model.error
    model.step()  # a stopped run stays stopped, quietly


def test_stepping_past_the_last_quarter_does_nothing():
    model = ui.StudentModel()
    for _ in range(PARAMS["quarters"].default + 5):  # as Mesa's Render Interval may ask
        model.step()
    assert model.error is None and not model.running
    assert model.steps == 40 and model.record["quarter"] == "FY2035Q4"
    assert ui.quarter_text(model) == "Quarter: FY2035Q4 (40 of 40 done)"
    assert len(model.datacollector.get_model_vars_dataframe()) == 40
    assert model.time == 40  # Mesa's clock (shown by SolaraViz) stops too


def test_quarter_text():
    model = ui.StudentModel()
    assert ui.quarter_text(model) == "Quarter: start of FY2026Q1 (0 of 40 done)"
    model.step()
    model.step()
    assert ui.quarter_text(model) == "Quarter: FY2026Q2 (2 of 40 done)"


def test_one_step_at_the_default_size_is_well_under_100_ms():
    model = ui.StudentModel()
    model.step()
    times = []
    for _ in range(12):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.1, f"median step {statistics.median(times) * 1000:.0f} ms"


# --- figures ---------------------------------------------------------------------------------------------
def test_figures_draw_at_any_point_of_a_run():
    model = ui.StudentModel(settings=ui.settings_for_scenario("cheap_foreign"))
    for _ in range(3):  # no data, a single quarter (drawn as a point), a line
        for fig in (ui.adoption_figure(model), ui.compute_power_figure(model)):
            fig.savefig(io.BytesIO(), **ui.FIGURE_OPTIONS)
        model.step()
    legend = [t.get_text() for t in ui.adoption_figure(model).axes[0].get_legend().texts]
    assert "Chinese open-weight models" in legend
    for view in ui.NETWORK_VIEWS:
        ui.network_figure(model, view).savefig(io.BytesIO(), **ui.FIGURE_OPTIONS)


def test_peer_view_is_a_connected_neighbourhood_or_none():
    g, pos = ui.StudentModel().peer_view()
    assert 2 < g.number_of_nodes() <= 40 and set(pos) == set(g.nodes)
    import networkx as nx

    assert nx.is_connected(g)
    assert ui.StudentModel(settings=ui.settings_for_scenario("bass_check")).peer_view() is None


def test_short_quarter_ticks():
    assert ui.short_quarter(0) == "FY26Q1"
    assert ui.short_quarter(5) == "FY27Q2"
    assert ui.short_quarter(2.5) == ui.short_quarter(-1) == ""


# --- the page, rendered in-process ------------------------------------------------------------------------
def test_page_renders_and_step_advances_the_quarter():
    import ipyvuetify as v
    import solara

    assert ui.page is ui.Page
    _box, rc = solara.render(solara.AppLayout(children=[ui.Page()]), handle_error=False)
    rc.find(v.Html, children=["Time: 0.0"]).assert_single()  # Mesa's step counter
    assert len(rc.find(v.Slider)) == 2 + len(ui.SLIDERS) + len(SHARE_NAMES)  # Mesa's two and ours
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Html, children=["Time: 1.0"]).assert_single()
    rc.close()


# --- the command --------------------------------------------------------------------------------------------
def test_ui_command_is_registered(capsys):
    with pytest.raises(SystemExit) as exc:
        sovai_main(["ui", "--help"])
    assert exc.value.code == 0
    assert "--port" in capsys.readouterr().out


def test_ui_command_refuses_bad_or_busy_ports(capsys):
    assert sovai_main(["ui", "--port", "70000"]) == 2
    assert "not a port number" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("localhost", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert sovai_main(["ui", "--port", str(port), "--no-open"]) == 2
    assert "already in use" in capsys.readouterr().err

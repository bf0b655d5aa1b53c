"""The student's controls without a browser: settings, clamping, shares, parameter assembly, run names,
the model behind the page and the ``sovai ui`` command."""

from __future__ import annotations

import math
import socket

import pytest

pytest.importorskip("solara", reason="the UI extra (solara) is not installed: pip install -e '.[ui]'")

from app import levers as ui  # noqa: E402
from sim.model import SovereignAIModel  # noqa: E402
from sim.params import PARAMS, SHARE_NAMES, resolve  # noqa: E402
from sovai.cli import main as sovai_main  # noqa: E402


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
    assert len(model.records) == 40 and model.records[-1]["quarter"] == "FY2035Q4"
    assert model.time == 40  # Mesa's clock (shown by SolaraViz) stops too


def test_quarter_text():
    model = ui.StudentModel()
    assert ui.quarter_text(model) == "Quarter: start of FY2026Q1 (0 of 40 done)"
    model.step()
    model.step()
    assert ui.quarter_text(model) == "Quarter: FY2026Q2 (2 of 40 done)"


def test_peer_view_is_a_connected_neighbourhood_or_none():
    g, pos = ui.StudentModel().peer_view()
    assert 2 < g.number_of_nodes() <= 40 and set(pos) == set(g.nodes)
    import networkx as nx

    assert nx.is_connected(g)
    assert ui.StudentModel(settings=ui.settings_for_scenario("bass_check")).peer_view() is None


# --- what students are offered, and how runs are named -------------------------------------------------------
def test_test_scenarios_are_not_offered_to_students():
    offered = ui.student_scenarios()
    assert "bass_check" not in offered
    assert {"baseline", "double_budget", "gpu_shock", "no_policy"} <= set(offered)


def test_runs_are_named_by_what_differs_from_their_scenario():
    base = ui.settings_for_scenario("baseline")
    assert ui.run_name(base) == "baseline"
    assert ui.run_name(ui.with_value(base, "budget_total_jpy_bn", 2000.0)) == "baseline: budget ¥2,000bn"
    moved = ui.with_weight(ui.with_value(base, "fx_jpy_per_usd", 1e9), "share_rnd", 100.0)
    name = ui.run_name(ui.Settings(**{**moved.__dict__, "seed": "7"}))
    assert name.startswith("baseline: yen ¥250 per $, ") and "R&D grants" in name and name.endswith("seed 7")
    assert ui.run_name(ui.settings_for_scenario("double_budget")) == "double_budget"


# --- the command --------------------------------------------------------------------------------------------
def test_ui_command_is_registered(capsys):
    with pytest.raises(SystemExit) as exc:
        sovai_main(["ui", "--help"])
    assert exc.value.code == 0
    assert "--port" in capsys.readouterr().out


def test_ui_command_listens_on_this_machine_only_unless_told(capsys):
    with pytest.raises(SystemExit):
        sovai_main(["ui", "--help"])
    assert "default 127.0.0.1" in capsys.readouterr().out


def test_ui_command_refuses_bad_or_busy_ports(capsys):
    assert sovai_main(["ui", "--port", "70000"]) == 2
    assert "not a port number" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert sovai_main(["ui", "--port", str(port), "--no-open"]) == 2
    assert "already in use" in capsys.readouterr().err

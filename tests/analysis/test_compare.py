"""`sovai compare`: the equal-cost comparison's arithmetic on a toy model with known answers."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import compare as cmp
from analysis import testfunctions as tf
from sovai.cli import main

TOY = """[compare]
name = "toy"
model = "analysis.testfunctions:toy_policy"
budget_total_jpy_bn = 1000
replications = 6
seed = 11
programmes = ["compute_capex", "rnd", "adoption"]
outcomes = ["digital_deficit_ai_cum_jpy_bn", "best_domestic_capability_fy2030"]
[mixes.half_and_half]
rnd = 2
adoption = 2
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("compare")
    path = tmp / "toy.toml"
    path.write_text(TOY)
    out = tmp / "out"
    assert main(["compare", str(path), "--workers", "1", "--out", str(out)]) == 0
    return path, out


def expected_deficit_avoided(shares: dict[str, float], replications: int, seed: int, budget: float = 1000.0):
    """Per replicate: Σ e_p·spent_p·(1 + 0.2·u_p), drawing u as the toy model does from the replicate's seed."""
    out = []
    for r in range(replications):
        rng = np.random.default_rng(cmp.replicate_seed(seed, r))
        rng.normal()  # the common shock z
        u = rng.normal(size=len(tf.TOY_EFFECTS))
        out.append(
            sum(
                tf.TOY_EFFECTS[p][0]
                * budget
                * shares.get(p, 0.0)
                * tf.TOY_SPEND_RATE[p]
                * (1 + tf.TOY_EFFECT_SD * u[i])
                for i, p in enumerate(tf.TOY_EFFECTS)
            )
        )
    return np.array(out)


def t_interval(values, confidence=0.95):
    n = len(values)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * np.std(values, ddof=1) / math.sqrt(n)
    return values.mean(), values.mean() - half, values.mean() + half


def test_mean_ci_known_values():
    mean, low, high, n = cmp.mean_ci(np.array([1.0, 2.0, 3.0, np.nan]))
    assert (mean, n) == (2.0, 3)
    assert high - mean == pytest.approx(stats.t.ppf(0.975, 2) / math.sqrt(3))  # sd = 1
    assert low == pytest.approx(2 * mean - high)
    assert math.isnan(cmp.mean_ci(np.array([4.0]))[1])


@pytest.mark.parametrize(
    ("option", "shares"),
    [
        ("rnd", {"rnd": 1.0}),
        ("adoption", {"adoption": 1.0}),
        ("compute_capex", {"compute_capex": 1.0}),
        ("half_and_half", {"rnd": 0.5, "adoption": 0.5}),
    ],
)
def test_deficit_avoided_and_per_bn_match_hand_computation(toy, option, shares):
    _, out = toy
    table = pd.read_csv(out / "cost_effectiveness.csv").set_index("option")
    avoided = expected_deficit_avoided(shares, 6, 11)
    cost = sum(1000.0 * s * tf.TOY_SPEND_RATE[p] for p, s in shares.items())
    mean, low, high = t_interval(avoided)
    row = table.loc[option]
    assert row["cost_jpy_bn"] == pytest.approx(cost)
    assert (
        row["deficit_avoided_jpy_bn"],
        row["deficit_avoided_jpy_bn_low"],
        row["deficit_avoided_jpy_bn_high"],
    ) == pytest.approx((mean, low, high))
    per = t_interval(avoided / cost)
    assert (
        row["deficit_avoided_per_jpy_bn"],
        row["deficit_avoided_per_jpy_bn_low"],
        row["deficit_avoided_per_jpy_bn_high"],
    ) == pytest.approx(per)
    # capability: exactly c_p·spent_p in every replicate (common random numbers cancel the shock z)
    gained = sum(tf.TOY_EFFECTS[p][1] * 1000.0 * s * tf.TOY_SPEND_RATE[p] for p, s in shares.items())
    assert row["capability_gained"] == pytest.approx(gained)
    assert row["capability_gained_high"] - row["capability_gained_low"] == pytest.approx(0, abs=1e-9)
    assert row["capability_gained_per_jpy_bn"] == pytest.approx(gained / cost)
    assert row["n"] == 6


def test_differences_table_and_common_seeds(toy):
    _, out = toy
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 5 * 6 and (runs["status"] == "ok").all()
    seeds = runs.pivot(index="replicate", columns="option", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()  # replicate r: one seed for every option and the counterfactual
    assert list(seeds.iloc[:, 0]) == [cmp.replicate_seed(11, r) for r in range(6)]
    diffs = pd.read_csv(out / "differences.csv")
    row = diffs[(diffs.option == "rnd") & (diffs.outcome == "digital_deficit_ai_cum_jpy_bn")].iloc[0]
    avoided = expected_deficit_avoided({"rnd": 1.0}, 6, 11)
    assert row["difference"] == pytest.approx(-avoided.mean())
    assert row["option_mean"] - row["counterfactual_mean"] == pytest.approx(row["difference"])
    assert row["high"] - row["low"] == pytest.approx(2 * (t_interval(avoided)[2] - avoided.mean()))


def test_outputs_and_printed_table(toy, capsys):
    path, out = toy
    for name in ("report.md", "report.html", "comparison.png", "runs.csv"):
        assert (out / name).is_file()
    report = (out / "report.md").read_text()
    assert "half_and_half**: rnd 50%, adoption 50%" in report and "shares sum to 4; scaled" in report
    assert main(["compare", str(path), "--workers", "1", "--replications", "2", "--out", str(out.parent / "o2")]) == 0
    printed = capsys.readouterr().out
    first = [line.split()[0] for line in printed.splitlines() if line.startswith(("adoption", "rnd", "half", "comp"))]
    assert first == ["adoption", "half_and_half", "rnd", "compute_capex"]  # by deficit avoided per ¥bn


def test_failed_runs_leave_their_pairs_out(tmp_path, capsys):
    path = tmp_path / "fail.toml"
    path.write_text(TOY + '[constants]\nfail_programme = "adoption"\n')
    out = tmp_path / "out"
    assert main(["compare", str(path), "--workers", "1", "--out", str(out)]) == 0
    failing = [r for r in range(6) if cmp.replicate_seed(11, r) % 3 == 0]
    assert 0 < len(failing) < 6
    runs = pd.read_csv(out / "runs.csv")
    failed = runs[runs.status == "failed"]
    assert set(failed["option"]) == {"adoption", "half_and_half"} and set(failed["replicate"]) == set(failing)
    table = pd.read_csv(out / "cost_effectiveness.csv").set_index("option")
    assert table.loc["adoption", "n"] == 6 - len(failing) and table.loc["rnd", "n"] == 6
    kept = [r for r in range(6) if r not in failing]
    avoided = expected_deficit_avoided({"adoption": 1.0}, 6, 11)[kept]
    assert table.loc["adoption", "deficit_avoided_jpy_bn"] == pytest.approx(avoided.mean())
    assert f"{2 * len(failing)} of 30 runs failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TOY.replace("replications = 6", "replicatons = 6"), "unknown field; did you mean replications?"),
        (TOY.replace('"rnd", "adoption"]', '"rnd", "adopt"]'), "unknown programme 'adopt'; did you mean adoption?"),
        (TOY.replace("rnd = 2", "rnd_share = 2"), "not a programme share"),
        (TOY.replace("replications = 6", "replications = 1"), "must be a whole number ≥ 2"),
        (TOY.replace("budget_total_jpy_bn = 1000", "budget_total_jpy_bn = 0"), "must be a number > 0"),
        (TOY.replace("[compare]", "[comparison]"), "unknown table"),
        (TOY.replace("toy_policy", "no_such_function"), "has no attribute"),
        ("[compare\n", "malformed TOML"),
    ],
)
def test_bad_compare_files_are_one_line_and_exit_2(tmp_path, capsys, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["compare", str(path), "--workers", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1, err
    assert not (tmp_path / "o").exists()


def test_missing_outcome_is_reported(tmp_path, capsys):
    path = tmp_path / "missing.toml"
    path.write_text(TOY.replace('"best_domestic_capability_fy2030"]', '"no_such_outcome"]'))
    assert main(["compare", str(path), "--workers", "1", "--out", str(tmp_path / "o")]) == 2
    assert "the model returns no outcome 'no_such_outcome'" in capsys.readouterr().err


def test_shipped_comparison_runs_on_the_model(tmp_path, capsys):
    """The shipped file parses and runs end to end (2 seeds, 8 quarters, to keep it fast)."""
    comp = cmp.load_comparison("experiments/instrument_comparison.toml")
    assert len(comp.options) == 11 and comp.counterfactual["budget_total_jpy_bn"] == 0
    assert comp.base["investment_tax_credit_rate"] == 0 and comp.base["n_user_agents"] == 2000
    path = tmp_path / "small.toml"
    path.write_text(
        open("experiments/instrument_comparison.toml").read().replace("n_user_agents = 2000", "n_user_agents = 150")
    )
    assert (
        main(
            [
                "compare",
                str(path),
                "--workers",
                "1",
                "--replications",
                "2",
                "--quarters",
                "8",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "o" / "cost_effectiveness.csv")
    assert len(table) == 11 and table["cost_jpy_bn"].gt(0).all()


def test_a_trial_comparison_never_writes_into_the_full_studys_folder(tmp_path, monkeypatch):
    """--replications or --quarters scale the file down: the result goes to its own default folder."""
    path = tmp_path / "toy.toml"
    path.write_text(TOY)
    monkeypatch.chdir(tmp_path)
    assert main(["compare", str(path), "--workers", "1"]) == 0
    full = tmp_path / "results" / "compare-toy"
    before = (full / "runs.csv").read_bytes()
    assert main(["compare", str(path), "--workers", "1", "--replications", "2"]) == 0
    assert (tmp_path / "results" / "compare-toy-trial-R2" / "runs.csv").exists()
    assert (full / "runs.csv").read_bytes() == before

"""`sovai optimise`: robustness metrics by hand, a known front (ZDT1), resume after SIGKILL, bad input."""

import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import optimise as opt
from analysis.testfunctions import zdt1_front
from sovai.cli import main

ROOT = Path(__file__).resolve().parents[2]

ZDT1 = """
[optimise]
name = "zdt1"
model = "analysis.testfunctions:zdt1"
futures = 1
evaluations = {evaluations}
population = {population}
seed = 5
[levers.x1]
low = 0
high = 1
[levers.x2]
low = 0
high = 1
[objectives.f1]
direction = "min"
[objectives.f2]
direction = "min"
{extra}
"""


def write(tmp_path, text, name="problem.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


# --- robustness metrics on a tiny ensemble, checked by hand -------------------------------------------------

# Three policies (rows) in four futures (columns): a cost, lower is better.
COST = np.array([[10.0, 20.0, 30.0, 40.0], [15.0, 15.0, 15.0, 15.0], [5.0, 30.0, 10.0, 60.0]])


def objective(robustness, direction="min", **kw):
    return opt.Objective("cost", "cost", direction, robustness, kw.get("percentile"), kw.get("threshold"))


def test_mean_and_percentile_by_hand():
    assert opt.robustness(COST[0], objective("mean")) == 25.0
    # numpy's linear percentile: 90th of (10, 20, 30, 40) = 30 + 0.7 * 10
    assert opt.robustness(COST[0], objective("percentile", percentile=90)) == pytest.approx(37.0)
    assert opt.robustness(COST[2], objective("percentile", percentile=50)) == pytest.approx(20.0)


def test_regret_against_the_best_policy_in_each_future():
    best = opt.best_per_future(COST, "min")
    assert best.tolist() == [5.0, 15.0, 10.0, 15.0]
    # regrets of policy 0: 5, 5, 20, 25 → maximum 25; of policy 1: 10, 0, 5, 0 → 10; policy 2: 0, 15, 0, 45 → 45
    maximum = objective("regret", percentile=100.0)
    assert [opt.robustness(row, maximum, best) for row in COST] == [25.0, 10.0, 45.0]
    assert opt.robustness(COST[0], objective("regret", percentile=50.0), best) == 12.5
    # for a benefit the best is the largest (15, 30, 30, 60): policy 0's regrets 5, 10, 0, 20 → median 7.5
    benefit = objective("regret", direction="max", percentile=50.0)
    assert opt.robustness(COST[0], benefit, opt.best_per_future(COST, "max")) == 7.5


def test_satisficing_share_counts_futures_meeting_the_threshold():
    assert opt.robustness(COST[0], objective("satisficing", threshold=20.0)) == 0.5  # 10, 20 ≤ 20
    assert opt.robustness(COST[2], objective("satisficing", direction="max", threshold=30.0)) == 0.5
    failed = np.array([10.0, np.nan, 10.0, 10.0])  # a failed run does not meet the threshold
    assert opt.robustness(failed, objective("satisficing", threshold=20.0)) == 0.75
    assert objective("satisficing").sense == "max" and objective("regret", direction="max").sense == "min"


def test_intervals_and_pareto_mask():
    low, high = opt.interval(COST[0], objective("mean"), None, 0.95, 1)
    half = 3.182446 * np.std(COST[0], ddof=1) / 2  # t(0.975, 3) · s / √4
    assert (low, high) == pytest.approx((25 - half, 25 + half))
    low, high = opt.interval(COST[0], objective("satisficing", threshold=20.0), None, 0.95, 1)
    assert 0 < low < 0.5 < high < 1
    values = np.array([[1.0, 5.0], [2.0, 2.0], [3.0, 3.0], [5.0, 1.0], [np.nan, 0.0]])
    assert opt.pareto_mask(values, ["min", "min"]).tolist() == [True, True, False, True, False]
    assert opt.pareto_mask(values, ["max", "max"]).tolist() == [True, False, True, True, False]


# --- the whole pipeline -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_nsga2_finds_the_zdt1_front(tmp_path, capsys):
    path = write(tmp_path, ZDT1.format(evaluations=144, population=12, extra=""))
    out = tmp_path / "out"
    assert main(["optimise", str(path), "--workers", "1", "--out", str(out)]) == 0
    pareto = pd.read_csv(out / "pareto.csv")
    points = pareto[["f1", "f2"]].to_numpy()
    distance = np.sqrt(((points[:, None, :] - zdt1_front()[None]) ** 2).sum(-1)).min(axis=1)
    assert len(pareto) >= 8
    assert distance.mean() < 0.05, distance  # generational distance to the true front
    assert pareto["f1"].max() - pareto["f1"].min() > 0.5  # spread along the front, not one corner
    assert len(pd.read_csv(out / "evaluations.csv")) == 144
    assert (out / "parallel_coordinates.png").stat().st_size > 5000
    page = (out / "report.md").read_text()
    assert "## Pareto set" in page and "parallel_coordinates.png" in page
    assert "on the Pareto front" in capsys.readouterr().out


CRN_MODEL = '''
import numpy as np

def model(*, seed, a, u):
    """cost = a·u + noise drawn from the run's seed; benefit = a."""
    return {"cost": a * u + np.random.default_rng(seed).normal(), "benefit": a}
'''


def test_every_policy_meets_the_same_futures_with_the_same_seeds(tmp_path):
    (tmp_path / "crn_model.py").write_text(CRN_MODEL)
    path = write(
        tmp_path,
        f"""
        [optimise]
        model = "{tmp_path / "crn_model.py"}:model"
        futures = 5
        evaluations = 8
        population = 4
        seed = 9
        [levers.a]
        low = 0
        high = 2
        [uncertainties.u]
        low = 1
        high = 3
        dist = "triang"
        mode = 2
        [objectives.cost]
        direction = "min"
        robustness = "regret"
        [objectives.benefit]
        direction = "max"
        robustness = "satisficing"
        threshold = 1
        """,
    )
    result = opt.optimise(path, opt.OptimiseOptions(out=tmp_path / "out", workers=1, echo=lambda _: None))
    futures = result.futures
    assert futures["seed"].tolist() == [opt.future_seed(9, k) for k in range(5)]
    noise = np.array([np.random.default_rng(int(s)).normal() for s in futures["seed"]])
    for number, row in result.evaluations.set_index("member").iterrows():
        expected = row["a"] * futures["u"].to_numpy() + noise  # the same u and noise for every policy
        np.testing.assert_allclose(result.outcomes[number]["cost"], expected)
    costs = np.vstack([result.outcomes[n]["cost"] for n in result.evaluations["member"]])
    best = costs.min(axis=0)
    regret = np.abs(costs - best).max(axis=1)  # maximum regret against every evaluated policy, by hand
    np.testing.assert_allclose(result.evaluations["cost"], regret)
    assert result.evaluations["benefit"].tolist() == [float(a >= 1) for a in result.evaluations["a"]]


# --- resume after SIGKILL ------------------------------------------------------------------------------------


def _kept(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("select count(*) from trial_user_attributes where key = 'outcomes'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_resume_after_sigkill_keeps_evaluations_and_gives_the_same_front(tmp_path):
    text = ZDT1.format(evaluations=24, population=6, extra="[constants]\ndelay_s = 0.2")
    path = write(tmp_path, text)
    command = [sys.executable, "-m", "sovai", "optimise", str(path), "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*command, "--out", str(killed)], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while _kept(killed / "study.db") < 8 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the search ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _kept(killed / "study.db")
    assert 8 <= before < 24  # killed mid-run, in the second generation or later
    resumed = subprocess.run([*command, "--out", str(killed)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{before} evaluations kept" in resumed.stderr
    ran = int(resumed.stdout.split(" kept from earlier sessions, ")[1].split(" run now")[0])
    assert ran == 24 - before  # nothing finished was run again
    fresh = tmp_path / "fresh"
    whole = subprocess.run([*command, "--out", str(fresh)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr
    for name in ("evaluations.csv", "pareto.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(killed / name), pd.read_csv(fresh / name))


# --- bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("[levers.x2]\nlow = 0", "[levers.x2]\nlow = 1"), "low = 1 must be less than high = 1"),
        (lambda t: t.replace('direction = "min"\n{extra}', 'direction = "up"\n{extra}'), "say whether to minimise"),
        (lambda t: t.replace("[objectives.f2]", "[objectives.f2]\nrobustness = 'worst'"), "'worst' is not allowed"),
        (lambda t: t.replace("[objectives.f2]", "[objectives.f2]\nrobustness = 'satisficing'"), "needs a number"),
        (lambda t: t.replace("futures = 1", "futures = 1\nfutres = 2"), "unknown field; did you mean futures?"),
        (lambda t: t.replace("[objectives.f2]", "[objectives.f3]"), "no outcome 'f3'; did you mean"),
    ],
)
def test_bad_files_are_one_line_and_exit_2(tmp_path, capsys, edit, message):
    path = write(tmp_path, edit(ZDT1).format(evaluations=4, population=2, extra=""))
    assert main(["optimise", str(path), "--workers", "1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_unknown_lever_of_the_builtin_model(tmp_path, capsys):
    path = write(
        tmp_path,
        """
        [optimise]
        futures = 2
        [levers.share_rdn]
        low = 0
        high = 1
        [objectives.deficit]
        outcome = "digital_deficit_ai_cum_jpy_bn"
        direction = "min"
        """,
    )
    assert main(["optimise", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "share_rdn" in err and "share_rnd" in err and len(err.splitlines()) == 1, err


def test_a_changed_problem_is_refused_not_mixed_in(tmp_path, capsys):
    path = write(tmp_path, ZDT1.format(evaluations=4, population=2, extra=""))
    out = tmp_path / "out"
    assert main(["optimise", str(path), "--workers", "1", "--out", str(out)]) == 0
    path.write_text(path.read_text().replace("seed = 5", "seed = 6"))
    capsys.readouterr()
    assert main(["optimise", str(path), "--workers", "1", "--out", str(out)]) == 2
    assert "differs in seed" in capsys.readouterr().err
    assert math.isfinite(pd.read_csv(out / "evaluations.csv")["f1"].iloc[0])  # the earlier results are intact


# --- a Pareto member as a named mix in `sovai compare` -------------------------------------------------------


def test_compare_takes_a_pareto_member_as_a_mix(tmp_path):
    from analysis.compare import load_comparison

    search = tmp_path / "search"
    search.mkdir()
    pd.DataFrame(
        {
            "member": [3, 7],
            "budget_first_year_share": [0.2, 0.4],
            "share_rnd": [0.6, 0.1],
            "share_adoption": [0.4, 0.9],
            "deficit": [1.0, 2.0],
        }
    ).to_csv(search / "pareto.csv", index=False)
    path = write(
        tmp_path,
        """
        [compare]
        model = "analysis.testfunctions:toy_policy"
        budget_total_jpy_bn = 1000
        programmes = []
        [mixes.robust]
        pareto = "search"
        member = 7
        """,
        name="compare.toml",
    )
    comp = load_comparison(path)
    (option,) = comp.options
    assert option.name == "robust" and option.shares["share_rnd"] == pytest.approx(0.1)
    assert option.shares["share_adoption"] == pytest.approx(0.9) and option.shares["share_data"] == 0.0
    assert any("budget_first_year_share" in note for note in comp.notes)
    path.write_text(path.read_text().replace("member = 7", "member = 5"))
    with pytest.raises(Exception, match="5 is not in .*pareto.csv; its members are 3, 7"):
        load_comparison(path)


def test_a_folder_holding_other_files_is_not_used(tmp_path, capsys):
    path = write(tmp_path, ZDT1.format(evaluations=4, population=2, extra=""))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["optimise", str(path), "--workers", "1", "--out", str(out)]) == 2
    assert "holds files sovai did not write ('notes.txt')" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


# --- the scenario's own policy, scored beside the search (built-in model) --------------------------------

TINY_BUILTIN = """
[optimise]
name = "tiny"
scenario = "baseline"
futures = 3
evaluations = 4
population = 2
seed = 3
[constants]
n_user_agents = 60
quarters = 4
[levers.investment_tax_credit_rate]
low = 0.0
high = 0.3
[uncertainties.fx_jpy_per_usd]
low = 120
high = 180
[objectives.deficit]
outcome = "digital_deficit_ai_cum_jpy_bn"
direction = "min"
[objectives.capability_regret]
outcome = "best_domestic_capability_final"
direction = "max"
robustness = "regret"
percentile = 100
"""


def test_the_scenarios_own_policy_is_scored_in_the_same_futures(tmp_path):
    """reference.csv: the baseline's tax credit run in each future with its seed, scored like a member."""
    import sim

    path = write(tmp_path, TINY_BUILTIN)
    out = tmp_path / "out"
    result = opt.optimise(path, opt.OptimiseOptions(out=out, workers=1, progress=False, echo=lambda m: None))
    ref = pd.read_csv(out / "reference.csv")
    assert ref.loc[0, "member"] == "reference"
    assert ref.loc[0, "investment_tax_credit_rate"] == pytest.approx(0.07)  # the baseline's, not searched
    futures = pd.read_csv(out / "futures.csv")
    runs = [
        sim.run(seed=int(f.seed), n_user_agents=60, quarters=4, fx_jpy_per_usd=float(f.fx_jpy_per_usd))
        for f in futures.itertuples()
    ]
    deficit = np.array([r["digital_deficit_ai_cum_jpy_bn"] for r in runs])
    assert ref.loc[0, "deficit"] == pytest.approx(deficit.mean())
    # Regret against the evaluated policies only: the reference does not change the members' scores.
    capability = np.array([r["best_domestic_capability_final"] for r in runs])
    best = np.vstack([v["best_domestic_capability_final"] for v in result.outcomes.values()]).max(axis=0)
    assert ref.loc[0, "capability_regret"] == pytest.approx((best - capability).max())
    # Dominance is checked against every member.
    ev = result.evaluations
    dominating = {int(m) for m in str(ref.loc[0, "dominated_by"]).split() if m != "nan"}
    for row in ev.itertuples():
        better = row.deficit <= ref.loc[0, "deficit"] and row.capability_regret <= ref.loc[0, "capability_regret"]
        strictly = row.deficit < ref.loc[0, "deficit"] or row.capability_regret < ref.loc[0, "capability_regret"]
        assert (row.member in dominating) == (better and strictly)
    assert "scenario's own policy (baseline)" in (out / "report.md").read_text()
    # A resume keeps the reference rather than running it again.
    again = opt.optimise(path, opt.OptimiseOptions(out=out, workers=1, progress=False, echo=lambda m: None))
    assert again.ran == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "reference.csv"), ref)

"""Designs come from SALib and scipy; values as run are rounded, mapped and normalised as documented."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.sample import fast_sampler, latin, morris, sobol

from experiments.design import build_design, design_seed, frame_hash, run_seed
from experiments.errors import ExperimentError
from experiments.spec import load_experiment
from sim.params import SHARE_NAMES

THREE = "".join(f"[parameters.x{i}]\nlow = 0\nhigh = {i}\n" for i in (1, 2, 3))


def _design(write, design: str, samples: int | None, body: str = THREE, extra: str = "", model: str | None = None):
    head = f"[experiment]\ndesign = '{design}'\nseed = 5\n{extra}\n"
    if samples is not None:
        head = head.replace("seed = 5", f"seed = 5\nsamples = {samples}")
    exp = load_experiment(write(head + body), model=model or "sweep_toys:ishigami")
    return exp, build_design(exp)


@pytest.mark.parametrize(
    ("design", "samples", "extra", "n_points"),
    [
        ("sobol", 16, "", 16 * (2 * 3 + 2)),
        ("sobol", 16, "calc_second_order = false", 16 * (3 + 2)),
        ("morris", 5, "num_levels = 6", 5 * (3 + 1)),
        ("fast", 70, "", 70 * 3),
        ("lhs", 33, "", 33),
        ("latin", 33, "", 33),
    ],
)
def test_design_sizes(write, design, samples, extra, n_points):
    _, d = _design(write, design, samples, extra=extra)
    assert d.sample.shape == (n_points, 3)
    assert len(d.points) == n_points
    assert d.problem["names"] == ["x1", "x2", "x3"]


def test_samples_are_salibs_own(write):
    """The sample matrix is exactly what SALib returns for the problem and the design seed."""
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0, 1], [0, 2], [0, 3]]}
    seed = design_seed(5)
    expected = {
        "sobol": sobol.sample(dict(problem), 16, calc_second_order=True, seed=seed),
        "morris": morris.sample(dict(problem), 5, num_levels=4, seed=seed),
        "fast": fast_sampler.sample(dict(problem), 70, M=4, seed=seed),
        "latin": latin.sample(dict(problem), 20, seed=seed),
    }
    for design, matrix in expected.items():
        _, d = _design(
            write, design, len(matrix) if design == "latin" else {"sobol": 16, "morris": 5, "fast": 70}[design]
        )
        np.testing.assert_array_equal(d.sample, matrix)
        np.testing.assert_array_equal(d.points.to_numpy(float), matrix)


def test_lhs_is_a_latin_hypercube(write):
    _, d = _design(write, "lhs", 50)
    for j, high in enumerate((1, 2, 3)):
        strata = np.floor(d.sample[:, j] / high * 50).astype(int)
        assert sorted(strata) == list(range(50))  # one point in each of the 50 strata


def test_grid_every_combination(write):
    body = (
        "[parameters.a]\nvalues = [1, 2, 3]\n[parameters.b]\nvalues = ['x', 'y']\n"
        "[parameters.c]\nlow = 0\nhigh = 1\nlevels = 3\n"
    )
    _, d = _design(write, "grid", None, body)
    assert len(d.points) == 3 * 2 * 3
    assert set(map(tuple, d.points.astype(str).to_numpy())) == {
        (str(a), b, str(c)) for a in (1, 2, 3) for b in "xy" for c in (0.0, 0.5, 1.0)
    }


def test_groups_and_distributions_reach_salib(write):
    body = (
        "[parameters.a]\nlow = 0\nhigh = 1\ngroup = 'g1'\n[parameters.b]\nlow = 1\nhigh = 100\ndist = 'logunif'\n"
        "group = 'g1'\n[parameters.c]\nlow = 0\nhigh = 10\nmode = 2\ndist = 'triang'\n"
        "[parameters.d]\ndist = 'truncnorm'\nlow = 0\nhigh = 1\nmean = 0.3\nsd = 0.2\n"
    )
    exp, d = _design(write, "sobol", 32, body)
    assert d.problem["groups"] == ["g1", "g1", "c", "d"]
    assert d.problem["dists"] == ["unif", "logunif", "triang", "truncnorm"]
    assert d.problem["bounds"][2] == [0.0, 10.0, 0.2]  # SALib's triang: peak as a fraction of the width
    assert len(d.points) == 32 * (2 * 3 + 2)  # three groups
    values = d.points
    assert values["b"].between(1, 100).all() and np.median(values["b"]) < 30  # log-uniform: median 10
    assert values["c"].between(0, 10).all() and values["d"].between(0, 1).all()


def test_integers_and_discrete_values_of_the_builtin_model(write):
    body = (
        "[parameters.budget_years]\nlow = 1\nhigh = 5\n[parameters.export_partnership]\n"
        "[parameters.unspent_policy]\n[parameters.sovereignty_rule]\nvalues = [0.0, 0.5, 1.0]\n"
    )
    exp, d = _design(write, "lhs", 500, body, model="sovai")
    years = d.points["budget_years"]
    assert years.dtype == np.int64 and set(years) == {1, 2, 3, 4, 5}
    assert years.value_counts().min() >= 80  # each integer equally likely (rounding on widened bounds)
    assert d.points["export_partnership"].dtype == bool
    assert set(d.points["unspent_policy"]) == {"carry_over", "lapse"}
    assert set(d.points["sovereignty_rule"]) == {0.0, 0.5, 1.0}
    assert d.problem["bounds"][0] == [0.5, 5.5] and d.problem["bounds"][1] == [0.0, 2.0]


def test_shares_are_normalised_and_recorded(write):
    body = "[parameters.share_rnd]\nlow = 0\nhigh = 0.6\n[parameters.share_data]\nlow = 0\nhigh = 0.3\n"
    exp, d = _design(write, "lhs", 20, body, model="sovai")
    assert list(d.points.columns[:2]) == ["share_rnd", "share_data"]
    assert set(SHARE_NAMES) <= set(d.points.columns)  # every share as run, swept or not
    np.testing.assert_allclose(d.points[list(SHARE_NAMES)].sum(axis=1), 1.0)
    # The sample keeps the sampled weights (what SALib's analyze wants); the points what was run.
    assert d.sample[:, 0].min() >= 0 and d.sample[:, 0].max() <= 0.6
    assert not np.allclose(d.sample[:, 0], d.points["share_rnd"])


def test_shares_without_normalisation_must_sum_to_one(write):
    body = "[parameters.share_rnd]\nlow = 0\nhigh = 0.6\n"
    with pytest.raises(ExperimentError, match="normalise_shares = true"):
        _design(write, "lhs", 5, body, extra="normalise_shares = false", model="sovai")


def test_distributions_outside_the_allowed_range_are_refused(write):
    body = "[parameters.bass_q]\ndist = 'norm'\nmean = 0.3\nsd = 0.5\n"
    with pytest.raises(ExperimentError, match=r"bass_q.*values lie outside the allowed range 0 to 3"):
        _design(write, "lhs", 200, body, model="sovai")


def test_runs_repeat_points_and_seeds_follow_the_rule(write):
    _, d = _design(write, "lhs", 4)
    runs = d.runs(3)
    assert list(runs["run_id"]) == list(range(12))
    assert list(runs["point"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert list(runs["replicate"]) == [0, 1, 2] * 4
    assert (runs.groupby("point")["x1"].nunique() == 1).all()
    assert run_seed(9, 7) == int(np.random.SeedSequence(9, spawn_key=(7,)).generate_state(1)[0])
    assert run_seed(9, 7, replications=3, mode="common") == run_seed(9, 1)
    assert len({run_seed(9, i) for i in range(1000)}) == 1000


def test_frame_hash_survives_parquet(tmp_path):
    frame = pd.DataFrame({"run_id": np.arange(3), "a": [0.1, 0.2, 0.3], "b": ["x", "y", "z"], "c": [True, False, True]})
    frame.to_parquet(tmp_path / "f.parquet")
    assert frame_hash(pd.read_parquet(tmp_path / "f.parquet")) == frame_hash(frame)
    assert frame_hash(frame.assign(a=[0.1, 0.2, 0.31])) != frame_hash(frame)

"""Sensitivity analysis: methods other than Sobol, failed runs, incomplete designs and bad input."""

import math

import numpy as np
import pandas as pd
import pytest
from SALib.sample import latin
from SALib.sample import sobol as sobol_sample

from analysis import sensitivity as sa
from analysis import testfunctions as tf
from sovai.cli import main

PI = math.pi
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}


def ishigami_y(X):
    return np.array([tf.ishigami(seed=0, x1=a, x2=b, x3=c)["y"] for a, b, c in X])


def write(tmp_path, name, model, design, samples, *, params=None, extra=()):
    params = params or {f"x{i}": (-PI, PI) for i in (1, 2, 3)}
    lines = [
        "[experiment]",
        f'name = "{name}"',
        f'model = "{model}"',
        f'design = "{design}"',
        f"samples = {samples}",
        "seed = 5",
        *extra,
    ]
    for pname, (low, high) in params.items():
        lines += [f"[parameters.{pname}]", f"low = {low!r}", f"high = {high!r}"]
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sweep(tmp_path, path, *extra):
    out = tmp_path / path.stem
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", *extra]) == 0
    return out


# --- pure functions ---------------------------------------------------------------------------------


def test_mean_by_point_averages_replicates_and_ignores_nan():
    point = np.array([0, 0, 1, 1, 2])
    values = np.array([1.0, 3.0, np.nan, 5.0, np.nan])
    np.testing.assert_array_equal(sa.mean_by_point(point, values, 4), [2.0, 5.0, np.nan, np.nan])


def test_block_structure_and_subsampling_keep_whole_saltelli_blocks():
    X = sobol_sample.sample(ISHIGAMI, 64, seed=3)
    Y = ishigami_y(X)
    options = sa.Options("sobol")
    assert sa.sobol_step(ISHIGAMI, True) == 8 and sa.sobol_step(ISHIGAMI, False) == 5
    assert sa.sobol_step({**ISHIGAMI, "groups": ["a", "a", "b"]}, True) == 6
    Xs, Ys = sa.subsample("sobol", ISHIGAMI, X, Y, 0.25, options)
    assert len(Ys) == 16 * 8 and np.array_equal(Xs, X[:128])
    conv = sa.convergence("sobol", ISHIGAMI, X, Y, options)
    assert sorted(conv["N"].unique()) == [16, 32, 64]
    full = conv[conv["N"] == 64].set_index("parameter")["ST"]
    direct = sa.indices("sobol", ISHIGAMI, X, Y, options).table.set_index("parameter")["ST"]
    pd.testing.assert_series_equal(full, direct)


def test_incomplete_sobol_design_is_refused_with_counts():
    X = sobol_sample.sample(ISHIGAMI, 32, seed=3)
    Y = ishigami_y(X)
    Y[[5, 77]] = np.nan
    with pytest.raises(sa.SensitivityError, match=r"incomplete design: 2 of 256 design points .*points 5, 77"):
        sa.indices("sobol", ISHIGAMI, X, Y, sa.Options("sobol"))
    with pytest.raises(sa.SensitivityError, match="not a whole number of Saltelli blocks"):
        sa.indices("sobol", ISHIGAMI, X[:-3], ishigami_y(X[:-3]), sa.Options("sobol"))
    # delta works on the points that ran
    result = sa.indices("delta", ISHIGAMI, X, Y, sa.Options("delta", num_resamples=2))
    assert result.n == 254


def test_constant_outcome_gives_nan_indices_and_a_note():
    X = sobol_sample.sample(ISHIGAMI, 16, seed=3)
    result = sa.indices("sobol", ISHIGAMI, X, np.full(len(X), 2.5), sa.Options("sobol"))
    assert result.table[["S1", "ST"]].isna().all().all()
    assert "constant" in result.notes[0]


def test_method_must_fit_the_design():
    with pytest.raises(sa.SensitivityError, match="needs a 'morris' design"):
        sa.check_method("morris", "sobol")
    with pytest.raises(sa.SensitivityError, match="unknown method"):
        sa.check_method("shapley", "sobol")
    sa.check_method("delta", "sobol")
    sa.check_method("pawn", "lhs")


def test_delta_and_pawn_rank_the_ishigami_inputs():
    X = latin.sample(ISHIGAMI, 400, seed=4)
    Y = ishigami_y(X)
    delta = sa.indices("delta", ISHIGAMI, X, Y, sa.Options("delta", num_resamples=2)).table
    assert delta.set_index("parameter")["S1"].idxmax() == "x2"  # S1: 0.31, 0.44, 0
    assert delta.set_index("parameter")["S1"]["x3"] < 0.1
    pawn = sa.indices("pawn", ISHIGAMI, X, Y, sa.Options("pawn")).table
    assert set(pawn.columns) >= {"S1", "ST", "pawn_median", "pawn_cv"} and pawn["S1"].isna().all()
    assert pawn.set_index("parameter")["pawn_median"].idxmax() == "x2"


# --- whole pipeline -----------------------------------------------------------------------------------


def test_morris_pipeline_ranks_sobol_g_factors(tmp_path, capsys):
    params = {f"x{i}": (0.0, 1.0) for i in range(1, 6)}
    path = write(tmp_path, "morris", "analysis.testfunctions:sobol_g", "morris", 40, params=params)
    out = sweep(tmp_path, path)
    assert main(["sensitivity", str(out), "--no-figures", "--top", "3"]) == 0
    printed = capsys.readouterr().out
    assert "ranked by mu_star" in printed
    indices = pd.read_csv(out / "analysis" / "indices.csv")
    assert {"mu", "mu_star", "mu_star_conf", "sigma"} <= set(indices.columns)
    order = indices.sort_values("mu_star", ascending=False)["parameter"].tolist()
    assert order[:3] == ["x1", "x2", "x3"]  # a = 0, 1, 4.5, 9, 99


def test_failed_runs_are_dropped_and_counted_and_sobol_refused(tmp_path, capsys):
    path = write(tmp_path, "flaky", "analysis.testfunctions:flaky_ishigami", "sobol", 32)
    out = sweep(tmp_path, path)
    runs = pd.read_parquet(out / "design.parquet")
    failing = int((runs["x1"] > 2.8).sum())
    assert failing > 0
    capsys.readouterr()
    assert main(["sensitivity", str(out)]) == 2
    err = capsys.readouterr().err
    assert "incomplete design" in err and f"{failing} of 256 design points" in err and "Traceback" not in err
    assert err.count("\n") == 1  # one line
    assert (
        main(["sensitivity", str(out), "--method", "delta", "--resamples", "2", "--no-figures", "--no-convergence"])
        == 0
    )
    printed = capsys.readouterr().out
    assert f"dropped {failing} failed runs of 256" in printed
    assert (out / "analysis" / "indices.csv").is_file()


def test_unfinished_sweep_is_refused_for_sobol(tmp_path, capsys):
    path = write(tmp_path, "partial", "analysis.testfunctions:ishigami", "sobol", 16)
    out = sweep(tmp_path, path, "--batch-size", "8", "--checkpoint-every", "0.001")
    batches = sorted((out / "scalars").glob("batch-*.parquet"))
    assert len(batches) > 1
    batches[-1].unlink()
    capsys.readouterr()
    assert main(["sensitivity", str(out)]) == 2
    assert "is not finished" in capsys.readouterr().err


def test_grid_over_one_parameter_gives_the_response(tmp_path, capsys):
    path = tmp_path / "grid.toml"
    path.write_text(
        '[experiment]\nname = "grid"\nmodel = "analysis.testfunctions:sobol_g"\ndesign = "grid"\n'
        "replications = 3\nseed = 1\n[parameters.x1]\nvalues = [0.0, 0.25, 0.5]\n"
    )
    out = sweep(tmp_path, path)
    assert main(["sensitivity", str(out)]) == 0
    assert "y by x1" in capsys.readouterr().out
    response = pd.read_csv(out / "analysis" / "response.csv")
    # G with one input, a = 0: y = |4x - 2|, deterministic (CI of zero width)
    np.testing.assert_allclose(response["mean"], [2.0, 1.0, 0.0], atol=1e-12)
    assert (response["n"] == 3).all()
    assert (out / "analysis" / "figures" / "response_y.png").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sensitivity", "{tmp}/nowhere"], "not a sweep results folder"),
        (["sensitivity", "{sweep}", "--method", "morris"], "needs a 'morris' design"),
        (["sensitivity", "{sweep}", "--outputs", "yy"], "did you mean y?"),
        (["sensitivity", "{sweep}", "--conf-level", "1.5"], "between 0 and 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    path = write(tmp_path, "small", "analysis.testfunctions:ishigami", "sobol", 8)
    out = sweep(tmp_path, path)
    capsys.readouterr()
    code = main([a.format(tmp=tmp_path, sweep=out) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err, err


@pytest.mark.parametrize(
    ("name", "design", "points"),
    [("levers_sobol", "sobol", 2560), ("morris_screening", "morris", 2640), ("budget_size", "grid", 13)],
)
def test_shipped_experiment_files_build_their_designs(name, design, points):
    from experiments.design import build_design
    from experiments.spec import load_experiment

    exp = load_experiment(f"experiments/{name}.toml")
    built = build_design(exp)
    assert exp.design == design and built.n_points == points and not exp.notes
    if name == "levers_sobol":
        assert sa.factor_names(built.problem) == [
            "budget_total_jpy_bn",
            "allocation",
            "sovereignty_rule",
            "investment_tax_credit_rate",
        ]
        assert np.allclose(
            built.points[
                [
                    f"share_{p}"
                    for p in ("compute_capex", "compute_grants", "rnd", "data", "talent", "adoption", "procurement")
                ]
            ].sum(axis=1),
            1,
        )
    if name == "morris_screening":
        assert exp.constants["n_user_agents"] == 300 and len(exp.parameters) == 131

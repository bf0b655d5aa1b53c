"""Experiment files: every mistake gets one clear message (file, line, field, what is allowed)."""

from __future__ import annotations

import pytest

from experiments.errors import ExperimentError
from experiments.spec import load_experiment
from sovai.cli import main

HEADER = """
[experiment]
design = "{design}"
samples = {samples}
seed = 1
"""


def _file(write, body: str, design: str = "lhs", samples: int = 8):
    return write(HEADER.format(design=design, samples=samples) + body)


BAD_FILES = [
    # (design, body, expected fragments of the message)
    (
        "lhs",
        "[parameters.budget_totl_jpy_bn]\nlow = 0\nhigh = 1\n",
        ["exp.toml:5", "unknown parameter 'budget_totl_jpy_bn'", "did you mean budget_total_jpy_bn"],
    ),
    (
        "lhs",
        "[parameters.budget_total_jpy_bn]\nlow = 500\nhigh = 100\n",
        ["exp.toml:6", "[parameters.budget_total_jpy_bn] low", "low = 500 must be less than high = 100"],
    ),
    (
        "lhs",
        "[parameters.budget_total_jpy_bn]\nlow = 0\nhigh = 20000\n",
        ["[parameters.budget_total_jpy_bn] high", "out of range", "0 to 10000"],
    ),
    ("lhs", "[parameters.budget_years]\nlow = 1.5\nhigh = 4\n", ["budget_years", "not a valid int"]),
    (
        "latin_hyper",
        "[parameters.sovereignty_rule]\nlow = 0\nhigh = 1\n",
        ["[experiment] design", "unknown design 'latin_hyper'", "did you mean"],
    ),
    ("fast", "[parameters.sovereignty_rule]\nlow = 0\nhigh = 1\n", ["samples", "must exceed 4·M² = 64"]),
    ("grid", "[parameters.sovereignty_rule]\nlow = 0\nhigh = 1\n", ["grid design needs values"]),
    ("lhs", "[parameters.sovereignty_rule]\nlow = 0\nhigh = 1\nlevels = 3\n", ["levels is for grid designs"]),
    (
        "lhs",
        "[parameters.sovereignty_rule]\nlow = 0\nhigh = 1\ngroup = 'rules'\n",
        ["groups work with the sobol, morris, latin designs, not 'lhs'"],
    ),
    ("morris", "[parameters.bass_q]\ndist = 'norm'\nmean = 0.4\nsd = 0.1\n", ["unbounded", "truncnorm"]),
    (
        "lhs",
        "[parameters.bass_q]\ndist = 'norm'\nmean = 0.4\nsd = 0.1\nlow = 0\n",
        ["low", "is not used by dist = 'norm'", "use truncnorm"],
    ),
    ("lhs", "[parameters.bass_q]\ndist = 'gauss'\nlow = 0\nhigh = 1\n", ["unknown distribution 'gauss'"]),
    ("lhs", "[parameters.bass_q]\ndist = 'triang'\nlow = 0\nhigh = 1\n", ["mode", "missing", "triang"]),
    ("lhs", "[parameters.export_partnership]\nlow = 0\nhigh = 1\n", ["true or false", "values"]),
    ("lhs", "[parameters.unspent_policy]\nvalues = ['carry_over', 'spend_it']\n", ["'spend_it' is not allowed"]),
    ("lhs", "[parameters.bass_q]\nlow = 0\nhigh = 1\nstep = 2\n", ["[parameters.bass_q] step", "unknown field"]),
    (
        "lhs",
        "[constants]\nn_user_agentz = 100\n[parameters.bass_q]\nlow = 0\nhigh = 1\n",
        ["[constants]", "unknown parameter 'n_user_agentz'", "did you mean n_user_agents"],
    ),
    ("lhs", "[constants]\nbass_q = 0.3\n[parameters.bass_q]\nlow = 0\nhigh = 1\n", ["also swept"]),
    ("lhs", "[constants]\nshare_rnd = 0.5\n[parameters.bass_q]\nlow = 0\nhigh = 1\n", ["must sum to 1"]),
    ("lhs", "[paramters.bass_q]\nlow = 0\nhigh = 1\n", ["unknown table", "did you mean parameters"]),
    ("lhs", "", ["no parameters to sweep"]),
]


@pytest.mark.parametrize(("design", "body", "fragments"), BAD_FILES, ids=[c[2][-1][:40] for c in BAD_FILES])
def test_bad_files_get_one_clear_message(write, design, body, fragments):
    path = _file(write, body, design=design, samples=16 if design == "fast" else 8)
    with pytest.raises(ExperimentError) as err:
        load_experiment(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_experiment_table_typos_and_missing_fields(write):
    path = write("[experiment]\ndesign = 'lhs'\nsample = 8\n[parameters.bass_q]\nlow = 0\nhigh = 1\n")
    with pytest.raises(
        ExperimentError,
        match=r"exp.toml:3: \[experiment\] sample: unknown field; did you mean "
        r"samples",
    ):
        load_experiment(path)
    path = write("[experiment]\ndesign = 'sobol'\n[parameters.bass_q]\nlow = 0\nhigh = 1\n")
    with pytest.raises(ExperimentError, match="samples: missing"):
        load_experiment(path)


def test_sobol_n_is_rounded_up_with_a_note(write):
    exp = load_experiment(_file(write, "[parameters.bass_q]\nlow = 0\nhigh = 1\n", design="sobol", samples=100))
    assert (exp.samples_requested, exp.samples) == (100, 128)
    assert any("rounded up to 128" in note for note in exp.notes)


def test_defaults_for_a_bare_parameter_table(write):
    body = "[parameters.export_partnership]\n[parameters.unspent_policy]\n[parameters.bass_q]\n"
    exp = load_experiment(_file(write, body))
    by_name = {p.name: p for p in exp.parameters}
    assert by_name["export_partnership"].values == (False, True)
    assert by_name["unspent_policy"].values == ("carry_over", "lapse")
    assert (by_name["bass_q"].low, by_name["bass_q"].high) == (0.0, 3.0)  # the registry's full range
    assert exp.scenario == "baseline" and exp.replications == 1


def test_custom_models_skip_the_registry_but_not_the_rules(write):
    path = write("[experiment]\ndesign = 'lhs'\nsamples = 4\n[parameters.anything]\nlow = 1\nhigh = 2\n")
    exp = load_experiment(path, model="sweep_toys:ishigami")
    assert exp.names == ["anything"] and exp.base == {} and exp.scenario is None
    bad = write("[experiment]\ndesign = 'lhs'\nsamples = 4\nscenario = 'baseline'\n[parameters.a]\nlow = 1\nhigh = 2\n")
    with pytest.raises(ExperimentError, match="scenarios are for the built-in model"):
        load_experiment(bad, model="sweep_toys:ishigami")


def test_malformed_and_missing_files(write, tmp_path):
    with pytest.raises(ExperimentError, match="does not exist"):
        load_experiment(tmp_path / "nope.toml")
    with pytest.raises(ExperimentError, match="malformed TOML"):
        load_experiment(write("[experiment\ndesign = 'lhs'\n"))


def test_cli_prints_one_line_and_exits_2(write, tmp_path, capsys):
    path = _file(write, "[parameters.sovereignty_rul]\nlow = 0\nhigh = 1\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("sovai: error: ") and "did you mean sovereignty_rule" in err
    assert not (tmp_path / "out").exists()


def test_cli_rejects_bad_model_spec(write, tmp_path, capsys):
    path = write("[experiment]\ndesign = 'lhs'\nsamples = 4\n[parameters.x1]\nlow = 0\nhigh = 1\n")
    assert main(["sweep", str(path), "--model", "no_such_module_xyz:f", "--out", str(tmp_path / "o")]) == 2
    assert "no module named 'no_such_module_xyz'" in capsys.readouterr().err
    assert main(["sweep", str(path), "--model", "sweep_toys:nope", "--out", str(tmp_path / "o")]) == 2
    assert "has no attribute 'nope'" in capsys.readouterr().err

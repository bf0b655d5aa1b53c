"""The shared checker of user TOML files (experiment, compare and optimise files)."""

from __future__ import annotations

import textwrap

import pytest

from analysis.compare import CompareError, load_comparison
from experiments.errors import ExperimentError
from experiments.spec import load_experiment
from experiments.validate import TomlFile, suggest


def test_suggest_names_the_nearest_or_lists_what_is_allowed():
    assert suggest("desing", ["design", "samples"]) == "did you mean design?"
    assert suggest("zzz", ["a", "b"]) == "allowed: a, b"
    assert suggest("zzz", ["a"], "see the docs") == "see the docs"


def test_fields_are_checked_with_the_line_of_the_field(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(
        textwrap.dedent("""
        [head]
        name = "ok"
        count = 0
        share = 1.5
        names = ["a", "a"]
    """)
    )
    f = TomlFile.read(path, kind="test", error=ExperimentError)
    head = f.table("head", required=True)
    assert f.string("head", head, "name", None) == "ok"
    with pytest.raises(ExperimentError, match=r"x.toml:4: \[head\] count: 0 must be a whole number ≥ 1"):
        f.integer("head", head, "count", 1, minimum=1)
    with pytest.raises(ExperimentError, match=r"x.toml:5: \[head\] share: 1.5 must be a number between 0 and 1"):
        f.number("head", head, "share", None, low=0, high=1)
    with pytest.raises(ExperimentError, match=r"x.toml:6: \[head\] names: lists a name twice"):
        f.names("head", head, "names")
    with pytest.raises(ExperimentError, match=r"x.toml:2: \[head\] nam: unknown field; did you mean name\?"):
        f.check_keys("head", {"nam": 1}, ["name", "count"])
    with pytest.raises(ExperimentError, match=r"\[other\]: missing; add it"):
        f.table("other", required=True, hint="add it")


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(CompareError, match="compare file .* does not exist"):
        TomlFile.read(tmp_path / "none.toml", kind="compare", error=CompareError)
    bad = tmp_path / "bad.toml"
    bad.write_text("[a\n")
    with pytest.raises(ExperimentError, match="bad.toml: malformed TOML"):
        TomlFile.read(bad, kind="experiment", error=ExperimentError)


def test_experiment_and_compare_files_answer_a_typo_in_the_same_words(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text('[experiment]\ndesign = "lhs"\nsampels = 4\n[parameters.x]\nlow = 0\nhigh = 1\n')
    with pytest.raises(
        ExperimentError, match=r"exp.toml:3: \[experiment\] sampels: unknown field; did you mean samples"
    ):
        load_experiment(exp)
    comp = tmp_path / "cmp.toml"
    comp.write_text("[compare]\nbudget_total_jpy_bn = 100\nreplicatons = 4\n")
    with pytest.raises(
        CompareError, match=r"cmp.toml:3: \[compare\] replicatons: unknown field; did you mean replications"
    ):
        load_comparison(comp)

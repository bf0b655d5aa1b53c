"""docs/parameters.md is generated from the registry and every parameter is traceable."""

from pathlib import Path

from analysis.provenance import parameters_markdown, provenance_problems
from sim.params import PARAMS_LIST, Param

DOC = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"


def test_parameters_doc_is_current():
    assert DOC.is_file(), "docs/parameters.md is missing: run `make docs`"
    assert DOC.read_text(encoding="utf-8") == parameters_markdown(), (
        "docs/parameters.md is stale: run `make docs` (sovai params --format markdown > docs/parameters.md)"
    )


def test_every_parameter_has_unit_range_meaning_and_source():
    assert provenance_problems() == []


def test_every_parameter_is_in_the_doc():
    text = parameters_markdown()
    for p in PARAMS_LIST:
        assert f"`{p.name}`" in text


def test_problems_are_caught():
    bad = [
        Param("no_source", 1.0, "share", "meaning", "", 0.0, 2.0),
        Param("no_unit", 1.0, "", "meaning", "assumption", 0.0, 2.0),
        Param("no_range", 1.0, "x", "meaning", "assumption"),
        Param("no_meaning", 1, "x", " ", "assumption", 0, 2),
        Param("no_choices", "a", "-", "meaning", "assumption"),
        Param("a_switch", True, "-", "meaning", "assumption"),
    ]
    problems = provenance_problems(bad)
    for name in ("no_source", "no_unit", "no_range", "no_meaning", "no_choices"):
        assert any(msg.startswith(name) for msg in problems), name
    assert not any(msg.startswith("a_switch") for msg in problems)


def test_cli_prints_the_same_markdown(capsys):
    from sovai.cli import main

    assert main(["params", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == parameters_markdown()

"""docs/parameters.md is generated from the registry and every parameter is traceable."""

import re
from pathlib import Path

from analysis.provenance import (
    Source,
    cited_keys,
    load_sources,
    parameters_markdown,
    provenance_problems,
    uncited_parameters,
)
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


# --- docs/sources.md: the public sources the parameters and targets cite -----------------------------------
def test_sources_doc_lists_publisher_title_date_and_phrases():
    sources = load_sources()
    assert len(sources) >= 50, "docs/sources.md is missing or its tables did not parse"
    keys = [s.key for s in sources]
    assert len(keys) == len(set(keys)), "duplicate keys in docs/sources.md"
    for s in sources:
        assert s.publisher and s.title and s.date and s.cited_as, s.key
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*", s.key), s.key


def test_every_cited_parameter_source_is_in_sources_md():
    """A parameter's source is an assumption or names a publication listed in docs/sources.md."""
    misses = uncited_parameters()
    assert not misses, "parameter sources that name no entry of docs/sources.md: " + "; ".join(misses)


def test_every_calibration_target_cites_a_listed_source():
    from analysis.calibration import TARGETS

    for t in TARGETS:
        assert cited_keys(t.source), f"{t.name}: its source names no entry of docs/sources.md: {t.source}"


def test_citing_is_by_whole_phrase():
    sources = (Source("jri", "JRI", "t", "2024", ("JRI",)), Source("x", "X", "t", "2024", ("MoE",)))
    assert cited_keys("JRI: private AI investment", sources) == ["jri"]
    assert cited_keys("the JRIX index; homoeopathy", sources) == []
    assert cited_keys("emission factors (MoE)", sources) == ["x"]
    assert uncited_parameters([Param("a", 1.0, "-", "m", "assumption; JRI", 0.0, 2.0)], sources) == []
    assert uncited_parameters([Param("b", 1.0, "-", "m", "MODEL.md: JRI", 0.0, 2.0)], sources) == ["b: MODEL.md: JRI"]
    assert uncited_parameters([Param("c", 1.0, "-", "m", "a blog", 0.0, 2.0)], sources) == ["c: a blog"]


def test_parameter_table_shows_the_source_keys():
    text = parameters_markdown()
    assert "(sources.md: ai-basic-plan)" in text

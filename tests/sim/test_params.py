import pytest

from sim.params import PARAMS, PARAMS_LIST, SHARE_NAMES, ParameterError, defaults, normalise_shares, resolve


def test_every_parameter_is_documented_and_its_default_is_allowed():
    for p in PARAMS_LIST:
        assert p.unit and p.meaning and p.source, p.name
        assert p.coerce(p.default) == p.default, p.name
        if p.kind in (int, float):
            assert p.low is not None and p.high is not None and p.low < p.high, p.name


def test_contract_names_exist():
    for name in (
        "budget_total_jpy_bn",
        "budget_years",
        "n_user_agents",
        "sovereignty_rule",
        "bass_p",
        "bass_q",
        *SHARE_NAMES,
    ):
        assert name in PARAMS


def test_default_shares_sum_to_one():
    assert sum(defaults()[n] for n in SHARE_NAMES) == pytest.approx(1.0)


def test_unknown_name_suggests_nearest():
    with pytest.raises(ParameterError, match="did you mean budget_total_jpy_bn"):
        resolve({"budget_total_jpy": 5})


def test_out_of_range_names_field_value_and_range():
    with pytest.raises(ParameterError, match=r"'sovereignty_rule'.*1\.5.*0 to 1"):
        resolve({"sovereignty_rule": 1.5})


def test_wrong_type_and_choices():
    with pytest.raises(ParameterError, match="not a valid int"):
        resolve({"n_user_agents": "many"})
    with pytest.raises(ParameterError, match="not a valid int"):
        resolve({"budget_years": 2.5})
    with pytest.raises(ParameterError, match="one of 'carry_over', 'lapse'"):
        resolve({"unspent_policy": "spend"})
    with pytest.raises(ParameterError, match="true or false"):
        resolve({"adaptive_policy": "maybe"})


def test_strings_from_the_command_line_are_parsed():
    p = resolve({"budget_total_jpy_bn": "2000", "budget_years": "3", "adaptive_policy": "true"})
    assert p["budget_total_jpy_bn"] == 2000.0 and p["budget_years"] == 3 and p["adaptive_policy"] is True


def test_shares_must_sum_to_one():
    with pytest.raises(ParameterError, match="shares must sum to 1 but sum to 1.1"):
        resolve({"share_data": 0.18})


def test_normalise_shares():
    p = normalise_shares({**defaults(), "share_data": 0.18})
    assert sum(p[n] for n in SHARE_NAMES) == pytest.approx(1.0)
    resolve(p)

"""Validation: responses that theory signs, averaged over seeds, all else equal.

More money for the data programme (other programmes' money unchanged) must never lower domestic
models' Japanese proficiency; a stricter sovereignty rule must never lower the share of regulated
sectors' sensitive AI work kept in Japan.
"""

import numpy as np

import sim
from sim.params import SHARE_NAMES, defaults

SEEDS = (1, 2, 3)
QUARTERS = 20
SMALL = {"n_user_agents": 1000}


def with_extra_data_money(extra_jpy_bn: float) -> dict:
    """Baseline plus ``extra_jpy_bn`` for the data programme; every other programme gets the same yen."""
    d = defaults()
    total = d["budget_total_jpy_bn"]
    money = {n: d[n] * total for n in SHARE_NAMES}
    money["share_data"] += extra_jpy_bn
    new_total = total + extra_jpy_bn
    return {"budget_total_jpy_bn": new_total, **{n: m / new_total for n, m in money.items()}}


def mean_path(params: dict, column: str) -> np.ndarray:
    return np.mean(
        [sim.run({**SMALL, **params}, seed=s, quarters=QUARTERS)["timeseries"][column].to_numpy() for s in SEEDS],
        axis=0,
    )


def test_more_data_money_never_lowers_japanese_proficiency():
    levels = (0.0, 40.0, 200.0, 1000.0)
    paths = [mean_path(with_extra_data_money(x), "japanese_proficiency_domestic") for x in levels]
    spent = [mean_path(with_extra_data_money(x), "spent_data_jpy_bn")[-1] for x in levels[:2]]
    assert spent[1] > spent[0], "the extra money must reach the data programme"
    for lower, higher in zip(paths, paths[1:], strict=False):
        assert np.all(higher >= lower - 1e-12), np.min(higher - lower)
    assert paths[-1][-1] > paths[0][-1], "a large data programme raises proficiency"


def test_other_programmes_unchanged_by_extra_data_money():
    base, more = with_extra_data_money(0.0), with_extra_data_money(500.0)
    d = defaults()
    for n in SHARE_NAMES:
        if n != "share_data":
            assert np.isclose(base[n] * base["budget_total_jpy_bn"], more[n] * more["budget_total_jpy_bn"])
    assert np.isclose(sum(more[n] for n in SHARE_NAMES), 1.0)
    assert np.isclose(base["budget_total_jpy_bn"], d["budget_total_jpy_bn"])


def test_stricter_sovereignty_rule_keeps_more_sensitive_work_in_japan():
    rules = (0.0, 0.25, 0.5, 1.0)
    abroad = [mean_path({"sovereignty_rule": r}, "abroad_share_sensitive").mean() for r in rules]
    assert all(b <= a + 1e-9 for a, b in zip(abroad, abroad[1:], strict=False)), abroad
    assert abroad[-1] == 0.0 and abroad[0] > 0.0

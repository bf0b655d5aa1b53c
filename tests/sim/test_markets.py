"""The markets of model v2: GPU-hour pools, training venues, the accelerator market, service delivered."""

import numpy as np
import pytest

from agents.user import ABROAD, DOMESTIC, IN_JAPAN, OPEN_DOMESTIC, SENSITIVE_BOUND
from sim import accelerators, markets, service


def test_pool_serves_inference_first_then_the_rest_pro_rata():
    r = markets.serve_pool(capacity_hours=100.0, inference_hours=60.0, other_hours=80.0)
    assert r.inference_fill == 1.0 and r.other_fill == pytest.approx(0.5)
    assert r.sold_hours == pytest.approx(100.0) and r.utilisation == pytest.approx(1.0)
    assert r.tightness == pytest.approx(1.4) and r.unmet_share == pytest.approx(40 / 140)
    short = markets.serve_pool(capacity_hours=30.0, inference_hours=60.0, other_hours=10.0)
    assert short.inference_fill == pytest.approx(0.5) and short.other_fill == 0.0
    slack = markets.serve_pool(capacity_hours=100.0, inference_hours=10.0, other_hours=10.0)
    assert slack.inference_fill == slack.other_fill == 1.0 and slack.utilisation == pytest.approx(0.2)


def test_gpu_hour_price_follows_tightness_and_support():
    assert markets.gpu_hour_price(100.0, 0.8, 0.8, 0.5) == pytest.approx(100.0)
    assert markets.gpu_hour_price(100.0, 1.6, 0.8, 0.5) == pytest.approx(100 * 2**0.5)
    assert markets.gpu_hour_price(100.0, 0.0, 0.8, 0.5) == pytest.approx(100 * 0.25**0.5)  # bounded below
    assert markets.gpu_hour_base_price(300.0, 0.7, 0.5, 20.0) == pytest.approx(300 * 0.65 + 20)


def test_training_goes_to_the_cheaper_venue_and_respects_the_cap():
    shares = markets.venue_shares(np.array([400.0, 400.0, 200.0]), np.ones(3), beta=4.0, abroad_cap=1.0)
    assert sum(shares) == pytest.approx(1.0) and shares[2] > shares[0] == pytest.approx(shares[1])
    capped = markets.venue_shares(np.array([400.0, 400.0, 200.0]), np.ones(3), beta=4.0, abroad_cap=0.0)
    assert capped[2] == 0.0 and sum(capped) == pytest.approx(1.0)
    # A venue that could serve only 10% of last quarter's demand looks ten times dearer.
    unfilled = markets.venue_shares(np.array([300.0, 300.0, 300.0]), np.array([0.1, 1.0, 1.0]), 4.0, 1.0)
    assert unfilled[0] < 0.01
    # Price-blind developers split evenly.
    assert markets.venue_shares(np.array([1.0, 5.0, 9.0]), np.ones(3), 0.0, 1.0) == pytest.approx([1 / 3] * 3)


def test_the_abroad_cap_keeps_the_excess_in_japan():
    free = markets.venue_shares([400.0, 400.0, 200.0], [1.0, 1.0, 1.0], 4.0)
    assert markets.cap_abroad(free, 0.5) == pytest.approx([0.25, 0.25, 0.5])
    assert markets.cap_abroad(free, 1.0) == free  # under the cap: unchanged
    assert markets.cap_abroad(free, 0.2) == markets.venue_shares([400.0, 400.0, 200.0], [1.0, 1.0, 1.0], 4.0, 0.2)
    # Domestic venues with no share: the excess is split evenly among the open ones.
    assert markets.cap_abroad([0.0, 0.0, 1.0], 0.0, [False, True, True]) == [0.0, 1.0, 0.0]
    assert markets.cap_abroad([0.0, 0.0, 1.0], 0.4) == pytest.approx([0.3, 0.3, 0.4])


def test_proportional_shares_sum_in_order_as_numpy_does_below_eight_values():
    weights = np.random.default_rng(0).uniform(0.1, 10.0, 6)
    assert markets.ordered_sum(weights.tolist()) == weights.sum()
    assert markets.proportional(weights.tolist()) == (weights / weights.sum()).tolist()
    assert markets.proportional([1.0, 3.0]) == [0.25, 0.75]


def test_markets_adjust_gradually():
    assert markets.adjust(1.0, 3.0, 0.25) == pytest.approx(1.5)
    assert markets.adjust(1.0, 3.0, 1.0) == pytest.approx(3.0)


def test_accelerator_market_clears_at_list_price_in_normal_years():
    c = accelerators.clear(wanted=50.0, allocation=100.0, elasticity=0.5, breakeven_ratio=1.3)
    assert c.quantity_h100eq == 50.0 and c.price_ratio == 1.0 and c.unfilled_share == 0.0


def test_accelerator_price_rises_beyond_the_allocation_until_chips_stop_paying():
    # Japan wants 4x its allocation; supply elasticity 0.5 means price ratio (4)^(1/0.5) = 16 to get it all.
    c = accelerators.clear(wanted=400.0, allocation=100.0, elasticity=0.5, breakeven_ratio=1.5)
    assert c.price_ratio == pytest.approx(1.5)
    assert c.quantity_h100eq == pytest.approx(100 * 1.5**0.5)
    assert c.unfilled_share == pytest.approx(1 - 100 * 1.5**0.5 / 400)
    # Support raises the break-even price, so more chips are bought in the same shortage.
    more = accelerators.clear(wanted=400.0, allocation=100.0, elasticity=0.5, breakeven_ratio=2.0)
    assert more.quantity_h100eq > c.quantity_h100eq
    # A shock that cuts the allocation buys fewer chips at the same willingness to pay.
    shock = accelerators.clear(wanted=400.0, allocation=25.0, elasticity=0.5, breakeven_ratio=1.5)
    assert shock.quantity_h100eq == pytest.approx(25 * 1.5**0.5)
    # Chips that do not pay even at list price are not bought.
    assert accelerators.clear(wanted=400.0, allocation=100.0, elasticity=0.5, breakeven_ratio=0.9).quantity_h100eq == 0


def test_price_ratio_and_quantity_are_inverse():
    for q in (120.0, 300.0, 1000.0):
        r = accelerators.price_ratio(q, 100.0, 0.7)
        assert accelerators.quantity_at(r, 100.0, 0.7) == pytest.approx(q)
    assert accelerators.price_ratio(150.0, 100.0, 0.0) == np.inf  # a fixed supply cannot be outbid


HOSTING = np.array([DOMESTIC, OPEN_DOMESTIC, IN_JAPAN, ABROAD])


def test_service_counts_work_where_it_runs():
    spend = np.ones((2, 3, 4))  # 2 sectors x 3 slices x 4 providers
    fills = {"domestic": 0.5, "japan_region": 0.25}
    assert service.pool_fill(HOSTING, fills).tolist() == [0.5, 0.5, 0.25, 1.0]
    d = service.deliver(spend, HOSTING, fills, abroad_open=True)
    np.testing.assert_allclose(d.served + d.rerouted + d.unmet, spend)  # every yen is accounted for
    # Bound work that Japan cannot serve is unmet, never sent abroad.
    assert d.rerouted[:, SENSITIVE_BOUND].sum() == 0
    assert d.unmet[:, SENSITIVE_BOUND].sum() == pytest.approx(2 * (0.5 + 0.5 + 0.75))
    # Free work that Japan cannot serve runs abroad and counts as abroad, whatever the contract said.
    np.testing.assert_allclose(d.abroad(HOSTING)[:, 0], 1.0 + 0.5 + 0.5 + 0.75)
    np.testing.assert_allclose(d.in_japan(HOSTING)[:, 0], 0.5 + 0.5 + 0.25)


def test_no_way_abroad_leaves_the_overflow_unmet():
    spend = np.ones((1, 3, 4))
    d = service.deliver(spend, HOSTING, {"domestic": 0.0, "japan_region": 0.0}, abroad_open=False)
    assert d.rerouted.sum() == 0 and d.unmet.sum() == pytest.approx(9.0)


def test_when_every_pool_serves_all_it_was_asked_the_spend_is_served_as_booked():
    spend = np.arange(24.0).reshape(2, 3, 4)
    d = service.deliver(spend, HOSTING, {"domestic": 1.0, "japan_region": 1.0}, abroad_open=True)
    assert d.served is spend  # no copy: nothing changed it
    assert not d.rerouted.any() and not d.unmet.any()
    assert not d.unmet.flags.writeable  # one array of zeros stands for both


def test_accelerator_market_stops_where_the_marginal_chip_no_longer_pays():
    """With a worth that falls with the quantity, the market stops where worth meets the world's price."""

    def worth(q: float) -> float:  # each extra chip earns less as the fleet grows
        return 2.0 - q / 200.0

    c = accelerators.clear(wanted=400.0, allocation=100.0, elasticity=1.0, breakeven_ratio=worth)
    # Price ratio q/100 beyond the allocation meets 2 - q/200 at q = 133.3.
    assert c.quantity_h100eq == pytest.approx(400 / 3, rel=1e-6)
    assert c.price_ratio == pytest.approx(worth(c.quantity_h100eq), rel=1e-6)
    # Within the allocation the price is list, so buyers stop where a chip's worth falls to list.
    glut = accelerators.clear(wanted=400.0, allocation=1000.0, elasticity=1.0, breakeven_ratio=worth)
    assert glut.quantity_h100eq == pytest.approx(200.0, rel=1e-6) and glut.price_ratio == 1.0
    # A constant worth gives the closed form.
    assert accelerators.clear(400.0, 100.0, 1.0, lambda q: 1.5).quantity_h100eq == pytest.approx(150.0, rel=1e-6)


def test_hosted_is_isin_over_the_hosting_modes():
    hosting = np.array([DOMESTIC, OPEN_DOMESTIC, IN_JAPAN, ABROAD, DOMESTIC])
    for modes in (service.RUNS_IN_JAPAN, service.DOMESTIC_INFRA, (ABROAD,), ()):
        np.testing.assert_array_equal(service.hosted(hosting, modes), np.isin(hosting, modes))


def test_accelerator_market_clears_where_bisection_does_to_the_last_bit():
    """Regula falsi only narrows the search: the quantity is the one 30 halvings of [0, wanted] give."""

    def bisection(wanted, allocation, elasticity, worth):
        low, high = 0.0, wanted
        for _ in range(30):
            mid = (low + high) / 2
            if accelerators.price_ratio(mid, allocation, elasticity) <= worth(mid):
                low = mid
            else:
                high = mid
        return low

    worths = [
        lambda q: 2.0 - q / 200.0,  # falls in a line
        lambda q: max(1.2, 3.0 - q / 50.0),  # with a kink
        lambda q: 1.0 + 5.0 / (1 + q / 30.0),  # convex
        lambda q: 1.0,  # the first chip just pays
    ]
    markets_ = [(100.0, 1.0), (100.0, 0.5), (100.0, 3.0), (100.0, 0.0), (100.0, 0.001), (1000.0, 1.0), (10.0, 0.5)]
    searched = 0
    for worth in worths:
        for allocation, elasticity in markets_:
            c = accelerators.clear(400.0, allocation, elasticity, worth)
            if accelerators.price_ratio(400.0, allocation, elasticity) > worth(400.0):  # not all of it pays
                assert c.quantity_h100eq == bisection(400.0, allocation, elasticity, worth)
                searched += 1
    assert searched >= 20

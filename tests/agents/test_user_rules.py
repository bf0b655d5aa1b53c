import numpy as np
import pytest

from agents.user import (
    ABROAD,
    DOMESTIC,
    GENERAL,
    IN_JAPAN,
    SENSITIVE_BOUND,
    Offers,
    UserPopulation,
    _draw,
    adopter_totals,
    adoption_probability,
    capability_gap_cost,
    choice_probabilities,
    inclusive_value,
    offer_utilities,
    slice_shares,
)
from sim import networks, population
from sim.params import defaults


def offers(**kw):
    base = dict(
        names=["dom", "jp", "abroad"],
        capability=np.array([-20.0, -1.0, 0.0]),
        japanese=np.array([0.9, 0.75, 0.75]),
        price=np.array([0.9, 1.15, 1.0]),
        list_price=np.array([0.9, 1.15, 1.0]),
        hosting=np.array([DOMESTIC, IN_JAPAN, ABROAD]),
        available=np.array([True, True, True]),
        disruption_record=np.zeros(3),
        shortage=np.zeros(3),
    )
    return Offers(**{**base, **kw})


def test_adoption_probability_is_exact_hazard_over_the_quarter():
    assert adoption_probability(0.03, 0.38, 0.0) == pytest.approx(1 - np.exp(-0.03 * 0.25))
    assert adoption_probability(0.03, 0.38, 1.0) == pytest.approx(1 - np.exp(-0.41 * 0.25))
    assert adoption_probability(0.0, 0.0, 1.0) == 0.0
    shares = np.array([0.0, 0.5, 1.0])
    assert np.all(np.diff(adoption_probability(0.03, 0.38, shares)) > 0)


def test_slice_shares_follow_the_rule():
    np.testing.assert_allclose(slice_shares(0.6, 0.25), [0.4, 0.45, 0.15])
    np.testing.assert_allclose(slice_shares(np.array([0.0, 1.0]), 1.0), [[1, 0, 0], [0, 0, 1]])


def test_bound_work_cannot_go_abroad_and_dark_providers_are_not_chosen():
    util = offer_utilities(offers(available=np.array([True, False, True])), defaults())
    assert np.isneginf(util[SENSITIVE_BOUND, 2]) and np.isneginf(util[:, 1]).all()
    probs = choice_probabilities(util)
    assert probs[SENSITIVE_BOUND, 2] == 0 and (probs[:, 1] == 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1)


def test_utilities_move_the_right_way():
    p = defaults()
    base = offer_utilities(offers(), p)[GENERAL]
    cheaper = offer_utilities(offers(price=np.array([0.45, 1.15, 1.0])), p)[GENERAL]
    better = offer_utilities(offers(capability=np.array([-10.0, -1.0, 0.0])), p)[GENERAL]
    assert cheaper[0] > base[0] and better[0] > base[0]
    sensitive = offer_utilities(offers(), p)[1]
    assert sensitive[2] < base[2] and sensitive[1] < base[1] and sensitive[0] == base[0]


def test_capability_gap_cost_is_linear_then_logarithmic():
    assert capability_gap_cost(np.array(0.0), 10) == 0
    assert capability_gap_cost(np.array(1.0), 10) == pytest.approx(1.0, rel=0.06)
    assert capability_gap_cost(np.array(90.0), 10) == pytest.approx(10 * np.log(10))


def test_capability_gap_cost_counts_a_lead_as_it_is_and_keeps_the_shape():
    gap = np.array([[-3.0, 0.0], [2.5, 90.0]])
    cost = capability_gap_cost(gap, 10)
    assert cost.shape == gap.shape
    np.testing.assert_array_equal(cost, np.where(gap > 0, 10 * np.log1p(np.maximum(gap, 0) / 10), gap))


def test_user_agent_view_matches_population(small_model):
    m = small_model()
    m.step()
    from agents import UserAgent

    agent = next(iter(m.agents_by_type[UserAgent]))
    assert agent.weight == m.population.weight[agent.index]
    assert agent.sector in m.sector_names and agent.size in ("large", "medium", "small")
    if agent.adopted:
        assert agent.adoption_probability() == 0 and agent.providers["general"] in m.provider_names
    else:
        assert 0 <= agent.adoption_probability() < 1


def test_nested_logit_matches_the_textbook_formula():
    util = np.array([[1.0, 0.2, -np.inf, 0.7], [-np.inf, -np.inf, -np.inf, -np.inf]])
    nest, lam = np.array([0, 0, 1, 1]), 0.6
    probs = choice_probabilities(util, nest, lam)
    # P(j) = exp(u_j/λ) / S_b · S_b^λ / Σ_b' S_b'^λ, with S_b = Σ_{k in b} exp(u_k/λ)
    e = np.exp(util[0] / lam)
    s = np.array([e[:2].sum(), e[2:].sum()])
    expected = e / s[nest] * s[nest] ** lam / (s**lam).sum()
    np.testing.assert_allclose(probs[0], expected)
    assert (probs[1] == 0).all()  # nothing on offer: no choice, not 0/0
    assert inclusive_value(util[0], nest, lam) == pytest.approx(np.log((s**lam).sum()))
    assert inclusive_value(util[1], nest, lam) == -np.inf


def test_draws_follow_the_cumulative_probabilities():
    cum = np.cumsum([0.2, 0.3, 0.5])
    u = np.array([0.0, 0.1999, 0.2, 0.4999, 0.5, 0.9999])
    np.testing.assert_array_equal(_draw(cum[:, None], u), [0, 0, 1, 1, 2, 2])
    rows = np.stack([cum, np.cumsum([0.0, 0.0, 1.0])], axis=1)  # one row per uniform, providers first
    np.testing.assert_array_equal(_draw(rows, np.array([0.3, 0.3])), [1, 2])


@pytest.mark.parametrize("categories", [1, 2, 5, 128])
def test_a_draw_counts_thresholds_as_a_clamped_count_of_all_of_them(categories):
    """Counting the first n-1 thresholds gives what counting all n and clamping to the last gives.

    With a last category that has no chance, a total other than 1 and uniforms next to 1; 128
    categories take the 64-bit count.
    """
    rng = np.random.default_rng(3)
    p = rng.random(categories) * 2.5
    p[-1] = 0.0 if categories > 1 else p[-1]
    cum = np.cumsum(p)
    u = np.concatenate([rng.random(500), [0.0, np.nextafter(1.0, 0.0), 1.0]])
    clamped = np.minimum((u * cum[-1] >= cum[:, None]).sum(axis=0), len(cum) - 1)
    np.testing.assert_array_equal(_draw(cum[:, None], u), clamped)


@pytest.mark.parametrize("network", ["small_world", "complete"])
def test_adoption_chances_equal_the_rule_for_every_agent(small_model, network):
    m = small_model(peer_network=network)
    pop = m.population
    p = m.p
    for _ in range(6):  # adopters leave the candidates as the quarters pass; the chances must not change
        m.step()
        can = ~pop.adopted & pop.potential

        def prob(share, p=p):
            return adoption_probability(p["bass_p"], p["bass_q"], share, pop.attractiveness)

        expected_new = can * prob(pop.peer_share(pop.adopted))
        expected = can * prob(pop.peer_share(pop.adopted + 0.5 * expected_new))
        np.testing.assert_allclose(pop.adoption_probabilities(), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("network", "n"), [("small_world", 100), ("small_world", 400), ("complete", 100)])
def test_nobody_adopts_where_nobody_can(small_model, network, n):
    m = small_model(peer_network=network, n_user_agents=n)  # 100 agents: a dense peer matrix, 400: sparse
    arrays, _ = population.build(m.p, np.random.default_rng(0))
    arrays.pop("initial_adopter")
    arrays["potential"][:] = False
    adjacency = networks.peer_adjacency(arrays["sector"], arrays["region"], m.p, np.random.default_rng(1))
    pop = UserPopulation(arrays, networks.row_normalised(adjacency), m.p, np.random.default_rng(2))
    assert not pop.adoption_probabilities().any()
    pop.step(m.offers, 1.0, np.random.default_rng(3))
    assert not pop.adopted.any()


def test_spend_is_every_adopters_bill_by_sector_slice_and_provider(small_model):
    m = small_model()
    pop = m.population
    for _ in range(3):
        m.step()
        n_providers, n_sectors = len(m.provider_names), len(m.sector_names)
        expected = np.zeros((n_sectors, 3, n_providers))
        bill = pop.weight * pop.bill_jpy_bn  # 0 before adoption
        for i in np.flatnonzero(pop.adopted):
            for s, k in enumerate(pop.provider[i]):
                if k >= 0:
                    expected[pop.sector[i], s, k] += bill[i] * pop.shares[i, s]
        np.testing.assert_allclose(pop.spend_by(n_providers, n_sectors), expected, rtol=1e-12, atol=1e-15)


def test_public_purchases_read_the_utilities_the_users_chose_on(small_model):
    m = small_model()
    for _ in range(2):
        m.step()  # the offers do not change between the users' choice and the public purchases
        np.testing.assert_array_equal(m.population.utility, offer_utilities(m.offers, m.p))


def test_adopter_weights_are_the_adopters_by_provider_of_general_work_and_by_sector(small_model):
    m = small_model()
    m.step()
    pop, n_providers, n_sectors = m.population, len(m.provider_names), len(m.sector_names)
    weight, general = pop.weight * pop.adopted, pop.provider[:, GENERAL]
    by_provider, by_sector = pop.adopter_weights(n_providers, n_sectors)
    no_provider_last = [*range(n_providers), -1]
    np.testing.assert_allclose(by_provider, [weight[general == k].sum() for k in no_provider_last], rtol=1e-12)
    np.testing.assert_allclose(by_sector, [weight[pop.sector == s].sum() for s in range(n_sectors)], rtol=1e-12)


def test_adopter_totals_of_many_quarters_are_each_quarters(small_model):
    m = small_model()
    n_providers, n_sectors = len(m.provider_names), len(m.sector_names)
    tables, totals = [], []
    for _ in range(3):
        m.step()
        tables.append(m.population.adopter_table(n_providers, n_sectors))
        totals.append(m.population.adopter_weights(n_providers, n_sectors))
    by_provider, by_sector = adopter_totals(np.array(tables))
    np.testing.assert_array_equal(by_provider, [p for p, _ in totals])  # the same sums, bit for bit
    np.testing.assert_array_equal(by_sector, [s for _, s in totals])


def test_offers_read_as_lists_or_arrays_give_the_same_utilities():
    as_arrays = offers(available=np.array([True, False, True]), disruption_record=np.array([0.0, 0.0, 0.5]))
    as_lists = offers(
        capability=[-20.0, -1.0, 0.0],
        japanese=[0.9, 0.75, 0.75],
        available=[True, False, True],
        disruption_record=[0.0, 0.0, 0.5],
    )
    p = defaults()
    np.testing.assert_array_equal(offer_utilities(as_lists, p), offer_utilities(as_arrays, p))

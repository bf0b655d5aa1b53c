"""The peer network built with array operations matches the networkx Watts–Strogatz builder it replaced."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from sim import networks, population
from sim.params import resolve


def networkx_small_world(n, k, rewire_prob, rng):
    """The block builder the model used before: networkx's connected Watts–Strogatz graph."""
    g = nx.connected_watts_strogatz_graph(n, k, rewire_prob, seed=int(rng.integers(2**31)))
    return np.array(g.edges(), dtype=np.int64).reshape(-1, 2)


def _population(n, seed=0):
    p = resolve({"n_user_agents": n})
    arrays, _ = population.build(p, np.random.default_rng(seed))
    return arrays, p


def _clustering(adj):
    """Local clustering coefficient of every node (0 for degree < 2)."""
    deg = np.asarray(adj.sum(axis=1)).ravel()
    triangles = np.asarray((adj @ adj).multiply(adj).sum(axis=1)).ravel() / 2
    pairs = deg * (deg - 1) / 2
    return np.divide(triangles, pairs, out=np.zeros_like(pairs), where=pairs > 0)


def _stats(builder, arrays, p, seeds):
    degrees, clustering = [], []
    for seed in seeds:
        adj = networks.peer_adjacency(arrays["sector"], arrays["region"], p, np.random.default_rng(seed), builder)
        degrees.append(np.asarray(adj.sum(axis=1)).ravel().astype(int))
        clustering.append(_clustering(adj).mean())
    deg = np.concatenate(degrees)
    return np.bincount(deg, minlength=60)[:60] / len(deg), deg.mean(), float(np.mean(clustering))


@pytest.mark.parametrize("overrides", [{}, {"peer_degree": 16, "peer_rewire_prob": 0.3}])
def test_same_degree_distribution_and_clustering_as_networkx(overrides):
    arrays, p = _population(6000)
    p = {**p, **overrides}
    new_hist, new_mean, new_clust = _stats(None, arrays, p, range(3))
    old_hist, old_mean, old_clust = _stats(networkx_small_world, arrays, p, range(100, 103))
    assert new_mean == pytest.approx(old_mean, rel=0.01)
    assert 0.5 * np.abs(new_hist - old_hist).sum() < 0.02  # total variation distance of the degree distributions
    assert new_clust == pytest.approx(old_clust, rel=0.05)
    assert new_clust > 0.1  # clustered: a random graph of this degree would have about 0.003


def test_ring_small_world_is_a_connected_simple_graph():
    rng = np.random.default_rng(1)
    for n, k, prob in [(10, 4, 0.5), (300, 6, 0.1), (300, 2, 0.0), (40, 8, 1.0)]:
        edges = networks.ring_small_world(n, k, prob, rng)
        assert len(edges) == n * (k // 2)  # rewiring moves links, never drops them
        assert (edges[:, 0] != edges[:, 1]).all()
        key = np.minimum(edges[:, 0], edges[:, 1]) * n + np.maximum(edges[:, 0], edges[:, 1])
        assert len(np.unique(key)) == len(key)
        g = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        assert connected_components(g, directed=False, return_labels=False) == 1
    ring = networks.ring_small_world(50, 4, 0.0, rng)
    assert set(map(tuple, ring)) == {(u, (u + j) % 50) for u in range(50) for j in (1, 2)}


def reference_small_world(n, k, rewire_prob, rng, tries=10):
    """The array builder as first written (a sort of every link's pair, a COO matrix for the check): the draws to keep."""
    half = k // 2
    src = np.repeat(np.arange(n), half)
    lattice = (src + np.tile(np.arange(1, half + 1), n)) % n
    for _ in range(tries):
        rewired = rng.random(len(src)) < rewire_prob
        dst = lattice.copy()
        dst[rewired] = rng.integers(n, size=int(rewired.sum()))
        keep = np.ones(len(src), dtype=bool)
        for _ in range(100):  # every link's pair sorted, ring links first: any repeat is a collision
            key = np.minimum(src, dst) * n + np.maximum(src, dst)
            order = np.argsort(key * 2 + rewired, kind="stable")
            repeat = np.zeros(len(key), dtype=bool)
            repeat[order[1:]] = key[order[1:]] == key[order[:-1]]
            bad = rewired & (repeat | (src == dst))
            if not bad.any():
                break
            dst[bad] = rng.integers(n, size=int(bad.sum()))
        else:
            keep = ~bad
        edges = np.column_stack([src[keep], dst[keep]])
        graph = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        if connected_components(graph, directed=False, return_labels=False) == 1:
            break
    return edges


# 0: large sectors' connectedness checks (merged runs; the links given one way only)
@pytest.mark.parametrize("merge_runs_above", [networks.MERGE_RUNS_ABOVE, 0])
@pytest.mark.parametrize("both_ways_up_to", [networks.BOTH_WAYS_UP_TO, 0])
def test_ring_small_world_makes_the_reference_graph_from_the_same_draws(monkeypatch, merge_runs_above, both_ways_up_to):
    monkeypatch.setattr(networks, "MERGE_RUNS_ABOVE", merge_runs_above)
    monkeypatch.setattr(networks, "BOTH_WAYS_UP_TO", both_ways_up_to)
    # small n and high rewiring make colliding ends, skipped rewiring and disconnected draws (retries)
    for n, k, prob in [(5, 2, 1.0), (9, 6, 0.7), (12, 4, 1.0), (30, 8, 0.3), (400, 6, 0.1), (400, 2, 0.05)]:
        for seed in range(10):
            new, old = np.random.default_rng(seed), np.random.default_rng(seed)
            assert np.array_equal(networks.ring_small_world(n, k, prob, new), reference_small_world(n, k, prob, old))
            assert new.bit_generator.state == old.bit_generator.state


def _broken_small_worlds(seed: int, max_n: int, count: int = 300):
    """Small worlds with some links dropped, so that some fall apart: (n, src, dst, connected) each."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, k, prob = int(rng.integers(8, max_n)), 2 * int(rng.integers(1, 4)), rng.random()
        edges = networks.ring_small_world(n, k, prob, rng, tries=1)
        edges = edges[rng.random(len(edges)) < rng.random()]
        src, dst = edges[:, 0], edges[:, 1]
        graph = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        yield n, src, dst, connected_components(graph, directed=False, return_labels=False) == 1


def test_connectedness_is_the_same_with_the_links_given_both_ways_or_one_way(monkeypatch):
    seen = set()
    for n, src, dst, connected in _broken_small_worlds(5, 60):
        monkeypatch.setattr(networks, "BOTH_WAYS_UP_TO", n)
        assert networks._connected(n, src, dst) == connected
        monkeypatch.setattr(networks, "BOTH_WAYS_UP_TO", n - 1)
        assert networks._connected(n, src, dst) == connected
        seen.add(connected)
    assert seen == {True, False}


def test_merging_the_runs_keeps_connectedness():
    seen = set()
    for n, src, dst, connected in _broken_small_worlds(3, 40):
        n_runs, a, b = networks._merge_runs(n, src, dst)
        assert n_runs <= n and (np.diff(a) >= 0).all()
        assert networks._connected(n_runs, a, b) == connected
        seen.add(connected)
    assert seen == {True, False}


def test_peer_adjacency_is_symmetric_seeded_and_keeps_sector_blocks():
    arrays, p = _population(3000)
    a = networks.peer_adjacency(arrays["sector"], arrays["region"], p, np.random.default_rng(5))
    b = networks.peer_adjacency(arrays["sector"], arrays["region"], p, np.random.default_rng(5))
    assert (a != b).nnz == 0
    assert (a != a.T).nnz == 0 and a.diagonal().sum() == 0 and set(np.unique(a.data)) == {1.0}
    i, j = a.nonzero()
    cross = arrays["sector"][i] != arrays["sector"][j]
    assert (arrays["region"][i][cross] == arrays["region"][j][cross]).all()  # cross-sector links stay in a region
    assert 0.1 < cross.mean() < 0.3  # peer_cross_sector_share = 0.2
    for s in np.unique(arrays["sector"]):
        members = np.flatnonzero(arrays["sector"] == s)
        block = a[members][:, members]
        assert connected_components(block, directed=False, return_labels=False) == 1


def test_peer_graph_exports_the_network_or_a_neighbourhood():
    arrays, p = _population(2000)
    adj = networks.peer_adjacency(arrays["sector"], arrays["region"], p, np.random.default_rng(0))
    g = networks.peer_graph(adj)
    assert g.number_of_nodes() == 2000 and g.number_of_edges() == adj.nnz // 2
    hood = networks.peer_graph(adj, around=17, n_nodes=30)
    assert 17 in hood and hood.number_of_nodes() == 30 and nx.is_connected(hood)
    assert set(hood.neighbors(17)) <= set(adj.indices[adj.indptr[17] : adj.indptr[18]].tolist())


@pytest.mark.parametrize("codes", [3, 300, 70_000])  # sorted as 8-bit, 16-bit and 32-bit integers
def test_groups_list_each_codes_members_in_order(codes):
    values = np.random.default_rng(codes).integers(codes, size=5000)
    values[values == 1] = 0  # a code with no members has an empty group
    groups = networks._groups(values)
    assert len(groups) == values.max() + 1
    for code, members in enumerate(groups):
        assert members.dtype == np.int32 and np.array_equal(members, np.flatnonzero(values == code))

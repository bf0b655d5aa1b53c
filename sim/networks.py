"""Networks: the users' peer network (drives adoption) and the supply network (for metrics and pictures).

The peer network joins users of the same sector in a Watts–Strogatz small world (clustered, with a
few shortcuts) and adds links across sectors within a region, as firm adoption spreads through
industry ties and co-location (Dahlke et al. 2024). The "complete" network is handled as its exact
mean field by the population, so no graph is built. All generators are seeded from the model's rng.

The peer network is built directly as a sparse matrix with array operations, since at hundreds of
thousands of users a graph object per run costs more than the whole simulation; networkx serves
the supply network and the views of the peer network (:func:`peer_graph`, :func:`peer_sample`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:
    from sim.model import SovereignAIModel


def peer_adjacency(
    sector: np.ndarray,
    region: np.ndarray,
    p: dict[str, Any],
    rng: np.random.Generator,
    small_world: Callable[[int, int, float, np.random.Generator], np.ndarray] | None = None,
) -> sp.csr_matrix | None:
    """Symmetric 0/1 adjacency of the peer network (CSR), or None for the complete graph.

    Args:
        sector: Sector index per user.
        region: Region index per user.
        p: Model parameters (``peer_network``, ``peer_degree``, ``peer_rewire_prob``,
            ``peer_cross_sector_share``).
        rng: The model's random generator.
        small_world: Builder of one sector's block, ``(n, k, rewire_prob, rng) -> edges (m, 2)``;
            default :func:`ring_small_world`. Another generator of the same graph family can be
            passed to compare the two.

    """
    if p["peer_network"] == "complete":
        return None
    small_world = small_world or ring_small_world
    n = len(sector)
    k_in = max(2, int(round(p["peer_degree"] * (1 - p["peer_cross_sector_share"]) / 2)) * 2)
    rows, cols = [], []
    for members in _groups(sector):
        if len(members) < 2:
            continue
        if len(members) > k_in + 1:
            edges = small_world(len(members), k_in, p["peer_rewire_prob"], rng)
        else:
            edges = _complete_graph(len(members))
        rows.append(members[edges[:, 0]])
        cols.append(members[edges[:, 1]])
    n_cross = int(round(n * p["peer_degree"] * p["peer_cross_sector_share"] / 2))
    for members in _groups(region):  # cross-sector links, within a region
        m = int(round(n_cross * len(members) / n))
        if len(members) < 2 or m == 0:
            continue
        a, b = members[rng.integers(len(members), size=m)], members[rng.integers(len(members), size=m)]
        keep = sector[a] != sector[b]
        rows.append(a[keep])
        cols.append(b[keep])
    # Both directions at once, each side joined in one pass (at 1M users, 3.4M links);
    # duplicate links sum on conversion and are reset to 1.
    none = [np.zeros(0, np.int32)]
    i, j = np.concatenate([*rows, *cols, *none]), np.concatenate([*cols, *rows, *none])
    adj = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    adj.data[:] = 1.0
    return adj


def ring_small_world(n: int, k: int, rewire_prob: float, rng: np.random.Generator, tries: int = 10) -> np.ndarray:
    """Edges ``(m, 2)`` of a connected Watts–Strogatz small world, built with array operations.

    The same graph family as ``networkx.connected_watts_strogatz_graph``: a ring where every node
    links to its ``k`` nearest neighbours (``k // 2`` on each side), then each link ``(u, v)`` is
    replaced with probability ``rewire_prob`` by ``(u, w)`` with ``w`` uniform, never a self-loop
    or a second link between the same pair. The rewired ends are drawn all at once and only the
    few that collide are drawn again, where networkx decides link by link in Python. A draw that
    leaves the graph in pieces is redrawn, up to ``tries`` times; after that the last draw is kept
    (networkx raises instead), which happens only when rewiring nearly everything at a low degree.

    Args:
        n: Nodes, more than ``k + 1``.
        k: Nearest neighbours in the ring (even).
        rewire_prob: Chance that a link is rewired.
        rng: Random generator.
        tries: Draws allowed to find a connected graph.

    """
    half = k // 2
    src = np.repeat(np.arange(n), half)  # link ``u·half + d − 1`` joins u to u + d: sorted by ``src``
    lattice = (src + np.tile(np.arange(1, half + 1), n)) % n
    edges = np.zeros((0, 2), dtype=np.int64)
    for _ in range(tries):
        rewired = rng.random(len(src)) < rewire_prob
        moved = np.flatnonzero(rewired)
        dst = lattice.copy()
        dst[moved] = rng.integers(n, size=len(moved))
        keep = slice(None)
        for _ in range(100):  # draw again the ends that collide; a few rounds suffice
            bad = moved[_collisions(moved, src, dst, n, half, rewired)]
            if len(bad) == 0:
                break
            dst[bad] = rng.integers(n, size=len(bad))
        else:  # a node already linked to nearly everyone: skip its rewiring, as networkx does
            keep = np.ones(len(src), dtype=bool)
            keep[bad] = False
        kept_src, kept_dst = src[keep], dst[keep]
        edges = np.column_stack([kept_src, kept_dst])
        if _connected(n, kept_src, kept_dst):
            break
    return edges


def _collisions(
    moved: np.ndarray, src: np.ndarray, dst: np.ndarray, n: int, half: int, rewired: np.ndarray
) -> np.ndarray:
    """Mark the rewired links ``moved`` that are self-loops or repeat the node pair of an earlier link.

    Ring links count as earliest. Ring links are distinct pairs, so only a rewired link can repeat
    one: the ring link of its pair if that link kept its place, or an earlier rewired link. Only
    the rewired links are looked at and sorted.
    """
    a, b = src[moved], dst[moved]
    # The ring link with the pair {a, b}, if any: from a d steps on, or from b n − d steps on.
    d = (b - a) % n
    ring = np.where((d >= 1) & (d <= half), a * half + d - 1, np.where(d >= n - half, b * half + (n - d) - 1, -1))
    bad = (d == 0) | ((ring >= 0) & ~rewired[ring])
    key = np.minimum(a, b) * n + np.maximum(a, b)
    order = key.argsort(kind="stable")
    bad[order[1:]] |= key[order[1:]] == key[order[:-1]]
    return bad


#: Nodes above which :func:`_connected` merges the ring's runs first (measured: 1.7x faster at 730,000
#: nodes, whose graph outgrows the CPU's caches; 2x slower at 130,000, whose graph still fits).
MERGE_RUNS_ABOVE = 200_000


#: Nodes up to which :func:`_connected` gives scipy every link both ways, where a search along the links
#: as given finds the components: on a small graph, scipy's transposing the matrix for an undirected
#: search is most of the check's cost (measured: 58 -> 28 us at 66 nodes), on a large one numpy's sort
#: of the reversed links costs more than that (79 -> 87 us at 1,000 nodes, 169 -> 768 us at 5,000).
BOTH_WAYS_UP_TO = 500


def _connected(n: int, src: np.ndarray, dst: np.ndarray) -> bool:
    """Whether the links ``src[i]``–``dst[i]`` (sorted by ``src``) join all ``n`` nodes in one component.

    With the links sorted by their first node they are already a sparse matrix's rows (CSR), so
    the graph is handed to scipy as one, without a COO matrix and its conversion. A large graph
    is first shrunk by :func:`_merge_runs`; a small one gets each link both ways (``BOTH_WAYS_UP_TO``).
    """
    if n > MERGE_RUNS_ABOVE:
        n, src, dst = _merge_runs(n, src, dst)
    both_ways = n <= BOTH_WAYS_UP_TO
    if both_ways:
        src, dst = np.concatenate((src, dst)), np.concatenate((dst, src))
        dst = dst[src.argsort(kind="stable")]  # in rows, as the counts of ``src`` give them
    indptr = np.zeros(n + 1, dtype=np.int32)  # int32 indices, as scipy would convert them to
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    graph = sp.csr_array((np.ones(len(src)), dst.astype(np.int32), indptr), shape=(n, n))
    # With every link both ways, following links as given finds the components (strongly connected ones).
    return connected_components(graph, directed=both_ways, connection="strong", return_labels=False) == 1


def _merge_runs(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """The graph between the runs of nodes linked one to the next (``u``–``u + 1``), each run one node.

    A run is connected, so the graph is connected exactly when the graph between the runs is. In a
    small world most ring links to the next node stay, so there are about a tenth as many runs as
    nodes at the usual rewiring. Links within a run are dropped; the rest keep their order, so they
    stay sorted by their first end.
    """
    starts_run = np.ones(n, dtype=bool)
    starts_run[src[dst == src + 1] + 1] = False
    run = np.cumsum(starts_run) - 1  # increases with the node, so ``run[src]`` stays sorted
    a, b = run[src], run[dst]
    between = a != b
    return int(run[-1]) + 1, a[between], b[between]


@cache
def _complete_graph(n: int) -> np.ndarray:
    """Edges ``(n·(n − 1)/2, 2)`` of the complete graph on ``n`` nodes, made once per size (read-only: shared)."""
    edges = np.column_stack(np.triu_indices(n, 1))
    edges.flags.writeable = False
    return edges


def _groups(codes: np.ndarray) -> list[np.ndarray]:
    """The indices of each code's members (int32), code by code from the smallest, each in increasing order.

    One stable sort serves every group, instead of a pass over all users per group. The codes are
    sorted in the smallest integer type that holds them: NumPy's stable sort of 8- and 16-bit
    integers is a radix sort, several times faster than its merge sort of int64 codes in random
    order (the regions: 58 -> 9 ms at 1M users). A stable sort has one result: the same groups.
    """
    counts = np.bincount(codes)
    narrow = codes.astype(np.min_scalar_type(len(counts) - 1), copy=False)
    order = narrow.argsort(kind="stable").astype(np.int32)  # half the memory of int64 at 1M users
    bounds = [0, *np.cumsum(counts).tolist()]
    return [order[start:end] for start, end in pairwise(bounds)]


def row_normalised(adj: sp.csr_matrix | None) -> sp.csr_matrix | None:
    """Divide each row by its degree, so ``A @ x`` is the mean of ``x`` over a node's peers.

    Args:
        adj: A 0/1 adjacency (:func:`peer_adjacency`), or None for the complete graph.
    """
    if adj is None:
        return None
    counts = np.diff(adj.indptr)
    deg = counts.astype(float)  # a node's degree is its count of peers: no sum over the matrix needed
    scale = np.repeat(np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0), counts)
    # the same sparsity as ``adj``: share its index arrays rather than copy them (1M users: ~30 MB)
    return sp.csr_matrix((scale * adj.data, adj.indices, adj.indptr), shape=adj.shape, copy=False)


def peer_graph(adj: sp.csr_matrix, around: int | None = None, n_nodes: int | None = None) -> nx.Graph:
    """Export the peer network, or a connected neighbourhood of it, as a networkx graph.

    Args:
        adj: Peer adjacency (CSR).
        around: Start of a neighbourhood: the user, then its peers, their peers and so on
            (breadth first, in index order) until ``n_nodes`` users. None: the whole network.
        n_nodes: Size of the neighbourhood.

    Returns:
        A graph whose nodes are the users' indices.

    """
    if around is None:
        return nx.from_scipy_sparse_array(adj)
    nodes, seen, frontier = [around], {around}, [around]
    while frontier and len(nodes) < (n_nodes or 1):
        nxt = []
        for i in frontier:
            for j in adj.indices[adj.indptr[i] : adj.indptr[i + 1]].tolist():
                if j not in seen and len(nodes) < (n_nodes or 1):
                    seen.add(j)
                    nodes.append(j)
                    nxt.append(j)
        frontier = nxt
    g = nx.from_scipy_sparse_array(adj[nodes][:, nodes])
    return nx.relabel_nodes(g, dict(enumerate(nodes)))


def peer_sample(adj: sp.csr_matrix | None, n_nodes: int, rng: np.random.Generator) -> nx.Graph:
    """Return a readable sample of the peer network: ``n_nodes`` random agents and their links.

    For the complete graph, a complete graph on the sample.
    """
    n = adj.shape[0] if adj is not None else n_nodes
    nodes = np.sort(rng.choice(n, size=min(n_nodes, n), replace=False))
    if adj is None:
        return nx.complete_graph(nodes.tolist())
    g = nx.from_scipy_sparse_array(adj[nodes][:, nodes])
    return nx.relabel_nodes(g, dict(enumerate(nodes.tolist())))


def supply_network(model: SovereignAIModel) -> nx.DiGraph:
    """Government → grantees and developers → data centres, with money (¥bn, cumulative) on the edges."""
    g = nx.DiGraph()
    g.add_node("government", kind="government")
    for d in model.developers:
        g.add_node(d.key, kind="developer", label=d.name, capability=d.capability)
    for c in model.datacentres:
        g.add_node(c.key, kind="datacentre", label=c.name, eflops=model.eflops([c]))
    for _, prog, recipient, amount in model.government.ledger:
        if recipient in g:
            prev = g.get_edge_data("government", recipient, {"jpy_bn": 0.0})["jpy_bn"]
            g.add_edge("government", recipient, jpy_bn=prev + amount, programme=prog)
    contracts = model.compute_contracts_jpy_bn  # summed over the quarters each time it is read
    for i, d in enumerate(model.developers):
        for j, c in enumerate(model.domestic_dcs):
            if contracts[i, j] > 0:
                g.add_edge(d.key, c.key, jpy_bn=float(contracts[i, j]))
    return g


def concentration(amounts: Sequence[float]) -> float:
    """Herfindahl–Hirschman index (0–1) of non-negative amounts (plain Python: there are ~10 of them)."""
    total = sum(amounts)
    return float(sum([(x / total) ** 2 for x in amounts])) if total > 0 else 0.0

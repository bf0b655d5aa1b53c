"""Networks: the users' peer network (drives adoption) and the supply network (for metrics and pictures).

The peer network joins users of the same sector in a Watts–Strogatz small world (clustered, with a
few shortcuts) and adds links across sectors within a region, as firm adoption spreads through
industry ties and co-location (Dahlke et al. 2024). The "complete" network is handled as its exact
mean field by the population, so no graph is built. All generators are seeded from the model's rng.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sim.model import SovereignAIModel


def peer_adjacency(
    sector: np.ndarray, region: np.ndarray, p: dict[str, Any], rng: np.random.Generator
) -> sp.csr_matrix | None:
    """Symmetric 0/1 adjacency of the peer network (CSR), or None for the complete graph."""
    if p["peer_network"] == "complete":
        return None
    n = len(sector)
    k_in = max(2, int(round(p["peer_degree"] * (1 - p["peer_cross_sector_share"]) / 2)) * 2)
    rows, cols = [], []
    for s in np.unique(sector):
        members = np.flatnonzero(sector == s)
        if len(members) < 2:
            continue
        if len(members) > k_in + 1:
            g = nx.connected_watts_strogatz_graph(
                len(members), k_in, p["peer_rewire_prob"], seed=int(rng.integers(2**31))
            )
        else:
            g = nx.complete_graph(len(members))
        edges = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
        rows.append(members[edges[:, 0]])
        cols.append(members[edges[:, 1]])
    n_cross = int(round(n * p["peer_degree"] * p["peer_cross_sector_share"] / 2))
    for r in np.unique(region):  # cross-sector links, within a region
        members = np.flatnonzero(region == r)
        m = int(round(n_cross * len(members) / n))
        if len(members) < 2 or m == 0:
            continue
        a, b = members[rng.integers(len(members), size=m)], members[rng.integers(len(members), size=m)]
        keep = sector[a] != sector[b]
        rows.append(a[keep])
        cols.append(b[keep])
    i, j = np.concatenate(rows or [np.zeros(0, int)]), np.concatenate(cols or [np.zeros(0, int)])
    adj = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    adj = ((adj + adj.T) > 0).astype(float)
    adj.setdiag(0)
    adj.eliminate_zeros()
    return adj.tocsr()


def row_normalised(adj: sp.csr_matrix | None) -> sp.csr_matrix | None:
    """Divide each row by its degree, so ``A @ x`` is the mean of ``x`` over a node's peers."""
    if adj is None:
        return None
    deg = np.asarray(adj.sum(axis=1)).ravel()
    return (sp.diags(np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)) @ adj).tocsr()


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
    for i, d in enumerate(model.developers):
        for j, c in enumerate(model.domestic_dcs):
            if model.compute_contracts_jpy_bn[i, j] > 0:
                g.add_edge(d.key, c.key, jpy_bn=float(model.compute_contracts_jpy_bn[i, j]))
    return g


def concentration(shares: np.ndarray) -> float:
    """Herfindahl–Hirschman index (0–1) of a vector of non-negative amounts."""
    total = shares.sum()
    return float(((shares / total) ** 2).sum()) if total > 0 else 0.0

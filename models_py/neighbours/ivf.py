"""IVF search: an inverted-file index over k-means lists (ListScan: each query's lists scored by
matrix products), each query probing its nearest lists, tuned to a recall; on Spark, each list's
queries searched exactly among the lists they probe (one_list_topk)."""

from __future__ import annotations

import numpy as np

from .core import ivf_centroids, normalise_rows, recall_at
from .distinct import exact_topk_distinct
from .incremental import topk_among
from .scan import ListScan


def ivf_index(
    E: np.ndarray,
    groups: np.ndarray,
    n_lists: int = 0,
    seed: int = 0,
    sample: int = 50_000,
    centroids: np.ndarray | None = None,
) -> ListScan:
    """An inverted-file index (ListScan) of the rows of E, normalised, with one group label per row:
    its list centroids given (an incremental build's stored ones) or from ivf_centroids (a k-means
    on a fixed sample: deterministic). `index.search(queries, k, n_probe)`: the top-k lists of the
    rows `queries`, one row per group and never the query's own, among the rows of the n_probe
    lists nearest to each query (what a faiss IndexIVFFlat search of the same lists finds)."""
    En = normalise_rows(E)
    C = (
        np.ascontiguousarray(centroids, dtype=np.float32)
        if centroids is not None
        else ivf_centroids(En, n_lists, seed, sample)
    )
    return ListScan(En, C, groups, seed)


def ivf_topk_tuned(
    E: np.ndarray,
    k: int,
    groups: np.ndarray,
    sample: np.ndarray,
    n_lists: int = 0,
    n_probe: int = 8,
    min_recall: float = 0.99,
    seed: int = 0,
    memory_mb: float = 256.0,
    centroids: np.ndarray | None = None,
    exact: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Every row's top-k (as exact_topk_distinct) through an IVF index (ivf_index), probing as few lists as
    reach `min_recall` recall@10 on the rows `sample`: starting at n_probe lists per query, the
    sample is searched exactly and through the index, the probes growing by half (8, 12, 18, ...:
    finer than doubling, so the count chosen overshoots the target less) until the target (or
    every list) is reached; then every row is searched with that many. Returns (indices,
    similarities, facts: lists, probes, recall@10 of the sample in the final lists). `exact`: the
    sample's exact lists, if the caller has them."""
    sample = np.asarray(sample, dtype=np.int64)
    # the sample's exact lists before the IVF index exists: the process holds one index at a time
    exact_idx, exact_sim = exact if exact is not None else exact_topk_distinct(E, k, groups, memory_mb, queries=sample)
    index = ivf_index(E, groups, n_lists, seed, centroids=centroids)
    probe, tried, at = max(1, min(n_probe, index.nlist)), {}, min(10, k)
    while True:
        idx, sim = index.search(sample, k, probe)
        tried[probe] = recall_at(idx, exact_idx, at, sim, exact_sim)
        if tried[probe] >= min_recall or probe >= index.nlist:
            break
        probe = min(index.nlist, max(probe + 1, -(-probe * 3 // 2)))
    idx, sim = index.search(np.arange(len(E)), k, probe)
    return (
        idx,
        sim,
        {
            "ivf_lists": int(index.nlist),
            "ivf_probe_used": int(probe),
            "ivf_recall_by_probe": {str(p): round(r, 4) for p, r in tried.items()},
            "ivf_recall_at_10": recall_at(idx[sample], exact_idx, at, sim[sample], exact_sim),
        },
    )


class IVFSearch:
    """The IVF of neighbour_method ivf over E, probing n_probe lists per query, for update_lists:
    called as search(k, groups, queries), the distinct-song lists of the rows `queries` (the index
    is built at the first call, for its groups)."""

    def __init__(self, E: np.ndarray, n_lists: int, seed: int, n_probe: int, centroids: np.ndarray | None = None):
        self.E, self.n_lists, self.seed, self.n_probe, self.centroids = E, n_lists, seed, n_probe, centroids
        self.index, self.groups = None, None

    def __call__(self, k: int, groups: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.index is None or self.groups is not groups:
            self.index = ivf_index(self.E, groups, self.n_lists, self.seed, centroids=self.centroids)
            self.groups = groups
        return self.index.search(queries, k, self.n_probe)


def ivf_searcher(
    E: np.ndarray, n_lists: int, seed: int, n_probe: int, centroids: np.ndarray | None = None
) -> IVFSearch:
    """search(k, groups, queries): distinct-song lists of the rows `queries` through an IVF index of
    E probing n_probe lists per query (as neighbour_method ivf; for update_lists), on the given
    centroids (the full build's, stored) or fitted anew."""
    return IVFSearch(E, n_lists, seed, n_probe, centroids)


def one_list_topk(
    V: np.ndarray, rows: np.ndarray, groups: np.ndarray, lists: np.ndarray, query_list: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One inverted list's share of a partitioned IVF search: V holds the vectors of the rows
    (global ids `rows`, of `groups` and `lists`) of every list that the list `query_list` probes,
    its own included. Its members' k nearest among them, one per group and never their own
    (topk_among: exact within the probed lists). Returns (member rows, (m, k) neighbour rows padded
    with -1, similarities padded with -inf), members in row order."""
    order = np.argsort(rows, kind="stable")  # ties by lower global row, as a full search
    V, rows, groups, lists = V[order], rows[order], np.asarray(groups)[order], np.asarray(lists)[order]
    members = np.flatnonzero(lists == query_list)
    idx, sim = topk_among(V, k, groups, np.arange(len(V)), members)
    return rows[members], np.where(idx >= 0, rows[np.maximum(idx, 0)], -1), sim

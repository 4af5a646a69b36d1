"""IVF search: a faiss inverted-file index (IndexIVFFlat) over k-means lists, each query probing
its nearest lists, tuned to a recall; on Spark, each list's queries searched exactly among the
lists they probe (one_list_topk)."""

from __future__ import annotations

import numpy as np

from .core import ivf_centroids, kept_best_first, normalise_rows, recall_at
from .distinct import distinct_lists, exact_topk_distinct
from .incremental import topk_among


def faiss_ivf_index(
    En: np.ndarray, n_lists: int = 0, seed: int = 0, sample: int = 50_000, centroids: np.ndarray | None = None
):
    """A faiss inverted-file index (IndexIVFFlat, inner product) of the normalised rows En, its list
    centroids given (an incremental build's stored ones) or from ivf_centroids (a KMeans on a fixed
    sample: deterministic)."""
    import faiss

    C = (
        np.ascontiguousarray(centroids, dtype=np.float32)
        if centroids is not None
        else ivf_centroids(En, n_lists, seed, sample)
    )
    quantizer = faiss.IndexFlatIP(En.shape[1])
    quantizer.add(C)
    index = faiss.IndexIVFFlat(quantizer, En.shape[1], len(C), faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.add(En)
    return index


def ivf_search_distinct(
    index, E: np.ndarray, k: int, groups: np.ndarray, queries: np.ndarray, n_probe: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k lists of the rows `queries` of E (the rows the index holds, normalised as it holds
    them: by normalise_rows, a block of queries at a time, so no normalised copy of E is kept)
    through a faiss IVF index probing each query's `n_probe` nearest lists, one row per group and
    never the query's own (distinct_lists; a short list is searched again wider through the same
    index). Each query is searched on its own, so its list does not depend on the other queries."""
    n = len(E)
    groups = np.asarray(groups)
    index.nprobe = int(max(1, min(n_probe, index.nlist)))

    def search(rows, width):
        sim, idx = index.search(normalise_rows(E[rows]), int(min(n, width + 1)))
        dropped = (idx < 0) | (groups[np.maximum(idx, 0)] == groups[rows][:, None])
        sim, idx = kept_best_first(sim, idx, dropped)  # at 1M, sorting every row again took 29 s of 180
        return idx, sim

    queries = np.asarray(queries, dtype=np.int64)
    # queries in the order of their nearest list: consecutive queries then probe mostly the same
    # lists, which stay in cache (808k rows, d = 113, 16 probes: 1.4-1.7x faster than in row order)
    own = np.concatenate(
        [
            index.quantizer.search(normalise_rows(E[queries[at : at + 65_536]]), 1)[1][:, 0]
            for at in range(0, len(queries), 65_536)
        ]
        or [np.empty(0, np.int64)]
    )
    return distinct_lists(search, queries, k, groups, n, order=np.argsort(own, kind="stable"))


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
    """Every row's top-k (as exact_topk_distinct) through a faiss IVF index, probing as few lists as
    reach `min_recall` recall@10 on the rows `sample`: starting at n_probe lists per query, the
    sample is searched exactly and through the index, the probes growing by half (8, 12, 18, ...:
    finer than doubling, so the count chosen overshoots the target less) until the target (or
    every list) is reached; then every row is searched with that many. Returns (indices,
    similarities, facts: lists, probes, recall@10 of the sample in the final lists). `exact`: the
    sample's exact lists, if the caller has them."""
    sample = np.asarray(sample, dtype=np.int64)
    # the sample's exact lists before the IVF index exists: the process holds one index at a time
    exact_idx, exact_sim = exact if exact is not None else exact_topk_distinct(E, k, groups, memory_mb, queries=sample)
    index = faiss_ivf_index(normalise_rows(E), n_lists, seed, centroids=centroids)
    probe, tried, at = max(1, min(n_probe, index.nlist)), {}, min(10, k)
    while True:
        idx, sim = ivf_search_distinct(index, E, k, groups, sample, probe)
        tried[probe] = recall_at(idx, exact_idx, at, sim, exact_sim)
        if tried[probe] >= min_recall or probe >= index.nlist:
            break
        probe = min(index.nlist, max(probe + 1, -(-probe * 3 // 2)))
    idx, sim = ivf_search_distinct(index, E, k, groups, np.arange(len(E)), probe)
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
    called as search(k, groups, queries), the distinct-song lists of the rows `queries`."""

    def __init__(self, E: np.ndarray, n_lists: int, seed: int, n_probe: int, centroids: np.ndarray | None = None):
        self.E, self.n_probe = E, n_probe
        self.index = faiss_ivf_index(normalise_rows(E), n_lists, seed, centroids=centroids)

    def __call__(self, k: int, groups: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ivf_search_distinct(self.index, self.E, k, groups, queries, self.n_probe)


def ivf_searcher(
    E: np.ndarray, n_lists: int, seed: int, n_probe: int, centroids: np.ndarray | None = None
) -> IVFSearch:
    """search(k, groups, queries): distinct-song lists of the rows `queries` through a faiss IVF
    index of E probing n_probe lists per query (as neighbour_method ivf; for update_lists), on the
    given centroids (the full build's, stored) or fitted anew."""
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

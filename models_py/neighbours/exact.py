"""Exact top-k lists: BoundedExact on large catalogues (bounded.use_bounded), else a faiss flat
inner-product index (BLAS GEMM + heap selection), each query asking for k plus its group's size."""

from __future__ import annotations

import numpy as np

from . import bounded
from .bounded import BoundedExact
from .core import group_sizes_of, normalise_rows, ordered

# Queries per faiss search call: bounds the (rows x width) result arrays; faiss blocks the GEMM itself.
FLAT_QUERY_BLOCK = 16_384
# faiss's GEMM tiles (queries x database rows; its defaults are 4096 x 1024): on the 114k
# catalogue's d = 32 embedding, 1024 x 4096 was faster in each of three interleaved rounds
# (5.4-9.4 s against 5.7-13.4 s on this noisy 2-core machine).
FLAT_BLAS_TILES = (1024, 4096)


def exact_topk(
    E: np.ndarray,
    k: int,
    exclude_groups: np.ndarray | None = None,
    memory_mb: float = 256.0,
    threads: int | None = None,
    queries: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For every row of E (or only the rows `queries`), the k most cosine-similar rows not sharing
    its group (nor itself): (indices (m, k) int64, similarities (m, k) float32), best first, ties by
    lower index, padded with -1 / -inf when fewer rows qualify. BoundedExact where it pays
    (use_bounded), else flat_topk."""
    n = len(E)
    m = n if queries is None else len(queries)
    if bounded.use_bounded(n, m, min(k, n - 1)):
        return BoundedExact(E, exclude_groups, threads=threads).search(np.arange(n) if queries is None else queries, k)
    return flat_topk(E, k, exclude_groups, memory_mb, threads, queries)


def flat_topk(
    E: np.ndarray,
    k: int,
    exclude_groups: np.ndarray | None = None,
    memory_mb: float = 256.0,
    threads: int | None = None,
    queries: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """exact_topk through a faiss flat inner-product index (BLAS GEMM + heap selection over every
    row) that asks each query for k plus its group's size; the same-group rows are dropped. Queries
    go in order of their group size, in blocks whose results fit in `memory_mb`."""
    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)
    faiss.cvar.distance_compute_blas_query_bs, faiss.cvar.distance_compute_blas_database_bs = FLAT_BLAS_TILES
    n = len(E)
    k = min(k, n - 1)
    queries = np.arange(n) if queries is None else np.asarray(queries, dtype=np.int64)
    index = faiss.IndexFlatIP(E.shape[1])
    index.add(normalise_rows(E))
    # the queries are read from the index's own copy of the normalised rows (no second copy)
    En = faiss.rev_swig_ptr(index.get_xb(), n * E.shape[1]).reshape(n, E.shape[1])
    groups = np.arange(n) if exclude_groups is None else np.asarray(exclude_groups)
    extra = group_sizes_of(exclude_groups, n)[queries]
    by_extra = np.argsort(extra, kind="stable")
    out_idx = np.empty((len(queries), k), dtype=np.int64)
    out_sim = np.empty((len(queries), k), dtype=np.float32)
    start = 0
    while start < len(queries):
        width = int(min(n, k + extra[by_extra[start]]))
        rows_fit = max(1, int(memory_mb * 1024 * 1024 // (width * 12)))
        stop = min(len(queries), start + FLAT_QUERY_BLOCK, start + rows_fit)
        # widen the block to its largest group (sorted: the last row's)
        width = int(min(n, k + extra[by_extra[stop - 1]]))
        pos = by_extra[start:stop]
        block = queries[pos]
        sim, idx = index.search(En[block], width)
        masked = (idx < 0) | (groups[np.maximum(idx, 0)] == groups[block][:, None])
        sim = np.where(masked, -np.inf, sim).astype(np.float32)
        idx = np.where(masked, n, idx)  # masked rows sort last
        sim, idx = ordered(sim, idx)
        out_sim[pos], out_idx[pos] = sim[:, :k], np.where(idx[:, :k] >= n, -1, idx[:, :k])
        start = stop
    return out_idx, out_sim


# Catalogues from this many rows up are searched exactly through BoundedExact (smaller ones through
# one faiss flat index: the lists would save little there).

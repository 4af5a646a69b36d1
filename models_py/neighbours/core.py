"""What every search shares: normalised rows, best-first order, group sizes, the k-means lists
(spherical k-means centroids on a fixed sample, each row's nearest lists), one row of each group,
and recall against exact lists."""

from __future__ import annotations

import numpy as np


def normalise_rows(E: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    return (E / np.where(norms == 0, 1, norms)).astype(np.float32)


def ordered(values: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best first; ties by lower index (so results do not depend on tiling)."""
    order = np.lexsort((indices, -values), axis=1)
    return np.take_along_axis(values, order, 1), np.take_along_axis(indices, order, 1)


def kept_best_first(sim: np.ndarray, idx: np.ndarray, dropped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A faiss search's best-first lists (sim, idx) with the `dropped` places emptied where they
    stand (-inf, -1): for the places kept, the order ordered() gives (best first, ties by lower
    index) without sorting every row again: only rows in which two found places have equal
    similarities are sorted (emptied places to their end). Consumers skip empty places
    (first_of_each_group). Returns (sim, idx)."""
    found = idx >= 0
    tied = np.flatnonzero(((sim[:, 1:] == sim[:, :-1]) & found[:, 1:]).any(axis=1))
    sim = np.where(dropped, -np.inf, sim).astype(np.float32)
    idx = np.where(dropped, -1, idx)
    if len(tied):
        last = np.iinfo(idx.dtype).max
        s, i = ordered(sim[tied], np.where(idx[tied] < 0, last, idx[tied]))
        sim[tied], idx[tied] = s, np.where(i == last, -1, i)
    return sim, idx


def group_sizes_of(groups: np.ndarray | None, n: int) -> np.ndarray:
    """For every row, the size of its group (1 when there are no groups)."""
    if groups is None:
        return np.ones(n, dtype=np.int64)
    _, inverse, counts = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
    return counts[inverse.reshape(-1)]


def ivf_sample(n: int, n_lists: int = 0, seed: int = 0, sample: int = 50_000) -> tuple[int, np.ndarray]:
    """How many lists an IVF over n rows has (n_lists, or 0 for about 2*sqrt(n)) and the fixed
    sample of rows its centroids are fitted on (see ivf_centroids), sorted."""
    n_lists = n_lists or int(np.clip(2 * np.sqrt(n), 1, 4096))
    n_lists = max(1, min(n_lists, n))
    return n_lists, np.sort(np.random.default_rng(seed).choice(n, min(n, max(sample, 40 * n_lists)), replace=False))


def ivf_centroids(En: np.ndarray, n_lists: int = 0, seed: int = 0, sample: int = 50_000, niter: int = 25) -> np.ndarray:
    """The list centroids of an IVF index over the normalised rows En: a spherical k-means into
    `n_lists` lists (0 = about 2*sqrt(n)) fitted on a fixed sample of `sample` rows, or 40 per list
    if that is more (as faiss asks; every row of a smaller catalogue), normalised. faiss's k-means
    (`niter` iterations, seeded, one thread) with 25 iterations on 808k rows of d = 113 (the 114k
    hybrid embedding nine times, jittered) into 1,797 lists: 8 s, where scikit-learn's KMeans took
    38 s; on a 50,000-row sample both gave recall@10 0.997 at 16 probes, faiss's lists more
    balanced (imbalance 4.3 against 5.8)."""
    import faiss

    n_lists, rows = ivf_sample(len(En), n_lists, seed, sample)
    kmeans = faiss.Kmeans(
        En.shape[1],
        n_lists,
        niter=niter,
        seed=seed,
        spherical=True,
        max_points_per_centroid=len(rows),
        min_points_per_centroid=1,
        verbose=False,
    )
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # the same centroids on any number of cores (2 threads: 7.4 s, 1: 8.3 s)
    try:
        kmeans.train(np.ascontiguousarray(En[rows], dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(threads)
    return normalise_rows(kmeans.centroids)


def nearest_lists(En: np.ndarray, C: np.ndarray, n_probe: int) -> np.ndarray:
    """For every normalised row, the `n_probe` nearest centroids (cosine), nearest first: (n, probe)
    int64; column 0 is the row's own list. In blocks of 65,536 rows."""
    import torch

    probe = max(1, min(n_probe, len(C)))
    Ct = torch.from_numpy(np.ascontiguousarray(C.T))
    X = torch.from_numpy(np.ascontiguousarray(En, dtype=np.float32))
    out = np.empty((len(En), probe), dtype=np.int64)
    with torch.no_grad():
        for start in range(0, len(En), 65536):
            out[start : start + 65536] = torch.topk(X[start : start + 65536] @ Ct, probe, dim=1).indices.numpy()
    return out


def recall_at(
    approx: np.ndarray,
    exact: np.ndarray,
    k: int = 10,
    approx_sim: np.ndarray | None = None,
    exact_sim: np.ndarray | None = None,
    tol: float = 1e-6,
) -> float:
    """Share of the exact top-k found in the approximate top-k, over all rows. With similarities,
    ties count: an approximate neighbour as similar as the exact k-th (within `tol`) is a hit even
    when the exact list holds another of the tied rows (embeddings with many identical vectors,
    such as tracks whose sound and artists agree, have long runs of ties)."""
    a, e = approx[:, :k], exact[:, :k]
    found = (a[:, :, None] == e[:, None, :]).any(axis=2)
    if approx_sim is not None and exact_sim is not None:
        found |= (a >= 0) & (approx_sim[:, :k] >= exact_sim[:, k - 1 : k] - tol)
    hits = np.minimum(found.sum(axis=1), k).sum()
    return float(hits) / float(e.size)


def first_of_each_group(
    idx: np.ndarray, sim: np.ndarray, groups: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of a best-first neighbour list, keep only the best-ranked row of each group (e.g. one
    id per song) and return the first k kept: (indices padded with -1, similarities padded with
    -inf, how many were kept per row). Vectorised: a stable sort of each row's groups puts the
    copies of a group side by side, best-ranked first."""
    valid = idx >= 0
    g = np.where(valid, np.asarray(groups)[np.where(valid, idx, 0)], -1)
    order = np.argsort(g, axis=1, kind="stable")
    g_sorted = np.take_along_axis(g, order, 1)
    later_copy = np.zeros_like(valid)
    later_copy[:, 1:] = g_sorted[:, 1:] == g_sorted[:, :-1]
    duplicate = np.empty_like(valid)
    np.put_along_axis(duplicate, order, later_copy, 1)
    keep = valid & ~duplicate
    first = np.argsort(~keep, axis=1, kind="stable")[:, :k]
    kept = np.minimum(keep.sum(1), k)
    filled = np.arange(first.shape[1])[None, :] < kept[:, None]
    out_idx = np.where(filled, np.take_along_axis(idx, first, 1), -1)
    out_sim = np.where(filled, np.take_along_axis(sim, first, 1), -np.inf).astype(np.float32)
    if out_idx.shape[1] < k:
        pad = k - out_idx.shape[1]
        out_idx = np.pad(out_idx, ((0, 0), (0, pad)), constant_values=-1)
        out_sim = np.pad(out_sim, ((0, 0), (0, pad)), constant_values=-np.inf)
    return out_idx, out_sim, kept


# Rows deduplicated (and refilled) at a time: bounds the temporaries of the wide first lists (at
# 1M synthetic tracks, about ten releases per song, lists start 260 wide: the IVF search raised
# the peak RSS by 0.43 GB with 65,536-row chunks, 0.21 GB with 16,384, in the same 188 s).

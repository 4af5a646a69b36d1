"""Top-k cosine neighbours of every row, exact or through a cluster index (IVF), with bounded
memory. Exact: BoundedExact (k-means lists whose cones rule out most pairs, a GEMM per list) on
catalogues of 20,000 rows or more, else a faiss flat inner-product index (BLAS GEMM + heap
selection), each query asking for k plus its group's size. IVF: a faiss inverted-file index
(IndexIVFFlat) over KMeans lists, each query probing its nearest lists; on Spark, each list's
queries searched exactly among the lists they probe (one_list_topk).

Rows of the same group as the query (the query itself and other releases of the same song) are
never returned: they are dropped from wider lists, which are refilled (distinct_lists)."""

from __future__ import annotations

import numpy as np

def normalise_rows(E: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    return (E / np.where(norms == 0, 1, norms)).astype(np.float32)


def _ordered(values: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best first; ties by lower index (so results do not depend on tiling)."""
    order = np.lexsort((indices, -values), axis=1)
    return np.take_along_axis(values, order, 1), np.take_along_axis(indices, order, 1)


# Queries per faiss search call: bounds the (rows x width) result arrays; faiss blocks the GEMM itself.
FLAT_QUERY_BLOCK = 16_384
# faiss's GEMM tiles (queries x database rows; its defaults are 4096 x 1024): on the 114k
# catalogue's d = 32 embedding, 1024 x 4096 was faster in each of three interleaved rounds
# (5.4-9.4 s against 5.7-13.4 s on this noisy 2-core machine).
FLAT_BLAS_TILES = (1024, 4096)


def group_sizes_of(groups: np.ndarray | None, n: int) -> np.ndarray:
    """For every row, the size of its group (1 when there are no groups)."""
    if groups is None:
        return np.ones(n, dtype=np.int64)
    _, inverse, counts = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
    return counts[inverse.reshape(-1)]


def use_bounded(n: int, queries: int, width: int) -> bool:
    """Whether BoundedExact pays for its lists (a k-means and a sorted copy of the rows): a
    catalogue of BOUNDED_MIN_ROWS or more, at least 4*sqrt(n) queries, lists at most
    BOUNDED_MAX_WIDTH wide."""
    return n >= BOUNDED_MIN_ROWS and queries >= 4 * np.sqrt(n) and width <= BOUNDED_MAX_WIDTH


def exact_topk(E: np.ndarray, k: int, exclude_groups: np.ndarray | None = None, memory_mb: float = 256.0,
               threads: int | None = None, queries: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For every row of E (or only the rows `queries`), the k most cosine-similar rows not sharing
    its group (nor itself): (indices (m, k) int64, similarities (m, k) float32), best first, ties by
    lower index, padded with -1 / -inf when fewer rows qualify. BoundedExact where it pays
    (use_bounded), else flat_topk."""
    n = len(E)
    m = n if queries is None else len(queries)
    if use_bounded(n, m, min(k, n - 1)):
        return BoundedExact(E, exclude_groups, threads=threads).search(np.arange(n) if queries is None else queries, k)
    return flat_topk(E, k, exclude_groups, memory_mb, threads, queries)


def flat_topk(E: np.ndarray, k: int, exclude_groups: np.ndarray | None = None, memory_mb: float = 256.0,
              threads: int | None = None, queries: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
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
        idx = np.where(masked, n, idx)      # masked rows sort last
        sim, idx = _ordered(sim, idx)
        out_sim[pos], out_idx[pos] = sim[:, :k], np.where(idx[:, :k] >= n, -1, idx[:, :k])
        start = stop
    return out_idx, out_sim


# Catalogues from this many rows up are searched exactly through BoundedExact (smaller ones through
# one faiss flat index: the lists would save little there).
BOUNDED_MIN_ROWS = 20_000
# Slack on every bound and threshold: float32 products of the same two rows computed in GEMMs of
# other shapes differ by a few 1e-6 (d = 113), so a row is kept whenever it may tie.
BOUND_SLACK = 1e-4
# Slack (radians) on each list's cone: the angles come from float32 products.
ANGLE_SLACK = 1e-3
# Fewer fresh rows than this are merged by topk_among (every pair) rather than through BoundedExact.
BOUNDED_MIN_CANDIDATES = 1_000
# Wider lists (a song with hundreds of releases) are searched by flat_topk: their thresholds prune little.
BOUNDED_MAX_WIDTH = 1024
# Queries searched at a time: as many as make 16M (query, list) pairs (64 MB of float32).
BOUNDS_PER_CHUNK = 1 << 24


class BoundedExact:
    """Exact top-k cosine lists that skip the rows that cannot be in them. The normalised rows are
    grouped into about 2*sqrt(n) k-means lists (ivf_centroids: 10 iterations on 40 rows per list),
    stored list by list; each list keeps its cone: its direction u and the largest angle t between
    u and one of its rows. A query's threshold is the width-th best similarity among the rows of
    its own list and of that list's two nearest lists, not of its group: real rows, so at most its
    true width-th best. A list is compared with a query only if its cone can reach that threshold (_needed):
    one GEMM per list and the queries that need it, keeping the similarities at or above the
    threshold, which are then ranked. The result is a search of every row's: the same rows, ties
    by lower index, similarities within float32 rounding. On the 114k catalogue's embeddings it
    compares 18% (d = 32) and 4% (d = 113) of the pairs (bench/run.py: the time against the GEMM
    floor). `search(queries, width)` is exact_topk(E, width, exclude_groups, queries=queries);
    `search_vectors` takes other vectors and their own thresholds (topk_above)."""

    def __init__(self, E: np.ndarray, exclude_groups: np.ndarray | None = None, n_lists: int = 0, seed: int = 0,
                 threads: int | None = None):
        import torch

        if threads:
            torch.set_num_threads(threads)
        n, d = E.shape
        self.n = n
        En = normalise_rows(E)
        centroids = ivf_centroids(En, n_lists, seed, sample=0, niter=10)
        n_lists = len(centroids)
        own = nearest_lists(En, centroids, 1)[:, 0]
        self.row_of = np.argsort(own, kind="stable")           # sorted position -> row
        self.pos = np.empty(n, np.int64)
        self.pos[self.row_of] = np.arange(n)                   # row -> sorted position
        self.X = torch.from_numpy(np.ascontiguousarray(En[self.row_of]))
        del En
        own = own[self.row_of]
        self.own = own
        counts = np.bincount(own, minlength=n_lists)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        self.live = np.flatnonzero(counts)                     # lists that hold rows
        X = self.X.numpy()
        starts = self.offsets[self.live]
        unit = np.zeros((n_lists, d), np.float32)
        unit[self.live] = normalise_rows(np.add.reduceat(X, starts, axis=0, dtype=np.float64).astype(np.float32))
        # each list's cone: the largest angle between its direction and one of its rows
        cos_min = np.ones(n_lists, np.float32)
        cos_min[self.live] = np.minimum.reduceat(np.einsum("ij,ij->i", X, unit[own]), starts)
        angle = np.arccos(np.clip(cos_min.astype(np.float64), -1, 1)) + ANGLE_SLACK
        self.angle = torch.from_numpy(angle.astype(np.float32))
        self.cone = torch.from_numpy(np.hstack([unit, np.sin(angle)[:, None], np.cos(angle)[:, None]])
                                     .astype(np.float32))
        # each list's two nearest other lists, for the thresholds
        self.near = nearest_lists(unit, unit, 3)
        if exclude_groups is None:
            self.group_values, codes = None, np.arange(n)
        else:
            self.group_values, codes = np.unique(np.asarray(exclude_groups), return_inverse=True)
        self.group = torch.from_numpy(codes.reshape(-1)[self.row_of].astype(np.int64))
        self.pairs_compared = 0                                # by search, for bench/run.py

    def _thresholds(self, P: np.ndarray, width: int) -> torch.Tensor:
        """For the queries at sorted positions P: the width-th best similarity among the rows of
        their list and its two nearest lists, not of their group (-inf if fewer), minus the slack."""
        import torch

        tau = torch.full((len(P),), -np.inf)
        lists = self.own[P]
        starts = np.flatnonzero(np.r_[True, lists[1:] != lists[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(P)]):
            cand = torch.from_numpy(np.concatenate([np.arange(self.offsets[c], self.offsets[c + 1])
                                                    for c in np.unique(self.near[lists[a]])]))
            if len(cand) < width:
                continue
            q = torch.from_numpy(P[a:b])
            S = self.X[q] @ self.X[cand].T
            S.masked_fill_(self.group[q][:, None] == self.group[cand][None, :], -np.inf)
            tau[a:b] = torch.topk(S, width, dim=1, sorted=False).values.min(dim=1).values
        # queries whose lists hold too few rows: their width-th best over every row
        short = torch.nonzero(torch.isinf(tau)).flatten()
        block = max(1, BOUNDS_PER_CHUNK // self.n)
        for at in range(0, len(short), block):
            q = torch.from_numpy(P)[short[at:at + block]]
            S = self.X[q] @ self.X.T
            S.masked_fill_(self.group[q][:, None] == self.group[None, :], -np.inf)
            tau[short[at:at + block]] = torch.topk(S, width, dim=1, sorted=False).values.min(dim=1).values
        return tau - BOUND_SLACK

    def _needed(self, Q: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        """(lists x queries): whether a row of the list may reach the query's threshold. A row within
        angle t of the list's direction u, and a query at angle a from u: their angle is at least
        a - t. It can reach the threshold cos s (s = arccos tau) only if a - t <= s, i.e.
        cos a >= cos(t + s) = cos t tau - sin t sin s (or t + s >= pi): one product of the queries,
        widened by (sin s, -tau), with the lists' directions, widened by (sin t, cos t)."""
        import torch

        s = torch.arccos(tau.clamp(-1, 1))
        queries = torch.cat([Q, torch.sin(s)[:, None], -tau.clamp(-1, 1)[:, None]], dim=1)
        need = (self.cone @ queries.T) >= -BOUND_SLACK
        wide = self.angle[:, None] + s[None, :] >= np.pi      # rare: a cone and a threshold too wide
        return need | wide if bool(wide.any()) else need

    def group_codes(self, values: np.ndarray) -> torch.Tensor:
        """The codes of these groups among the rows' (-1: a group no row has)."""
        import torch

        if self.group_values is None:
            return torch.full((len(values),), -1, dtype=torch.int64)
        at = np.minimum(np.searchsorted(self.group_values, values), len(self.group_values) - 1)
        return torch.from_numpy(np.where(self.group_values[at] == values, at, -1).astype(np.int64))

    def search(self, queries: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
        """exact_topk(E, width, exclude_groups, queries=queries): each of these rows' best `width`
        rows, thresholds from their own lists."""
        queries = np.asarray(queries, dtype=np.int64)
        width = int(min(width, self.n - 1))
        out_idx = np.empty((len(queries), width), np.int64)
        out_sim = np.empty((len(queries), width), np.float32)
        P_all = self.pos[queries]
        by_list = np.argsort(P_all, kind="stable")             # queries of one list together
        P = P_all[by_list]
        out_idx[by_list], out_sim[by_list] = self.search_vectors(self.X[P], self.group[P], self._thresholds(P, width),
                                                                 width)
        return out_idx, out_sim

    def search_vectors(self, Q: torch.Tensor, query_groups: torch.Tensor, tau: torch.Tensor, width: int
                       ) -> tuple[np.ndarray, np.ndarray]:
        """For unit query vectors Q (of the group codes query_groups), their best `width` rows of
        similarity at least tau, not of their group: (rows, similarities), best first, ties by
        lower row, padded with -1 / -inf."""
        import torch

        out_idx = np.full((len(Q), width), -1, np.int64)
        out_sim = np.full((len(Q), width), -np.inf, np.float32)
        chunk = int(np.clip(BOUNDS_PER_CHUNK // len(self.offsets), 1024, 65536))
        with torch.no_grad():
            for start in range(0, len(Q), chunk):
                q_at = slice(start, start + chunk)
                Qc, t_all = Q[q_at], tau[q_at]
                need = self._needed(Qc, t_all)
                qs_all, js_all, ss_all = [torch.empty(0, dtype=torch.int64)], [torch.empty(0, dtype=torch.int64)], \
                    [torch.empty(0)]
                for c in self.live[need[torch.from_numpy(self.live)].any(1).numpy()]:
                    qs = torch.nonzero(need[c]).flatten()
                    lo = int(self.offsets[c])
                    S = Qc[qs] @ self.X[lo:int(self.offsets[c + 1])].T
                    self.pairs_compared += S.numel()
                    t = t_all[qs]
                    # most queries find nothing at their threshold: a row maximum rules them out
                    hit = torch.nonzero(S.amax(1) >= t).flatten()
                    if len(hit):
                        S = S[hit]
                        r, col = torch.nonzero(S >= t[hit][:, None], as_tuple=True)
                        qs_all.append(qs[hit][r]); js_all.append(col + lo); ss_all.append(S[r, col])
                q = torch.cat(qs_all); j = torch.cat(js_all); s = torch.cat(ss_all).numpy()
                keep = (self.group[j] != query_groups[q_at][q]).numpy()
                q, j, s = q.numpy()[keep], self.row_of[j.numpy()[keep]], s[keep]
                order = np.lexsort((j, -s, q))                    # per query: best first, ties by lower row
                q, j, s = q[order], j[order], s[order]
                rank = np.arange(len(q)) - np.searchsorted(q, q, side="left")
                top = rank < width
                out_idx[start + q[top], rank[top]] = j[top]
                out_sim[start + q[top], rank[top]] = s[top]
        return out_idx, out_sim


def ivf_sample(n: int, n_lists: int = 0, seed: int = 0, sample: int = 50_000) -> tuple[int, np.ndarray]:
    """How many lists an IVF over n rows has (n_lists, or 0 for about 2*sqrt(n)) and the fixed
    sample of rows its centroids are fitted on (see ivf_centroids), sorted."""
    n_lists = n_lists or int(np.clip(2 * np.sqrt(n), 1, 4096))
    n_lists = max(1, min(n_lists, n))
    return n_lists, np.sort(np.random.default_rng(seed).choice(n, min(n, max(sample, 40 * n_lists)), replace=False))


def ivf_centroids(En: np.ndarray, n_lists: int = 0, seed: int = 0, sample: int = 50_000, niter: int = 25
                  ) -> np.ndarray:
    """The list centroids of an IVF index over the normalised rows En: a spherical k-means into
    `n_lists` lists (0 = about 2*sqrt(n)) fitted on a fixed sample of `sample` rows, or 40 per list
    if that is more (as faiss asks; every row of a smaller catalogue), normalised. faiss's k-means
    (`niter` iterations, seeded, one thread) with 25 iterations on 808k rows of d = 113 (the 114k
    hybrid embedding nine times, jittered) into 1,797 lists: 8 s, where scikit-learn's KMeans took
    38 s; on a 50,000-row sample both gave recall@10 0.997 at 16 probes, faiss's lists more
    balanced (imbalance 4.3 against 5.8)."""
    import faiss

    n_lists, rows = ivf_sample(len(En), n_lists, seed, sample)
    kmeans = faiss.Kmeans(En.shape[1], n_lists, niter=niter, seed=seed, spherical=True,
                          max_points_per_centroid=len(rows), min_points_per_centroid=1, verbose=False)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)    # the same centroids on any number of cores (2 threads: 7.4 s, 1: 8.3 s)
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
            out[start:start + 65536] = torch.topk(X[start:start + 65536] @ Ct, probe, dim=1).indices.numpy()
    return out


def recall_at(approx: np.ndarray, exact: np.ndarray, k: int = 10, approx_sim: np.ndarray | None = None,
              exact_sim: np.ndarray | None = None, tol: float = 1e-6) -> float:
    """Share of the exact top-k found in the approximate top-k, over all rows. With similarities,
    ties count: an approximate neighbour as similar as the exact k-th (within `tol`) is a hit even
    when the exact list holds another of the tied rows (embeddings with many identical vectors,
    such as tracks whose sound and artists agree, have long runs of ties)."""
    a, e = approx[:, :k], exact[:, :k]
    found = (a[:, :, None] == e[:, None, :]).any(axis=2)
    if approx_sim is not None and exact_sim is not None:
        found |= (a >= 0) & (approx_sim[:, :k] >= exact_sim[:, k - 1:k] - tol)
    hits = np.minimum(found.sum(axis=1), k).sum()
    return float(hits) / float(e.size)


def first_of_each_group(idx: np.ndarray, sim: np.ndarray, groups: np.ndarray, k: int
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
DISTINCT_CHUNK_ROWS = 16_384
# How wide an exact search (BoundedExact) of distinct_lists starts, in multiples of k (more when
# songs have more ids): it costs more the wider it is; at 1.3 k instead of 2 k the bundled
# catalogue's autoencoder lists took 15.0 s against 17.6 s, the same lists. An IVF search costs
# about the same at any width and each refill is another probe of its lists, so it starts at 2 k.
EXACT_FIRST_WIDTH_FACTOR = 1.3


def distinct_lists(search, queries: np.ndarray, k: int, groups: np.ndarray, n: int, order: np.ndarray | None = None,
                   short_is_all: bool = False, progress=None, width_factor: float | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Top-k lists with one row per group (never the query's own group), kept full. `search(rows,
    width)` returns best-first lists (indices, similarities) of `width` for those rows (exact or IVF:
    the refill uses the same method). Lists start at about k times 1.2 x the mean group size (2k at
    least); rows that run short after dropping later copies are searched again at twice the width,
    until full or until every row has been seen. Rows go through in chunks (in `order`, positions in
    queries, if given), so memory is bounded by one chunk's wide lists. `short_is_all`: a search
    list that came back with empty places (-1) holds every row there is for it (a search that
    leaves out the query's group and what is below a threshold before it ranks), so it is not
    searched again. `progress(done, total, detail)` after each chunk. `width_factor`: the first
    search is at least this many times k wide (None: 2 k, in whole multiples of k)."""
    groups = np.asarray(groups)
    n_groups = len(np.unique(groups))
    k = min(k, n_groups - 1)
    spread = 1.2 * n / n_groups
    first_width = min(n - 1, k * max(2, int(np.ceil(spread))) if width_factor is None
                      else int(np.ceil(k * max(width_factor, spread))))
    out_idx = np.empty((len(queries), k), dtype=np.int64)
    out_sim = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), DISTINCT_CHUNK_ROWS):
        rows = np.arange(start, min(len(queries), start + DISTINCT_CHUNK_ROWS))
        rows = rows if order is None else order[rows]
        width = first_width
        while len(rows):
            found, found_sim = search(queries[rows], width)
            out_idx[rows], out_sim[rows], kept = first_of_each_group(found, found_sim, groups, k)
            if width >= n - 1:
                break
            rows = rows[(kept < k) & (found[:, -1] >= 0)] if short_is_all else rows[kept < k]
            width = min(n - 1, width * 2)
        if progress:
            done = min(len(queries), start + DISTINCT_CHUNK_ROWS)
            progress(done, len(queries), f"{done:,} of {len(queries):,} lists")
    return out_idx, out_sim


def exact_topk_distinct(E: np.ndarray, k: int, groups: np.ndarray, memory_mb: float = 256.0,
                        queries: np.ndarray | None = None, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """exact_topk in which no list holds two rows of one group (nor the query's own): the best-ranked
    copy is kept and the list refilled from further down, so lists stay k long. `progress` as in
    distinct_lists."""
    queries = np.arange(len(E)) if queries is None else np.asarray(queries, dtype=np.int64)
    bounded = BoundedExact(E, groups) if use_bounded(len(E), len(queries), k) else None

    def search(rows, width):
        if bounded is not None and width <= BOUNDED_MAX_WIDTH:
            return bounded.search(rows, width)
        return flat_topk(E, width, groups, memory_mb, queries=rows)

    return distinct_lists(search, queries, k, groups, len(E), progress=progress,
                          width_factor=EXACT_FIRST_WIDTH_FACTOR)


def faiss_ivf_index(En: np.ndarray, n_lists: int = 0, seed: int = 0, sample: int = 50_000,
                    centroids: np.ndarray | None = None):
    """A faiss inverted-file index (IndexIVFFlat, inner product) of the normalised rows En, its list
    centroids given (an incremental build's stored ones) or from ivf_centroids (a KMeans on a fixed
    sample: deterministic)."""
    import faiss

    C = np.ascontiguousarray(centroids, dtype=np.float32) if centroids is not None else ivf_centroids(En, n_lists, seed, sample)
    quantizer = faiss.IndexFlatIP(En.shape[1])
    quantizer.add(C)
    index = faiss.IndexIVFFlat(quantizer, En.shape[1], len(C), faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.add(En)
    return index


def ivf_search_distinct(index, E: np.ndarray, k: int, groups: np.ndarray, queries: np.ndarray, n_probe: int
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
        sim, idx = _ordered(np.where(dropped, -np.inf, sim).astype(np.float32), np.where(dropped, n, idx))
        return np.where(idx >= n, -1, idx)[:, :width], sim[:, :width]

    queries = np.asarray(queries, dtype=np.int64)
    # queries in the order of their nearest list: consecutive queries then probe mostly the same
    # lists, which stay in cache (808k rows, d = 113, 16 probes: 1.4-1.7x faster than in row order)
    own = np.concatenate([index.quantizer.search(normalise_rows(E[queries[at:at + 65_536]]), 1)[1][:, 0]
                          for at in range(0, len(queries), 65_536)] or [np.empty(0, np.int64)])
    return distinct_lists(search, queries, k, groups, n, order=np.argsort(own, kind="stable"))


def ivf_topk_tuned(E: np.ndarray, k: int, groups: np.ndarray, sample: np.ndarray, n_lists: int = 0,
                   n_probe: int = 8, min_recall: float = 0.99, seed: int = 0, memory_mb: float = 256.0,
                   centroids: np.ndarray | None = None, exact: tuple[np.ndarray, np.ndarray] | None = None
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
    return idx, sim, {"ivf_lists": int(index.nlist), "ivf_probe_used": int(probe),
                      "ivf_recall_by_probe": {str(p): round(r, 4) for p, r in tried.items()},
                      "ivf_recall_at_10": recall_at(idx[sample], exact_idx, at, sim[sample], exact_sim)}


class IVFSearch:
    """The IVF of neighbour_method ivf over E, probing n_probe lists per query, for update_lists:
    called as search(k, groups, queries), the distinct-song lists of the rows `queries`."""

    def __init__(self, E: np.ndarray, n_lists: int, seed: int, n_probe: int, centroids: np.ndarray | None = None):
        self.E, self.n_probe = E, n_probe
        self.index = faiss_ivf_index(normalise_rows(E), n_lists, seed, centroids=centroids)

    def __call__(self, k: int, groups: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ivf_search_distinct(self.index, self.E, k, groups, queries, self.n_probe)


def ivf_searcher(E: np.ndarray, n_lists: int, seed: int, n_probe: int, centroids: np.ndarray | None = None
                 ) -> IVFSearch:
    """search(k, groups, queries): distinct-song lists of the rows `queries` through a faiss IVF
    index of E probing n_probe lists per query (as neighbour_method ivf; for update_lists), on the
    given centroids (the full build's, stored) or fitted anew."""
    return IVFSearch(E, n_lists, seed, n_probe, centroids)


def topk_among(E: np.ndarray, k: int, groups: np.ndarray, candidates: np.ndarray, queries: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """For each query row of E, its k most cosine-similar rows among `candidates` (rows of E), one
    per group and never the query's own group, best first, ties by lower index: exact, through a
    faiss flat index of the candidates alone. Lists with fewer than k such rows are padded with -1
    (similarity -inf). What an incremental build computes for the new rows against every list."""
    import faiss

    n = len(E)
    candidates = np.asarray(candidates, dtype=np.int64)
    queries = np.asarray(queries, dtype=np.int64)
    groups = np.asarray(groups)
    if not len(candidates) or not len(queries):
        return np.full((len(queries), k), -1, np.int64), np.full((len(queries), k), -np.inf, np.float32)
    index = faiss.IndexFlatIP(E.shape[1])
    index.add(normalise_rows(E[candidates]))

    def search(rows, width):
        width = int(min(width, len(candidates)))
        sim, at = index.search(normalise_rows(E[rows]), width)
        idx = np.where(at >= 0, candidates[np.maximum(at, 0)], n)
        dropped = (at < 0) | (groups[np.minimum(idx, n - 1)] == groups[rows][:, None])
        sim, idx = _ordered(np.where(dropped, -np.inf, sim).astype(np.float32), np.where(dropped, n, idx))
        return np.where(idx >= n, -1, idx), sim

    return _padded(*distinct_lists(search, queries, k, groups, len(candidates) + 1), k)


def _padded(idx: np.ndarray, sim: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Lists k wide (distinct_lists' are narrower in a catalogue of fewer than k + 1 groups)."""
    if idx.shape[1] < k:
        idx = np.pad(idx, ((0, 0), (0, k - idx.shape[1])), constant_values=-1)
        sim = np.pad(sim, ((0, 0), (0, k - sim.shape[1])), constant_values=-np.inf)
    return idx, sim


def topk_above(E: np.ndarray, k: int, groups: np.ndarray, candidates: np.ndarray, queries: np.ndarray,
               floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query row of E, its top-k among `candidates` (rows of E, sorted), one per group and
    never the query's own group, best first, ties by lower index, leaving out candidates less
    similar than the query's `floor` (its list's k-th: they cannot enter it), padded with -1 / -inf.
    An incremental build's exact merge of the fresh rows into every unchanged list: BoundedExact
    over the candidates, the floors as the queries' thresholds, so a list meets only the fresh
    rows whose cone can reach its k-th (fewer than BOUNDED_MIN_CANDIDATES candidates: topk_among,
    which compares every pair). Returns what topk_among returns wherever it matters: every
    candidate at or above the floor."""
    import torch

    candidates = np.asarray(candidates, dtype=np.int64)
    queries = np.asarray(queries, dtype=np.int64)
    groups = np.asarray(groups)
    if len(candidates) < BOUNDED_MIN_CANDIDATES:
        return topk_among(E, k, groups, candidates, queries)
    bounded = BoundedExact(E[candidates], groups[candidates])
    floor_of = np.full(len(E), np.inf, np.float32)       # by row of E (distinct_lists passes rows)
    floor_of[queries] = np.asarray(floor, dtype=np.float32) - BOUND_SLACK

    def search(rows, width):
        idx, sim = bounded.search_vectors(torch.from_numpy(normalise_rows(E[rows])), bounded.group_codes(groups[rows]),
                                          torch.from_numpy(floor_of[rows]), width)
        return np.where(idx >= 0, candidates[np.maximum(idx, 0)], -1), sim

    # a list with empty places holds every candidate at or above its floor: not searched wider
    idx, sim = distinct_lists(search, queries, k, groups, len(candidates) + 1, short_is_all=True)
    return _padded(idx, sim, k)


def merge_lists(idx_a: np.ndarray, sim_a: np.ndarray, idx_b: np.ndarray, sim_b: np.ndarray, groups: np.ndarray,
                k: int) -> tuple[np.ndarray, np.ndarray]:
    """Two best-first lists per row (-1 = empty) merged: best first, ties by lower index, one row per
    group (the best-ranked), the first k. Exact when each input is the exact top list of its part of
    the candidates and every row of a group the old list dropped is still there."""
    idx = np.concatenate([idx_a, idx_b], axis=1)
    sim = np.concatenate([sim_a, sim_b], axis=1).astype(np.float32)
    big = np.iinfo(np.int64).max
    sim, idx = _ordered(np.where(idx < 0, -np.inf, sim).astype(np.float32), np.where(idx < 0, big, idx))
    idx = np.where(idx == big, -1, idx)
    out_idx, out_sim, _ = first_of_each_group(idx, sim, groups, k)
    return out_idx, out_sim


def update_lists(E: np.ndarray, k: int, groups: np.ndarray, old_idx: np.ndarray, old_sim: np.ndarray,
                 fresh: np.ndarray, memory_mb: float = 256.0, queries: np.ndarray | None = None,
                 search=None) -> tuple[np.ndarray, np.ndarray, dict]:
    """The exact top-k lists (as exact_topk_distinct) of every row of E, or only of the rows
    `queries` (in their order), from the previous build's lists: old_idx/old_sim (n, k), each row's
    previous list mapped to rows of E, -1 for a neighbour that is gone (deleted or changed), a row
    of -1 for a row that had no list; `fresh` marks the rows that are new or changed (their old
    lists are ignored).

    A row whose old list lost no neighbour keeps it, merged exactly with the fresh rows that reach
    its k-th (topk_above): the rows it never listed are below its k-th, or another copy of a listed
    song, or its own song, and stay so. Fresh rows, and rows whose list lost a neighbour, are
    searched again in full: exactly, or by `search(k, groups, rows)` (ivf_searcher: the
    approximate method the lists were built with). Returns (indices, similarities, counts of rows
    merged and searched)."""
    fresh = np.asarray(fresh, dtype=bool)
    queries = np.arange(len(E)) if queries is None else np.asarray(queries, dtype=np.int64)
    again = fresh[queries] | (old_idx[queries] < 0).any(axis=1)
    out_idx = np.empty((len(queries), k), dtype=np.int64)
    out_sim = np.empty((len(queries), k), dtype=np.float32)
    merged = np.flatnonzero(~again)
    if len(merged):     # one index of the fresh rows for every merged list; merges in chunks (bounded temporaries)
        new_idx, new_sim = topk_above(E, k, groups, np.flatnonzero(fresh), queries[merged],
                                      old_sim[queries[merged]].min(axis=1))
        for start in range(0, len(merged), DISTINCT_CHUNK_ROWS):
            part = slice(start, start + DISTINCT_CHUNK_ROWS)
            rows = queries[merged[part]]
            out_idx[merged[part]], out_sim[merged[part]] = merge_lists(old_idx[rows], old_sim[rows], new_idx[part],
                                                                       new_sim[part], groups, k)
    searched = np.flatnonzero(again)
    if len(searched):
        out_idx[searched], out_sim[searched] = (search(k, groups, queries[searched]) if search else
                                                exact_topk_distinct(E, k, groups, memory_mb, queries=queries[searched]))
    return out_idx, out_sim, {"lists_merged": int(len(merged)), "lists_searched": int(len(searched)),
                              "fresh_rows": int(fresh.sum())}


def one_list_topk(V: np.ndarray, rows: np.ndarray, groups: np.ndarray, lists: np.ndarray, query_list: int, k: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One inverted list's share of a partitioned IVF search: V holds the vectors of the rows
    (global ids `rows`, of `groups` and `lists`) of every list that the list `query_list` probes,
    its own included. Its members' k nearest among them, one per group and never their own
    (topk_among: exact within the probed lists). Returns (member rows, (m, k) neighbour rows padded
    with -1, similarities padded with -inf), members in row order."""
    order = np.argsort(rows, kind="stable")      # ties by lower global row, as a full search
    V, rows, groups, lists = V[order], rows[order], np.asarray(groups)[order], np.asarray(lists)[order]
    members = np.flatnonzero(lists == query_list)
    idx, sim = topk_among(V, k, groups, np.arange(len(V)), members)
    return rows[members], np.where(idx >= 0, rows[np.maximum(idx, 0)], -1), sim

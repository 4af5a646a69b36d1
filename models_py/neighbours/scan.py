"""An inverted-file (IVF) index searched by matrix products: each query's top-k distinct-group list
among the rows of the k-means lists it probes, the same lists a faiss IndexIVFFlat search gives
(one row per group, never the query's own), in 0.6-0.65x faiss's time at 1M synthetic tracks.

Why not faiss's own search: there each query scans its lists one vector at a time into a heap as
wide as the list must start (a catalogue with ten ids per song needs 260 places for 20 songs), and
the heap, not the arithmetic, is the cost. Here the queries that probe a list are scored against it
by one matrix product, the copies of a group in that list are reduced to their best, and only the
groups at least as similar as a threshold are kept: the k-th best group of the query's own list
(a lower bound of its k-th best over all its probes, so nothing of its final list is lost)."""

from __future__ import annotations

import numpy as np

from .core import ivf_centroids, nearest_lists, ordered

# Queries searched together: those whose own lists fall in one block of about this many lists
# (nearby lists, grouped by a k-means of the centroids), so that they probe the same lists and each
# list's product is over many queries at once.
SCAN_BLOCK_LISTS = 64
# At most this many queries at a time (bounds the candidates held: about 85 per query at 1M).
SCAN_MAX_QUERIES = 32_768
# Below the own list's k-th best: a product of other shapes may round a score a few ulps lower.
THRESHOLD_MARGIN = 1e-5
# Scores held at a time per product (rows x queries, float32: 64 MB).
SCAN_MAX_SCORES = 1 << 24


def _runs(keys: np.ndarray, most, order: np.ndarray | None = None):
    """(key, positions) for each distinct value of `keys` in turn, its positions in chunks of at
    most most(key); `order`: the positions sorted by key, if the caller has its own tie order."""
    order = np.argsort(keys, kind="stable") if order is None else order
    cuts = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1], True])
    for a, b in zip(cuts[:-1], cuts[1:]):
        key = keys[order[a]]
        step = max(1, most(key))
        for lo in range(a, b, step):
            yield key, order[lo : min(b, lo + step)]


class ListScan:
    """The rows of the normalised matrix En in the k-means lists of the centroids C (each row in its
    nearest), stored list by list and, inside a list, by how many rows its group has there, so that
    the best of each group is a max over a reshaped block. `groups`: one label per row (a song)."""

    def __init__(self, En: np.ndarray, C: np.ndarray, groups: np.ndarray, seed: int = 0):
        self.C = np.ascontiguousarray(C, dtype=np.float32)
        self.nlist = len(self.C)
        self.groups = np.unique(np.asarray(groups), return_inverse=True)[1].reshape(-1)  # dense codes
        import faiss

        self.quantizer = faiss.IndexFlatIP(self.C.shape[1])  # each row's nearest centroids
        self.quantizer.add(self.C)
        own = self.quantizer.search(np.ascontiguousarray(En, dtype=np.float32), 1)[1][:, 0]
        by_group = np.lexsort((self.groups, own))
        g, lst = self.groups[by_group], own[by_group]
        run = np.cumsum(np.r_[True, (g[1:] != g[:-1]) | (lst[1:] != lst[:-1])]) - 1
        size = np.bincount(run)[run]
        self.perm = by_group[np.lexsort((g, size, lst))]  # stored position -> row
        self.rank = np.empty_like(self.perm)
        self.rank[self.perm] = np.arange(len(self.perm))  # row -> stored position
        self.X = np.ascontiguousarray(En[self.perm], dtype=np.float32)
        self.stored_groups = self.groups[self.perm]
        self.own = own
        self.starts = np.searchsorted(own[self.perm], np.arange(self.nlist + 1))
        self.pieces = [self._pieces(L) for L in range(self.nlist)]
        # every group's first stored row, list by list (in the order _best_of_groups returns them)
        first = np.flatnonzero(
            np.r_[True, (self.stored_groups[1:] != self.stored_groups[:-1]) | (np.diff(own[self.perm]) != 0)]
        )
        self.run_first = first
        self.run_group = self.stored_groups[first]
        self.list_runs = np.searchsorted(first, self.starts)
        n_blocks = max(1, self.nlist // SCAN_BLOCK_LISTS)
        block_C = ivf_centroids(self.C, n_blocks, seed, sample=self.nlist) if n_blocks > 1 else self.C[:1]
        self.block_of_list = nearest_lists(self.C, block_C, 1)[:, 0]

    def _pieces(self, L: int) -> list[tuple[int, int, int]]:
        """List L's stored rows as pieces of groups with the same number of rows there: (offset in
        the list, rows per group, groups)."""
        g = self.stored_groups[self.starts[L] : self.starts[L + 1]]
        if not len(g):
            return []
        first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        size = np.diff(np.r_[first, len(g)])
        cut = np.flatnonzero(np.r_[True, size[1:] != size[:-1], True])
        return [(int(first[a]), int(size[a]), int(b - a)) for a, b in zip(cut[:-1], cut[1:])]

    def _best_of_groups(self, L: int, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores of list L's groups for the queries Q: (best similarity of each group, (groups in
        L, len(Q)); the products of L's rows, (rows in L, len(Q)), for _best_rows)."""
        S = self.X[self.starts[L] : self.starts[L + 1]] @ Q.T
        best = np.empty((self.list_runs[L + 1] - self.list_runs[L], len(Q)), dtype=np.float32)
        at = 0
        for offset, size, count in self.pieces[L]:
            block = S[offset : offset + size * count]
            best[at : at + count] = block if size == 1 else block.reshape(count, size, -1).max(axis=1)
            at += count
        return best, S

    def _best_rows(self, L: int, S: np.ndarray, hit_group: np.ndarray, hit_q: np.ndarray) -> np.ndarray:
        """The stored position of the best row of group `hit_group` (its index in list L) for query
        `hit_q` (a column of S), for each hit (hits in order of group, as np.nonzero gives them):
        the first of the group's rows with the top score."""
        at = self.run_first[self.list_runs[L] + hit_group]
        first_group = 0
        for offset, size, count in self.pieces[L]:
            if size > 1:
                lo, hi = np.searchsorted(hit_group, [first_group, first_group + count])
                if hi > lo:
                    rows, cols = offset + size * (hit_group[lo:hi] - first_group), hit_q[lo:hi]
                    at[lo:hi] += S[rows[:, None] + np.arange(size)[None, :], cols[:, None]].argmax(axis=1)
            first_group += count
        return at

    def _queries_per_product(self, L: int) -> int:
        """How many queries list L is scored against at once (SCAN_MAX_SCORES scores)."""
        return SCAN_MAX_SCORES // max(1, int(self.starts[L + 1] - self.starts[L]))

    def _thresholds(self, Q: np.ndarray, qgroups: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
        """Per query, the k-th best similarity among the groups of its own list (not its own
        group); -inf where that list holds fewer than k other groups."""
        out = np.full(len(Q), -np.inf, dtype=np.float32)
        for L, rows in _runs(own, self._queries_per_product):
            best, _ = self._best_of_groups(L, Q[rows])
            own_group = self.run_group[self.list_runs[L] : self.list_runs[L + 1]][:, None] == qgroups[rows][None, :]
            best[own_group] = -np.inf
            if len(best) >= k:  # less a margin: the candidates' products differ from these in the last bits
                out[rows] = -np.partition(-best, k - 1, axis=0)[k - 1] - THRESHOLD_MARGIN
        return out

    def _candidates(self, Q, qgroups, probes, threshold):
        """(query, stored position, similarity) of every group's best row in the probed lists that
        reaches the query's threshold, the query's own group left out."""
        pair_q = np.repeat(np.arange(len(Q)), probes.shape[1])
        found_q, found_at, found_sim = [], [], []
        for L, pairs in _runs(probes.reshape(-1), self._queries_per_product):
            qs = pair_q[pairs]
            best, S = self._best_of_groups(L, Q[qs])
            hit_group, hit_q = np.nonzero(best >= threshold[qs][None, :])
            at = self._best_rows(L, S, hit_group, hit_q)
            keep = self.run_group[self.list_runs[L] + hit_group] != qgroups[qs[hit_q]]
            found_q.append(qs[hit_q[keep]])
            found_at.append(at[keep])
            found_sim.append(best[hit_group[keep], hit_q[keep]])
        return np.concatenate(found_q), np.concatenate(found_at), np.concatenate(found_sim)

    def search(self, queries: np.ndarray, k: int, n_probe: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k lists (row indices padded with -1, similarities padded with -inf; best first, ties
        by lower row) of the rows `queries`, each probing its n_probe nearest lists: one row per
        group, never the query's own. A query's list does not depend on the other queries (but for
        the last bits of its similarities: products of other shapes round differently)."""
        queries = np.asarray(queries, dtype=np.int64)
        probe = max(1, min(n_probe, self.nlist))
        out_idx = np.full((len(queries), k), -1, dtype=np.int64)
        out_sim = np.full((len(queries), k), -np.inf, dtype=np.float32)
        own = self.own[queries]
        block = self.block_of_list[own]
        # a block's queries in order of their own list (its products then follow one another)
        for _, at in _runs(block, lambda _: SCAN_MAX_QUERIES, order=np.lexsort((own, block))):
            out_idx[at], out_sim[at] = self._search_block(queries[at], k, probe)
        return out_idx, out_sim

    def _search_block(self, rows: np.ndarray, k: int, probe: int) -> tuple[np.ndarray, np.ndarray]:
        """search() of the rows of one block: their probes, thresholds and candidates, then per query
        the best row of each group and the k best groups."""
        Q = self.X[self.rank[rows]]
        qgroups = self.groups[rows]
        probes = self.quantizer.search(Q, probe)[1]
        q, at, sim = self._candidates(Q, qgroups, probes, self._thresholds(Q, qgroups, probes[:, 0], k))
        if not len(q):  # nothing but the queries' own songs in their lists
            return np.full((len(rows), k), -1, dtype=np.int64), np.full((len(rows), k), -np.inf, dtype=np.float32)
        # one row per (query, group): a group's copies in other probed lists give way to its best
        key = q * (int(self.run_group.max()) + 1) + self.stored_groups[at]
        order = np.argsort(key)
        key, q, at, sim = key[order], q[order], at[order], sim[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        top = np.flatnonzero(sim == np.repeat(np.maximum.reduceat(sim, starts), np.diff(np.r_[starts, len(key)])))
        run = np.searchsorted(starts, top, side="right")
        top = top[np.r_[True, run[1:] != run[:-1]]]
        q, at, sim = q[top], at[top], sim[top]
        # best first per query: one float64 key, the query then the similarity descending (exact:
        # a similarity is a float32 in [-1, 1], the query a small integer)
        order = np.argsort(q * 4.0 - sim)
        q, at, sim = q[order], at[order], sim[order]
        place = np.arange(len(q)) - np.searchsorted(q, q)
        keep = place < k
        idx = np.full((len(rows), k), np.iinfo(np.int64).max, dtype=np.int64)
        out_sim = np.full((len(rows), k), -np.inf, dtype=np.float32)
        idx[q[keep], place[keep]] = self.perm[at[keep]]
        out_sim[q[keep], place[keep]] = sim[keep]
        out_sim, idx = ordered(out_sim, idx)  # ties by lower row
        return np.where(idx == np.iinfo(np.int64).max, -1, idx), out_sim

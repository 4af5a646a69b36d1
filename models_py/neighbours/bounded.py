"""BoundedExact: exact top-k cosine lists that skip the rows that cannot be in them (k-means
lists whose cones rule out most pairs, one GEMM per list)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .core import ivf_centroids, nearest_lists, normalise_rows

if TYPE_CHECKING:
    import torch


def use_bounded(n: int, queries: int, width: int) -> bool:
    """Whether BoundedExact pays for its lists (a k-means and a sorted copy of the rows): a
    catalogue of BOUNDED_MIN_ROWS or more, at least 4*sqrt(n) queries, lists at most
    BOUNDED_MAX_WIDTH wide."""
    return n >= BOUNDED_MIN_ROWS and queries >= 4 * np.sqrt(n) and width <= BOUNDED_MAX_WIDTH


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

    def __init__(
        self,
        E: np.ndarray,
        exclude_groups: np.ndarray | None = None,
        n_lists: int = 0,
        seed: int = 0,
        threads: int | None = None,
    ):
        import torch

        if threads:
            torch.set_num_threads(threads)
        n, d = E.shape
        self.n = n
        En = normalise_rows(E)
        centroids = ivf_centroids(En, n_lists, seed, sample=0, niter=10)
        n_lists = len(centroids)
        own = nearest_lists(En, centroids, 1)[:, 0]
        self.row_of = np.argsort(own, kind="stable")  # sorted position -> row
        self.pos = np.empty(n, np.int64)
        self.pos[self.row_of] = np.arange(n)  # row -> sorted position
        self.X = torch.from_numpy(np.ascontiguousarray(En[self.row_of]))
        del En
        own = own[self.row_of]
        self.own = own
        counts = np.bincount(own, minlength=n_lists)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        self.live = np.flatnonzero(counts)  # lists that hold rows
        X = self.X.numpy()
        starts = self.offsets[self.live]
        unit = np.zeros((n_lists, d), np.float32)
        unit[self.live] = normalise_rows(np.add.reduceat(X, starts, axis=0, dtype=np.float64).astype(np.float32))
        # each list's cone: the largest angle between its direction and one of its rows
        cos_min = np.ones(n_lists, np.float32)
        cos_min[self.live] = np.minimum.reduceat(np.einsum("ij,ij->i", X, unit[own]), starts)
        angle = np.arccos(np.clip(cos_min.astype(np.float64), -1, 1)) + ANGLE_SLACK
        self.angle = torch.from_numpy(angle.astype(np.float32))
        self.cone = torch.from_numpy(
            np.hstack([unit, np.sin(angle)[:, None], np.cos(angle)[:, None]]).astype(np.float32)
        )
        # each list's two nearest other lists, for the thresholds
        self.near = nearest_lists(unit, unit, 3)
        if exclude_groups is None:
            self.group_values, codes = None, np.arange(n)
        else:
            self.group_values, codes = np.unique(np.asarray(exclude_groups), return_inverse=True)
        self.group = torch.from_numpy(codes.reshape(-1)[self.row_of].astype(np.int64))
        self.pairs_compared = 0  # by search, for bench/run.py

    def _thresholds(self, P: np.ndarray, width: int) -> torch.Tensor:
        """For the queries at sorted positions P: the width-th best similarity among the rows of
        their list and its two nearest lists, not of their group (-inf if fewer), minus the slack."""
        import torch

        tau = torch.full((len(P),), -np.inf)
        lists = self.own[P]
        starts = np.flatnonzero(np.r_[True, lists[1:] != lists[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(P)]):
            cand = torch.from_numpy(
                np.concatenate(
                    [np.arange(self.offsets[c], self.offsets[c + 1]) for c in np.unique(self.near[lists[a]])]
                )
            )
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
            q = torch.from_numpy(P)[short[at : at + block]]
            S = self.X[q] @ self.X.T
            S.masked_fill_(self.group[q][:, None] == self.group[None, :], -np.inf)
            tau[short[at : at + block]] = torch.topk(S, width, dim=1, sorted=False).values.min(dim=1).values
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
        wide = self.angle[:, None] + s[None, :] >= np.pi  # rare: a cone and a threshold too wide
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
        by_list = np.argsort(P_all, kind="stable")  # queries of one list together
        P = P_all[by_list]
        out_idx[by_list], out_sim[by_list] = self.search_vectors(
            self.X[P], self.group[P], self._thresholds(P, width), width
        )
        return out_idx, out_sim

    def search_vectors(
        self, Q: torch.Tensor, query_groups: torch.Tensor, tau: torch.Tensor, width: int
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
                qs_all, js_all, ss_all = (
                    [torch.empty(0, dtype=torch.int64)],
                    [torch.empty(0, dtype=torch.int64)],
                    [torch.empty(0)],
                )
                for c in self.live[need[torch.from_numpy(self.live)].any(1).numpy()]:
                    qs = torch.nonzero(need[c]).flatten()
                    lo = int(self.offsets[c])
                    S = Qc[qs] @ self.X[lo : int(self.offsets[c + 1])].T
                    self.pairs_compared += S.numel()
                    t = t_all[qs]
                    # most queries find nothing at their threshold: a row maximum rules them out
                    hit = torch.nonzero(S.amax(1) >= t).flatten()
                    if len(hit):
                        S = S[hit]
                        r, col = torch.nonzero(S >= t[hit][:, None], as_tuple=True)
                        qs_all.append(qs[hit][r])
                        js_all.append(col + lo)
                        ss_all.append(S[r, col])
                q = torch.cat(qs_all)
                j = torch.cat(js_all)
                s = torch.cat(ss_all).numpy()
                keep = (self.group[j] != query_groups[q_at][q]).numpy()
                q, j, s = q.numpy()[keep], self.row_of[j.numpy()[keep]], s[keep]
                order = np.lexsort((j, -s, q))  # per query: best first, ties by lower row
                q, j, s = q[order], j[order], s[order]
                rank = np.arange(len(q)) - np.searchsorted(q, q, side="left")
                top = rank < width
                out_idx[start + q[top], rank[top]] = j[top]
                out_sim[start + q[top], rank[top]] = s[top]
        return out_idx, out_sim

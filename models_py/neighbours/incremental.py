"""Lists kept exact when tracks are added, changed or deleted: the old lists merged with the
fresh rows' candidates, and lists that lost a member searched again."""

from __future__ import annotations

import numpy as np

from . import bounded
from .bounded import BOUND_SLACK, BoundedExact
from .core import first_of_each_group, kept_best_first, normalise_rows, ordered
from .distinct import DISTINCT_CHUNK_ROWS, distinct_lists, exact_topk_distinct


def topk_among(
    E: np.ndarray, k: int, groups: np.ndarray, candidates: np.ndarray, queries: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each query row of E, its k most cosine-similar rows among `candidates` (rows of E), one
    per group and never the query's own group, best first, ties by lower index: exact, through a
    faiss flat index of the candidates alone. Lists with fewer than k such rows are padded with -1
    (similarity -inf). What an incremental build computes for the new rows against every list."""
    import faiss

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
        idx = np.where(at >= 0, candidates[np.maximum(at, 0)], -1)
        dropped = (at < 0) | (groups[np.maximum(idx, 0)] == groups[rows][:, None])
        sim, idx = kept_best_first(sim, idx, dropped)
        return idx, sim

    return _padded(*distinct_lists(search, queries, k, groups, len(candidates) + 1), k)


def _padded(idx: np.ndarray, sim: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Lists k wide (distinct_lists' are narrower in a catalogue of fewer than k + 1 groups)."""
    if idx.shape[1] < k:
        idx = np.pad(idx, ((0, 0), (0, k - idx.shape[1])), constant_values=-1)
        sim = np.pad(sim, ((0, 0), (0, k - sim.shape[1])), constant_values=-np.inf)
    return idx, sim


def topk_above(
    E: np.ndarray, k: int, groups: np.ndarray, candidates: np.ndarray, queries: np.ndarray, floor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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
    if len(candidates) < bounded.BOUNDED_MIN_CANDIDATES:
        return topk_among(E, k, groups, candidates, queries)
    index = BoundedExact(E[candidates], groups[candidates])
    floor_of = np.full(len(E), np.inf, np.float32)  # by row of E (distinct_lists passes rows)
    floor_of[queries] = np.asarray(floor, dtype=np.float32) - BOUND_SLACK

    def search(rows, width):
        idx, sim = index.search_vectors(
            torch.from_numpy(normalise_rows(E[rows])),
            index.group_codes(groups[rows]),
            torch.from_numpy(floor_of[rows]),
            width,
        )
        return np.where(idx >= 0, candidates[np.maximum(idx, 0)], -1), sim

    # a list with empty places holds every candidate at or above its floor: not searched wider
    idx, sim = distinct_lists(search, queries, k, groups, len(candidates) + 1, short_is_all=True)
    return _padded(idx, sim, k)


def merge_lists(
    idx_a: np.ndarray, sim_a: np.ndarray, idx_b: np.ndarray, sim_b: np.ndarray, groups: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two best-first lists per row (-1 = empty) merged: best first, ties by lower index, one row per
    group (the best-ranked), the first k. Exact when each input is the exact top list of its part of
    the candidates and every row of a group the old list dropped is still there."""
    idx = np.concatenate([idx_a, idx_b], axis=1)
    sim = np.concatenate([sim_a, sim_b], axis=1).astype(np.float32)
    big = np.iinfo(np.int64).max
    sim, idx = ordered(np.where(idx < 0, -np.inf, sim).astype(np.float32), np.where(idx < 0, big, idx))
    idx = np.where(idx == big, -1, idx)
    out_idx, out_sim, _ = first_of_each_group(idx, sim, groups, k)
    return out_idx, out_sim


def update_lists(
    E: np.ndarray,
    k: int,
    groups: np.ndarray,
    old_idx: np.ndarray,
    old_sim: np.ndarray,
    fresh: np.ndarray,
    memory_mb: float = 256.0,
    queries: np.ndarray | None = None,
    search=None,
) -> tuple[np.ndarray, np.ndarray, dict]:
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
    if len(merged):  # one index of the fresh rows for every merged list; merges in chunks (bounded temporaries)
        new_idx, new_sim = topk_above(
            E, k, groups, np.flatnonzero(fresh), queries[merged], old_sim[queries[merged]].min(axis=1)
        )
        for start in range(0, len(merged), DISTINCT_CHUNK_ROWS):
            part = slice(start, start + DISTINCT_CHUNK_ROWS)
            rows = queries[merged[part]]
            out_idx[merged[part]], out_sim[merged[part]] = merge_lists(
                old_idx[rows], old_sim[rows], new_idx[part], new_sim[part], groups, k
            )
    searched = np.flatnonzero(again)
    if len(searched):
        out_idx[searched], out_sim[searched] = (
            search(k, groups, queries[searched])
            if search
            else exact_topk_distinct(E, k, groups, memory_mb, queries=queries[searched])
        )
    return (
        out_idx,
        out_sim,
        {"lists_merged": int(len(merged)), "lists_searched": int(len(searched)), "fresh_rows": int(fresh.sum())},
    )

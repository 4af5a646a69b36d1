"""Lists of distinct songs: rows of the query's group dropped from wider lists, which are
refilled until every list holds k songs (or the catalogue runs out)."""

from __future__ import annotations

import numpy as np

from .bounded import BOUNDED_MAX_WIDTH, BoundedExact, use_bounded
from .core import first_of_each_group
from .exact import flat_topk

# Rows deduplicated (and refilled) at a time: bounds the temporaries of the wide first lists (at
# 1M synthetic tracks, about ten releases per song, lists start 260 wide: the IVF search raised
# the peak RSS by 0.43 GB with 65,536-row chunks, 0.21 GB with 16,384, in the same 188 s).
DISTINCT_CHUNK_ROWS = 16_384
# How wide an exact search (BoundedExact) of distinct_lists starts, in multiples of k (more when
# songs have more ids): it costs more the wider it is; at 1.3 k instead of 2 k the bundled
# catalogue's autoencoder lists took 15.0 s against 17.6 s, the same lists. An IVF search costs
# about the same at any width and each refill is another probe of its lists, so it starts at 2 k.
EXACT_FIRST_WIDTH_FACTOR = 1.3


def distinct_lists(
    search,
    queries: np.ndarray,
    k: int,
    groups: np.ndarray,
    n: int,
    order: np.ndarray | None = None,
    short_is_all: bool = False,
    progress=None,
    width_factor: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k lists with one row per group (never the query's own group), kept full. `search(rows,
    width)` returns best-first lists (indices, similarities) of at least `width` places for those
    rows, empty places (-1) skipped wherever they stand (exact or IVF: the refill uses the same
    method). Lists start at about k times 1.2 x the mean group size (2k at
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
    first_width = min(
        n - 1, k * max(2, int(np.ceil(spread))) if width_factor is None else int(np.ceil(k * max(width_factor, spread)))
    )
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


def exact_topk_distinct(
    E: np.ndarray,
    k: int,
    groups: np.ndarray,
    memory_mb: float = 256.0,
    queries: np.ndarray | None = None,
    progress=None,
) -> tuple[np.ndarray, np.ndarray]:
    """exact_topk in which no list holds two rows of one group (nor the query's own): the best-ranked
    copy is kept and the list refilled from further down, so lists stay k long. `progress` as in
    distinct_lists."""
    queries = np.arange(len(E)) if queries is None else np.asarray(queries, dtype=np.int64)
    bounded = BoundedExact(E, groups) if use_bounded(len(E), len(queries), k) else None

    def search(rows, width):
        if bounded is not None and width <= BOUNDED_MAX_WIDTH:
            return bounded.search(rows, width)
        return flat_topk(E, width, groups, memory_mb, queries=rows)

    return distinct_lists(search, queries, k, groups, len(E), progress=progress, width_factor=EXACT_FIRST_WIDTH_FACTOR)

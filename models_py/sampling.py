"""Deterministic samples that keep every group represented."""

from __future__ import annotations

import numpy as np


def stratified_sample(groups: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """Sorted row indices of a sample of about `size` rows, drawn proportionally from each group
    (at least one row per group, when size allows), reproducible for a given seed."""
    n = len(groups)
    if size >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    quota = np.maximum(1, np.floor(counts * size / n)).astype(int)
    order = rng.permutation(n)
    ranked = np.empty(n, dtype=np.int64)
    # rank of each row inside its group, in the random order
    sorted_rows = order[np.argsort(inverse[order], kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ranked[sorted_rows] = np.arange(n) - np.repeat(starts, counts)
    return np.flatnonzero(ranked < quota[inverse])


def keyed_sample(keys: list[str], rows: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """At most `size` of `rows` (sorted indices into keys), in order: those whose key hashes lowest
    (CRC-32 of seed and key). A key's place does not depend on the others, so when a catalogue
    grows the sample keeps every old member but the few a new key displaces; an incremental build
    can then reuse the previous build's lists of the sample."""
    import zlib

    rows = np.asarray(rows, dtype=np.int64)
    if size <= 0 or len(rows) <= size:
        return rows
    prefix = f"{seed}:".encode()
    hashes = np.array([zlib.crc32(prefix + keys[r].encode()) for r in rows], dtype=np.int64)
    chosen = np.lexsort((rows, hashes))[:size]
    return np.sort(rows[chosen])


def first_of_each_name(names: np.ndarray) -> np.ndarray:
    """Sorted indices of the first row of each distinct name (seed 001 deduplicates by name). The
    names stay Python strings: a fixed-width copy of a million names takes GBs (every name as long
    as the longest)."""
    _, first = np.unique(np.asarray(names).astype(object), return_index=True)
    return np.sort(first)

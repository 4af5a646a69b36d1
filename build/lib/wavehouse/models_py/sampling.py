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

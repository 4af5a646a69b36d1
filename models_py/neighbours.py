"""Exact top-k cosine neighbours, computed in blocks with bounded memory (torch matmul + topk)."""

from __future__ import annotations

import numpy as np


def normalise_rows(E: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    return (E / np.where(norms == 0, 1, norms)).astype(np.float32)


def block_rows_for_budget(n: int, k: int, memory_mb: float) -> int:
    """Rows per block so that one block of scores (rows x n float32) plus its top-k fit the budget."""
    per_row = n * 4 + (k + 1) * 12
    return int(max(1, min(n, (memory_mb * 1024 * 1024) // per_row)))


def exact_topk(E: np.ndarray, k: int, exclude_groups: np.ndarray | None = None, memory_mb: float = 256.0,
               threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For every row of E, the k most cosine-similar other rows: (indices (n,k) int64, similarities
    (n,k) float32), best first. Rows sharing `exclude_groups` (e.g. the same song_key) with the query,
    the query included, are never returned. Ties break by lower index (deterministic)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    n = len(E)
    k = min(k, n - 1)
    En = torch.from_numpy(normalise_rows(E))
    groups = torch.from_numpy(np.asarray(exclude_groups, dtype=np.int64)) if exclude_groups is not None else None
    # extra candidates so that excluded same-group rows can be dropped afterwards
    extra = 1
    if groups is not None:
        extra = int(torch.bincount(groups).max())
    width = min(n, k + extra)
    rows = block_rows_for_budget(n, width, memory_mb)
    out_idx = np.empty((n, k), dtype=np.int64)
    out_sim = np.empty((n, k), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            scores = En[start:stop] @ En.T
            query = torch.arange(start, stop)
            scores[torch.arange(stop - start), query] = -np.inf
            sim, idx = torch.topk(scores, width, dim=1, sorted=True)
            if groups is not None:
                same = groups[idx] == groups[query][:, None]
                sim = sim.masked_fill(same, -np.inf)
                idx = idx.masked_fill(same, n)  # push excluded candidates to the end
            # stable order: similarity desc, then index asc
            key_order = np.lexsort((idx.numpy(), -sim.numpy()), axis=1)[:, :k]
            out_idx[start:stop] = np.take_along_axis(idx.numpy(), key_order, axis=1)
            out_sim[start:stop] = np.take_along_axis(sim.numpy(), key_order, axis=1)
    return out_idx, out_sim

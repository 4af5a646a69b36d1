"""Class balancing with SMOTE (imbalanced-learn), done so synthetic rows can never be mistaken for
tracks: the originals come back first, unchanged and in order, and a mask marks the synthetic rest.
(Seed 000 mapped row positions of the resampled set back to its track table and showed the wrong
names; here synthetic rows carry no track id at all.)"""

from __future__ import annotations

import numpy as np


def smote_balance(
    X: np.ndarray, y: np.ndarray, seed: int = 0, k_neighbors: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (X_res, y_res, is_synthetic). X_res[:len(X)] is X itself; every class is raised to
    the size of the largest. Classes too small for k_neighbors use as many neighbours as they can;
    classes of one row are left as they are."""
    from imblearn.over_sampling import SMOTE

    classes, counts = np.unique(y, return_counts=True)
    target = counts.max()
    usable = classes[counts >= 2]
    k = int(max(1, min(k_neighbors, counts[counts >= 2].min() - 1))) if len(usable) else 1
    if len(usable) < 2:
        return X.copy(), y.copy(), np.zeros(len(X), dtype=bool)
    strategy = {c: int(target) for c in usable}
    sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    keep = np.isin(y, usable)
    X_fit, y_fit = sampler.fit_resample(X[keep], y[keep])
    n_kept = int(keep.sum())
    if not np.array_equal(X_fit[:n_kept], X[keep]):
        raise AssertionError("SMOTE reordered the original rows; refusing to continue")
    X_res = np.concatenate([X, X_fit[n_kept:]]).astype(X.dtype, copy=False)
    y_res = np.concatenate([y, y_fit[n_kept:]])
    is_synthetic = np.zeros(len(X_res), dtype=bool)
    is_synthetic[len(X) :] = True
    return X_res, y_res, is_synthetic

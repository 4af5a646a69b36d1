"""A listener's taste as a few weighted centres in an embedding, and the tracks nearest each centre.

Contracts (pure functions on arrays; the dbt models ml_listener_taste and ml_listener_candidates
call them):
- `listen_weights`: one weight per listen: a play counts its share played (at least 0.25; 1 when
  unknown), a skip counts -0.5, each halved per `half_life_days` before the listener's last listen.
- `taste_centres`: weighted spherical k-means of the tracks with positive total weight (one centre
  per `tracks_per_centre` tracks, 1 to `max_centres`); returns unit centres, their shares of the
  weight (summing to 1), each track's centre (-1 for a track left out) and, per centre, its tracks
  by weight (the "because you play ..." of a recommendation).
- `nearest_per_centre`: per centre, the `n` most similar tracks (cosine) whose song is not in
  `excluded`, one track per song, best first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def listen_weights(share_played, skipped, age_days, half_life_days: float) -> np.ndarray:
    share = np.asarray(share_played, dtype=np.float64)
    share = np.where(np.isnan(share), 1.0, np.clip(share, 0.25, 1.0))
    base = np.where(np.asarray(skipped, dtype=bool), -0.5, share)
    return base * 0.5 ** (np.asarray(age_days, dtype=np.float64) / half_life_days)


def unit_rows(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


@dataclass
class Taste:
    centres: np.ndarray  # (c, d), unit rows
    shares: np.ndarray  # (c,), sum 1
    labels: np.ndarray  # (n,), centre of each track, -1 if its weight is not positive
    exemplars: list[np.ndarray]  # per centre, its track positions by weight, heaviest first


def taste_centres(
    vectors: np.ndarray, weights: np.ndarray, max_centres: int, tracks_per_centre: int, seed: int
) -> Taste:
    from sklearn.cluster import KMeans

    weights = np.asarray(weights, dtype=np.float64)
    kept = np.flatnonzero(weights > 0)
    labels = np.full(len(weights), -1)
    if len(kept) == 0:
        return Taste(np.zeros((0, vectors.shape[1]), np.float32), np.zeros(0), labels, [])
    X = unit_rows(vectors[kept])
    w = weights[kept]
    n_centres = int(np.clip(np.ceil(len(kept) / tracks_per_centre), 1, max_centres))
    n_centres = min(n_centres, len(np.unique(X, axis=0)))
    if n_centres == 1:
        assigned = np.zeros(len(kept), dtype=int)
    else:
        assigned = KMeans(n_clusters=n_centres, n_init=3, random_state=seed).fit(X, sample_weight=w).labels_
    centres, shares, exemplars = [], [], []
    for c in range(n_centres):
        members = np.flatnonzero(assigned == c)
        centres.append(np.average(X[members], axis=0, weights=w[members]))
        shares.append(w[members].sum())
        exemplars.append(kept[members[np.argsort(-w[members], kind="stable")]])
    labels[kept] = assigned
    return Taste(unit_rows(np.array(centres)), np.array(shares) / np.sum(shares), labels, exemplars)


def nearest_per_centre(
    catalogue: np.ndarray, songs: np.ndarray, centres: np.ndarray, excluded: set, n: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """catalogue: (N, d) unit rows; songs: (N,) song keys. Per centre: (track positions, similarities)."""
    allowed = np.array([s not in excluded for s in songs], dtype=bool)
    out = []
    for centre in centres:
        sims = catalogue @ centre.astype(np.float32)
        sims[~allowed] = -np.inf
        # more than n before one-per-song: several releases of a song can be near a centre
        take = min(len(sims), 4 * n)
        top = np.argpartition(-sims, take - 1)[:take] if take < len(sims) else np.arange(len(sims))
        top = top[np.lexsort((top, -sims[top]))]
        top = top[np.isfinite(sims[top])]
        _, first = np.unique(songs[top], return_index=True)
        best = top[np.sort(first)][:n]
        out.append((best, sims[best]))
    return out

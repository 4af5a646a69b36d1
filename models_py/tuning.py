"""The searches `wavehouse tune` runs: genre-head configs scored on the validation band of the
training songs (genre hit rate@10), and the hybrid mix's audio weight, the best one whose
own-artist share stays under a cap. Held-out songs are never read."""

from __future__ import annotations

import numpy as np

from .genre_head import OUTPUTS, HeadConfig, embedding_of, hybrid_embedding, train_genre_head


def genre_hit_at(
    E: np.ndarray, labels: np.ndarray, songs: np.ndarray, queries: np.ndarray, k: int = 10, memory_mb: float = 256.0
) -> float:
    """Mean share of each query's k nearest rows (cosine; never the same song) whose label is the
    query's: the genre hit rate@k."""
    from .neighbours import exact_topk_distinct

    idx, _ = exact_topk_distinct(E, k, songs, memory_mb, queries=queries)
    return float((labels[idx] == labels[queries][:, None]).mean())


def search_genre_head(
    X: np.ndarray,
    labels: np.ndarray,
    songs: np.ndarray,
    train_mask: np.ndarray,
    validation_mask: np.ndarray,
    configs: list[HeadConfig],
    seed: int = 0,
    outputs: tuple[str, ...] = OUTPUTS,
    log=None,
    progress=None,
) -> tuple[list[dict], np.ndarray]:
    """Each config trained on the training rows outside the validation mask, and each of its
    `outputs` as the embedding scored by the validation rows' genre hit rate@10 among the training
    rows (the rows outside train_mask are never read: neither labels nor features).

    Returns one dict per (config, output) with the config's fields (output set),
    validation_hit_at_10, validation_accuracy, seconds (training), fit_rows, validation_rows; and the
    genre probabilities, for the training rows in order, of the model of the best row.
    `progress(done, total, detail)` after each epoch of each config (total: every config's epochs)."""
    train_rows = np.flatnonzero(np.asarray(train_mask, dtype=bool) & (np.asarray(labels) >= 0))
    Xt, yt, st = X[train_rows], np.asarray(labels)[train_rows], np.asarray(songs)[train_rows]
    validation = np.asarray(validation_mask, dtype=bool)[train_rows]
    queries = np.flatnonzero(validation)
    results, best_probabilities, best = [], None, -1.0
    total, offset = sum(c.epochs for c in configs), 0
    for i, config in enumerate(configs):
        if log:
            log(f"genre head search {i + 1}/{len(configs)}: training {config}")
        report = (
            (
                lambda done, _, detail, i=i, offset=offset: progress(
                    offset + done, total, f"config {i + 1}/{len(configs)}, {detail}"
                )
            )
            if progress
            else None
        )
        r = train_genre_head(Xt, yt, ~validation, config, seed=seed, all_outputs=True, progress=report)
        offset += config.epochs
        for output in outputs:
            hit = genre_hit_at(embedding_of(r.logits, r.hidden, output), yt, st, queries)
            results.append(
                {
                    **config.__dict__,
                    "output": output,
                    "validation_hit_at_10": hit,
                    "validation_accuracy": r.accuracy,
                    "seconds": r.seconds,
                    "fit_rows": r.n_train_rows,
                    "validation_rows": len(queries),
                }
            )
            if hit > best:
                best, best_probabilities = hit, r.probabilities
            if log:
                log(f"genre head search {i + 1}/{len(configs)}, {output}: validation hit@10 {hit:.4f}")
    return results, best_probabilities


def best_config(results: list[dict]) -> int:
    """Index of the config with the highest validation hit rate (the first of equals)."""
    scores = [r["validation_hit_at_10"] for r in results]
    return int(np.argmax(scores))


def shares_an_artist(artist_ids: list, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For index arrays a and b of one shape: whether rows a[i] and b[i] have an artist in common
    (artist_ids: one list of artist ids per row)."""
    sets = [frozenset(x) for x in artist_ids]
    return np.fromiter(
        (not sets[i].isdisjoint(sets[j]) for i, j in zip(a.ravel(), b.ravel())), dtype=bool, count=a.size
    ).reshape(a.shape)


def search_hybrid_weight(
    probabilities: np.ndarray,
    artists: np.ndarray,
    labels: np.ndarray,
    songs: np.ndarray,
    artist_ids: list,
    queries: np.ndarray,
    weights: list[float],
    log=None,
) -> list[dict]:
    """Each audio weight w of the hybrid mix (hybrid_embedding) scored on the query rows: genre hit
    rate@10 and the share of the 10 that share an artist with the query (never the same song)."""
    from .neighbours import exact_topk_distinct

    results = []
    for w in weights:
        idx, _ = exact_topk_distinct(hybrid_embedding(probabilities, artists, w), 10, songs, queries=queries)
        hit = float((labels[idx] == labels[queries][:, None]).mean())
        own = float(shares_an_artist(artist_ids, np.repeat(queries[:, None], idx.shape[1], axis=1), idx).mean())
        results.append({"audio_weight": float(w), "validation_hit_at_10": hit, "validation_own_artist_share": own})
        if log:
            log(f"hybrid mix, audio weight {w}: validation hit@10 {hit:.4f}, own-artist share {own:.4f}")
    return results


def choose_hybrid_weight(results: list[dict], max_own_artist_share: float) -> int:
    """Index of the best validation hit rate among the mixes whose own-artist share is at most
    max_own_artist_share (first of equals); if none is, the mix with the lowest own-artist share."""
    allowed = [i for i, r in enumerate(results) if r["validation_own_artist_share"] <= max_own_artist_share]
    if not allowed:
        return int(np.argmin([r["validation_own_artist_share"] for r in results]))
    return max(allowed, key=lambda i: (results[i]["validation_hit_at_10"], -i))

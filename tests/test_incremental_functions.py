"""The pure functions behind incremental builds, on tiny arrays: stored models applied to new rows
give what the trained models give, and updated neighbour lists equal lists computed from scratch."""

from __future__ import annotations

import numpy as np
import pytest

from wavehouse.models_py.cluster import (
    assign_stored,
    assign_sub_clusters,
    dbscan_fit,
    join_nearest_core,
    kmeans_labels,
    nearest_centroid,
    sub_clusters_with_centroids,
)
from wavehouse.models_py.embed import encode, train_autoencoder
from wavehouse.models_py.genre_head import HeadConfig, head_outputs, score_networks, train_genre_head
from wavehouse.models_py.neighbours import exact_topk_distinct, merge_lists, topk_among, update_lists
from wavehouse.models_py.project import lda_fit_2d, pca_for_variance, project


def test_the_stored_encoder_gives_the_trained_embeddings():
    X = np.random.default_rng(0).normal(size=(300, 6)).astype(np.float32)
    result = train_autoencoder(X, latent_dim=3, max_epochs=3, seed=0)
    assert np.allclose(encode(result.encoder_state, X), result.embeddings, atol=1e-5)


def test_the_stored_genre_head_gives_the_trained_outputs():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    for output in ("probabilities", "sqrt_probabilities", "logits", "hidden"):
        r = train_genre_head(X, y, np.arange(200) < 150, HeadConfig(width=8, depth=2, epochs=2, output=output), seed=0)
        embedding, probabilities = head_outputs(r.state, X, output)
        assert np.allclose(embedding, r.embeddings, atol=1e-5)
        assert np.allclose(probabilities, r.probabilities, atol=1e-5)


def test_stored_projections_match_scikit_learn():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    rng = np.random.default_rng(2)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    y = np.repeat(np.arange(4), 30)
    X[:, 0] += y
    pca = pca_for_variance(X, 0.7)
    assert np.allclose(project(X, pca.mean, pca.components), pca.coords, atol=1e-5)
    mean, components = lda_fit_2d(X, y)
    expected = LinearDiscriminantAnalysis(n_components=2).fit(X, y).transform(X)
    assert np.allclose(project(X, mean, components), expected, atol=1e-4)


def test_new_rows_get_the_cluster_kmeans_and_dbscan_give_their_copies():
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(c, 0.3, size=(60, 2)) for c in ((0, 0), (5, 0), (0, 5))]).astype(np.float32)
    labels, centroids, _ = kmeans_labels(X, 3, seed=0)
    assert np.array_equal(nearest_centroid(X, centroids), labels)
    sub, sub_centroids = sub_clusters_with_centroids(X, labels, 2, seed=0)
    assert np.array_equal(assign_sub_clusters(X, labels, sub_centroids), sub)
    fit = np.arange(0, len(X), 2)
    dbscan, cores = dbscan_fit(X, 0.5, 4, fit)
    far = np.array([[50.0, 50.0]], np.float32)
    joined = join_nearest_core(np.concatenate([X[cores], far]), X[cores], dbscan[cores], 0.5)
    assert np.array_equal(joined[:-1], dbscan[cores]) and joined[-1] == -1
    # assign_stored, as the Spark engine and incremental builds call it, gives the same
    stored = {"centroids": centroids, **{f"sub_{c}": v for c, v in sub_centroids.items()}}
    assigned, assigned_sub = assign_stored(stored, X)
    assert np.array_equal(assigned, labels) and np.array_equal(assigned_sub, sub)
    core_labels, no_sub = assign_stored({"core_vectors": X[cores], "core_labels": dbscan[cores]}, far, eps=0.5)
    assert core_labels.tolist() == [-1] and no_sub.tolist() == [0]
    # the fit alone (join_rest=False) leaves the rows outside the sample for the caller to join
    fitted, same_cores = dbscan_fit(X, 0.5, 4, fit, join_rest=False)
    rest = np.setdiff1d(np.arange(len(X)), fit)
    assert np.array_equal(same_cores, cores) and np.array_equal(fitted[fit], dbscan[fit]) and (fitted[rest] == -1).all()
    assert np.array_equal(
        assign_stored({"core_vectors": X[cores], "core_labels": dbscan[cores]}, X[rest], 0.5)[0], dbscan[rest]
    )


def test_score_networks_applies_every_stored_network():
    rng = np.random.default_rng(6)
    features = rng.normal(size=(120, 5)).astype(np.float32)
    X = features * np.array([1, 1, 0.5, 0, 1], np.float32)
    y = (features[:, 0] > 0).astype(np.int64)
    plain = train_autoencoder(X, latent_dim=3, max_epochs=2, seed=0)
    head = train_genre_head(
        features, y, np.ones(120, bool), HeadConfig(width=8, depth=1, epochs=2, output="logits"), seed=0
    )
    out = score_networks({"autoencoder": plain.encoder_state, "genre_head": head.state}, X, features, "logits")
    assert list(out) == ["autoencoder", "audio", "probabilities"]
    assert np.allclose(out["autoencoder"], plain.embeddings, atol=1e-5)
    assert np.allclose(out["audio"], head.embeddings, atol=1e-5) and np.allclose(
        out["probabilities"], head.probabilities, atol=1e-5
    )
    # in blocks (as for a whole catalogue): the same rows, the same values (to BLAS rounding)
    blocked = score_networks(
        {"autoencoder": plain.encoder_state, "genre_head": head.state}, X, features, "logits", block_rows=50
    )
    assert list(blocked) == list(out) and all(np.allclose(blocked[kind], out[kind], atol=1e-6) for kind in out)


def catalogue(n=400, d=6, songs_every=5, seed=4):
    rng = np.random.default_rng(seed)
    E = rng.normal(size=(n, d)).astype(np.float32)
    songs = np.arange(n)  # one song per row, except: row 5m + 1 is a copy of row 5m's song
    songs[1::songs_every] = songs[::songs_every][: len(songs[1::songs_every])]
    return E, songs


def distinct_top(E, songs, q, candidates, k):
    """Brute force: the k best of `candidates` for row q by cosine, one per song, never q's own
    song, ties by lower row."""
    En = E / np.linalg.norm(E, axis=1, keepdims=True)
    seen, out = {songs[q]}, []
    for c in sorted(candidates, key=lambda c: (-float(En[q] @ En[c]), c)):
        if songs[c] not in seen:
            seen.add(songs[c])
            out.append(c)
    return out[:k]


def test_topk_among_is_the_exact_top_k_inside_the_candidates():
    E, songs = catalogue()
    candidates = np.arange(0, len(E), 7)
    idx, sim = topk_among(E, 5, songs, candidates, np.arange(len(E)))
    for q in range(0, len(E), 37):
        assert list(idx[q][idx[q] >= 0]) == distinct_top(E, songs, q, candidates, 5)


def test_topk_above_is_the_exact_top_k_of_the_candidates_that_reach_the_floor(monkeypatch):
    """The exact merge's candidates: through BoundedExact over the candidates (forced on this small
    catalogue), every query's list is topk_among's, cut at its floor."""
    from wavehouse.models_py import neighbours

    E, songs = catalogue(n=600)
    candidates = np.arange(0, len(E), 3)
    queries = np.arange(len(E))
    exact_idx, exact_sim = topk_among(E, 5, songs, candidates, queries)
    rng = np.random.default_rng(2)
    # floors: none, between a list's 3rd and 4th (where they differ by more than float noise), or
    # above all of it
    gap = exact_sim[:, 2] - exact_sim[:, 3] > 1e-3
    floor = np.where((rng.random(len(E)) < 0.5) & gap, (exact_sim[:, 2] + exact_sim[:, 3]) / 2, -np.inf)
    floor[::11] = 2.0
    monkeypatch.setattr(neighbours.bounded, "BOUNDED_MIN_CANDIDATES", 10)
    idx, sim = neighbours.topk_above(E, 5, songs, candidates, queries, floor)
    above = exact_sim >= floor[:, None]
    assert above[:, 3].sum() < above[:, 2].sum() < len(E)
    assert np.array_equal(np.where(above, exact_idx, -1), idx) and np.allclose(np.where(above, exact_sim, -np.inf), sim)
    assert (idx[::11] == -1).all() and (idx[floor == -np.inf] >= 0).all()
    # a query's own song never comes back, even when the query is not a candidate itself
    assert not (songs[np.maximum(idx, 0)] == songs[queries][:, None])[idx >= 0].any()


def test_merge_keeps_the_best_copy_of_each_group():
    groups = np.array([0, 1, 1, 2, 3])
    idx, sim = merge_lists(
        np.array([[1, 3]]),
        np.array([[0.9, 0.5]], np.float32),
        np.array([[2, 4]]),
        np.array([[0.95, 0.1]], np.float32),
        groups,
        3,
    )
    assert idx.tolist() == [[2, 3, 4]] and np.allclose(sim, [[0.95, 0.5, 0.1]])


@pytest.mark.parametrize("k", [3, 8])
def test_updated_lists_equal_lists_from_scratch(k):
    """90% of a catalogue, then the whole one with some rows changed and some deleted: the updated
    lists are the exact lists of the final catalogue."""
    E, songs = catalogue(n=500)
    rng = np.random.default_rng(5)
    old_rows = np.sort(rng.choice(len(E), 450, replace=False))
    E_old = E[old_rows].copy()
    old_idx, old_sim = exact_topk_distinct(E_old, k, songs[old_rows])
    # this build: the 50 new rows, 10 old rows changed, 10 old rows deleted
    changed = old_rows[rng.choice(len(old_rows), 10, replace=False)]
    E_new = E.copy()
    E_new[changed] = rng.normal(size=(10, E.shape[1]))
    deleted = np.setdiff1d(old_rows[rng.choice(len(old_rows), 10, replace=False)], changed)
    final = np.setdiff1d(np.arange(len(E)), deleted)
    E_final, songs_final = E_new[final], songs[final]
    position = {row: i for i, row in enumerate(final)}
    fresh = np.array([row not in set(old_rows) or row in set(changed) for row in final])
    # the previous lists as rows of the final catalogue; a deleted or changed neighbour is gone (-1)
    mapped_idx = np.full((len(final), k), -1)
    mapped_sim = np.full((len(final), k), -np.inf, np.float32)
    for i, row in enumerate(old_rows):
        if row in position:
            neighbours = [old_rows[j] for j in old_idx[i]]
            mapped_idx[position[row]] = [
                position[r] if r in position and r not in set(changed) else -1 for r in neighbours
            ]
            mapped_sim[position[row]] = old_sim[i]
    idx, sim, counts = update_lists(E_final, k, songs_final, mapped_idx, mapped_sim, fresh)
    expected_idx, expected_sim = exact_topk_distinct(E_final, k, songs_final)
    assert counts["lists_merged"] > 0 and counts["lists_searched"] >= fresh.sum()
    assert np.array_equal(idx, expected_idx)
    assert np.allclose(sim, expected_sim, atol=1e-5)
    # only some rows' lists (the evaluation's held-out queries), in any order
    queries = rng.choice(len(final), 120, replace=False)
    q_idx, q_sim, q_counts = update_lists(E_final, k, songs_final, mapped_idx, mapped_sim, fresh, queries=queries)
    assert np.array_equal(q_idx, expected_idx[queries]) and np.allclose(q_sim, expected_sim[queries], atol=1e-5)
    assert q_counts["lists_merged"] + q_counts["lists_searched"] == len(queries) and q_counts["lists_merged"] > 0
    # the lists searched again go through the given search (the IVF of an IVF build): with every
    # list probed, the IVF's lists are the exact ones; with one probe, only those rows differ
    from wavehouse.models_py.neighbours import ivf_searcher

    every = ivf_searcher(E_final, 8, 0, 8)
    i_idx, i_sim, _ = update_lists(E_final, k, songs_final, mapped_idx, mapped_sim, fresh, search=every)
    assert np.allclose(i_sim, expected_sim, atol=1e-5)
    calls = []

    def one_probe(k_, groups, rows):
        calls.append(rows)
        return ivf_searcher(E_final, 8, 0, 1)(k_, groups, rows)

    o_idx, _, o_counts = update_lists(E_final, k, songs_final, mapped_idx, mapped_sim, fresh, search=one_probe)
    assert len(calls) == 1 and len(calls[0]) == o_counts["lists_searched"]
    merged = np.setdiff1d(np.arange(len(final)), calls[0])
    assert np.array_equal(o_idx[merged], expected_idx[merged])  # a plain search: merged exactly
    # through the IVF searcher too, the merged lists are merged exactly: their old list and every
    # fresh row that reaches it
    v_idx, v_sim, _ = update_lists(
        E_final, k, songs_final, mapped_idx, mapped_sim, fresh, search=ivf_searcher(E_final, 8, 0, 1)
    )
    assert np.array_equal(v_idx[merged], expected_idx[merged]) and np.allclose(
        v_sim[merged], expected_sim[merged], atol=1e-5
    )

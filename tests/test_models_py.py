"""Unit tests of the pure ML functions on tiny arrays."""

from __future__ import annotations

import numpy as np
import pytest

from wavehouse.models_py.balance import smote_balance
from wavehouse.models_py.cluster import (
    KScore,
    choose_k,
    dbscan_labels,
    eps_at_knee,
    kmeans_labels,
    knee_index,
    silhouette_precomputed,
    sub_clusters,
    sweep_k,
)
from wavehouse.models_py.embed import train_autoencoder
from wavehouse.models_py.genre_head import (
    OUTPUTS,
    HeadConfig,
    artist_evidence_matrix,
    embedding_of,
    hybrid_embedding,
    numpy_dropout,
    train_genre_head,
)
from wavehouse.models_py.neighbours import exact_topk, recall_at
from wavehouse.models_py.project import lda_2d, pca_for_variance, place_by_neighbours, tsne_2d
from wavehouse.models_py.sampling import stratified_sample
from wavehouse.models_py.tuning import (
    best_config,
    choose_hybrid_weight,
    search_genre_head,
    search_hybrid_weight,
    shares_an_artist,
)


def blobs(n_per=30, centres=((0, 0), (10, 0), (0, 10)), seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, 0.5, size=(n_per, 2)) for c in centres]).astype(np.float32)
    y = np.repeat(np.arange(len(centres)), n_per)
    return X, y


def test_stratified_sample_keeps_every_group_and_is_reproducible():
    groups = np.array(["a"] * 90 + ["b"] * 9 + ["c"] * 1)
    rows = stratified_sample(groups, 20, seed=1)
    assert set(groups[rows]) == {"a", "b", "c"}
    assert np.array_equal(rows, stratified_sample(groups, 20, seed=1))
    assert np.all(np.diff(rows) > 0)
    assert np.array_equal(stratified_sample(groups, 1000), np.arange(100))


def test_sample_rows_never_reads_held_out_labels():
    import pyarrow as pa

    from wavehouse.ml import sample_rows

    rng = np.random.default_rng(0)
    genres = rng.integers(0, 5, 400)
    holdout = rng.random(400) < 0.2
    shuffled = genres.copy()
    shuffled[holdout] = rng.permutation(genres[holdout])[::-1]
    assert (shuffled != genres).any()
    rows = [sample_rows(pa.table({"genre_id": g, "is_holdout": holdout}), 100, seed=3) for g in (genres, shuffled)]
    assert np.array_equal(rows[0], rows[1]) and len(rows[0]) >= 95
    # the training split's genres still stratify it
    assert set(genres[rows[0]][~holdout[rows[0]]]) == set(range(5))


def test_smote_keeps_originals_first_and_marks_synthetic_rows():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.array([0] * 14 + [1] * 6)
    X_res, y_res, synthetic = smote_balance(X, y, seed=0)
    assert np.array_equal(X_res[:20], X) and np.array_equal(y_res[:20], y)  # ids never shift
    assert not synthetic[:20].any() and synthetic[20:].all()
    assert np.bincount(y_res).tolist() == [14, 14]
    # synthetic rows lie between real rows of their class, never copies of another class's rows
    assert np.all((X_res[20:, 0] >= X[14:, 0].min()) & (X_res[20:, 0] <= X[14:, 0].max()))


def test_knee_of_a_sharp_elbow():
    assert knee_index(np.array([100, 40, 20, 15, 12, 10, 9, 8])) == 2
    assert knee_index(np.array([5.0, 4.0])) == 0


def test_choose_k_prefers_neighbour_better_on_both_indices():
    scores = [
        KScore(k, inertia, sil, dbi, 0, 0)
        for k, inertia, sil, dbi in [
            (2, 100, 0.3, 1.2),
            (3, 40, 0.2, 1.5),
            (4, 30, 0.35, 1.1),
            (5, 27, 0.1, 2.0),
            (6, 25, 0.1, 2.0),
        ]
    ]
    k, reason = choose_k(scores)
    assert k == 4 and "k=3" in reason
    scores[2] = KScore(4, 30, 0.1, 1.9, 0, 0)
    scores[0] = KScore(2, 100, 0.1, 1.9, 0, 0)
    assert choose_k(scores)[0] == 3


def test_kmeans_sweep_finds_three_blobs():
    X, _ = blobs()
    scores = sweep_k(X, [2, 3, 4, 5, 6], np.arange(len(X)))
    assert choose_k(scores)[0] == 3
    labels, centroids, _ = kmeans_labels(X, 3)
    assert len(set(labels)) == 3 and centroids.shape == (3, 2)


def test_dbscan_extends_sample_to_all_rows_and_marks_noise():
    X, y = blobs()
    X = np.concatenate([X, [[50, 50]]]).astype(np.float32)
    fit_rows = np.arange(0, len(X) - 1, 2)
    labels = dbscan_labels(X, eps=2.0, min_samples=3, fit_rows=fit_rows)
    assert labels[-1] == -1
    assert len(set(labels[:-1])) == 3
    for c in range(3):
        assert len(set(labels[:-1][y == c])) == 1


def test_eps_at_knee_is_on_the_curve():
    curve = np.array([9.0, 5.0, 2.0, 1.0, 0.9, 0.8, 0.7])
    assert eps_at_knee(curve) in curve


def test_sub_clusters_stay_inside_their_cluster():
    X, y = blobs(n_per=40)
    sub = sub_clusters(X, y, k_sub=2)
    assert set(sub) == {0, 1}


def test_pca_keeps_requested_variance():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * np.array([10, 5, 1, 0.1, 0.1])
    res = pca_for_variance(X, 0.8)
    assert res.n_components == 1 or res.variance_kept >= 0.8
    assert res.coords.shape == (200, res.n_components)
    assert res.variance_kept >= 0.8


def test_lda_and_tsne_give_two_dimensions():
    X, y = blobs()
    assert lda_2d(X, y, X).shape == (len(X), 2)
    seen = []
    xy = tsne_2d(X, max_iter=300, progress=lambda done, total, detail: seen.append((done, total)))
    assert xy.shape == (len(X), 2) and np.isfinite(xy).all()
    assert np.array_equal(xy, tsne_2d(X, max_iter=300))  # deterministic for a seed
    assert seen == [(125, 300), (250, 300), (300, 300)]
    # the three blobs stay apart: each point's nearest other point is of its own blob
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (y[d.argmin(axis=1)] == y).mean() > 0.95


def test_placed_points_land_among_their_nearest_reference_points():
    reference = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], dtype=np.float32)
    xy = np.array([[0, 0], [10, 0], [0, 10], [5, 5]], dtype=np.float32)
    # a copy of a reference row lands at (nearly) its place, whatever its length
    placed = place_by_neighbours(reference, xy, 3 * reference[:3], k=1)
    assert np.allclose(placed, xy[:3])
    # between two: the similarity-weighted mean of their places; with no positive similarity to
    # either (cosines -1 and 0, floored at 0), their plain mean
    mixed = place_by_neighbours(reference[:2], xy[:2], np.array([[2, 1, 0], [-1, 0, 0]], dtype=np.float32), k=2)
    w = np.array([2, 1]) / np.sqrt(5)
    assert np.allclose(mixed[0], (w[0] * xy[0] + w[1] * xy[1]) / w.sum(), atol=1e-4)
    assert np.allclose(mixed[1], (xy[0] + xy[1]) / 2, atol=1e-3)
    assert placed.dtype == np.float32 and mixed.shape == (2, 2)


def test_silhouette_from_distances_equals_scikit_learn():
    from sklearn.metrics import pairwise_distances, silhouette_score

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    D = pairwise_distances(X)
    for k in (2, 5):
        labels = rng.integers(0, k, len(X))
        labels[7] = k + 1  # a cluster of one scores 0
        assert silhouette_precomputed(D, labels) == pytest.approx(silhouette_score(X, labels), abs=1e-12)
    with pytest.raises(ValueError):
        silhouette_precomputed(D, np.zeros(len(X), int))


def test_numpy_dropout_is_inverted_dropout():
    import torch

    layer = numpy_dropout(0.25, np.random.default_rng(0))
    h = torch.ones(400, 500)
    layer.eval()
    assert torch.equal(layer(h), h)  # off at inference
    layer.train()
    out = layer(h).numpy()
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert (out == 0).mean() == pytest.approx(0.25, abs=0.01)
    again = numpy_dropout(0.25, np.random.default_rng(0)).train()(h).numpy()
    assert np.array_equal(out, again)  # seeded
    assert list(layer.state_dict()) == []  # a network's weights are the same as with nn.Dropout


def test_exact_topk_matches_brute_force_and_excludes_same_song():
    rng = np.random.default_rng(0)
    E = rng.normal(size=(50, 4)).astype(np.float32)
    songs = np.arange(50)
    songs[1] = 0  # rows 0 and 1 are the same song
    idx, sim = exact_topk(E, 5, exclude_groups=songs, memory_mb=0.001)
    En = E / np.linalg.norm(E, axis=1, keepdims=True)
    S = En @ En.T
    np.fill_diagonal(S, -np.inf)
    S[0, 1] = S[1, 0] = -np.inf
    expected = np.argsort(-S, axis=1, kind="stable")[:, :5]
    assert np.array_equal(idx, expected)
    assert np.allclose(sim, np.take_along_axis(S, expected, axis=1), atol=1e-5)
    assert 1 not in idx[0] and 0 not in idx[1]


def test_autoencoder_is_deterministic_and_learns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    a = train_autoencoder(X, latent_dim=3, max_epochs=5, batch_size=64, seed=1, threads=1)
    b = train_autoencoder(X, latent_dim=3, max_epochs=5, batch_size=64, seed=1, threads=1)
    assert a.embeddings.shape == (300, 3)
    assert np.array_equal(a.embeddings, b.embeddings)
    assert a.history[-1] < a.history[0]


def test_genre_head_trains_on_training_rows_and_reports_holdout_accuracy():
    X, y = blobs(n_per=60)
    X = np.hstack([X, np.zeros((len(X), 2), np.float32)])
    train = np.arange(len(X)) % 5 != 0
    res = train_autoencoder(
        X, latent_dim=4, labels=y, train_mask=train, max_epochs=60, batch_size=32, seed=0, threads=1
    )
    assert res.aux_accuracy_holdout is not None and res.aux_accuracy_holdout > 0.9
    # SMOTE raised the three classes of the fitting rows to one size
    assert res.n_synthetic_rows > 0 and (res.n_train_rows + res.n_synthetic_rows) % 3 == 0


def test_exact_topk_for_some_queries_equals_the_full_run():
    rng = np.random.default_rng(2)
    E = rng.normal(size=(80, 3)).astype(np.float32)
    full_idx, full_sim = exact_topk(E, 4)
    some = np.array([3, 40, 79])
    idx, sim = exact_topk(E, 4, queries=some)
    assert np.array_equal(idx, full_idx[some]) and np.allclose(sim, full_sim[some])


def test_first_of_each_group_keeps_the_best_copy_and_refills():
    from wavehouse.models_py.neighbours import first_of_each_group

    groups = np.array([0, 1, 1, 2, 3, 3, 4])
    idx = np.array([[1, 2, 3, 4, 5, 6], [5, 4, 6, -1, -1, -1]])
    sim = np.array([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4], [0.9, 0.8, 0.7, -np.inf, -np.inf, -np.inf]], np.float32)
    out_idx, out_sim, kept = first_of_each_group(idx, sim, groups, 3)
    assert out_idx.tolist() == [[1, 3, 4], [5, 6, -1]]
    assert np.allclose(out_sim[0], [0.9, 0.7, 0.6]) and out_sim[1, 2] == -np.inf
    assert kept.tolist() == [3, 2]


def test_exact_topk_distinct_never_repeats_a_song_and_stays_full():
    from wavehouse.models_py.neighbours import exact_topk_distinct

    rng = np.random.default_rng(4)
    base = rng.normal(size=(30, 4)).astype(np.float32)
    # every song released 4 times (near-identical vectors): the plain top-8 is full of copies
    E = np.repeat(base, 4, axis=0) + rng.normal(scale=1e-3, size=(120, 4)).astype(np.float32)
    songs = np.repeat(np.arange(30), 4)
    plain, _ = exact_topk(E, 8, songs)
    assert any(len(set(songs[row])) < 8 for row in plain)
    idx, sim = exact_topk_distinct(E, 8, songs, memory_mb=0.001)
    assert idx.shape == (120, 8) and (idx >= 0).all()
    for q, row in enumerate(idx):
        assert len(set(songs[row])) == 8 and songs[q] not in songs[row]
    # the lists are the brute-force best copy of each of the 8 nearest songs
    En = E / np.linalg.norm(E, axis=1, keepdims=True)
    S = En @ En.T
    for q in (0, 57, 119):
        best = {}
        for j in np.argsort(-S[q], kind="stable"):
            if songs[j] != songs[q] and songs[j] not in best:
                best[songs[j]] = j
        assert idx[q].tolist() == list(best.values())[:8]
        assert np.all(np.diff(sim[q]) <= 1e-6)


def same_lists(idx, sim, exact_idx, exact_sim):
    """Equal to the exact lists: same similarities, same ids except among ties."""
    with np.errstate(invalid="ignore"):  # -inf - -inf: padding, where the ids (-1) agree
        return np.allclose(sim, exact_sim, atol=1e-6) and ((idx == exact_idx) | (np.abs(sim - exact_sim) <= 1e-6)).all()


def test_kept_best_first_empties_dropped_places_and_breaks_ties_by_lower_index():
    from wavehouse.models_py.neighbours.core import first_of_each_group, kept_best_first, ordered

    # best-first search results as faiss gives them: row 0 without ties, row 1 with a tie in the
    # wrong order (index 7 before 4), row 2 short (a -1 place)
    sim = np.array([[0.9, 0.8, 0.7, 0.6], [0.9, 0.5, 0.5, 0.1], [0.8, 0.3, -3e38, -3e38]], np.float32)
    idx = np.array([[5, 2, 9, 1], [3, 7, 4, 8], [6, 0, -1, -1]])
    dropped = np.array([[False, True, False, False], [True, False, False, False], [False, False, True, True]])
    s, i = kept_best_first(sim, idx, dropped)
    assert i.tolist() == [[5, -1, 9, 1], [4, 7, 8, -1], [6, 0, -1, -1]]  # untied rows keep their places
    assert s[0, 1] == -np.inf and s[1].tolist() == pytest.approx([0.5, 0.5, 0.1, -np.inf])
    # what downstream reads is what a full sort of every row gives
    full_s, full_i = ordered(np.where(dropped, -np.inf, sim), np.where(dropped, 99, idx))
    groups = np.arange(100)
    a = first_of_each_group(i, s, groups, 3)
    b = first_of_each_group(np.where(full_i == 99, -1, full_i), full_s, groups, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_list_scan_is_the_distinct_top_k_of_the_probed_lists():
    from wavehouse.models_py.neighbours import ListScan, ivf_centroids, normalise_rows

    rng = np.random.default_rng(11)
    copies = rng.integers(1, 9, 150)  # songs with 1 to 8 ids, often several in one list
    songs = np.repeat(np.arange(150), copies)
    E = np.repeat(rng.normal(size=(150, 6)), copies, axis=0) + rng.normal(scale=0.2, size=(len(songs), 6))
    En = normalise_rows(E.astype(np.float32))
    C = ivf_centroids(En, 12, 0)
    scan = ListScan(En, C, songs)
    own_list = np.argmax(En @ C.T, axis=1)
    for probe in (1, 3, 12):
        idx, sim = scan.search(np.arange(len(E)), 7, probe)
        for q in range(0, len(E), 5):
            probed = np.argsort(-(En[q] @ C.T), kind="stable")[:probe]
            rows = np.flatnonzero(np.isin(own_list, probed) & (songs != songs[q]))
            scores = En[rows] @ En[q]
            order = np.lexsort((rows, -scores))
            best = [r for i, r in enumerate(rows[order]) if songs[r] not in songs[rows[order][:i]]][:7]
            assert list(idx[q][idx[q] >= 0]) == best
            assert np.allclose(sim[q][: len(best)], En[best] @ En[q], atol=1e-6)
            assert np.all(np.isneginf(sim[q][len(best) :]))


def test_ivf_probes_as_many_lists_as_the_recall_target_needs():
    from wavehouse.models_py.neighbours import exact_topk_distinct, ivf_index, ivf_topk_tuned

    rng = np.random.default_rng(5)
    base = rng.normal(size=(200, 8)).astype(np.float32)
    E = np.repeat(base, 3, axis=0) + rng.normal(scale=0.3, size=(600, 8)).astype(np.float32)
    songs = np.repeat(np.arange(200), 3)
    sample = np.arange(0, 600, 7)
    exact_idx, exact_sim = exact_topk_distinct(E, 8, songs)
    # every list probed: the exact lists, one id per song, never the query's own song
    idx, sim, facts = ivf_topk_tuned(E, 8, songs, sample, n_lists=16, n_probe=16)
    assert facts["ivf_probe_used"] == 16 and facts["ivf_recall_at_10"] == 1.0
    assert same_lists(idx, sim, exact_idx, exact_sim)
    assert all(len(set(songs[row])) == 8 and songs[q] not in songs[row] for q, row in enumerate(idx))
    # from one probe with a target of 1.0: the probes double until the sample's lists are exact
    idx, sim, facts = ivf_topk_tuned(E, 8, songs, sample, n_lists=16, n_probe=1, min_recall=1.0)
    tried = {int(p): r for p, r in facts["ivf_recall_by_probe"].items()}
    assert list(tried) == [1, 2, 3, 5, 8, 12, 16][: len(tried)] and len(tried) > 1
    assert all(r < 1.0 for r in list(tried.values())[:-1]) and list(tried.values())[-1] == 1.0
    assert facts["ivf_recall_at_10"] == 1.0 and same_lists(
        idx[sample], sim[sample], exact_idx[sample], exact_sim[sample]
    )
    # a query's list does not depend on which other rows are searched with it
    index = ivf_index(E, songs, 16)
    some = np.array([500, 3, 57])
    alone, everyone = index.search(some, 8, 2), index.search(np.arange(600), 8, 2)
    assert np.array_equal(alone[0], everyone[0][some]) and np.allclose(alone[1], everyone[1][some], atol=1e-6)


def test_mlp_genre_head_learns_separable_genres_and_is_deterministic():
    X, y = blobs(n_per=60)
    train = np.arange(len(X)) % 5 != 0
    config = HeadConfig(width=16, depth=2, epochs=30, lr=0.01, batch_size=32)
    a = train_genre_head(X, y, train, config, seed=0, threads=1)
    b = train_genre_head(X, y, train, config, seed=0, threads=1)
    assert a.accuracy is not None and a.accuracy > 0.9
    assert np.array_equal(a.embeddings, b.embeddings)
    assert a.embeddings.shape == (len(X), 3)
    assert np.allclose(a.probabilities.sum(axis=1), 1, atol=1e-5)
    assert a.n_train_rows == int(train.sum()) and a.n_synthetic_rows == 0


def test_genre_head_outputs():
    logits = np.array([[2.0, 0.0], [0.0, 0.0]], np.float32)
    hidden = np.ones((2, 3), np.float32)
    p = embedding_of(logits, hidden, "probabilities")
    assert np.allclose(p[1], [0.5, 0.5]) and p[0, 0] > p[0, 1]
    assert np.allclose(embedding_of(logits, hidden, "sqrt_probabilities") ** 2, p)
    assert embedding_of(logits, hidden, "hidden").shape == (2, 3)
    with pytest.raises(ValueError, match="output must be one of"):
        embedding_of(logits, hidden, "softmax")


def test_genre_head_search_never_reads_rows_outside_training():
    X, y = blobs(n_per=40)
    songs = np.arange(len(X))
    train = np.arange(len(X)) % 4 != 0
    validation = train & (np.arange(len(X)) % 4 == 1)
    configs = [HeadConfig(width=8, epochs=5, batch_size=32), HeadConfig(width=16, epochs=5, batch_size=32)]
    results, probabilities = search_genre_head(X, y, songs, train, validation, configs, seed=0)
    assert len(results) == len(configs) * len(OUTPUTS)
    assert {r["output"] for r in results} == set(OUTPUTS)
    assert {r["validation_rows"] for r in results} == {int(validation.sum())}
    assert {r["fit_rows"] for r in results} == {int((train & ~validation).sum())}
    assert probabilities.shape == (int(train.sum()), 3)
    # the rows outside training are garbage (NaN features, impossible labels): same results
    X2, y2 = X.copy(), y.copy()
    X2[~train] = np.nan
    y2[~train] = 99
    again, _ = search_genre_head(X2, y2, songs, train, validation, configs, seed=0)
    assert [r["validation_hit_at_10"] for r in again] == [r["validation_hit_at_10"] for r in results]
    assert best_config([{"validation_hit_at_10": v} for v in (0.1, 0.3, 0.3)]) == 1


def test_artist_evidence_and_hybrid_mix():
    E = artist_evidence_matrix(3, 4, np.array([0, 2]), [[1, 3], [0]], [[3, 1], [5]])
    assert np.allclose(E, [[0, 0.75, 0, 0.25], [0, 0, 0, 0], [1, 0, 0, 0]])
    P = np.full((3, 4), 0.25, np.float32)
    H = hybrid_embedding(P, E, 0.5)
    assert np.allclose(H[0], 0.5 * P[0] + 0.5 * E[0])
    assert np.allclose(H[1], 0.5 * P[1])  # no evidence: the audio probabilities (scaled)
    with pytest.raises(ValueError):
        hybrid_embedding(P, E, 0.0)


def test_hybrid_mix_search_measures_hits_and_own_artist_share():
    # rows 0-11 by artist 1 (genre 0), rows 12-23 by artist 2 (genre 1); audio is noise
    labels = np.repeat([0, 1], 12)
    artists = artist_evidence_matrix(24, 2, np.arange(24), [[0]] * 12 + [[1]] * 12, [[5]] * 24)
    P = np.random.default_rng(0).dirichlet([1, 1], size=24).astype(np.float32)
    artist_ids = [[1]] * 12 + [[2]] * 12
    assert shares_an_artist(artist_ids, np.array([[0, 0]]), np.array([[1, 13]])).tolist() == [[True, False]]
    rows = search_hybrid_weight(P, artists, labels, np.arange(24), artist_ids, np.array([0, 12]), [0.2, 1.0])
    assert [r["audio_weight"] for r in rows] == [0.2, 1.0]
    # mostly artist evidence: all 10 of the seed's genre, and (here) of its artist
    assert rows[0]["validation_hit_at_10"] == rows[0]["validation_own_artist_share"] == 1.0
    assert rows[1]["validation_hit_at_10"] < 1.0


def test_choose_hybrid_weight_respects_the_own_artist_cap():
    rows = [
        {"validation_hit_at_10": 0.9, "validation_own_artist_share": 0.3},
        {"validation_hit_at_10": 0.8, "validation_own_artist_share": 0.14},
        {"validation_hit_at_10": 0.7, "validation_own_artist_share": 0.1},
    ]
    assert choose_hybrid_weight(rows, 0.15) == 1
    assert choose_hybrid_weight(rows, 0.05) == 2  # none allowed: the lowest share
    assert choose_hybrid_weight(rows, 1.0) == 0


def test_recall_counts_ties_with_the_kth_exact_neighbour():
    exact, exact_sim = np.array([[1, 2]]), np.array([[0.9, 0.8]], dtype=np.float32)
    tied, tied_sim = np.array([[1, 3]]), np.array([[0.9, 0.8]], dtype=np.float32)
    worse, worse_sim = np.array([[1, 4]]), np.array([[0.9, 0.7]], dtype=np.float32)
    assert recall_at(tied, exact, 2) == 0.5
    assert recall_at(tied, exact, 2, tied_sim, exact_sim) == 1.0
    assert recall_at(worse, exact, 2, worse_sim, exact_sim) == 0.5
    assert recall_at(np.array([[1, -1]]), exact, 2, np.array([[0.9, -np.inf]]), exact_sim) == 0.5


def test_nearest_lists_are_the_nearest_centroids_own_list_first():
    from wavehouse.models_py.neighbours import ivf_centroids, nearest_lists, normalise_rows

    rng = np.random.default_rng(4)
    En = normalise_rows(rng.normal(size=(300, 4)).astype(np.float32))
    C = ivf_centroids(En, 6, seed=0, sample=100)
    assert C.shape == (6, 4) and np.allclose(np.linalg.norm(C, axis=1), 1, atol=1e-5)
    near = nearest_lists(En, C, 3)
    scores = En @ C.T
    assert near.shape == (300, 3)
    assert np.array_equal(near[:, 0], scores.argmax(1))
    # nearest first, and no list outside the three nearest
    chosen = np.take_along_axis(scores, near, 1)
    assert (np.diff(chosen, axis=1) <= 0).all()
    assert (chosen[:, -1:] >= np.sort(scores, 1)[:, -3:-2] - 1e-6).all()
    assert nearest_lists(En, C, 10).shape == (300, 6)


def test_one_list_search_of_its_probed_lists_equals_the_exact_search_when_all_are_probed():
    from wavehouse.models_py.neighbours import exact_topk_distinct, one_list_topk

    rng = np.random.default_rng(6)
    E = np.repeat(rng.normal(size=(30, 5)).astype(np.float32), 2, axis=0) + rng.normal(scale=1e-3, size=(60, 5)).astype(
        np.float32
    )
    songs = np.repeat(np.arange(30), 2)
    lists = np.arange(60) % 3
    exact_idx, exact_sim = exact_topk_distinct(E, 5, songs)
    shuffled = rng.permutation(60)  # the rows of a Spark group come in any order
    rows, idx, sim = one_list_topk(E[shuffled], shuffled, songs[shuffled], lists[shuffled], 1, 5)
    assert np.array_equal(rows, np.flatnonzero(lists == 1))
    assert np.array_equal(idx, exact_idx[rows]) and np.allclose(sim, exact_sim[rows])
    # with its own list alone, a list finds its neighbours among its members only
    own = np.flatnonzero(lists == 2)
    rows, idx, sim = one_list_topk(E[own], own, songs[own], lists[own], 2, 5)
    assert set(idx.ravel()) <= set(own) and not (songs[idx] == songs[rows][:, None]).any()


def test_keyed_sample_keeps_its_members_when_the_catalogue_grows():
    from wavehouse.models_py.sampling import keyed_sample

    keys = [f"track{i:04d}" for i in range(1000)]
    before = keyed_sample(keys, np.arange(900), 100, seed=3)
    after = keyed_sample(keys, np.arange(1000), 100, seed=3)
    assert len(before) == len(after) == 100 and np.all(np.diff(after) > 0)
    kept = set(keys[r] for r in before) & set(keys[r] for r in after)
    assert len(kept) >= 80  # only the newcomers that hash lower displace old members
    assert all(r >= 900 for r in after if keys[r] not in kept)
    assert not np.array_equal(keyed_sample(keys, np.arange(1000), 100, seed=4), after)
    assert np.array_equal(keyed_sample(keys, np.array([5, 2, 9]), 10), [5, 2, 9])


def test_first_of_each_name():
    from wavehouse.models_py.sampling import first_of_each_name

    assert first_of_each_name(np.array(["b", "a", "b", "c", "a"], dtype=object)).tolist() == [0, 1, 3]


def brute_topk(E, width, groups, queries):
    """Every query's best `width` rows not of its group, by a float64 product of all pairs: (ids,
    similarities), best first, ties by lower id, padded with -1 / -inf."""
    En = E / np.where(np.linalg.norm(E, axis=1, keepdims=True) == 0, 1, np.linalg.norm(E, axis=1, keepdims=True))
    S = En[queries].astype(np.float64) @ En.T.astype(np.float64)
    S[groups[queries][:, None] == groups[None, :]] = -np.inf
    order = np.lexsort((np.broadcast_to(np.arange(len(E)), S.shape), -S), axis=1)[:, :width]
    sim = np.take_along_axis(S, order, 1)
    return np.where(np.isinf(sim), -1, order), sim.astype(np.float32)


@pytest.mark.parametrize("width", [1, 10, 40, 250])
def test_bounded_exact_search_equals_a_search_of_every_pair(width):
    from wavehouse.models_py.neighbours import BoundedExact

    rng = np.random.default_rng(width)
    # clustered rows (the cones rule lists out), songs of one to three releases, exact copies (ties),
    # a zero row, and two opposite rows (a list whose mean can be zero)
    centres = rng.normal(size=(12, 6))
    E = (centres[rng.integers(0, 12, 900)] + rng.normal(scale=0.3, size=(900, 6))).astype(np.float32)
    E[100:110] = E[90]
    E[200] = 0
    E[301], E[302] = E[300], -E[300]
    songs = np.repeat(np.arange(450), 2)
    songs[::7] = np.arange(1000, 1000 + len(songs[::7]))
    search = BoundedExact(E, songs, n_lists=40)
    queries = np.r_[np.arange(0, 900, 3), 90, 105, 200, 302]
    idx, sim = search.search(queries, width)
    exact_idx, exact_sim = brute_topk(E, width, songs, queries)
    assert idx.shape == (len(queries), width) and same_lists(idx, sim, exact_idx, exact_sim)
    assert not (songs[np.maximum(idx, 0)] == songs[queries][:, None])[idx >= 0].any()
    # without groups, a row is only never its own neighbour
    idx, sim = BoundedExact(E, n_lists=40).search(queries, width)
    assert same_lists(idx, sim, *brute_topk(E, width, np.arange(900), queries))


def test_bounded_exact_pads_short_lists_and_skips_most_pairs():
    from wavehouse.models_py.neighbours import BoundedExact

    rng = np.random.default_rng(1)
    E = rng.normal(size=(5, 3)).astype(np.float32)
    idx, sim = BoundedExact(E, np.array([0, 0, 1, 1, 2]), n_lists=2).search(np.arange(5), 4)
    exact_idx, exact_sim = brute_topk(E, 4, np.array([0, 0, 1, 1, 2]), np.arange(5))
    # rows 0-3 have three rows outside their song, row 4 four
    assert (idx[:4, 3] == -1).all() and np.isinf(sim[:4, 3]).all() and (idx[4] >= 0).all()
    assert same_lists(idx, sim, exact_idx, exact_sim)
    # well-separated clusters: a query is compared with its own cluster's lists only
    centres = rng.normal(size=(20, 16)) * 10
    E = (np.repeat(centres, 100, axis=0) + rng.normal(size=(2000, 16))).astype(np.float32)
    search = BoundedExact(E, n_lists=40)
    queries = np.arange(2000)
    P = search.pos[queries]
    import torch

    needed = search._needed(search.X[torch.from_numpy(P)], search._thresholds(P, 10))
    share = float((needed.numpy() * np.diff(search.offsets)[:, None]).sum()) / 2000**2
    assert share < 0.15
    assert same_lists(*search.search(queries, 10), *brute_topk(E, 10, np.arange(2000), queries))


def test_exact_topk_takes_bounded_lists_on_a_large_catalogue(monkeypatch):
    from wavehouse.models_py import neighbours

    rng = np.random.default_rng(3)
    E = rng.normal(size=(3000, 8)).astype(np.float32)
    songs = np.arange(3000) // 2
    flat = neighbours.exact_topk_distinct(E, 12, songs)
    monkeypatch.setattr(neighbours.bounded, "BOUNDED_MIN_ROWS", 1000)
    assert neighbours.use_bounded(3000, 3000, 24) and not neighbours.use_bounded(3000, 100, 24)
    bounded = neighbours.exact_topk_distinct(E, 12, songs)
    assert same_lists(*bounded, *flat)
    assert same_lists(*neighbours.exact_topk(E, 5), *neighbours.flat_topk(E, 5))

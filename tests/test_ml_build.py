"""The ML layer in a real build of the fixture: tables present, sane, and reproducible."""

from __future__ import annotations

import duckdb

from wavehouse.build import build
from wavehouse.paths import published_db


def rows(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def rows_differing(con, table, key):
    """Rows of `table` (columns `key`) in one warehouse and not the other (attached as `first`)."""
    return con.execute(f"""select count(*) from (
        (select {key} from {table} except all select {key} from first.{table})
        union all
        (select {key} from first.{table} except all select {key} from {table}))""").fetchone()[0]


def test_ml_tables_are_complete(built_home):
    db = published_db(built_home)
    n = rows(db, "select count(*) from dim_tracks")[0][0]
    # the genre head's classes: the training split's genres (a genre only held-out tracks have is not one)
    n_genres = rows(db, "select count(distinct genre_id) from int_ml_inputs where not is_holdout")[0][0]
    assert rows(
        db,
        """select embedding_kind, count(*), min(len(embedding)), max(len(embedding)),
                              bool_and(is_default), bool_and(is_cluster_space)
                       from ml_track_embeddings group by 1 order by 1""",
    ) == [
        ("audio", n, n_genres, n_genres, False, False),
        ("autoencoder", n, 32, 32, False, False),
        ("genre_aware", n, 32, 32, False, True),
        ("hybrid", n, n_genres, n_genres, True, False),
    ]
    assert rows(db, "select typeof(embedding) from ml_track_embeddings limit 1")[0][0] == "FLOAT[]"
    # every embedding users can choose has a full list for every track
    assert rows(
        db,
        """select embedding_kind, count(distinct track_id) from ml_track_neighbours
                       where embedding_kind in ('hybrid', 'audio', 'autoencoder') group by 1 order by 1""",
    ) == [("audio", n), ("autoencoder", n), ("hybrid", n)]
    # the config the audio and hybrid embeddings were trained with: one chosen row per search
    # (tests/test_tuning.py: where it comes from)
    assert rows(
        db, "select search, count(*) filter (where is_chosen) from ml_genre_head_tuning group by 1 order by 1"
    ) == [("genre_head", 1), ("hybrid_mix", 1)]
    methods = rows(db, "select method, count(*) from ml_track_clusters group by 1 order by 1")
    assert methods == [(m, n) for m in ("dbscan_pca", "kmeans_embedding", "kmeans_features", "kmeans_pca")]
    sweep = rows(
        db, "select space, count(*), count(*) filter (where is_chosen) from ml_k_selection group by 1 order by 1"
    )
    assert sweep == [("embedding", 19, 1), ("features", 19, 1), ("pca", 19, 1)]
    assert rows(db, "select count(*) from dim_tracks where cluster_id is null")[0][0] == 0
    maps = dict(rows(db, "select map, count(*) from ml_track_maps group by 1"))
    assert maps["pca"] == n and maps["lda"] == n and maps["tsne"] == n
    assert rows(db, "select count(*) from ml_cluster_feature_importance where scope = 'global'")[0][0] == 15


def test_ml_runs_has_one_row_with_metrics(built_home):
    db = published_db(built_home)
    ((mse, acc, pca_n, variance, eps),) = rows(
        db,
        """
        select autoencoder_recon_mse_mean, genre_head_accuracy_holdout, pca_components, pca_variance_kept, dbscan_eps
        from ml_runs""",
    )
    assert 0 < mse < 0.5 and 0 < acc <= 1 and pca_n >= 1 and variance >= 0.8 and eps > 0
    stages = rows(db, "select json_keys(stage_seconds) from ml_runs")[0][0]
    for stage in (
        "autoencoder",
        "genre_aware",
        "model_config",
        "genre_head",
        "k_selection",
        "kmeans_embedding",
        "dbscan_pca",
        "shap",
        "map_tsne",
    ):
        assert stage in stages
    assert rows(db, "select hybrid_audio_weight from ml_runs") == rows(
        db, "select audio_weight from ml_genre_head_tuning where search = 'hybrid_mix' and is_chosen"
    )
    comparison = rows(db, "select method from rpt_clustering_comparison order by 1")
    assert [m for (m,) in comparison] == ["dbscan_pca", "kmeans_embedding", "kmeans_features", "kmeans_pca"]


def test_holdout_split_is_by_song(built_home):
    db = published_db(built_home)
    mixed = rows(
        db, "select count(*) from (select song_key from dim_tracks group by 1 having count(distinct is_holdout) > 1)"
    )
    assert mixed[0][0] == 0
    share = rows(db, "select avg(is_holdout::int) from dim_tracks")[0][0]
    assert 0.1 < share < 0.3


def test_no_held_out_label_reaches_a_model_and_builds_are_deterministic(built_home, fixture_csv, tmp_path):
    """Rebuild with the genres of the held-out songs shuffled among them: every table the models
    learn from or write (and the artist evidence) must come out identical, while the evaluation,
    which reads held-out labels, changes. So no held-out label reaches a model or a feature, and
    the same model inputs give identical embeddings, clusters, k sweep and maps (determinism: a
    rebuild of the same file is a case of this one, so it is not built again)."""
    import csv
    import io

    db = published_db(built_home)
    held_out = {tid for (tid,) in rows(db, "select track_id from dim_tracks where is_holdout")}
    lines = fixture_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    id_col, genre_col = header.index("track_id"), header.index("track_genre")
    parsed = [next(csv.reader([line])) if line.strip() else None for line in lines]
    targets = [i for i, r in enumerate(parsed) if i and r and len(r) == len(header) and r[id_col] in held_out]
    genres = [parsed[i][genre_col] for i in targets]
    rotated = genres[7:] + genres[:7]  # the same genres, on other held-out rows
    for i, genre in zip(targets, rotated):
        parsed[i][genre_col] = genre
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(parsed[i])
        lines[i] = out.getvalue() + ("\r\n" if lines[i].endswith("\r\n") else "\n")
    shuffled = tmp_path / "held_out_genres_shuffled.csv"
    shuffled.write_text("".join(lines), encoding="utf-8")
    home = tmp_path / "shuffled"
    build(data=shuffled, base=home)

    con = duckdb.connect(str(published_db(home)), read_only=True)
    con.execute("attach ? as first (read_only)", [str(db)])
    genre_ids = "select primary_genre, genre_id from int_ml_inputs where not is_holdout group by all order by 1"
    assert (
        con.execute(genre_ids).fetchall()
        == con.execute(genre_ids.replace("int_ml_inputs", "first.int_ml_inputs")).fetchall()
    )
    changed = con.execute("""select count(*) from int_ml_inputs as a join first.int_ml_inputs as b using (track_id)
                             where a.genre_id is distinct from b.genre_id""").fetchone()[0]
    assert changed > 50, "the shuffle changed too few held-out labels to show anything"
    assert (
        con.execute("""select count(*) from int_ml_inputs as a join first.int_ml_inputs as b using (track_id)
                          where a.genre_id is distinct from b.genre_id and not a.is_holdout""").fetchone()[0]
        == 0
    )
    for table, key in [
        (
            "ml_genre_head_tuning",
            "search, candidate_id, config, output, audio_weight, validation_hit_at_10, "
            "validation_accuracy, validation_own_artist_share",
        ),
        ("ml_track_embeddings", "track_id, embedding_kind, embedding"),
        ("int_artist_genre_evidence", "track_id, genre_ids, genre_counts, fit_genre_ids, fit_genre_counts"),
        ("ml_track_neighbours", "track_id, embedding_kind, neighbour_rank, neighbour_track_id, similarity"),
        # the fixed samples these are fitted on are stratified by training genres only
        ("ml_track_clusters", "track_id, method, cluster_id, sub_cluster_id"),
        ("ml_k_selection", "space, k, inertia, silhouette, davies_bouldin, is_chosen"),
        ("ml_dbscan_kdistance", "point_rank, k_distance, eps"),
        ("ml_track_maps", "track_id, map, x, y"),
        ("ml_cluster_feature_importance", "scope, cluster_id, feature, mean_abs_shap, importance_rank"),
    ]:
        assert rows_differing(con, table, key) == 0, f"{table} changed when only held-out labels did"
    hit = (
        "select genre_hit_rate_at_10_heldout from rpt_evaluation_by_embedding where is_default and query_group = 'all'"
    )
    assert con.execute(hit).fetchone() != con.execute(hit.replace("rpt_eval", "first.rpt_eval")).fetchone()
    con.close()

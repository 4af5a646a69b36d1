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


def test_ml_tables_are_complete(built_home):
    db = published_db(built_home)
    n = rows(db, "select count(*) from dim_tracks")[0][0]
    assert rows(db, "select embedding_kind, count(*) from ml_track_embeddings group by 1 order by 1") == \
        [("autoencoder", n), ("genre_aware", n)]
    assert rows(db, "select typeof(embedding) from ml_track_embeddings limit 1")[0][0] == "FLOAT[32]"
    methods = rows(db, "select method, count(*) from ml_track_clusters group by 1 order by 1")
    assert methods == [(m, n) for m in ("dbscan_pca", "kmeans_embedding", "kmeans_features", "kmeans_pca")]
    sweep = rows(db, "select space, count(*), count(*) filter (where is_chosen) from ml_k_selection group by 1 order by 1")
    assert sweep == [("embedding", 19, 1), ("features", 19, 1), ("pca", 19, 1)]
    assert rows(db, "select count(*) from dim_tracks where cluster_id is null")[0][0] == 0
    maps = dict(rows(db, "select map, count(*) from ml_track_maps group by 1"))
    assert maps["pca"] == n and maps["lda"] == n and 0 < maps["tsne"] <= n
    assert rows(db, "select count(*) from ml_cluster_feature_importance where scope = 'global'")[0][0] == 15


def test_ml_runs_has_one_row_with_metrics(built_home):
    db = published_db(built_home)
    (mse, acc, pca_n, variance, eps), = rows(db, """
        select autoencoder_recon_mse_mean, genre_head_accuracy_holdout, pca_components, pca_variance_kept, dbscan_eps
        from ml_runs""")
    assert 0 < mse < 0.5 and 0 < acc <= 1 and pca_n >= 1 and variance >= 0.8 and eps > 0
    stages = rows(db, "select json_keys(stage_seconds) from ml_runs")[0][0]
    for stage in ("autoencoder", "genre_aware", "k_selection", "kmeans_embedding", "dbscan_pca", "shap", "map_tsne"):
        assert stage in stages
    comparison = rows(db, "select method from rpt_clustering_comparison order by 1")
    assert [m for (m,) in comparison] == ["dbscan_pca", "kmeans_embedding", "kmeans_features", "kmeans_pca"]


def test_holdout_split_is_by_song(built_home):
    db = published_db(built_home)
    mixed = rows(db, "select count(*) from (select song_key from dim_tracks group by 1 having count(distinct is_holdout) > 1)")
    assert mixed[0][0] == 0
    share = rows(db, "select avg(is_holdout::int) from dim_tracks")[0][0]
    assert 0.1 < share < 0.3


def test_same_input_gives_identical_ml_tables(built_home, fixture_csv, tmp_path):
    home = tmp_path / "again"
    build(data=fixture_csv, base=home)
    con = duckdb.connect(str(published_db(home)), read_only=True)
    con.execute("attach ? as first (read_only)", [str(published_db(built_home))])
    for table, key in [("ml_track_embeddings", "track_id, embedding_kind, embedding"),
                       ("ml_track_clusters", "track_id, method, cluster_id, sub_cluster_id"),
                       ("ml_k_selection", "space, k, inertia, is_chosen"),
                       ("ml_track_maps", "track_id, map, x, y")]:
        diff = con.execute(f"""select count(*) from (
            (select {key} from {table} except all select {key} from first.{table})
            union all
            (select {key} from first.{table} except all select {key} from {table}))""").fetchone()[0]
        assert diff == 0, table
    con.close()

"""One dbt project, two engines: `wavehouse build --engine spark` (the ingest models, read, type,
quarantine, dedupe, built by dbt-spark on local[2]) gives the same rows as the DuckDB build, on the
real fixture with its corrupt lines. Spark runs in a subprocess so that its JVM never shares the
test process. (One Spark build: JVM start and the Spark stages cost about two minutes.)"""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from tests.helpers import quick_vars
from wavehouse import ml
from wavehouse.accents import MACRO, render_macro
from wavehouse.build import INGEST_MODELS as INGEST
from wavehouse.build import build
from wavehouse.models_py.cluster import assign_stored


def test_accent_table_is_generated_from_duckdb():
    # the Spark translate() table is DuckDB's strip_accents over every code point; a DuckDB
    # upgrade that changes strip_accents makes this fail until `python -m wavehouse.accents` is run
    assert MACRO.read_text(encoding="utf-8") == render_macro()


def test_accent_table_equals_strip_accents_on_the_catalogue_names():
    from wavehouse.accents import accent_table
    from wavehouse.paths import default_data

    source, target = accent_table()
    con = duckdb.connect()
    # every distinct name with a character outside ASCII (the table maps no ASCII character, and
    # translate() with a table this long is slow: the whole catalogue took a minute)
    con.execute(
        "create temp table names as select distinct name from (select unnest([track_name, artists, album_name]) "
        "as name from read_csv(?, all_varchar = true)) where regexp_matches(name, '[^\\x00-\\x7F]')",
        [str(default_data())],
    )
    assert all(ord(c) > 127 for c in source)
    differing = con.sql(
        "select name from names where strip_accents(name) <> translate(name, ?, ?)", params=[source, target]
    ).fetchall()
    assert con.sql("select count(*) from names").fetchall()[0][0] > 1000
    accented = con.sql(
        "select count(*) from read_csv(?, all_varchar = true) where strip_accents(track_name) <> track_name",
        params=[str(default_data())],
    ).fetchall()[0][0]
    assert accented > 1000 and differing == []


# Spark trains on a sample of 1,000 of the fixture's 2,311 tracks (as above train_sample, 200,000
# by default) and tunes on 800, so that it scores and assigns the rest; the DuckDB reference build
# has the same vars (QUICK models: the subject is the engine)
SAMPLE = 1000
SPARK_VARS = quick_vars(
    train_sample=SAMPLE, search_sample=800, genre_head_search=[{"width": 128, "depth": 2, "epochs": 10}]
)


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (.ci/run installs one)")
def test_spark_engine_builds_the_same_warehouse(tmp_path, fixture_csv):
    """`wavehouse build --tune --engine spark` against the DuckDB build of the same file and vars:
    the same ingest rows and quarantine, the networks trained on the driver on a bounded sample and
    every track embedded on Spark with them (the DuckDB build's vectors), every track assigned on
    Spark with the stored centroids, and neighbour lists searched on Spark at the exact lists' recall."""
    pytest.importorskip("pyspark")
    wavehouse = Path(sys.executable).with_name("wavehouse")
    spark_home, duck_home = tmp_path / "spark", tmp_path / "duck"
    result = subprocess.run(
        [
            str(wavehouse),
            "build",
            "--tune",
            "--engine",
            "spark",
            "--master",
            "local[2]",
            "--data",
            str(fixture_csv),
            "--vars",
            SPARK_VARS,
        ],
        env={**os.environ, "WAVEHOUSE_HOME": str(spark_home)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "wrong column count: 6 fields, expected 21" in result.stdout
    build(data=fixture_csv, base=duck_home, dbt_vars=SPARK_VARS, tune=True)
    # what Spark wrote: the four ingest tables as Parquet
    written = {p.name for p in (spark_home / "build" / "spark").iterdir()}
    assert set(INGEST) <= written and "neighbours_hybrid" in written
    con = duckdb.connect(str(spark_home / "wavehouse.duckdb"), read_only=True)
    con.execute("attach ? as duck (read_only)", [str(duck_home / "wavehouse.duckdb")])
    for model in INGEST:
        columns = (
            "select column_name from information_schema.columns where table_catalog = ? and table_name = ? "
            "order by ordinal_position"
        )
        ours, theirs = rows(con, columns, ["duck", model]), rows(con, columns, ["wavehouse", model])
        assert ours == theirs and ours, model
        only_duckdb = rows(con, f"select count(*) from (from duck.{model} except all from wavehouse.{model})")[0][0]
        only_spark = rows(con, f"select count(*) from (from wavehouse.{model} except all from duck.{model})")[0][0]
        assert (model, only_duckdb, only_spark) == (model, 0, 0) and rows(
            con, f"select count(*) from wavehouse.{model}"
        )[0][0] > 0
    # the published file stands alone (tables, no views over Spark's files) and has everything built on top
    assert rows(
        con, "select count(*) from duckdb_views() where database_name = 'wavehouse' and sql ilike '%read_parquet%'"
    ) == [(0,)]
    reasons = rows(
        con,
        "select source_line, reject_reason from wavehouse.int_tracks_rejected where source_line is not null order by 1",
    )
    assert [r[1] for r in reasons] == [
        "wrong column count: 6 fields, expected 21",
        "wrong column count: 22 fields, expected 21",
    ]
    n_tracks = rows(con, "select count(*) from wavehouse.int_ml_inputs")[0][0]
    assert n_tracks > 2 * SAMPLE and rows(
        con, "select count(*) from wavehouse.dim_tracks where cluster_id is null"
    ) == [(0,)]
    # trained on the driver on at most SAMPLE tracks (tuned on at most 800); every track scored and assigned on Spark
    metrics = {stage: json.loads(m) for stage, m in rows(con, "select stage, metrics from wavehouse.ml_stage_log")}
    trained = {
        stage: metrics[stage]["train_rows"]
        for stage in ("autoencoder", "genre_aware", "genre_head", "kmeans_features", "kmeans_embedding")
    }
    assert all(0 < n <= SAMPLE for n in trained.values()), trained
    assert 0 < metrics["genre_head_search"]["sample_tracks"] <= 800
    assert metrics["embed_on_spark"]["tracks"] == metrics["assign_on_spark"]["tracks"] == n_tracks
    # Spark's vectors are the driver's: the DuckDB build trained the same networks on the same sample
    query = "select embedding from {}.ml_track_embeddings where embedding_kind = ? order by track_id"
    for kind in ("autoencoder", "genre_aware", "audio", "hybrid"):
        spark_vectors = np.stack(con.sql(query.format("wavehouse"), params=[kind]).fetchnumpy()["embedding"])
        duck_vectors = np.stack(con.sql(query.format("duck"), params=[kind]).fetchnumpy()["embedding"])
        assert spark_vectors.shape[0] == n_tracks and np.allclose(spark_vectors, duck_vectors, atol=1e-5), kind
    # Spark's labels are the stored centroids' (fitted on the sample), for every track
    inputs, spaces = ml.clustering_spaces(
        con.table("int_ml_inputs"), con.table("ml_track_pca"), con.table("ml_track_embeddings")
    )
    for method, space in (("kmeans_features", "features"), ("kmeans_pca", "pca"), ("kmeans_embedding", "embedding")):
        [(artefact,)] = rows(con, "select artefact from wavehouse.ml_models where model = ?", [method])
        with np.load(io.BytesIO(artefact)) as npz:
            expected, expected_sub = assign_stored({k: npz[k] for k in npz.files}, spaces[space])
        labels = con.sql(
            "select cluster_id, sub_cluster_id from wavehouse.ml_track_clusters where method = ? order by track_id",
            params=[method],
        ).fetchnumpy()
        agreement = np.mean((labels["cluster_id"] == expected) & (labels["sub_cluster_id"] == expected_sub))
        assert agreement >= 0.99, (method, agreement)
    assert rows(con, "select neighbour_method from wavehouse.ml_runs") == [("spark_ivf",)]
    assert rows(con, "select neighbour_method from duck.ml_runs") == [("exact",)]
    # the lists searched on Spark, against the DuckDB build's exact lists of the same vectors:
    # recall@10 (a neighbour as similar as the exact 10th counts)
    recall = rows(
        con,
        """
        with exact as (select track_id, neighbour_track_id, similarity, neighbour_rank from duck.ml_track_neighbours
                       where is_default and neighbour_rank <= 10),
             tenth as (select track_id, similarity as tenth from exact where neighbour_rank = 10)
        select count(*) filter (where e.neighbour_track_id is not null or s.similarity >= t.tenth - 1e-6)
               / (select count(*) from exact)
        from wavehouse.ml_track_neighbours s
        join tenth t using (track_id)
        left join exact e using (track_id, neighbour_track_id)
        where s.is_default and s.neighbour_rank <= 10""",
    )[0][0]
    assert recall >= 0.99
    # the seed-protocol set (every first track of a name) is larger than the cap, so its queries
    # were capped at the sample; the held-out queries (about a fifth of the tracks) are below it
    queries = dict(
        rows(
            con,
            "select embedding_kind, count(distinct track_id) from wavehouse.ml_track_neighbours "
            "where embedding_kind in ('seed_protocol', 'genre_aware') group by 1",
        )
    )
    assert queries["seed_protocol"] == SAMPLE and queries["genre_aware"] > 0
    assert rows(
        con, "select count(*) from wavehouse.rpt_evaluation_by_embedding where genre_hit_rate_at_10_heldout is null"
    ) == [(0,)]

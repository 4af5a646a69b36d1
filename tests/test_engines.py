"""One dbt project, two engines: `wavehouse build --engine spark` (the ingest models, read, type,
quarantine, dedupe, built by dbt-spark on local[2]) gives the same rows as the DuckDB build, on the
real fixture with its corrupt lines. Spark runs in a subprocess so that its JVM never shares the
test process."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from wavehouse.accents import MACRO, render_macro
from wavehouse.build import INGEST_MODELS as INGEST



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
    con.execute("create temp table names as select distinct name from (select unnest([track_name, artists, album_name]) "
                "as name from read_csv(?, all_varchar = true)) where regexp_matches(name, '[^\\x00-\\x7F]')",
                [str(default_data())])
    assert all(ord(c) > 127 for c in source)
    differing = con.sql("select name from names where strip_accents(name) <> translate(name, ?, ?)",
                        params=[source, target]).fetchall()
    assert con.sql("select count(*) from names").fetchall()[0][0] > 1000
    accented = con.sql("select count(*) from read_csv(?, all_varchar = true) where strip_accents(track_name) <> track_name",
                       params=[str(default_data())]).fetchall()[0][0]
    assert accented > 1000 and differing == []


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (.ci/run installs one)")
def test_spark_engine_builds_the_same_warehouse(tmp_path, fixture_csv, built_home):
    pytest.importorskip("pyspark")
    wavehouse = Path(sys.executable).with_name("wavehouse")
    result = subprocess.run([str(wavehouse), "build", "--engine", "spark", "--master", "local[2]", "--data", str(fixture_csv)],
                            env={**os.environ, "WAVEHOUSE_HOME": str(tmp_path)}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "wrong column count: 6 fields, expected 21" in result.stdout
    # what Spark wrote: the four ingest tables as Parquet
    written = {p.name for p in (tmp_path / "build" / "spark").iterdir()}
    assert set(INGEST) <= written and "neighbours_hybrid" in written
    con = duckdb.connect(str(tmp_path / "wavehouse.duckdb"), read_only=True)
    con.execute("attach ? as duck (read_only)", [str(built_home / "wavehouse.duckdb")])
    for model in INGEST:
        ours = con.sql(f"select column_name from information_schema.columns where table_catalog = 'duck' and table_name = '{model}' order by ordinal_position").fetchall()
        theirs = con.sql(f"select column_name from information_schema.columns where table_catalog = 'wavehouse' and table_name = '{model}' order by ordinal_position").fetchall()
        assert ours == theirs and ours, model
        only_duckdb = con.sql(f"select count(*) from (from duck.{model} except all from wavehouse.{model})").fetchall()[0][0]
        only_spark = con.sql(f"select count(*) from (from wavehouse.{model} except all from duck.{model})").fetchall()[0][0]
        rows = con.sql(f"select count(*) from wavehouse.{model}").fetchall()[0][0]
        assert (model, only_duckdb, only_spark) == (model, 0, 0) and rows > 0
    # the published file stands alone (tables, no views over Spark's files) and has everything built on top
    assert con.sql("select count(*) from duckdb_views() where database_name = 'wavehouse' and sql ilike '%read_parquet%'").fetchall() == [(0,)]
    assert con.sql("select count(*) from wavehouse.dim_tracks").fetchall() == con.sql("select count(*) from duck.dim_tracks").fetchall()
    reasons = con.sql("select source_line, reject_reason from wavehouse.int_tracks_rejected where source_line is not null order by 1").fetchall()
    assert [r[1] for r in reasons] == ["wrong column count: 6 fields, expected 21", "wrong column count: 22 fields, expected 21"]
    # the neighbour lists, searched on Spark list by list, against the DuckDB build's exact lists:
    # first the same embedding space, then recall@10 (a neighbour as similar as the exact 10th counts)
    # (every embedding of every track scored on Spark with the networks the driver trained, and
    # every track assigned its clusters there: the DuckDB build's vectors and labels)
    stages = dict(con.sql("select stage, metrics->>'tracks' from wavehouse.ml_stage_log "
                          "where stage in ('embed_on_spark', 'assign_on_spark')").fetchall())
    n_tracks = con.sql("select count(*) from wavehouse.int_ml_inputs").fetchall()[0][0]
    assert stages == {"embed_on_spark": str(n_tracks), "assign_on_spark": str(n_tracks)}
    query = "select embedding from {}.ml_track_embeddings where embedding_kind = ? order by track_id"
    for kind in ("autoencoder", "genre_aware", "audio", "hybrid"):
        spark_vectors = np.stack(con.sql(query.format("wavehouse"), params=[kind]).fetchnumpy()["embedding"])
        duck_vectors = np.stack(con.sql(query.format("duck"), params=[kind]).fetchnumpy()["embedding"])
        assert np.allclose(spark_vectors, duck_vectors, atol=1e-5), kind
    agreement = dict(con.sql("""select method, avg((s.cluster_id = d.cluster_id and s.sub_cluster_id = d.sub_cluster_id)::int)
                                from wavehouse.ml_track_clusters s join duck.ml_track_clusters d using (track_id, method)
                                group by 1""").fetchall())
    assert agreement["kmeans_features"] == 1.0 and min(agreement.values()) >= 0.99, agreement
    assert con.sql("select neighbour_method from wavehouse.ml_runs").fetchall() == [("spark_ivf",)]
    assert con.sql("select neighbour_method from duck.ml_runs").fetchall() == [("exact",)]
    recall = con.sql("""
        with exact as (select track_id, neighbour_track_id, similarity, neighbour_rank from duck.ml_track_neighbours
                       where is_default and neighbour_rank <= 10),
             tenth as (select track_id, similarity as tenth from exact where neighbour_rank = 10)
        select count(*) filter (where e.neighbour_track_id is not null or s.similarity >= t.tenth - 1e-6)
               / (select count(*) from exact)
        from wavehouse.ml_track_neighbours s
        join tenth t using (track_id)
        left join exact e using (track_id, neighbour_track_id)
        where s.is_default and s.neighbour_rank <= 10""").fetchall()[0][0]
    assert recall >= 0.99


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (.ci/run installs one)")
def test_spark_engine_trains_on_a_bounded_sample_and_scores_every_track(tmp_path, fixture_csv):
    """Above train_sample (200,000 by default: the fixture is below it, so the test above
    trains on every track) the driver trains on a sample and Spark scores the rest; the searches
    (--tune) run on search_sample tracks and the evaluation lists on at most train_sample queries."""
    pytest.importorskip("pyspark")
    wavehouse = Path(sys.executable).with_name("wavehouse")
    sample = 1000
    result = subprocess.run([str(wavehouse), "build", "--tune", "--engine", "spark", "--data", str(fixture_csv), "--vars",
                             f"{{train_sample: {sample}, search_sample: 800, "
                             "genre_head_search: [{width: 128, depth: 2, epochs: 10}]}"],
                            env={**os.environ, "WAVEHOUSE_HOME": str(tmp_path)}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    con = duckdb.connect(str(tmp_path / "wavehouse.duckdb"), read_only=True)
    n_tracks = con.sql("select count(*) from int_ml_inputs").fetchall()[0][0]
    assert n_tracks > 2 * sample
    metrics = dict(con.sql("select stage, metrics from ml_stage_log").fetchall())
    trained = {stage: json.loads(metrics[stage])["train_rows"] for stage in
               ("autoencoder", "genre_aware", "genre_head", "kmeans_features", "kmeans_embedding")}
    assert all(0 < rows <= sample for rows in trained.values()), trained
    assert 0 < json.loads(metrics["genre_head_search"])["sample_tracks"] <= 800
    assert json.loads(metrics["embed_on_spark"])["tracks"] == json.loads(metrics["assign_on_spark"])["tracks"] == n_tracks
    # every track has every embedding and a cluster of every method: the ones outside the sample too
    assert con.sql("select count(distinct embedding_kind), min(n), max(n) from (select embedding_kind, count(*) as n "
                   "from ml_track_embeddings group by 1)").fetchall() == [(4, n_tracks, n_tracks)]
    assert con.sql("select count(*), count(distinct method) from ml_track_clusters").fetchall() == [(4 * n_tracks, 4)]
    assert con.sql("select count(*) from dim_tracks where cluster_id is null").fetchall() == [(0,)]
    # the seed-protocol set (every first track of a name) is larger than the cap, so its queries
    # were capped; the held-out queries (about a fifth of the tracks) are below it
    queries = dict(con.sql("select embedding_kind, count(distinct track_id) from ml_track_neighbours "
                           "where embedding_kind in ('seed_protocol', 'genre_aware') group by 1").fetchall())
    assert queries["seed_protocol"] == sample and queries["genre_aware"] > 0
    assert con.sql("select count(*) from rpt_evaluation_by_embedding where genre_hit_rate_at_10_heldout is null").fetchall() == [(0,)]

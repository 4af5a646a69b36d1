"""One dbt project, two engines: `wavehouse build --engine spark` (the ingest models, read, type,
quarantine, dedupe, built by dbt-spark on local[2]) gives the same rows as the DuckDB build, on the
real fixture with its corrupt lines. Spark runs in a subprocess so that its JVM never shares the
test process."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from wavehouse.accents import MACRO, render_macro

INGEST = ["stg_catalogue__records", "stg_spotify__tracks", "int_tracks_rejected", "int_tracks_deduped"]


def test_accent_table_is_generated_from_duckdb():
    # the Spark translate() table is DuckDB's strip_accents over every code point; a DuckDB
    # upgrade that changes strip_accents makes this fail until `python -m wavehouse.accents` is run
    assert MACRO.read_text(encoding="utf-8") == render_macro()


def test_accent_table_equals_strip_accents_on_the_catalogue_names():
    from wavehouse.accents import accent_table
    from wavehouse.paths import default_data

    source, target = accent_table()
    con = duckdb.connect()
    differing = con.sql(
        "select name from (select unnest([track_name, artists, album_name]) as name from read_csv(?, all_varchar = true)) "
        "where name is not null and strip_accents(name) <> translate(name, ?, ?)",
        params=[str(default_data()), source, target]).fetchall()
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
    assert sorted(p.name for p in (tmp_path / "build" / "spark").iterdir()) == sorted(INGEST)
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

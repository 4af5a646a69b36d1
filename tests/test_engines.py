"""One dbt project, two engines: the ingest models (read, type, quarantine, dedupe) built with
dbt-spark on Spark (local[2]) give the same rows as with dbt-duckdb, on the real fixture with its
corrupt lines. Spark runs in a dbt subprocess so that its JVM never shares the test process."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from wavehouse.accents import MACRO, render_macro
from wavehouse.paths import project_dir

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


def run_dbt(target: str, home: Path, data: Path, spark_output: Path) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    project = project_dir()
    env = {**os.environ, "WAVEHOUSE_HOME": str(home), "WAVEHOUSE_DATA": str(data),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [str(dbt), "run", "--target", target, "--select", *INGEST, "--vars", f"{{spark_output: '{spark_output}'}}"
         if target == "spark" else "{}", "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(home / f"target-{target}"), "--log-path", str(home / "logs")],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (.ci/run installs one)")
def test_spark_ingest_equals_duckdb_ingest(tmp_path, fixture_csv):
    pytest.importorskip("pyspark")
    (tmp_path / "build").mkdir()
    spark_output = tmp_path / "build" / "spark"
    run_dbt("build", tmp_path, fixture_csv, spark_output)
    run_dbt("spark", tmp_path, fixture_csv, spark_output)
    con = duckdb.connect(str(tmp_path / "build" / "wavehouse.duckdb"), read_only=True)
    for model in INGEST:
        spark = f"read_parquet('{spark_output / model}/*.parquet')"
        ours = con.sql(f"describe {model}").fetchall()
        theirs = con.sql(f"describe from {spark}").fetchall()
        assert [c[0] for c in ours] == [c[0] for c in theirs], model
        only_duckdb = con.sql(f"select count(*) from (from {model} except all from {spark})").fetchall()[0][0]
        only_spark = con.sql(f"select count(*) from (from {spark} except all from {model})").fetchall()[0][0]
        rows = con.sql(f"select count(*) from {model}").fetchall()[0][0]
        assert (model, rows, only_duckdb, only_spark) == (model, rows, 0, 0)
        assert rows > 0
    # the fixture's corrupt lines are quarantined by both, with the same reasons and lines
    reasons = con.sql(f"select source_line, reject_reason from read_parquet('{spark_output}/int_tracks_rejected/*.parquet') "
                      "where source_line is not null order by 1").fetchall()
    assert [r[1] for r in reasons] == ["wrong column count: 6 fields, expected 21", "wrong column count: 22 fields, expected 21"]

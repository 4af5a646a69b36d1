"""Building the warehouse from the real fixture: counts, quarantine, bad input, atomic publish."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.fixtures.make_fixture import CORRUPT_LINES
from tests.helpers import copy_home, ingest
from wavehouse.build import build
from wavehouse.errors import WavehouseError
from wavehouse.paths import build_db, published_db


def scalar(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchone()[0]
    finally:
        con.close()


def test_rows_read_equal_kept_plus_rejected_plus_merged(built_home, fixture_csv):
    db = published_db(built_home)
    data_lines = len(fixture_csv.read_text(encoding="utf-8").splitlines()) - 1
    read = scalar(db, "select count(*) from stg_spotify__tracks")
    kept = scalar(db, "select count(*) from dim_tracks")
    rejected = scalar(db, "select count(*) from int_tracks_rejected")
    merged = scalar(db, "select sum(n_source_rows - 1) from dim_tracks")
    assert read == data_lines
    assert merged > 0, "the fixture keeps tracks listed under several genres"
    assert read == kept + rejected + merged


def test_every_corrupt_row_is_quarantined_with_a_reason(built_home):
    db = published_db(built_home)
    expected_rejects = [d for d, _ in CORRUPT_LINES if not d.startswith("kept")]
    assert scalar(db, "select count(*) from int_tracks_rejected") == len(expected_rejects)
    assert scalar(db, "select count(*) from int_tracks_rejected where reject_reason is null") == 0
    reasons = scalar(db, "select string_agg(reject_reason, ' | ' order by record_number) from int_tracks_rejected")
    for fragment in [
        "missing track_id",
        "unparseable danceability",
        "out of range danceability",
        "out of range tempo",
        "out of range duration_ms",
        "out of range time_signature",
        "out of range key",
        "out of range mode",
        "wrong column count: 6 fields",
        "wrong column count: 22 fields",
        "unparseable explicit",
    ]:
        assert fragment in reasons


def test_kept_rows_with_blank_numbers_and_odd_unicode(built_home):
    db = published_db(built_home)
    assert scalar(db, "select is_imputed from dim_tracks where track_id = '00000000000000000000ok'") is True
    name, artists = (
        duckdb.connect(str(db), read_only=True)
        .execute("select track_name, artists from dim_tracks where track_id = '00000000000000000001ok'")
        .fetchone()
    )
    assert name == "Ça va, 東京 (feat. Ünïcödé)"
    assert artists == 'Ñandú;Zoë "Q", Jr.'  # names trimmed, ";"-joined as the rest of the file


def test_every_genre_present_and_one_row_per_track(built_home):
    db = published_db(built_home)
    assert scalar(db, "select count(distinct primary_genre) from dim_tracks") >= 113
    assert scalar(db, "select count(*) - count(distinct track_id) from dim_tracks") == 0


def test_crlf_and_bom_files_build_the_same_tracks(tmp_path, fixture_text, built_home):
    crlf = tmp_path / "crlf_bom.csv"
    crlf.write_bytes(("\ufeff" + fixture_text.replace("\n", "\r\n")).encode("utf-8"))
    db = ingest(crlf, tmp_path / "home")  # what the models downstream read
    reference = published_db(built_home)
    assert scalar(db, "select count(*) from int_tracks_deduped") == scalar(reference, "select count(*) from dim_tracks")
    assert scalar(db, "select count(*) from int_tracks_rejected") == scalar(
        reference, "select count(*) from int_tracks_rejected"
    )
    con = duckdb.connect(str(db), read_only=True)
    con.execute("attach ? as ref (read_only)", [str(reference)])
    diff = con.execute("""
        select count(*) from (
            select track_id, track_name, danceability, tempo, explicit, genres from int_tracks_deduped
            except
            select track_id, track_name, danceability, tempo, explicit, genres from ref.dim_tracks)
    """).fetchone()[0]
    con.close()
    assert diff == 0


FIXTURE_HEAD = (Path(__file__).parent / "fixtures" / "tracks_fixture.csv").read_text(encoding="utf-8").splitlines()[:9]


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        (
            ",track_id,artists,album_name,track_name,popularity,duration_ms,explicit,danceability,energy,key,"
            "loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,time_signature,track_genre\n",
            "no data rows",
        ),
        ("\x00\x01binary\x02,\x03\n\x04\x05\n", "does not look like a text CSV"),
        # eight real tracks: too few to cluster into up to k_max groups or list 20 neighbours
        ("\n".join(FIXTURE_HEAD) + "\n", "has 8 valid tracks .* need at least 21 songs"),
    ],
)
def test_bad_files_fail_clearly_and_publish_nothing(tmp_path, content, message):
    path = tmp_path / "input.csv"
    path.write_text(content, encoding="utf-8")
    home = tmp_path / "home"
    with pytest.raises(WavehouseError, match=message):
        build(data=path, base=home)
    assert not published_db(home).exists()


def test_missing_columns_error_lists_missing_and_expected(tmp_path):
    path = tmp_path / "input.csv"
    path.write_text("track_id,artists,track_name,energy\nabc,A,B,0.5\n", encoding="utf-8")
    with pytest.raises(WavehouseError) as info:
        build(data=path, base=tmp_path / "home")
    text = str(info.value)
    assert str(path) in text
    assert "lacks required columns: danceability, loudness, speechiness" in text
    assert "Found: track_id, artists, track_name, energy" in text
    assert "--columns danceability=<column>,loudness=<column>" in text
    assert "track_genre" not in text and "album_name" not in text  # optional columns are not asked for
    assert not published_db(tmp_path / "home").exists()


def test_failed_build_leaves_previous_warehouse_intact(tmp_path, built_home):
    home = copy_home(built_home, tmp_path / "home")
    before = published_db(home).read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("", encoding="utf-8")
    with pytest.raises(WavehouseError):
        build(data=bad, base=home)
    assert published_db(home).read_bytes() == before
    assert scalar(published_db(home), "select count(*) from dim_tracks") > 2000


def test_publish_moves_the_build_file(built_home):
    assert published_db(built_home).is_file()
    assert not build_db(built_home).exists()


def test_plain_dbt_build_then_wavehouse_publish(tmp_path, fixture_csv):
    """`cd dbt_project && dbt build` works directly (committed profiles.yml), then `wavehouse publish`."""
    import os
    import subprocess
    import sys

    from click.testing import CliRunner

    from tests.helpers import QUICK_VARS
    from wavehouse.cli.main import cli
    from wavehouse.paths import PACKAGE_ROOT

    home = tmp_path / "home"
    (home / "build").mkdir(parents=True)
    env = {
        **os.environ,
        "WAVEHOUSE_HOME": str(home),
        "WAVEHOUSE_DATA": str(fixture_csv),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    dbt = os.path.join(os.path.dirname(sys.executable), "dbt")
    # (a plain `dbt build` with --vars: QUICK_VARS, as its subject is dbt run directly, not the models)
    out = subprocess.run(
        [dbt, "build", "--vars", QUICK_VARS],
        cwd=PACKAGE_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert not published_db(home).exists()
    result = CliRunner().invoke(cli, ["publish"], env={"WAVEHOUSE_HOME": str(home)})
    assert result.exit_code == 0 and "published" in result.output
    assert scalar(published_db(home), "select count(*) from dim_tracks") > 2000
    assert (home / "marts" / "dim_tracks.parquet").is_file()
    result = CliRunner().invoke(cli, ["publish"], env={"WAVEHOUSE_HOME": str(home)})
    assert result.exit_code == 1 and "nothing to publish" in result.output

"""Bring your own catalogue: every layout and format of tests/fixtures/make_layouts.py builds with no
flags and keeps the invariant records read = kept + rejected + merged.

Layouts that change what the models downstream see (another column set, no genres, genre lists,
no ids) are built in full and answer `wavehouse recommend`. The other formats of the Kaggle layout
(Parquet, zstd, parts, multiline, a Latin-1 line, a European CSV) are built through the ingest
layer only and must give the reference's typed tracks (int_tracks_deduped, which is all the
models downstream read), so their full builds would repeat the reference's."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from tests.fixtures.make_layouts import MULTILINE_IDS, write_layouts
from tests.helpers import QUICK_VARS, ingest
from wavehouse.build import build
from wavehouse.cli.main import cli
from wavehouse.errors import WavehouseError
from wavehouse.paths import build_db, published_db

pytestmark = pytest.mark.slow
BUILT = ["kaggle.csv.gz", "spotify_600k.csv", "seed_004.csv", "seed_003.csv"]
INGESTED = ["kaggle.parquet", "kaggle.csv.zst", "parts", "multiline.csv", "latin1_line.csv", "european.csv"]
REFERENCE = "kaggle.csv.gz"
TRACK_COLUMNS = "track_id, track_name, artists, genres, danceability, tempo, explicit, popularity"


@pytest.fixture(scope="session")
def layouts(tmp_path_factory) -> dict[str, Path]:
    return write_layouts(tmp_path_factory.mktemp("layouts"))


@pytest.fixture(scope="session")
def homes(layouts, tmp_path_factory):
    """Each shape built once (lazily) into its own warehouse folder: in full for BUILT shapes
    (published), the ingest models only for the others (the build file)."""
    built: dict[str, Path] = {}

    def home(shape: str) -> Path:
        if shape not in built:
            built[shape] = tmp_path_factory.mktemp(shape.replace(".", "_"))
            if shape in BUILT:  # layouts, not models: QUICK_VARS
                build(data=layouts[shape], base=built[shape], dbt_vars=QUICK_VARS)
            else:
                ingest(layouts[shape], built[shape])
        return built[shape]

    return home


def query(home: Path, sql: str, params=None, attach: Path | None = None) -> list[tuple]:
    """Run sql read-only on home's warehouse (its build file if it has no published one), with
    another home's attached as `other`."""

    def db(folder: Path) -> Path:
        return published_db(folder) if published_db(folder).exists() else build_db(folder)

    con = duckdb.connect(str(db(home)), read_only=True)
    try:
        if attach is not None:
            con.execute("attach ? as other (read_only)", [str(db(attach))])
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("shape", BUILT + INGESTED)
def test_each_shape_builds_and_keeps_every_record(homes, layouts, shape):
    home = homes(shape)
    [(read, kept, rejected, merged)] = query(
        home,
        """
        select (select count(*) from stg_spotify__tracks), (select count(*) from int_tracks_deduped),
               (select count(*) from int_tracks_rejected), (select coalesce(sum(n_source_rows - 1), 0) from int_tracks_deduped)""",
    )
    assert read == kept + rejected + merged and kept > 700
    files = {str(p) for p in (layouts[shape].glob("*") if layouts[shape].is_dir() else [layouts[shape]])}
    sources = {row[0] for row in query(home, "select distinct source_file from int_tracks_deduped")}
    assert sources and sources <= files
    if shape in BUILT:
        assert query(home, "select count(*) from dim_tracks") == [(kept,)]
        result = CliRunner().invoke(
            cli, ["recommend", "ghost acoustic", "-k", "5", "--format", "json"], env={"WAVEHOUSE_HOME": str(home)}
        )
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert len(rows) == 5 and all(row["track_name"] for row in rows)


def test_a_later_build_in_the_process_reuses_dbts_parse(homes):
    """A build after another in the same process starts from its saved parse (wavehouse.dbt_home):
    dbt reparses what this input changes, never the whole project again."""
    homes(BUILT[0])
    log = (homes(BUILT[2]) / "build" / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "Running with dbt" in log
    assert "Unable to do partial parsing" not in log and "Starting full parse" not in log


def test_spotify_600k_layout_has_no_genres_and_says_so(homes):
    home = homes("spotify_600k.csv")
    [(layout, has_genres, features)] = query(home, "select input ->> 'layout', has_genres, features_used from ml_runs")
    assert layout == "spotify_600k" and has_genres is False and len(json.loads(features)) == 15
    assert query(home, "select distinct embedding_kind, is_default from ml_track_embeddings") == [("autoencoder", True)]
    genre_metrics = query(home, "select value, null_reason from rpt_evaluation where metric like 'genre%'")
    assert genre_metrics and all(value is None and "no genres" in reason for value, reason in genre_metrics)
    assert query(
        home, "select count(*) from rpt_evaluation where metric = 'own_artist_share_at_10' and value is not null"
    ) == [(1,)]
    names = [row[0] for row in query(home, "select cluster_name from dim_clusters")]
    assert len(names) >= 2 and all(name and "·" not in name for name in names)  # features alone
    assert query(home, "select count(*) from ml_track_maps where map = 'lda'") == [(0,)]


def test_list_literal_artists_match_the_kaggle_form(homes):
    # the same tracks, artists as ['A', 'B'] in one file and "A;B" in the other
    diff = query(
        homes("spotify_600k.csv"),
        """
        select count(*) from dim_tracks as a inner join other.dim_tracks as b using (track_id)
        where a.artists <> b.artists or a.song_key <> b.song_key""",
        attach=homes("kaggle.csv.gz"),
    )
    assert diff == [(0,)]
    assert query(homes("spotify_600k.csv"), "select count(*) from dim_tracks where artists like '[%'") == [(0,)]


def test_genre_lists_keep_every_genre_first_as_primary(homes):
    home = homes("seed_004.csv")
    multi = query(home, "select primary_genre, genres from dim_tracks where len(genres) > 1 order by track_id limit 5")
    assert multi and all(primary == genres[0] for primary, genres in multi)
    # the same genres as the Kaggle file lists one row per genre
    diff = query(
        home,
        """
        select count(*) from dim_tracks as a inner join other.dim_tracks as b using (track_id)
        where list_sort(a.genres) <> list_sort(b.genres)""",
        attach=homes("kaggle.csv.gz"),
    )
    assert diff == [(0,)]


def test_missing_optional_columns_are_left_out_never_invented(homes):
    home = homes("seed_003.csv")  # no id, duration_ms, key, mode, time_signature
    [(layout, features)] = query(home, "select input ->> 'layout', features_used from ml_runs")
    used = json.loads(features)
    assert layout == "seed_003_capitalised"
    assert not {"duration_ms", "key", "mode", "time_signature"} & set(used) and "valence" in used
    assert query(home, "select count(duration_ms), count(key), count(mode), count(time_signature) from dim_tracks") == [
        (0, 0, 0, 0)
    ]
    assert query(home, "select count(*) from dim_tracks where is_imputed") == [(0,)]
    [(width,)] = query(home, "select distinct len(features) from int_track_features_scaled")
    assert width == len(used)
    ids = [row[0] for row in query(home, "select track_id from dim_tracks")]
    assert all(len(i) == 22 and i.startswith("wh") for i in ids)
    # derived ids are stable: artists + title, lower-cased
    derived = query(
        home,
        """select 'wh' || left(md5(lower(artists) || chr(31) || lower(track_name)), 20) = track_id
                             from dim_tracks where track_name = 'Ghost - Acoustic'""",
    )
    assert derived and all(same for (same,) in derived)


def test_parquet_zstd_parts_and_european_csv_give_the_same_tracks(homes, layouts):
    reference = homes(REFERENCE)
    for shape in ["kaggle.parquet", "kaggle.csv.zst", "parts", "european.csv"]:
        diff = query(
            homes(shape),
            f"""
            select count(*) from (
                (select {TRACK_COLUMNS} from int_tracks_deduped except select {TRACK_COLUMNS} from other.int_tracks_deduped)
                union all
                (select {TRACK_COLUMNS} from other.int_tracks_deduped except select {TRACK_COLUMNS} from int_tracks_deduped))""",
            attach=reference,
        )
        assert diff == [(0,)], shape
    assert query(homes("parts"), "select count(distinct source_file) from stg_spotify__tracks") == [(3,)]


def test_quoted_names_spanning_lines_are_kept_whole(homes):
    home = homes("multiline.csv")
    assert query(home, "select count(*) from int_tracks_rejected") == [(0,)]
    names = query(home, "select track_name from int_tracks_deduped where contains(track_name, chr(10))")
    assert len(names) == MULTILINE_IDS and all(name.endswith("\n(live, line two)") for (name,) in names)
    # every other track as the reference has it
    assert query(
        home,
        f"""select count(*) from (select {TRACK_COLUMNS} from other.int_tracks_deduped
                                               except select {TRACK_COLUMNS} from int_tracks_deduped)""",
        attach=homes(REFERENCE),
    ) == [(MULTILINE_IDS,)]


def test_one_latin1_line_is_quarantined_the_rest_builds(homes):
    home = homes("latin1_line.csv")
    rejects = query(home, "select source_line, reject_reason, raw_record from int_tracks_rejected")
    assert len(rejects) == 1
    line, reason, raw = rejects[0]
    assert line == 11 and reason == "invalid UTF-8" and raw
    kept = query(home, "select count(*) from stg_spotify__tracks where reject_reason is null")[0][0]
    assert kept == query(homes(REFERENCE), "select count(*) from stg_spotify__tracks")[0][0] - 1


def test_a_latin1_file_fails_at_once_and_builds_with_its_encoding(layouts, tmp_path):
    with pytest.raises(WavehouseError, match=r"is not utf-8: \d+ of its 900 records.*--encoding latin-1.*iconv"):
        build(data=layouts["latin1_file.csv"], base=tmp_path)
    assert not published_db(tmp_path).exists()
    summary = build(data=layouts["latin1_file.csv"], base=tmp_path, encoding="latin-1", dbt_vars=QUICK_VARS)
    assert summary.rows_rejected == 0 and summary.rows_kept > 700
    assert (
        query(tmp_path, "select count(*) from dim_tracks where regexp_matches(track_name || artists, '[éáíóúñü]')")[0][
            0
        ]
        > 0
    )


def test_other_layouts_map_with_columns(layouts, tmp_path):
    custom = tmp_path / "custom.csv"
    duckdb.connect().execute(
        f"""
        copy (select id as ref, name as title, artists as performer, danceability, energy, loudness, speechiness,
                     acousticness, instrumentalness, liveness, valence as mood_score, tempo
              from read_csv(?, all_varchar = true)) to '{custom}' (header)""",
        [str(layouts["spotify_600k.csv"])],
    )
    with pytest.raises(WavehouseError) as refused:
        build(data=custom, base=tmp_path / "a")
    message = str(refused.value)
    assert "lacks required columns: artists, valence" in message and "Found: ref, title, performer" in message
    assert "--columns artists=<column>,valence=<column>" in message
    summary = build(
        data=custom,
        base=tmp_path / "b",
        dbt_vars=QUICK_VARS,
        columns={"artists": "performer", "valence": "mood_score", "track_id": "ref"},
    )
    assert summary.rows_kept > 700
    [(layout, mapping)] = query(tmp_path / "b", "select input ->> 'layout', input -> 'columns' from ml_runs")
    assert layout == "custom+column_map" and json.loads(mapping)["valence"] == "mood_score"

"""Listening histories (`wavehouse build --listens`): generated exports in each real format
(tests/listen_files.py: SYNTHETIC listeners whose tastes are genres of the fixture, so nothing here
is a quality claim) built into a copy of the fixture warehouse, then read back through SQL, the
CLI and the API."""

from __future__ import annotations

import json
import sys
import zipfile

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from tests.browser import WIDTHS, browser, check_page, needs_chromium, serving
from tests.helpers import FIXTURE_CSV, copy_home
from tests.listen_files import make_histories
from wavehouse.build import build
from wavehouse.cli.main import cli
from wavehouse.errors import WavehouseError
from wavehouse.listens import pseudonym, stage_listens
from wavehouse.listens.stage import people
from wavehouse.models_py.taste import listen_weights, nearest_per_centre, taste_centres
from wavehouse.paths import build_dir, published_db
from wavehouse.web.app import create_app

PRIVATE = ["ip_addr", "platform", "conn_country", "user_agent", "email", "username"]


@pytest.fixture(scope="module")
def listened(built_home, tmp_path_factory):
    """(home, truth): the fixture warehouse plus the four generated people's exports."""
    work = tmp_path_factory.mktemp("listens")
    truth = make_histories(work / "history")
    home = copy_home(built_home, work / "home")
    summary = build(data=FIXTURE_CSV, base=home, listens=work / "history")
    assert summary.mode == "incremental" and summary.tracks_added == summary.tracks_changed == 0
    return home, truth, work / "history"


def rows(home, sql, params=None):
    con = duckdb.connect(str(published_db(home)), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_streams_add_up_per_listener_against_what_was_written(listened):
    home, truth, _ = listened
    found = {
        r[0]: r[1:]
        for r in rows(
            home,
            """select listener_name, streams_read, streams_matched, streams_unmatched, duplicates_merged,
                      podcast_or_audiobook, match_rate from dim_listeners""",
        )
    }
    assert sorted(found) == ["alex", "kim", "lee", "sam"]
    for name, want in truth.items():
        read, matched, unmatched, merged, podcasts, rate = found[name]
        assert read == want["records"] and merged == want["duplicates"], name
        assert read == matched + unmatched + merged, name
        assert unmatched >= want["unknown"] + (want["podcasts"] if name == "alex" else 0), name
        assert rate > 0.85, (name, rate)
    assert found["alex"][4] == truth["alex"]["podcasts"]  # extended history marks episodes
    methods = dict(rows(home, "select match_method, count(*) from fct_listens group by all"))
    assert methods["spotify_id"] > 0 and methods["artist_title"] > 0
    reasons = {r[0] for r in rows(home, "select distinct unmatched_reason from fct_listens_unmatched")}
    assert reasons == {"podcast or audiobook", "not in the catalogue", "no name"}


def test_nothing_private_is_kept(listened):
    home, _, _ = listened
    columns = {r[0] for r in rows(home, "select column_name from information_schema.columns")}
    assert not columns & set(PRIVATE)
    for (table,) in rows(home, "select table_name from information_schema.tables where table_name like '%listen%'"):
        hits = rows(home, f"select sum(contains(coalesce(columns(*)::varchar, ''), '192.0.2.44')::int) from {table}")
        assert all(not v for v in hits[0]), table
    assert not (build_dir(home) / "listens").exists()  # the staged raw copies are gone


def test_recommend_for_never_repeats_a_played_song_and_beats_popularity(listened):
    home, _, _ = listened
    for (name,) in rows(home, "select listener_name from dim_listeners"):
        recs = rows(home, "select track_id from recommend_for(?, k := 20)", [name])
        assert len(recs) == 20
        played = rows(
            home,
            """select count(*) from recommend_for(?, k := 20) as r inner join dim_tracks as d using (track_id)
               where d.song_key in (select song_key from fct_listens as l inner join dim_listeners using (listener_id)
                                    where listener_name = ?)""",
            [name, name],
        )
        assert played[0][0] == 0, name
        familiar = rows(
            home, "select count(*) from recommend_for(?, k := 20, discovery := 1) where familiar_artist", [name]
        )
        assert familiar[0][0] == 0
        # the stored default list (the CLI's and the server's fast path) is the macro's
        stored = rows(
            home,
            "select * exclude (listener_id, listener_name) from fct_listener_recommendations "
            "where listener_name = ? order by rank",
            [name],
        )
        assert stored == rows(home, "select * from recommend_for(?, k := 100)", [name]) and len(stored) == 100
    scores = rows(
        home,
        """select listener_name, k, max(recall) filter (where method = 'recommend_for'),
                  max(recall) filter (where method = 'popularity'), max(recall) filter (where method = 'random')
           from rpt_listener_evaluation where listener_id is not null group by all""",
    )
    assert len(scores) == 8
    methods = {r[0] for r in rows(home, "select distinct method from rpt_listener_evaluation")}
    assert methods == {"recommend_for", "popularity", "random", "co_listening"}  # several listeners
    for name, k, ours, popular, random in scores:
        assert ours > popular and ours > random, (name, k, ours, popular, random)


def test_taste_has_several_weighted_modes(listened):
    home, _, _ = listened
    taste = rows(
        home,
        "select listener_id, count(*), sum(share), min(share) from ml_listener_taste where split = 'all' group by all",
    )
    assert len(taste) == 4
    for _, centres, total, smallest in taste:
        assert 2 <= centres <= 5 and abs(total - 1) < 1e-6 and smallest > 0
    months = rows(home, "select count(distinct month), count(distinct dimension) from rpt_listening")
    assert months[0][0] >= 10 and months[0][1] == 4


def test_cli_and_api_for_a_person(listened, built_home, monkeypatch):
    home, _, _ = listened
    monkeypatch.setenv("WAVEHOUSE_HOME", str(home))
    runner = CliRunner()
    result = runner.invoke(cli, ["for-you", "--listener", "sam", "-k", "5", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 5 and "which you play" in result.output
    assert "several listeners" in runner.invoke(cli, ["for-you"]).output
    assert "recommend_for" in runner.invoke(cli, ["evaluate", "--listeners"]).output
    client = TestClient(create_app(published_db(home)))
    body = client.get("/api/listeners/kim/recommend?k=7&max_per_artist=1").json()
    assert body["listener"] == "kim" and len(body["tracks"]) == 7
    assert len({t["artists"] for t in body["tracks"]}) == 7
    page = client.get("/listener/kim")
    assert page.status_code == 200 and "<svg" in page.text and "For you" in page.text
    assert client.get("/listener/nobody").status_code == 404
    assert client.get("/api/listeners/kim/recommend?k=0").status_code == 422
    assert client.get("/api/listeners/" + "x" * 300).status_code == 422
    monkeypatch.setenv("WAVEHOUSE_HOME", str(built_home))
    assert "wavehouse build --listens" in runner.invoke(cli, ["for-you"]).output


@needs_chromium
def test_the_listener_page_passes_the_page_checks_at_both_widths(listened):
    """The checks every page passes (tests/browser.py): no sideways scroll at 390 px, Tab and a
    visible focus everywhere, no serious axe-core violation; and each track of "For you" plays."""
    with serving(published_db(listened[0])) as app, browser() as chrome:
        for width in WIDTHS.values():
            page = chrome.new_page(viewport={"width": width, "height": 900})
            check_page(page, app + "/listener/kim")
            assert page.locator("button.play").count() == page.locator("table.cards").first.locator("tr").count() - 1
            page.close()


@pytest.mark.parametrize("client", ["duckdb 2.0", "duckdb 1.5"])
def test_the_docs_listening_sql_runs(listened, client):
    from tests.test_sql_clients import old_python, readme_sql, run_statements

    statements = readme_sql(listening=True)
    assert any("recommend_for(" in s for s in statements) and any("rpt_listening" in s for s in statements)
    python = sys.executable if client == "duckdb 2.0" else old_python()
    result = run_statements(python, published_db(listened[0]), statements)
    assert result["errors"] == {}


def test_same_listens_again_is_up_to_date_and_bad_exports_change_nothing(listened, tmp_path):
    home, _, history = listened
    assert build(data=FIXTURE_CSV, base=home, listens=history).up_to_date
    before = published_db(home).stat().st_mtime_ns
    truncated = tmp_path / "Streaming_History_Audio_2023_0.json"
    truncated.write_text(json.dumps([{"ts": "2023-01-01T00:00:00Z", "ms_played": 1}] * 3)[:-20])
    with pytest.raises(WavehouseError, match="not valid JSON at line 1.*cut short"):
        build(data=FIXTURE_CSV, base=home, listens=truncated)
    other = tmp_path / "only_other_files"
    other.mkdir()
    (other / "Playlist1.json").write_text(json.dumps({"playlists": []}))
    with pytest.raises(WavehouseError, match="no listening history in"):
        build(data=FIXTURE_CSV, base=home, listens=other)
    assert published_db(home).stat().st_mtime_ns == before


def test_listens_are_kept_by_a_build_without_them_and_cost_nothing_where_there_are_none(listened, built_home, tmp_path):
    home = copy_home(listened[0], tmp_path / "home")
    counts = "select listener_name, streams_read, streams_matched, duplicates_merged from dim_listeners order by 1"
    before = rows(home, counts)
    summary = build(data=FIXTURE_CSV, base=home, force=True)
    assert summary.mode == "incremental" and rows(home, counts) == before
    assert rows(home, "select build_mode from ml_runs") == [("incremental",)]  # no catalogue model retrained
    # a warehouse never given listens has none of the listening models (they are disabled)
    assert rows(built_home, "select count(*) from information_schema.tables where table_name like '%listen%'") == [(0,)]


# ---------------------------------------------------------------- staging, without a build


def test_who_is_who(tmp_path):
    history = tmp_path / "history"
    make_histories(history)
    assert [name for name, _ in people(history)] == ["alex", "kim", "lee", "sam"]
    zipped = history / "alex" / "my_spotify_data.zip"
    assert people(zipped) == [(None, [zipped])]
    staged = stage_listens(zipped, tmp_path / "one")
    assert staged.listeners == ["alex.k"]  # the export's user name
    staged = stage_listens(history / "sam.zip", tmp_path / "two", listener="Sam R")
    assert staged.listeners == ["Sam R"]  # account data names nobody
    assert len(staged.notes) == 2 and all("not a listening history" in n for n in staged.notes)
    staged = stage_listens(history, tmp_path / "three", pseudonymise=True)
    assert staged.listeners == sorted(pseudonym(n) for n in ["alex", "kim", "lee", "sam"])
    assert pseudonym("alex") == pseudonym("alex") != pseudonym("Alex")
    with zipfile.ZipFile(tmp_path / "broken.zip", "w") as z:
        z.writestr("x.txt", "x")
    (tmp_path / "broken.zip").write_bytes((tmp_path / "broken.zip").read_bytes()[:30])
    with pytest.raises(WavehouseError, match="not a readable zip"):
        stage_listens(tmp_path / "broken.zip", tmp_path / "four")


def test_taste_functions_on_tiny_arrays():
    w = listen_weights([1.0, 0.1, np.nan, 1.0], [False, False, False, True], [0, 0, 365, 0], 365)
    assert np.allclose(w, [1.0, 0.25, 0.5, -0.5])
    X = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [1, 1]], dtype=np.float32)
    taste = taste_centres(X, np.array([3.0, 1.0, 1.0, 1.0, -1.0]), max_centres=2, tracks_per_centre=2, seed=0)
    assert len(taste.centres) == 2 and np.isclose(taste.shares.sum(), 1) and taste.labels[4] == -1
    assert np.isclose(sorted(taste.shares)[-1], 4 / 6)  # the centre of the first two tracks
    catalogue = np.array([[1, 0], [0.99, 0.14], [0.98, 0.2], [0, 1]], dtype=np.float32)
    songs = np.array(["a", "b", "b", "c"], dtype=object)
    ((best, sims),) = nearest_per_centre(catalogue, songs, np.array([[1, 0]], np.float32), {"a"}, 5)
    assert best.tolist() == [1, 3] and sims[0] > sims[1]  # song b once (its nearer release), never a

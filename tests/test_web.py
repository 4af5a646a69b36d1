"""`wavehouse serve`: every API endpoint and its 4xx paths in-process (FastAPI's TestClient), the
read-only guarantees, reopening after a publish with no failed request, and `wavehouse serve` as a
user starts it (the pages in a real browser: test_web_pages.py)."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import warnings
from pathlib import Path

import duckdb
import pytest

from tests.browser import free_port
from wavehouse.paths import published_db

warnings.filterwarnings("ignore", message=".*httpx.*")
from fastapi.testclient import TestClient  # noqa: E402

from wavehouse.lookup.store import Warehouse  # noqa: E402
from wavehouse.web.app import create_app  # noqa: E402

SEED = "4qPNDBW1i3p13qLCt0Ki3A"  # Ghost - Acoustic (Ben Woodward), in the fixture
OTHER = "7qiZfU4dY1lWllzX7mPBI3"  # Shape of You (Ed Sheeran)


@pytest.fixture(scope="module")
def client(built_home):
    return TestClient(create_app(published_db(built_home)))


def ok(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
    return response.json()


def test_search_and_track(client):
    found = ok(client, "/api/search?q=Ed%20Sheeran%20-%20Shape%20of%20You&k=3")["results"]
    assert found[0]["track_id"] == OTHER
    track = ok(client, f"/api/tracks/{SEED}")
    assert track["track_name"] == "Ghost - Acoustic" and track["cluster_name"] and isinstance(track["genres"], list)


def test_recommend_with_every_option(client):
    plain = ok(client, f"/api/recommend?seed={SEED}&k=5&explain=true")
    assert plain["seeds"] == [SEED] and len(plain["results"]) == 5
    assert all(r["why"]["agree_most"] for r in plain["results"])
    by_text = ok(client, "/api/recommend?seed=ghost%20acoustic&k=5")
    assert [r["track_id"] for r in by_text["results"]] == [r["track_id"] for r in plain["results"]]
    filtered = ok(
        client,
        f"/api/recommend?seed={SEED}&seed={OTHER}&k=8&exclude_artist=true&max_per_artist=1"
        "&explicit=false&min_popularity=10&mood=calm&diverse=true",
    )["results"]
    assert filtered and all(r["explicit"] is False and r["popularity"] >= 10 and r["mood"] == "calm" for r in filtered)
    assert len({r["artists"] for r in filtered}) == len(filtered)
    same = ok(client, f"/api/recommend?seed={SEED}&k=5&same_cluster=true")["results"]
    assert {r["cluster_id"] for r in same} == {ok(client, f"/api/tracks/{SEED}")["cluster_id"]}
    per_cluster = ok(client, f"/api/recommend?seed={SEED}&per_cluster=true")["results"]
    assert len(per_cluster) > 11
    hybrid = ok(client, f"/api/recommend?seed={SEED}&k=5&embedding=hybrid")["results"]
    audio = ok(client, f"/api/recommend?seed={SEED}&k=5&embedding=audio")["results"]
    assert (
        [r["track_id"] for r in hybrid] == [r["track_id"] for r in plain["results"]] != [r["track_id"] for r in audio]
    )
    assert len(ok(client, f"/api/recommend?seed={SEED}&k=5&embedding=unsupervised&mood=calm")["results"]) == 5


def test_path_moves_from_a_to_b_without_repeating_a_song(client):
    path = ok(client, f"/api/path?a={SEED}&b=bohemian%20rhapsody&steps=8")
    steps = path["steps"]
    assert steps[0]["track_id"] == SEED and steps[-1]["track_id"] == path["to"] and 3 <= len(steps) <= 8
    names = [(s["track_name"], s["artists"]) for s in steps]
    assert len(set(names)) == len(names)
    # it ends closer to b than it starts
    assert steps[-2]["similarity_to_b"] > steps[1]["similarity_to_b"] - 0.2
    assert all(s["similarity_to_previous"] is not None for s in steps[1:])


def test_clusters_playlists_evaluation_and_map(client):
    clusters = ok(client, "/api/clusters")["clusters"]
    assert len(clusters) >= 2
    first = clusters[0]["cluster_id"]
    detail = ok(client, f"/api/clusters/{first}")
    assert detail["cluster"]["cluster_id"] == first and detail["profile"] and detail["similar"]
    playlist = ok(client, f"/api/clusters/{first}/playlist?n=5")["tracks"]
    assert [t["position"] for t in playlist] == [1, 2, 3, 4, 5]
    m3u = client.get(f"/api/clusters/{first}/playlist?n=5&format=m3u")
    assert (
        m3u.status_code == 200 and m3u.text.startswith("#EXTM3U") and "attachment" in m3u.headers["content-disposition"]
    )
    uris = client.get("/api/moods/calm/playlist?n=3&format=uris").text.splitlines()
    assert len(uris) == 3 and all(re.fullmatch(r"spotify:track:\w{22}", u) for u in uris)
    metrics = {m["metric"] for m in ok(client, "/api/evaluation")["metrics"]}
    assert "genre_hit_rate_at_10_heldout" in metrics
    page1 = ok(client, "/api/map?map=pca&limit=50")["points"]
    page2 = ok(client, "/api/map?map=pca&limit=50&offset=50")["points"]
    assert len(page1) == 50 and not {p["track_id"] for p in page1} & {p["track_id"] for p in page2}
    assert ok(client, "/api/clusters?method=dbscan_pca")["clusters"]


@pytest.mark.parametrize(
    "url, status, fragment",
    [
        ("/api/tracks/nope", 404, "no track with id"),
        ("/api/recommend?seed=zzzqqqxxyy%20nothing", 404, "no track matches"),
        ("/api/recommend?seed=love", 409, "several tracks"),
        (f"/api/recommend?seed={SEED}&k=0", 422, "k: Input should be greater than or equal to 1"),
        (f"/api/recommend?seed={SEED}&k=501", 422, "k:"),
        (f"/api/recommend?seed={SEED}&explain=maybe", 422, "explain"),
        (f"/api/recommend?seed={SEED}&mood=angry", 400, "unknown mood"),
        (f"/api/recommend?seed={SEED}&seed={OTHER}&per_cluster=true", 400, "per_cluster takes one seed"),
        (
            f"/api/recommend?seed={SEED}&embedding=genre",
            422,
            "embedding: Input should be 'hybrid', 'audio' or 'unsupervised'",
        ),
        ("/api/recommend", 422, "seed"),
        ("/api/clusters/999", 404, "no cluster"),
        ("/api/clusters?method=nope", 400, "unknown method"),
        ("/api/clusters/1/playlist?format=mp3", 422, "format"),
        ("/api/map?map=nope", 400, "unknown map"),
        (f"/api/path?a={SEED}&b={OTHER}&steps=2", 422, "steps"),
        ("/api/search?q=", 422, "q"),
    ],
)
def test_bad_input_gets_a_json_error(client, url, status, fragment):
    response = client.get(url)
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]


def test_readme_curl_examples_answer(client):
    """Every curl example of the README and the docs pages answers 200."""
    from tests.helpers import docs_text

    readme = docs_text()
    urls = re.findall(r"curl '(http://127\.0\.0\.1:8000[^']+)'", readme)
    assert len(urls) >= 10
    for url in urls:
        response = client.get(url.replace("http://127.0.0.1:8000", ""))
        assert response.status_code == 200, f"{url}: {response.text[:300]}"


def test_user_text_is_never_sql(client):
    hostile = "x'); drop table dim_tracks; --"
    assert client.get("/api/search", params={"q": hostile}).status_code == 200
    assert client.get(f"/api/tracks/{hostile}").status_code == 404
    assert ok(client, f"/api/tracks/{SEED}")["track_id"] == SEED


def test_sound_why_and_the_playlist_builder_in_words(client):
    sound = {f["feature"]: f for f in ok(client, f"/api/tracks/{SEED}/sound")["features"]}
    assert sound["tempo"]["value_text"].endswith(" BPM") and sound["loudness"]["value_text"].endswith(" dB")
    assert re.fullmatch(r"[A-G]#? (major|minor)", sound["key"]["value_text"])
    assert re.fullmatch(r"\d+:\d\d", sound["duration_ms"]["value_text"])
    assert all(0 <= f["percentile"] <= 100 for f in sound.values() if f["percentile"] is not None)
    assert client.get("/api/tracks/nope/sound").status_code == 404
    why = ok(client, f"/api/recommend?seed={SEED}&k=5&explain=true")["results"]
    assert all(r["why"]["because"].count("similar ") == 1 for r in why)
    built = ok(client, f"/api/playlist?seed={SEED}&n=8&discovery=1&max_tempo=150")
    assert built["seeds"] == [SEED] and len(built["tracks"]) <= 8
    assert all(t["tempo"] <= 150 and not t["familiar_artist"] for t in built["tracks"])
    assert len({t["artists"] for t in built["tracks"]}) == len(built["tracks"])  # one song per artist
    m3u = client.get(f"/api/playlist?seed={SEED}&n=8&format=m3u")
    assert m3u.headers["content-type"].startswith("audio/x-mpegurl") and m3u.text.count("#EXTINF") == 8
    csv_text = client.get(f"/api/playlist?seed={SEED}&n=8&format=csv").text
    assert len(csv_text.splitlines()) == 9 and csv_text.startswith("position,track_id")
    assert len(ok(client, "/api/playlist?mood=calm&n=5")["seeds"]) == 5
    assert client.get("/api/playlist").status_code == 400  # no seed, mood or cluster
    assert client.get(f"/api/playlist?seed={SEED}&discovery=2").status_code == 422
    assert client.get(f"/api/playlist?seed={SEED}&mood=grumpy").status_code == 400
    columns = client.get("/api/map?map=tsne&format=columns&limit=100000", headers={"Accept-Encoding": "gzip"})
    assert columns.headers["content-encoding"] == "gzip" and len(columns.json()["x"]) == len(columns.json()["track_id"])
    assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg")


def test_pages_render_offline_and_escape(client):
    for url in ["/", f"/track/{SEED}", "/clusters", "/cluster/1", "/docs"]:
        response = client.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        # no CDN: no external script or stylesheet
        assert not re.search(r"<(script|link)[^>]+(src|href)=['\"]?https?:", response.text), url
    assert client.get("/track/<b>nope</b>").status_code == 404
    assert "<b>nope</b>" not in client.get("/track/<b>nope</b>").text
    # the track page's recommendations from another embedding: its own list, and links to the others
    audio = client.get(f"/track/{SEED}?embedding=audio").text
    audio_ids = [r["track_id"] for r in ok(client, f"/api/recommend?seed={SEED}&embedding=audio")["results"]]
    assert all(f"/track/{tid}" in audio for tid in audio_ids)
    assert f'href="/track/{SEED}?embedding=hybrid"' in audio and "<b>sound alone</b>" in audio
    assert client.get(f"/track/{SEED}?embedding=nope").status_code == 422
    assert "openapi" in client.get("/openapi.json").json()


def test_the_server_connection_cannot_write_or_reach_files(built_home):
    store = Warehouse(published_db(built_home))
    with store.cursor() as con:
        for statement in [
            "create table wh.x as select 1",
            "delete from dim_tracks",
            "select * from read_csv('/etc/passwd')",
            "copy dim_tracks to '/tmp/leak.csv'",
            "set enable_external_access = true",
            "attach '/tmp/other.duckdb' as other",
        ]:
            with pytest.raises(duckdb.Error):
                con.execute(statement)


def test_reopens_after_a_publish_with_no_failed_request(built_home, tmp_path):
    served = tmp_path / "wavehouse.duckdb"
    shutil.copy(published_db(built_home), served)
    client = TestClient(create_app(served))
    assert ok(client, f"/api/tracks/{SEED}")["track_name"] == "Ghost - Acoustic"
    assert ok(client, "/api/search?q=ghost+acoustic")["results"][0]["track_name"] == "Ghost - Acoustic"
    # the next build: a copy with one change, published by an atomic rename as wavehouse publish does
    new = tmp_path / "next.duckdb"
    shutil.copy(served, new)
    con = duckdb.connect(str(new))
    con.execute("update dim_tracks set track_name = 'Ghost - Rebuilt' where track_id = ?", [SEED])
    con.execute(
        "update fct_recommendation_candidates set similarity = 0.125 where seed_track_id = ? and neighbour_rank = 1",
        [SEED],
    )
    con.close()
    assert ok(client, f"/api/recommend?seed={SEED}&k=5")["results"][0]["similarity"] != pytest.approx(0.125)
    failures, done = [], threading.Event()

    def hammer():
        while not done.is_set():
            response = client.get(f"/api/recommend?seed={SEED}&k=5")
            if response.status_code != 200:
                failures.append(response.text)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    os.replace(new, served)
    # the new file is loaded in the background while the old one answers; then requests move over
    for _ in range(300):
        if ok(client, f"/api/tracks/{SEED}")["track_name"] == "Ghost - Rebuilt":
            break
        time.sleep(0.1)
    time.sleep(0.5)
    done.set()
    for t in threads:
        t.join()
    assert not failures
    assert ok(client, f"/api/tracks/{SEED}")["track_name"] == "Ghost - Rebuilt"
    assert client.app.state.store.opened == 2
    # the in-memory lists are the new file's too
    assert ok(client, f"/api/recommend?seed={SEED}&k=5")["results"][0]["similarity"] == pytest.approx(0.125)
    # the search index is the new file's too
    assert ok(client, "/api/search?q=ghost+acoustic")["results"][0]["track_name"] == "Ghost - Rebuilt"


def test_a_warehouse_from_an_older_wavehouse_is_served_by_sql(built_home, tmp_path):
    """A file without what the in-memory indexes read (no `search_terms` macro, no
    dim_tracks.track_number, as older builds published) still serves recommendations, by SQL."""
    served = tmp_path / "wavehouse.duckdb"
    shutil.copy(published_db(built_home), served)
    con = duckdb.connect(str(served))
    con.execute("drop macro table search_terms")
    con.execute("drop index dim_tracks_track_number")
    con.execute("alter table dim_tracks drop column track_number")
    con.close()
    with TestClient(create_app(served)) as client:
        snapshot = client.app.state.store._current
        assert snapshot.search is None and snapshot.lists is None
        answer = ok(client, f"/api/recommend?seed={SEED}&k=5")
    expected = (
        duckdb.connect(str(published_db(built_home)), read_only=True)
        .execute("select track_id from recommend([?], k := 5)", [SEED])
        .fetchall()
    )
    assert [r["track_id"] for r in answer["results"]] == [r[0] for r in expected]


# ---------------------------------------------------------------- serving as a user starts it


def test_serve_with_two_workers_answers_from_both(built_home):
    """`wavehouse serve --workers 2` as a user starts it: two processes behind one port, each
    opening the warehouse and its search index itself."""
    import subprocess
    import sys

    import httpx

    port = free_port()
    wavehouse = str(Path(sys.executable).with_name("wavehouse"))
    process = subprocess.Popen(
        [wavehouse, "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "WAVEHOUSE_HOME": str(built_home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        found = None
        for _ in range(200):
            try:
                found = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "ghost acoustic"}, timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert found is not None and found.status_code == 200, (
            process.stderr.read1().decode() if found is None else found.text
        )
        assert found.json()["results"][0]["track_id"] == SEED
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            answers = [http.get("/api/recommend", params={"seed": SEED, "k": 5}) for _ in range(20)]
        assert {r.status_code for r in answers} == {200} and len({r.text for r in answers}) == 1
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_single_seed_fast_path_equals_the_recommend_macro(built_home):
    from wavehouse import lookup

    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    seeds = [r[0] for r in con.execute("select track_id from dim_tracks order by hash(track_id) limit 60").fetchall()]
    for seed in seeds:
        columns, fast = lookup.recommend(con, [seed], 10)
        macro_columns, macro = lookup.query(con, "select * from recommend([?], k := 10)", [seed])
        assert columns == macro_columns
        assert [r[1] for r in fast] == [r[1] for r in macro], seed
        assert [round(r[7], 5) for r in fast] == [round(r[7], 5) for r in macro]
    con.close()


def test_the_servers_lists_equal_the_list_read(built_home):
    """The in-memory lists give lookup.list_of's rows, every column, for every seed and k."""
    from wavehouse import lookup
    from wavehouse.lookup.lists import NeighbourLists

    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    lists = NeighbourLists(con)
    seeds = [r[0] for r in con.execute("select distinct seed_track_id from fct_recommendation_candidates").fetchall()]
    assert len(seeds) > 1000
    longest = con.execute("select max(neighbour_rank) from fct_recommendation_candidates").fetchall()[0][0]
    for i, seed in enumerate(seeds):
        k = (1, 10, longest)[i % 3]
        assert lists.top(seed, k) == lookup.list_of(con, seed, k), seed
    assert lists.top(" " + seeds[0] + " ", 10) == lookup.list_of(con, seeds[0], 10)
    assert lists.top(seeds[0], longest + 1) is None and lookup.list_of(con, seeds[0], longest + 1) is None
    assert lists.top("shape of you", 10) is None
    con.close()


def scan_types(con, sql: str, params: list) -> dict[str, set[str]]:
    """{table: {scan types}} of a statement's executed plan (EXPLAIN ANALYZE)."""
    plan = con.execute("explain analyze " + sql, params).fetchall()[0][1]
    found: dict[str, set[str]] = {}
    tables: dict[int, str] = {}  # boxes side by side: the table last named at each column
    for line in plan.splitlines():
        for match in re.finditer(r"(Table|Type): ([^│]+)", line):
            kind, value, column = match.group(1), match.group(2).strip(), match.start()
            if kind == "Table":
                tables[column] = value.split(".")[-1]
            elif column in tables:
                found.setdefault(tables.pop(column), set()).add(value)
    return found


def test_the_hot_paths_read_by_index(built_home):
    """The look-ups the server lives on are ART index reads, not row-group scans: one seed's list
    (API and recommend()), a track by id, and search's top k joined back by track_number."""
    from wavehouse.lookup.catalogue import TRACK_SQL
    from wavehouse.lookup.recommend import LIST_SQL

    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    assert scan_types(con, LIST_SQL, [SEED]) == {"fct_recommendation_candidates": {"Index Scan"}}
    assert (
        "Index Scan"
        in scan_types(con, "select * from recommend([?], k := 10)", [SEED])["fct_recommendation_candidates"]
    )
    assert scan_types(con, TRACK_SQL, [SEED])["dim_tracks"] == {"Index Scan"}
    assert scan_types(con, "select * from search_tracks(?, k := 10)", ["ghost acoustic"])["dim_tracks"] == {
        "Index Scan"
    }
    con.close()


# The scoring of search_tracks as a full scan of dim_tracks (the macro before the word index),
# kept here as the reference the indexed macro must equal.
SCAN_SEARCH = r"""
with
needle as (
    select list_filter(list_distinct(string_split(wh_normalise($q), ' ')), lambda w: w <> '')[1:126] as words,
           list_filter(list_filter(list_distinct(string_split(wh_normalise($q), ' ')), lambda w: w <> '')[1:126], lambda w: w <> 'by') as typed,
           regexp_extract(trim($q),
                          '^(?:spotify:track:|https?://open\.spotify\.com/(?:intl-[a-z_-]+/)?track/)?([A-Za-z0-9]{22})(?:[/?].*)?$',
                          1) as spotify_id
),
tracks as (
    select d.track_id, d.track_name, d.artists, d.primary_genre, d.popularity, d.song_key,
           string_split(d.title_key, ' ') as title_words, string_split(d.artist_key, ' ') as artist_words
    from dim_tracks as d
),
scored as (
    select t.track_id, t.track_name, t.artists, t.primary_genre, t.popularity, t.song_key,
        case when t.track_id = needle.spotify_id then 1.0 else
            0.5 * list_sum(list_transform(needle.typed, lambda typed_word:
                      greatest(wh_word_match(typed_word, t.title_words), wh_word_match(typed_word, t.artist_words))))
                / greatest(len(needle.typed), 1)
            + 0.35 * list_sum(list_transform(t.title_words, lambda title_word: wh_word_match(title_word, needle.words)))
                / len(t.title_words)
            + 0.15 * list_sum(list_transform(t.artist_words, lambda artist_word: wh_word_match(artist_word, needle.words)))
                / len(t.artist_words)
        end as score
    from tracks as t, needle
    where (needle.spotify_id = '' and len(needle.typed) > 0) or t.track_id = needle.spotify_id
),
best_per_song as (
    select * from scored
    qualify row_number() over (partition by song_key order by round(score, 9) desc, popularity desc, track_id) = 1
)
select track_id, track_name, artists, primary_genre, popularity, round(score, 3) as score
from best_per_song where score >= 0.35 order by round(score, 9) desc, popularity desc, track_id limit 10
"""


def search_queries(con, n: int = 80) -> list[str]:
    """What people type: titles, "Artist - Title", first words, typos, ids, odd input."""
    rows = con.execute("select track_name, artists from dim_tracks order by hash(track_id) limit ?", [n]).fetchall()
    queries = [
        "love",
        "by",
        "shape of you by ed sheeran",
        f"spotify:track:{SEED}",
        "bohemian rhapsdy",
        "the the",
        "!!!",
        "Beyoncé",
        "東京",
        "x",
        " ".join(f"w{i}" for i in range(70)),
        "",
        "   ",
        "by by",
        "love love LOVE",
        "Ed Sheeran — Shape of You (feat. Someone)",
        f"https://open.spotify.com/track/{SEED}?si=1",
    ]
    for name, artists in rows:
        first = (artists or "").split(";")[0]
        queries += [
            name,
            f"{first} - {name}",
            " ".join(name.split()[:2]),
            name[:-1],
            " ".join(w[:-1] + "x" if len(w) > 4 else w for w in name.split()),
        ]
    return queries


def test_indexed_search_equals_the_full_scan(built_home):
    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    for q in search_queries(con):
        assert (
            con.execute("select * from search_tracks(?, k := 10)", [q]).fetchall()
            == con.execute(SCAN_SEARCH, {"q": q}).fetchall()
        ), q
    con.close()


def test_the_servers_search_index_equals_the_macro(built_home, monkeypatch):
    """The server answers search from arrays in memory (warehouse/lookup/search_index.py); the macro is the reference:
    same tracks, order and rounded scores, for hundreds of queries (typos, several words, ids,
    non-Latin text, more words than the arrays' masks hold)."""
    from wavehouse import lookup
    from wavehouse.lookup import search_index as search
    from wavehouse.lookup.search_index import SearchIndex

    store = Warehouse(published_db(built_home))
    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    index = SearchIndex(con)
    queries = search_queries(con, 120)
    handed_over = []  # the queries the arrays hand to the macro: ids and the 70-word one only
    macro = lookup.search
    monkeypatch.setattr(search, "sql_search", lambda c, q, k: handed_over.append(q) or macro(c, q, k))
    for q in queries:
        expected = con.execute("select * from search_tracks(?, k := 10)", [q]).fetchall()
        assert index.search(con, q, 10)[1] == expected, q
        assert store.search(q, 10)[1] == expected, q
    assert set(handed_over) == {
        f"spotify:track:{SEED}",
        f"https://open.spotify.com/track/{SEED}?si=1",
        " ".join(f"w{i}" for i in range(70)),
    }
    assert index.search(con, "ghost acoustic", 3)[1][0][0] == SEED
    con.close()


def test_the_servers_normaliser_equals_wh_normalise(built_home):
    """warehouse/lookup/search_index.py's Normaliser gives wh_normalise's text for every name of the catalogue, the
    featuring forms, and generated text mixing separators, accents, combining marks, case pairs
    and characters outside its start-up table."""
    import random

    from wavehouse.lookup.search_index import Normaliser

    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    normalise = Normaliser(con)
    names = [
        r[0]
        for r in con.execute("""select track_name from dim_tracks union all select artists from dim_tracks
                                          union all select album_name from dim_tracks""").fetchall()
        if r[0]
    ]
    rng = random.Random(7)
    pieces = (
        list("aZ9 ()[]-'.,&\t\n\r\f\v")
        + ["feat.", "FT", "featuring", "with", "With", "by"]
        + [
            chr(c)
            for c in (
                0xE9,
                0x301,
                0x130,
                0x131,
                0x17F,
                0x212A,
                0xDF,
                0x1E9E,
                0x3A3,
                0xA0,
                0x2019,
                0x3000,
                0xFF01,
                0x4E2D,
                0x1F600,
                0x10400,
                0xE000,
                0x85,
                0x2028,
            )
        ]
    )
    texts = (
        names
        + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 24))) for _ in range(5000)]
        + [
            "Shape of You (feat. X)",
            "song feat. someone else",
            "x (with Y) z",
            "a FT. b",
            "a\nfeat. b",
            "a feat. b\nc",
            "",
        ]
    )
    expected = [r[0] for r in con.execute("select wh_normalise(unnest(?::varchar[]))", [texts]).fetchall()]
    assert [normalise(con, t) for t in texts] == expected
    assert len(normalise.table) > 0x3000 - 0x800  # the generated text taught it characters past its start
    con.close()


def test_the_servers_jaro_winkler_is_duckdbs(built_home):
    """The server compares typed words with the vocabulary in rapidfuzz, whose Winkler step rounds
    twice where DuckDB's build may round once. `winkler` with the rounding detected from DuckDB
    must equal DuckDB bit for bit (also for non-Latin words), so that a value of exactly 0.9 falls
    on the macro's side of the cut-off; and the server's matches must be the macro's pairs."""
    from rapidfuzz.distance import JaroWinkler

    from wavehouse.lookup.search_index import CLOSE, SearchIndex, duckdb_rounding, winkler

    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    fused = duckdb_rounding(con)
    assert fused is not None
    typed = [
        r[0]
        for r in con.execute("""select distinct w from (select unnest(string_split(wh_normalise(track_name), ' ')) as w
                                          from dim_tracks) where w <> '' order by hash(w) limit 300""").fetchall()
    ]
    typed = sorted({*typed, *(w[:-1] + "x" for w in typed if len(w) > 4), *(w[0] + w[2:] for w in typed if len(w) > 3)})
    pairs = con.execute(
        """select v.word, t.w, jaro_winkler_similarity(v.word, t.w)
                           from dim_search_vocabulary as v, (select unnest(?::varchar[]) as w) as t
                           where v.first_letter = t.w[1] and v.n_chars * 2 >= length(t.w) and v.n_chars <= 2 * length(t.w)""",
        [typed],
    ).fetchall()
    assert len(pairs) > 10_000 and sum(jw == 0.9 for _, _, jw in pairs) > 10
    assert [winkler(a, b, fused) for a, b, _ in pairs] == [jw for _, _, jw in pairs]
    assert any(JaroWinkler.similarity(a, b) != jw for a, b, jw in pairs) == fused  # the probe is needed
    index = SearchIndex(con)
    words = {w: i for i, w in enumerate(index.words)}
    for w in typed:  # only which words pass the cut-off counts (a match's value is 1 or 0.6)
        assert sorted(row for row, _ in index._matches(con, w)) == sorted(
            words[a] for a, b, jw in pairs if b == w and jw >= CLOSE
        ), w
    con.close()


def test_sql_round_is_duckdbs_round():
    import numpy as np

    from wavehouse.lookup.search_index import sql_round

    values = [0.3525, 0.8125, -0.8125, 0.35250000000000004, 2.5, 0.1234567895, 1 / 3, 0.0]
    con = duckdb.connect()
    for places in (0, 3, 9):
        expected = [con.execute("select round(?::double, ?)", [v, places]).fetchone()[0] for v in values]
        assert sql_round(np.array(values), places).tolist() == expected, places


def test_the_server_loads_its_search_index_before_the_first_request(built_home, tmp_path):
    store = Warehouse(published_db(built_home))
    store.warm()
    assert store._current.search is not None and store._current.lists.row
    with TestClient(create_app(published_db(built_home))) as client:  # runs the app's start-up
        assert client.app.state.store._current is not None
        assert ok(client, "/api/search?q=ghost+acoustic")["results"][0]["track_name"] == "Ghost - Acoustic"
    Warehouse(tmp_path / "missing.duckdb").warm()  # no warehouse yet: requests will say so
    assert TestClient(create_app(tmp_path / "missing.duckdb")).get("/api/search?q=x").status_code >= 400

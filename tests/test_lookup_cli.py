"""Look-up commands (search, recommend, playlist, clusters, cluster, evaluate) on the fixture warehouse."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
from click.testing import CliRunner

from wavehouse.cli.main import cli
from wavehouse.paths import published_db

SEED = "4qPNDBW1i3p13qLCt0Ki3A"  # Ben Woodward - Ghost (Acoustic), in the fixture


@pytest.fixture()
def run(built_home):
    def _run(*args):
        return CliRunner().invoke(cli, list(args), env={"WAVEHOUSE_HOME": str(built_home)}, catch_exceptions=False)

    return _run


@pytest.fixture()
def tracks(built_home):
    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    rows = {
        r[0]: r
        for r in con.execute(
            "select track_id, song_key, artists, explicit, mood, cluster_id from dim_tracks"
        ).fetchall()
    }
    con.close()
    return rows


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_search_ignores_case_accents_feat_and_punctuation(run):
    hits = as_json(run("search", "ca va 東京", "--format", "json"))
    assert hits[0]["track_id"] == "00000000000000000001ok"
    hits = as_json(run("search", "GHOST (feat. Somebody) - acoustic!", "--format", "json"))
    assert hits[0]["track_id"] == SEED


def test_recommend_top_k_never_returns_the_seed_song(run, tracks):
    recs = as_json(run("recommend", SEED, "-k", "10", "--format", "json"))
    assert [r["rank"] for r in recs] == list(range(1, 11))
    assert all(tracks[r["track_id"]][1] != tracks[SEED][1] for r in recs)
    sims = [r["similarity"] for r in recs]
    assert sims == sorted(sims, reverse=True)


def test_recommend_by_search_string_and_explain(run):
    recs = as_json(run("recommend", "ghost acoustic ben woodward", "-k", "3", "--explain", "--format", "json"))
    assert len(recs) == 3
    for r in recs:
        assert len(r["agree_most"]) == 3 and len(r["differ_most"]) == 3
        assert not set(r["agree_most"]) & {"explicit", "key", "mode", "time_signature"}
        assert r["because"].count("similar ") == 1  # the same words as the API's why and the page
    table = run("recommend", "ghost acoustic ben woodward", "-k", "3", "--explain").output
    words = table.split("why, in words:\n")[1].splitlines()  # in full, under the table
    assert [line.rsplit(": ", 1)[1] for line in words] == [r["because"] for r in recs]


def test_recommend_filters(run, tracks):
    recs = as_json(run("recommend", SEED, "-k", "15", "--no-explicit", "--max-per-artist", "1", "--format", "json"))
    assert len(recs) == 15
    assert not any(tracks[r["track_id"]][3] for r in recs)
    assert len({r["artists"] for r in recs}) == len(recs)
    recs = as_json(run("recommend", SEED, "-k", "5", "--mood", "calm", "--format", "json"))
    assert len(recs) == 5 and all(tracks[r["track_id"]][4] == "calm" for r in recs)
    recs = as_json(run("recommend", SEED, "-k", "5", "--same-cluster", "--format", "json"))
    assert all(tracks[r["track_id"]][5] == tracks[SEED][5] for r in recs)
    seed_artists = set(tracks[SEED][2].split(";"))
    recs = as_json(run("recommend", SEED, "-k", "20", "--exclude-artist", "--format", "json"))
    assert all(not seed_artists & set((r["artists"] or "").split(";")) for r in recs)


def test_recommend_from_each_embedding_is_its_neighbour_list(run, built_home):
    con = duckdb.connect(str(published_db(built_home)), read_only=True)

    def top(kind):
        return [
            r[0]
            for r in con.execute(
                """select neighbour_track_id from ml_track_neighbours
            where embedding_kind = ? and track_id = ? order by neighbour_rank limit 10""",
                [kind, SEED],
            ).fetchall()
        ]

    default = [r["track_id"] for r in as_json(run("recommend", SEED, "--format", "json"))]
    assert default == top("hybrid")
    for name, kind in [("hybrid", "hybrid"), ("audio", "audio"), ("unsupervised", "autoencoder")]:
        recs = as_json(run("recommend", SEED, "--embedding", name, "--format", "json"))
        assert [r["track_id"] for r in recs] == top(kind), name
        # the SQL macro takes the same names
        sql = [
            r[0] for r in con.execute("select track_id from recommend([?], embedding := ?)", [SEED, name]).fetchall()
        ]
        assert sql == top(kind), name
    assert top("audio") != top("hybrid") and top("autoencoder") != top("audio")
    filtered = as_json(
        run(
            "recommend",
            SEED,
            "--embedding",
            "audio",
            "--max-per-artist",
            "1",
            "-k",
            "5",
            "--diverse",
            "--format",
            "json",
        )
    )
    assert len(filtered) == 5
    con.close()
    bad = run("recommend", SEED, "--embedding", "genre")
    assert bad.exit_code == 2 and "'genre' is not one of 'hybrid', 'audio', 'unsupervised'" in bad.output


def test_recommend_several_seeds_ranks_by_seeds_reaching(run, tracks):
    other = "00000000000000000001ok"
    recs = as_json(run("recommend", SEED, other, "-k", "10", "--format", "json"))
    assert len(recs) == 10
    counts = [r["n_seeds"] for r in recs]
    assert counts == sorted(counts, reverse=True)
    assert not {r["track_id"] for r in recs} & {SEED, other}


def test_recommend_per_cluster_is_seed_000s_scheme(run, tracks):
    recs = as_json(run("recommend", SEED, "--per-cluster", "--format", "json"))
    same = [r for r in recs if r["same_cluster"]]
    assert 0 < len(same) <= 11
    per_other = {}
    for r in recs:
        if not r["same_cluster"]:
            per_other[r["cluster_id"]] = per_other.get(r["cluster_id"], 0) + 1
    assert per_other and max(per_other.values()) <= 3


def test_recommend_diverse_gives_k_distinct_tracks(run):
    recs = as_json(run("recommend", SEED, "-k", "8", "--diverse", "--format", "json"))
    assert len({r["track_id"] for r in recs}) == 8


def test_unknown_and_truly_tied_tracks_exit_1_without_traceback(run):
    result = run("recommend", "qqqqzzzz xxyy")
    assert result.exit_code == 1 and "Did you mean" in result.output and "Traceback" not in result.output
    # several titles hold the word "love" equally well, their popularity within the margin
    result = run("recommend", "love")
    assert result.exit_code == 1 and "equally well" in result.stderr and "--pick" in result.stderr
    assert "pick" in result.stderr.splitlines()[1]
    assert run("recommend", "love", "--pick", "2", "-k", "3").exit_code == 0
    assert run("recommend", "love", "--pick", "99").exit_code == 1


ED_SHEERAN = "7qiZfU4dY1lWllzX7mPBI3"  # Shape of You; the fixture also holds a cover and a rock version


@pytest.mark.parametrize(
    "typed",
    [
        "shape of you",
        "Shape Of You!",
        "shape of you ed sheeran",
        "Ed Sheeran - Shape of You",
        "Shape of You by Ed Sheeran",
        "sheeran shape",
        f"spotify:track:{ED_SHEERAN}",
        f"https://open.spotify.com/track/{ED_SHEERAN}?si=0123abc",
        f" {ED_SHEERAN} ",
    ],
)
def test_search_understands_what_people_type(run, typed):
    hits = as_json(run("search", typed, "--format", "json"))
    assert hits[0]["track_id"] == ED_SHEERAN and hits[0]["pick"] == 1
    recs = run("recommend", typed, "-k", "3", "--format", "json")
    assert recs.exit_code == 0 and len(json.loads(recs.stdout)) == 3


def test_artist_words_break_title_ties(run):
    hits = as_json(run("search", "shape of you ed sheeran", "--format", "json"))
    assert hits[0]["track_id"] == ED_SHEERAN and hits[0]["score"] - hits[1]["score"] >= 0.05
    cover = as_json(run("search", "shape of you andrew foy", "--format", "json"))[0]
    assert cover["artists"] == "Andrew Foy"
    # -k as in recommend (and -n, --limit)
    assert [len(as_json(run("search", "shape of you", flag, "2", "--format", "json"))) for flag in ("-k", "-n")] == [
        2,
        2,
    ]


def test_recommend_takes_the_clear_best_and_says_how_to_choose_another(run):
    result = run("recommend", "shape of you", "-k", "2")
    assert result.exit_code == 0
    assert "picked Shape of You — Ed Sheeran" in result.stderr and "--pick N" in result.stderr
    assert "picked" not in result.stdout
    second = run("recommend", "shape of you", "--pick", "2", "-k", "2")
    assert second.exit_code == 0 and "Andrew Foy" in second.stderr
    # the README's own example
    readme = run("recommend", "ghost acoustic", "-k", "3")
    assert readme.exit_code == 0 and SEED in readme.stderr


def test_clearly_best_rule():
    from wavehouse.lookup import clearly_best

    assert clearly_best([0.9], [0])
    assert clearly_best([0.9, 0.8], [0, 90])  # better score
    assert clearly_best([0.85, 0.85], [86, 24])  # as good, far more popular (the original over a cover)
    assert not clearly_best([0.85, 0.85], [71, 62])  # tied
    assert not clearly_best([0.85, 0.83], [50, 90])


def test_no_song_twice_in_any_list(run, built_home, tracks):
    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    repeated = con.execute("""
        select count(*) from (
            select n.track_id, d.song_key from fct_track_neighbours as n
            inner join dim_tracks as d on d.track_id = n.neighbour_track_id
            group by all having count(*) > 1)""").fetchone()[0]
    lengths = con.execute(
        "select min(n), max(n) from (select count(*) as n from fct_track_neighbours group by track_id)"
    ).fetchone()
    con.close()
    assert repeated == 0 and lengths == (20, 20)
    two_seeds = as_json(run("recommend", SEED, ED_SHEERAN, "-k", "30", "--format", "json"))
    vector = as_json(run("recommend", SEED, "-k", "30", "--diverse", "--format", "json"))
    per_cluster = as_json(run("recommend", SEED, "--per-cluster", "--format", "json"))
    for rows in (two_seeds, vector, per_cluster):
        songs = [tracks[r["track_id"]][1] for r in rows]
        assert len(songs) == len(set(songs)) and tracks[SEED][1] not in songs
    assert len(two_seeds) == 30


def test_hostile_input_is_data(run, built_home):
    for text in ["'; drop table dim_tracks; --", '" or 1=1 --', "ü" * 5000, "Robert'); DROP TABLE x;--"]:
        result = run("recommend", text)  # a search string like any other: it may even match a title
        assert result.exit_code in (0, 1) and "Traceback" not in result.output
        result = run("search", text)
        assert result.exit_code in (0, 1) and "Traceback" not in result.output
    assert as_json(run("sql", "select count(*) as n from dim_tracks", "--format", "json"))[0]["n"] > 2000


def test_playlists_in_every_format(run):
    rows = as_json(run("playlist", "0", "-n", "5", "--format", "json"))
    assert [r["position"] for r in rows] == [1, 2, 3, 4, 5]
    m3u = run("playlist", "0", "-n", "3", "--format", "m3u").output.splitlines()
    assert (
        m3u[0] == "#EXTM3U" and m3u[1].startswith("#EXTINF:") and m3u[2].startswith("https://open.spotify.com/track/")
    )
    uris = run("playlist", "--mood", "party", "-n", "4", "--format", "uris").output.split()
    assert len(uris) == 4 and all(u.startswith("spotify:track:") for u in uris)
    assert run("playlist", "--mood", "nope").exit_code == 1
    sub = as_json(run("playlist", "0", "--sub", "1", "-n", "3", "--format", "json"))
    assert len(sub) == 3


def test_clusters_cluster_and_evaluate(run):
    clusters = as_json(run("clusters", "--format", "json"))
    assert clusters and all(c["cluster_name"] for c in clusters)
    assert abs(sum(c["share"] for c in clusters) - 1) < 0.01
    other = as_json(run("clusters", "--method", "dbscan_pca", "--format", "json"))
    assert any(c["cluster_id"] == -1 for c in other) or other
    detail = as_json(run("cluster", str(clusters[0]["cluster_id"]), "--format", "json"))
    assert set(detail) == {"cluster", "profile", "importance", "similar"} and len(detail["profile"]) == 15
    metrics = as_json(run("evaluate", "--format", "json"))
    for key in (
        "genre_hit_rate_at_10_heldout",
        "genre_hit_rate_at_10_unsupervised",
        "genre_hit_rate_at_10_seed_protocol",
        "same_song_rate_at_10",
    ):
        assert key in metrics
    assert metrics["same_song_rate_at_10"] == 0


def test_lookups_never_import_torch_sklearn_shap_or_dbt(built_home):
    code = (
        "import sys; from click.testing import CliRunner; from wavehouse.cli.main import cli; "
        f"r = CliRunner().invoke(cli, ['recommend', '{SEED}', '--explain']); "
        "r2 = CliRunner().invoke(cli, ['search', 'ghost']); "
        "print(r.exit_code, r2.exit_code, sorted(m for m in ('torch', 'sklearn', 'shap', 'dbt', 'imblearn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"WAVEHOUSE_HOME": str(built_home), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert out.stdout.strip() == "0 0 []", out.stdout + out.stderr


def test_a_methods_top_genre_breaks_ties_by_name():
    """`clusters --method`: the most frequent genre of each cluster, a tie to the first by name (so
    the same warehouse always shows the same; mode() broke ties at random)."""
    import duckdb

    from wavehouse import lookup

    con = duckdb.connect()
    con.execute("create table dim_clusters as select 'kmeans_embedding' as method")
    con.execute("""create table dim_tracks as select * from (values
                   ('a', 'forro', 0.5, 0.1), ('b', 'afrobeat', 0.7, 0.3), ('c', 'forro', 0.6, 0.2),
                   ('d', 'afrobeat', 0.4, 0.4), ('e', null, 0.5, 0.5), ('f', null, 0.5, 0.5), ('g', 'tango', 0.1, 0.9))
                   as t(track_id, primary_genre, energy, acousticness)""")
    con.execute("""create table ml_track_clusters as select * from (values
                   ('a', 'kmeans_pca', 0), ('b', 'kmeans_pca', 0), ('c', 'kmeans_pca', 0), ('d', 'kmeans_pca', 0),
                   ('e', 'kmeans_pca', 1), ('f', 'kmeans_pca', 1), ('g', 'kmeans_pca', 1)) as c(track_id, method, cluster_id)""")
    columns, rows = lookup.clusters(con, "kmeans_pca")
    assert [(r[columns.index("cluster_id")], r[columns.index("top_genre")]) for r in rows] == [
        (0, "afrobeat"),
        (1, "tango"),
    ]

"""Incremental builds end to end on the real fixture: 90% of it built in full, then the whole of it
incrementally, then with tracks deleted. Every neighbour list must equal the exact top-k over the
final catalogue in the warehouse's own embeddings, old tracks keep their clusters, nothing dangles,
and the decision between full and incremental follows ml_build_plan's rules."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from tests.helpers import copy_home, quick_vars
from wavehouse.build import build, build_fingerprint, dbt_args, run_dbt
from wavehouse.build import fingerprint as fingerprint_module
from wavehouse.models_py.neighbours import exact_topk, exact_topk_distinct
from wavehouse.models_py.sampling import first_of_each_name
from wavehouse.paths import build_db, published_db


def write_rows(source: Path, target: Path, keep) -> Path:
    """The records of `source` for which keep(i, record) holds, in their order (a record's fields
    are written back as they were read, malformed ones too)."""
    with open(source, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open(target, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([rows[0]] + [r for i, r in enumerate(rows[1:]) if keep(i, r)])
    return target


def query(db: Path, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def assert_lists_are_exact(db: Path) -> int:
    """Every recommendation list (each kind users can choose) equals the exact distinct-song top-k
    of the warehouse's own vectors: same ids rank by rank (or, where they differ, the same
    similarity within 1e-5: a tie), similarities within 1e-5. Returns the lists checked."""
    ids = [r[0] for r in query(db, "select track_id from int_ml_inputs order by track_id")]
    songs = np.array([r[0] for r in query(db, "select song_id from int_ml_inputs order by track_id")])
    row = {t: i for i, t in enumerate(ids)}
    checked = 0
    kinds = query(
        db, "select distinct embedding_kind from ml_track_embeddings where not is_cluster_space or is_default"
    )
    for (kind,) in kinds:
        E = np.array(
            [
                r[0]
                for r in query(
                    db, "select embedding from ml_track_embeddings where embedding_kind = ? order by track_id", [kind]
                )
            ],
            dtype=np.float32,
        )
        lists = query(
            db,
            "select track_id, neighbour_rank, neighbour_track_id, similarity from ml_track_neighbours "
            "where embedding_kind = ? order by track_id, neighbour_rank",
            [kind],
        )
        k = max(r[1] for r in lists)
        idx = np.full((len(ids), k), -1)
        sim = np.full((len(ids), k), np.nan, dtype=np.float32)
        for track, rank, neighbour, similarity in lists:
            idx[row[track], rank - 1], sim[row[track], rank - 1] = row[neighbour], similarity
        assert (idx >= 0).all(), f"{kind}: a track without a full list"
        expected_idx, expected_sim = exact_topk_distinct(E, k, songs)
        assert np.allclose(sim, expected_sim, atol=1e-5), kind
        assert ((idx == expected_idx) | (np.abs(sim - expected_sim) <= 1e-5)).all(), kind
        checked += len(ids)
    return checked


# Every build here trains its networks on a sample smaller than the fixture (train_sample), so the
# tracks outside it are embedded by the stored networks, as in a catalogue above 200,000 tracks.
TRAIN_SAMPLE = 1000
VARS = quick_vars(train_sample=TRAIN_SAMPLE)  # the subject is incremental bookkeeping: QUICK models


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def grown(tmp_path_factory, fixture_csv):
    """A home built in full from 90% of the fixture, then incrementally from all of it."""
    folder = tmp_path_factory.mktemp("incremental")
    home = folder / "home"
    first = build(
        data=write_rows(fixture_csv, folder / "ninety.csv", lambda i, r: i % 10 != 3), base=home, dbt_vars=VARS
    )
    before = folder / "before.duckdb"
    shutil.copy(published_db(home), before)
    second = build(data=fixture_csv, base=home, dbt_vars=VARS)
    return home, before, first, second


def test_adding_tracks_is_incremental_and_every_list_stays_exact(grown):
    home, before, first, second = grown
    assert first.mode == "full" and second.mode == "incremental", (first.mode_reason, second.mode_reason)
    assert second.tracks_added > 0
    db = published_db(home)
    ((mode, added, trained),) = query(
        db, "select build_mode, tracks_added, (select count(distinct trained_run_id) from ml_models) from ml_runs"
    )
    assert mode == "incremental" and added == second.tracks_added and trained == 1
    # the models are the full build's, carried over byte for byte
    assert query(db, "select model, md5(artefact) from ml_models order by 1") == query(
        before, "select model, md5(artefact) from ml_models order by 1"
    )
    assert assert_lists_are_exact(db) == 3 * query(db, "select count(*) from dim_tracks")[0][0]
    # every track has its embeddings, clusters and (LDA, PCA) map points
    n = query(db, "select count(*) from int_ml_inputs")[0][0]
    assert query(db, "select count(*) from ml_track_embeddings")[0][0] == 4 * n
    assert query(db, "select count(*) from ml_track_clusters")[0][0] == 4 * n
    assert query(db, "select count(*) from ml_track_maps where map in ('pca', 'lda')")[0][0] == 2 * n
    # the full build trained its networks on train_sample tracks and embedded the rest with them
    full_n = query(before, "select count(*) from int_ml_inputs")[0][0]
    metrics = {stage: json.loads(m) for stage, m in query(before, "select stage, metrics from ml_stage_log")}
    assert all(
        0 < metrics[stage]["train_rows"] <= TRAIN_SAMPLE for stage in ("autoencoder", "genre_aware", "genre_head")
    )
    embedded = metrics["embed_all_tracks"]
    assert (embedded["tracks"], embedded["train_rows"]) == (full_n, metrics["autoencoder"]["train_rows"])
    assert full_n > 2 * TRAIN_SAMPLE


def test_a_build_with_nothing_changed_builds_nothing(grown, fixture_csv, tmp_path):
    """The same input bytes (under another name), --vars, code and libraries as the published
    build: up to date, nothing built, the published file untouched."""
    home, _, _, second = grown
    db = published_db(home)
    was = digest(db)
    assert query(db, "select length(input_fingerprint) from ml_build_plan") == [(64,)]
    summary = build(data=Path(shutil.copy(fixture_csv, tmp_path / "same_bytes.csv")), base=home, dbt_vars=VARS)
    assert summary.up_to_date and summary.mode == "incremental" and summary.rows_kept == second.rows_kept
    assert summary.published == db and summary.built_at
    assert digest(db) == was


def test_the_fingerprint_follows_the_input_the_arguments_and_the_code(fixture_csv, tmp_path, monkeypatch):
    base = build_fingerprint(fixture_csv, ["--vars", "{}"])
    assert build_fingerprint(Path(shutil.copy(fixture_csv, tmp_path / "renamed.csv")), ["--vars", "{}"]) == base
    assert build_fingerprint(fixture_csv, ["--vars", '{"latent_dim": 8}']) != base
    edited = tmp_path / "edited.csv"
    edited.write_bytes(fixture_csv.read_bytes().replace(b",", b";", 1))
    assert build_fingerprint(edited, ["--vars", "{}"]) != base
    parts = tmp_path / "parts"
    parts.mkdir()
    shutil.copy(fixture_csv, parts / "a.csv")
    one = build_fingerprint(parts, [])
    shutil.copy(edited, parts / "b.csv")
    assert build_fingerprint(parts, []) != one  # a part added to the folder
    model = tmp_path / "model.sql"
    model.write_text("select 1", encoding="utf-8")
    monkeypatch.setattr(fingerprint_module, "code_files", lambda: [model])
    before = build_fingerprint(fixture_csv, [])
    model.write_text("select 2", encoding="utf-8")
    assert build_fingerprint(fixture_csv, []) != before
    # the real code list holds the dbt models and the ML functions
    monkeypatch.undo()
    names = {path.name for path in fingerprint_module.code_files()}
    assert {"ml_build_plan.sql", "ml_track_neighbours.py", "exact.py", "reuse.py", "dbt_project.yml"} <= names


def test_evaluation_lists_are_updated_exactly(grown):
    """The evaluation's lists (held-out queries in the cluster space; seed 001's protocol over the
    first track of each name) are merged, not searched again, and equal a search from scratch."""
    home, _, _, _ = grown
    db = published_db(home)
    ids = [r[0] for r in query(db, "select track_id from int_ml_inputs order by track_id")]
    row = {t: i for i, t in enumerate(ids)}
    songs = np.array([r[0] for r in query(db, "select song_id from int_ml_inputs order by track_id")])
    holdout = np.flatnonzero([r[0] for r in query(db, "select is_holdout from int_ml_inputs order by track_id")])

    def vectors(condition):
        return np.array(
            [r[0] for r in query(db, f"select embedding from ml_track_embeddings where {condition} order by track_id")],
            dtype=np.float32,
        )

    def stored(kind, k=10):
        lists = query(
            db,
            "select track_id, neighbour_rank, neighbour_track_id, similarity from ml_track_neighbours "
            "where embedding_kind = ? order by track_id, neighbour_rank",
            [kind],
        )
        queries = sorted({row[r[0]] for r in lists})
        at = {q: i for i, q in enumerate(queries)}
        idx, sim = np.full((len(queries), k), -1), np.full((len(queries), k), np.nan, np.float32)
        for track, rank, neighbour, similarity in lists:
            idx[at[row[track]], rank - 1], sim[at[row[track]], rank - 1] = row[neighbour], similarity
        return np.array(queries), idx, sim

    def same(got, expected):
        (q, idx, sim), (eq, eidx, esim) = got, expected
        assert np.array_equal(q, eq) and np.allclose(sim, esim, atol=1e-5)
        assert ((idx == eidx) | (np.abs(sim - esim) <= 1e-5)).all()

    same(
        stored("genre_aware"), (holdout, *exact_topk_distinct(vectors("is_cluster_space"), 10, songs, queries=holdout))
    )
    names = [r[0] or "" for r in query(db, "select track_name from int_tracks_deduped order by track_id")]
    first = first_of_each_name(np.array(names, dtype=object))
    idx, sim = exact_topk(vectors("embedding_kind = 'audio'")[first], 10)
    same(stored("seed_protocol"), (first, first[idx], sim))
    [(metrics,)] = query(db, "select metrics from ml_stage_log where stage = 'neighbours_evaluation'")
    facts = json.loads(metrics)
    assert facts["genre_aware_lists_merged"] > facts["genre_aware_lists_searched"] > 0
    assert facts["seed_protocol_lists_merged"] > facts["seed_protocol_lists_searched"] > 0


def test_old_tracks_keep_their_clusters_and_vectors(grown):
    home, before, _, _ = grown
    db = published_db(home)
    unchanged = [r[0] for r in query(db, "select track_id from int_track_changes where change = 'same' order by 1")]
    assert len(unchanged) > 1000
    sql = (
        "select c.track_id, c.method, c.cluster_id, c.sub_cluster_id, e.embedding from ml_track_clusters c "
        "join ml_track_embeddings e using (track_id) where e.is_default and c.track_id in "
        "(select unnest(?::varchar[])) order by 1, 2"
    )
    assert query(db, sql, [unchanged]) == query(before, sql, [unchanged])


def test_deleting_tracks_leaves_no_dangling_neighbour(grown, tmp_path, fixture_csv):
    home = copy_home(grown[0], tmp_path / "home")  # a copy: the module's home stays as the other tests read it
    db = published_db(home)
    gone = {r[0] for r in query(db, "select track_id from dim_tracks order by track_id limit 25")}
    listed = query(
        db,
        "select count(*) from fct_track_neighbours where neighbour_track_id in (select unnest(?::varchar[]))",
        [sorted(gone)],
    )[0][0]
    assert listed > 0  # the deleted tracks were somebody's neighbours
    summary = build(
        data=write_rows(fixture_csv, tmp_path / "fewer.csv", lambda i, r: r[1] not in gone), base=home, dbt_vars=VARS
    )
    assert summary.mode == "incremental" and summary.tracks_deleted == len(gone)
    assert query(
        db, "select count(*) from dim_tracks where track_id in (select unnest(?::varchar[]))", [sorted(gone)]
    ) == [(0,)]
    assert query(
        db,
        "select count(*) from fct_track_neighbours where neighbour_track_id not in (select track_id from dim_tracks)",
    ) == [(0,)]
    assert_lists_are_exact(db)


def plan_of(home: Path, data: Path, full_refresh: bool = False, **more_vars) -> tuple:
    """Only ml_build_plan and what it needs, into the build file (never published); more_vars:
    dbt vars besides the builds' own (VARS)."""
    extra = (["--full-refresh"] if full_refresh else []) + [
        "--vars",
        quick_vars(train_sample=TRAIN_SAMPLE, **more_vars),
    ]
    run_dbt(
        dbt_args(["run", "--select", "+ml_build_plan"], home, extra),
        home,
        data,
        previous=None if full_refresh else published_db(home),
    )
    return query(build_db(home), "select mode, reason, changed_share from ml_build_plan")[0]


def test_full_refresh_parameters_and_the_threshold_make_a_build_full(grown, fixture_csv, tmp_path):
    home, _, _, _ = grown
    work = copy_home(home, tmp_path / "home")
    ninety = home.parent / "ninety.csv"  # the full build's input: 10% of the tracks fewer
    mode, _, share = plan_of(work, ninety)
    assert mode == "incremental" and 0.05 < share < 0.2
    assert plan_of(work, ninety, full_refresh=True)[:2] == ("full", "--full-refresh was asked for")
    assert plan_of(work, ninety, latent_dim=8)[:2] == ("full", "model parameters changed")
    mode, reason, _ = plan_of(work, ninety, incremental_max_change_share=0.05)
    assert mode == "full" and "incremental_max_change_share" in reason
    no_genres = write_rows(fixture_csv, tmp_path / "renamed.csv", lambda i, r: True)
    text = no_genres.read_text(encoding="utf-8").splitlines()
    no_genres.write_text("\n".join([text[0].replace("track_genre", "genre_label")] + text[1:]) + "\n", encoding="utf-8")
    assert plan_of(work, no_genres)[0] == "full"  # no genre column: the genre models do not apply


def test_an_ivf_build_updates_its_lists_on_the_stored_centroids(tmp_path, fixture_csv):
    """neighbour_method ivf: the full build stores each embedding's IVF centroids in ml_models; the
    incremental build searches and merges on them (carried over byte for byte), and its lists keep
    the full build's recall against the exact lists of the final catalogue."""
    home = tmp_path / "home"
    ivf_vars = quick_vars(train_sample=TRAIN_SAMPLE, neighbour_method="ivf")
    first = build(
        data=write_rows(fixture_csv, tmp_path / "ninety.csv", lambda i, r: i % 10 != 3), base=home, dbt_vars=ivf_vars
    )
    db = published_db(home)
    centroids = query(db, "select model, md5(artefact) from ml_models where model like 'ivf_%' order by 1")
    kinds = query(
        db, "select distinct embedding_kind from ml_track_embeddings where not is_cluster_space or is_default"
    )
    assert [m for m, _ in centroids] == sorted(f"ivf_{kind}" for (kind,) in kinds)
    sample_before = query(db, "select distinct track_id from ml_recall_lists where embedding_kind = ?", [kinds[0][0]])
    second = build(data=fixture_csv, base=home, dbt_vars=ivf_vars)
    assert (first.mode, second.mode) == ("full", "incremental") and second.tracks_added > 0
    assert query(db, "select model, md5(artefact) from ml_models where model like 'ivf_%' order by 1") == centroids
    [(metrics,)] = query(db, "select metrics from ml_stage_log where stage = 'neighbours'")
    facts = json.loads(metrics)
    assert facts["lists_merged"] > facts["lists_searched"] > 0 and facts["ivf_recall_at_10"] >= 0.95
    # the recall sample (keyed by track id) kept its members but those a new track displaced, and
    # its exact lists were updated, not searched again: most merged
    sample_after = query(db, "select distinct track_id from ml_recall_lists where embedding_kind = ?", [kinds[0][0]])
    assert len(set(sample_before) & set(sample_after)) > 0.8 * len(sample_after) > 0
    assert facts["recall_lists_merged"] > facts["recall_lists_searched"] > 0
    # recall@10 of every stored list against the exact lists of the final catalogue
    ids = [r[0] for r in query(db, "select track_id from int_ml_inputs order by track_id")]
    row = {t: i for i, t in enumerate(ids)}
    songs = np.array([r[0] for r in query(db, "select song_id from int_ml_inputs order by track_id")])
    for (kind,) in kinds:
        E = np.array(
            [
                r[0]
                for r in query(
                    db, "select embedding from ml_track_embeddings where embedding_kind = ? order by track_id", [kind]
                )
            ],
            dtype=np.float32,
        )
        stored = np.full((len(ids), 10), -1)
        for track, rank, neighbour in query(
            db,
            "select track_id, neighbour_rank, neighbour_track_id from "
            "ml_track_neighbours where embedding_kind = ? and neighbour_rank <= 10",
            [kind],
        ):
            stored[row[track], rank - 1] = row[neighbour]
        exact, exact_sim = exact_topk_distinct(E, 10, songs)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(stored, exact)])
        assert (stored >= 0).all() and recall >= 0.95, (kind, recall)
        # ml_recall_lists: the exact top 10 of the final catalogue (ties aside)
        sample_idx = np.full((len(ids), 10), -1)
        sample_sim = np.full((len(ids), 10), np.nan, dtype=np.float32)
        for track, rank, neighbour, similarity in query(
            db,
            "select track_id, neighbour_rank, neighbour_track_id, "
            "similarity from ml_recall_lists where embedding_kind = ? "
            "and neighbour_rank <= 10",
            [kind],
        ):
            sample_idx[row[track], rank - 1], sample_sim[row[track], rank - 1] = row[neighbour], similarity
        rows = np.flatnonzero((sample_idx >= 0).any(axis=1))
        assert len(rows) == len(sample_after) and (sample_idx[rows] >= 0).all(), kind
        assert np.allclose(sample_sim[rows], exact_sim[rows], atol=1e-5), kind
        assert ((sample_idx[rows] == exact[rows]) | (np.abs(sample_sim[rows] - exact_sim[rows]) <= 1e-5)).all(), kind

"""Look-ups for the CLI: search, recommend, playlists, clusters, evaluation. Every query is
parameterised; the SQL lives in the warehouse as macros and views (see dbt_project/macros/recommend.sql).
Imports only duckdb: no torch, scikit-learn or shap on this path."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb

from .db import query
from .paths import WavehouseError

Rows = tuple[list[str], list[tuple]]


class TrackNotFound(WavehouseError):
    pass


class AmbiguousTrack(WavehouseError):
    def __init__(self, term: str, candidates: Rows):
        super().__init__(f"{term!r} matches several tracks equally well; choose one with --pick N or its track_id:")
        self.candidates = candidates


# A search's best candidate is taken without asking when it scores this much higher than the
# next, or scores as high and is this much more popular (the original over a cover or karaoke).
CLEAR_SCORE_MARGIN = 0.05
CLEAR_POPULARITY_MARGIN = 10


@dataclass
class Resolution:
    """How a term became a track: directly (an id) or by search (candidates, and which was picked)."""
    track_id: str
    candidates: Rows | None = None
    picked: int = 1

    @property
    def others(self) -> int:
        return len(self.candidates[1]) - 1 if self.candidates else 0

    def describe(self) -> str:
        columns, rows = self.candidates
        row = dict(zip(columns, rows[self.picked - 1]))
        return f"{row['track_name']} — {row['artists']} ({row['track_id']})"


def search(con: duckdb.DuckDBPyConnection, text: str, limit: int = 10) -> Rows:
    return query(con, "select * from search_tracks(?, k := ?)", [text, limit])


def suggestions(con: duckdb.DuckDBPyConnection, text: str, limit: int = 5) -> list[str]:
    _, rows = query(con, """
        select track_name || ' — ' || coalesce(artists, '?') || ' (' || track_id || ')'
        from dim_tracks
        order by greatest(jaro_winkler_similarity(title_key, wh_normalise(?)),
                          jaro_winkler_similarity(search_key, wh_normalise(?))) desc, popularity desc, track_id
        limit ?""", [text, text, limit])
    return [r[0] for r in rows]


def clearly_best(scores: list[float], popularity: list[int | None]) -> bool:
    """True when the first of several ranked candidates should be taken without asking."""
    if len(scores) < 2:
        return True
    gap = scores[0] - scores[1]
    return gap >= CLEAR_SCORE_MARGIN or (gap >= 0 and (popularity[0] or 0) - (popularity[1] or 0) >= CLEAR_POPULARITY_MARGIN)


def resolve_track(con: duckdb.DuckDBPyConnection, term: str, pick: int | None = None) -> Resolution:
    """A track for a track_id, a Spotify URI or link, or what people type ("title", "title artist",
    "Artist - Title", "Title by Artist"). The best match is taken when it is clearly best (or the
    `pick`-th candidate when given); raises TrackNotFound (with suggestions) or AmbiguousTrack."""
    _, rows = query(con, "select track_id from dim_tracks where track_id = ?", [term.strip()])
    if rows:
        return Resolution(rows[0][0])
    columns, found = search(con, term)
    if not found:
        hint = "\n  ".join(suggestions(con, term))
        raise TrackNotFound(f"no track matches {term!r}. Did you mean:\n  {hint}")
    if pick is not None:
        if not 1 <= pick <= len(found):
            raise WavehouseError(f"--pick {pick}: {term!r} has {len(found)} candidate(s); see wavehouse search {term!r}")
        return Resolution(found[pick - 1][0], (columns, found), pick)
    score, popularity = columns.index("score"), columns.index("popularity")
    if clearly_best([r[score] for r in found], [r[popularity] for r in found]):
        return Resolution(found[0][0], (columns, found))
    tied = [r for r in found if r[score] >= found[0][score] - CLEAR_SCORE_MARGIN]
    numbered = (["pick", *columns], [(i, *r) for i, r in enumerate(tied, 1)])
    raise AmbiguousTrack(term, numbered)


@dataclass
class Filters:
    exclude_seed_artists: bool = False
    max_per_artist: int | None = None
    explicit: bool | None = None
    min_popularity: int = 0
    max_popularity: int = 100
    mood: str | None = None
    same_cluster: bool = False
    embedding: str | None = None      # None = the default embedding (see resolve_embedding)

    def sql(self) -> str:
        return ", ".join(f"{name} := ?" for name in self.__dataclass_fields__)

    def params(self) -> list[Any]:
        return [getattr(self, name) for name in self.__dataclass_fields__]


# what users call the embeddings they can recommend from -> ml_track_embeddings.embedding_kind
EMBEDDINGS = {"hybrid": "hybrid", "audio": "audio", "unsupervised": "autoencoder"}


def embedding_choices(con: duckdb.DuckDBPyConnection) -> tuple[list[str], str]:
    """The embedding names this warehouse offers (EMBEDDINGS keys whose kind was built) and the
    name of its default."""
    _, rows = query(con, "select embedding_kind, bool_or(is_default) from ml_track_embeddings group by all")
    built = dict(rows)
    names = [name for name, kind in EMBEDDINGS.items() if kind in built]
    default = next(name for name in names if built[EMBEDDINGS[name]])
    return names, default


def resolve_embedding(con: duckdb.DuckDBPyConnection, name: str | None) -> str | None:
    """The `embedding` argument of the SQL macros for a user's choice: None for the default (so
    the default keeps its fast path), else the kind; a clear error for a name not built here."""
    if name is None:
        return None
    names, default = embedding_choices(con)
    if name not in names:
        raise WavehouseError(f"unknown embedding {name!r}; this warehouse has: {', '.join(names)} (default {default})")
    return None if name == default else EMBEDDINGS[name]


def check_mood(con: duckdb.DuckDBPyConnection, mood: str | None) -> None:
    if mood is None:
        return
    _, rows = query(con, "select mood from moods order by priority")
    moods = [r[0] for r in rows] + ["neutral"]
    if mood not in moods:
        raise WavehouseError(f"unknown mood {mood!r}; moods: {', '.join(moods)}")


LIST_SQL = """
select neighbour_rank as rank, track_id, track_name, artists, primary_genre, genres, 1 as n_seeds, similarity,
       cluster_id, cluster_name, mood, popularity, explicit
from fct_recommendation_candidates
where seed_track_id = ?
"""


def list_of(con: duckdb.DuckDBPyConnection, term: str, k: int = 10) -> Rows | None:
    """The top k of one track's neighbour list, if `term` is a track_id whose list holds k tracks
    (the hot path of the API: one index read, no separate look-up of the id); else None. The list
    is ranked here: DuckDB reads a table by its ART index only for a lone equality filter (with
    `and neighbour_rank <= k` or an ORDER BY ... LIMIT it scans a row group instead, 1.8x slower)."""
    columns, rows = query(con, LIST_SQL, [term.strip()])
    rows = sorted(rows, key=lambda r: r[0])[:k]
    return (columns, rows) if len(rows) == k else None


def recommend(con: duckdb.DuckDBPyConnection, seed_ids: list[str], k: int = 10,
              filters: Filters | None = None) -> Rows:
    """Top-k from the neighbour table (several seeds: ranked by how many reach a track, then mean
    similarity); topped up from the vector path when filters leave fewer than k. One seed and no
    filter, the common case, is one index read of fct_recommendation_candidates (the same rows the
    recommend() macro returns then)."""
    filters = filters or Filters()
    if len(seed_ids) == 1 and filters == Filters() and (found := list_of(con, seed_ids[0], k)):
        return found
    check_mood(con, filters.mood)
    columns, rows = query(con, f"select * from recommend(?, k := ?, {filters.sql()})", [seed_ids, k, *filters.params()])
    if len(rows) < k:
        _, extra = query(con, f"select * from recommend_by_vector(?, k := ?, {filters.sql()})",
                         [seed_ids, k + len(rows), *filters.params()])
        seen = {r[1] for r in rows}
        rows = rows + [r for r in extra if r[1] not in seen][: k - len(rows)]
        rank = columns.index("rank")
        rows = [tuple(i + 1 if j == rank else v for j, v in enumerate(r)) for i, r in enumerate(rows)]
    return columns, rows


def recommend_per_cluster(con: duckdb.DuckDBPyConnection, seed_id: str, n_same: int = 11, n_other: int = 3) -> Rows:
    return query(con, "select * from recommend_per_cluster(?, n_same := ?, n_other := ?)", [seed_id, n_same, n_other])


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def mmr_order(query_vec: list[float], candidates: list[tuple[str, list[float]]], k: int, weight: float = 0.7) -> list[str]:
    """Maximal marginal relevance: pick, one at a time, the candidate maximising
    weight * similarity to the query - (1 - weight) * its highest similarity to those already picked."""
    relevance = {cid: _cosine(query_vec, vec) for cid, vec in candidates}
    vectors = dict(candidates)
    chosen: list[str] = []
    closest = {cid: -1.0 for cid, _ in candidates}
    while candidates and len(chosen) < k:
        best = max((cid for cid, _ in candidates if cid not in chosen),
                   key=lambda cid: (weight * relevance[cid] - (1 - weight) * closest[cid], cid), default=None)
        if best is None:
            break
        chosen.append(best)
        for cid in closest:
            closest[cid] = max(closest[cid], _cosine(vectors[cid], vectors[best]))
    return chosen


def recommend_diverse(con: duckdb.DuckDBPyConnection, seed_ids: list[str], k: int = 10,
                      filters: Filters | None = None, pool: int = 50, weight: float = 0.7) -> Rows:
    """Diverse top-k: the `pool` nearest by the vector path, re-ranked by MMR."""
    filters = filters or Filters()
    check_mood(con, filters.mood)
    columns, rows = query(con, f"select * from recommend_by_vector(?, k := ?, {filters.sql()})",
                          [seed_ids, max(pool, k), *filters.params()])
    ids = [r[1] for r in rows]
    _, vecs = query(con, """select track_id, embedding from ml_track_embeddings
                            where ((?::varchar is null and is_default) or embedding_kind = ?)
                              and track_id in (select unnest(?))""", [filters.embedding, filters.embedding, ids + seed_ids])
    by_id = {tid: list(vec) for tid, vec in vecs}
    seeds = [by_id[s] for s in seed_ids if s in by_id]
    query_vec = [sum(col) / len(seeds) for col in zip(*seeds)]
    order = mmr_order(query_vec, [(tid, by_id[tid]) for tid in ids if tid in by_id], k, weight)
    position = {tid: i for i, tid in enumerate(order)}
    picked = sorted((r for r in rows if r[1] in position), key=lambda r: position[r[1]])
    rank = columns.index("rank")
    return columns, [tuple(i + 1 if j == rank else v for j, v in enumerate(r)) for i, r in enumerate(picked)]


def explain(con: duckdb.DuckDBPyConnection, seed_id: str, track_ids: list[str]) -> dict[str, tuple]:
    """Why each track is recommended for the seed: {track_id: (agree_most, differ_most, shared_genres)}."""
    _, rows = query(con, """
        select w.track_id, w.agree_most, w.differ_most, w.shared_genres
        from (select unnest(?) as rec_id) as r, recommendation_why(?, r.rec_id) as w""", [track_ids, seed_id])
    return {r[0]: r[1:] for r in rows}


PLAYLIST_SQL = """
select p.position, t.track_id, t.track_name, t.artists, t.primary_genre, t.duration_ms, t.mood,
       round(p.centroid_similarity, 4) as centroid_similarity
from rpt_cluster_playlists as p
inner join dim_tracks as t using (track_id)
where p.cluster_id = ?
  and ((? is null and p.level = 'cluster') or (p.level = 'sub_cluster' and p.sub_cluster_id = ?))
  and (? is null or t.mood = ?)
order by p.position
limit ?
"""

MOOD_PLAYLIST_SQL = """
with mood_tracks as (
    select t.*, e.embedding from dim_tracks as t
    inner join ml_track_embeddings as e using (track_id)
    where e.is_cluster_space and t.mood = ?
),
centre as (
    select list(v order by pos) as v from (
        select pos, avg(embedding[pos]) as v from mood_tracks, range(1, len(embedding) + 1) as r(pos)
        where len(embedding) >= pos group by pos)
),
scored as (
    select m.*, list_cosine_similarity(m.embedding::float[], c.v) as centroid_similarity
    from mood_tracks as m, centre as c
    qualify row_number() over (partition by song_key order by centroid_similarity desc, track_id) = 1
)
select row_number() over (order by centroid_similarity desc, track_id) as position, track_id, track_name,
       artists, primary_genre, duration_ms, mood, round(centroid_similarity, 4) as centroid_similarity
from scored
order by position
limit ?
"""


def resolve_cluster(con: duckdb.DuckDBPyConnection, term: str) -> int:
    if term.lstrip("-").isdigit():
        _, rows = query(con, "select cluster_id from dim_clusters where cluster_id = ?", [int(term)])
    else:
        _, rows = query(con, "select cluster_id from dim_clusters where cluster_name ilike '%' || ? || '%' order by cluster_id", [term])
    if len(rows) != 1:
        _, names = query(con, "select cluster_id || ': ' || cluster_name from dim_clusters order by cluster_id")
        what = "no cluster" if not rows else "several clusters"
        raise WavehouseError(f"{what} match {term!r}; clusters:\n  " + "\n  ".join(r[0] for r in names))
    return rows[0][0]


def playlist(con: duckdb.DuckDBPyConnection, cluster: str | None, mood: str | None, n: int,
             sub_cluster: int | None = None) -> Rows:
    check_mood(con, mood)
    if cluster is None:
        if mood is None:
            raise WavehouseError("give a CLUSTER (id or part of its name) or --mood")
        return query(con, MOOD_PLAYLIST_SQL, [mood, n])
    cluster_id = resolve_cluster(con, cluster)
    return query(con, PLAYLIST_SQL, [cluster_id, sub_cluster, sub_cluster, mood, mood, n])


CLUSTERS_SQL = """
select cluster_id, cluster_name, n_tracks, round(share, 4) as share, round(genre_purity, 3) as genre_purity,
       list_transform(top_genres[1:3], lambda g: g.genre) as top_genres,
       round(mean_energy, 2) as energy, round(mean_danceability, 2) as danceability,
       round(mean_acousticness, 2) as acousticness, round(mean_valence, 2) as valence
from dim_clusters
order by cluster_id
"""

CLUSTER_COUNTS_SQL = """
select c.method, c.cluster_id, count(*) as n_tracks, round(count(*) / sum(count(*)) over (), 4) as share,
       mode(t.primary_genre) as top_genre, round(avg(t.energy), 2) as energy,
       round(avg(t.acousticness), 2) as acousticness
from ml_track_clusters as c
inner join dim_tracks as t using (track_id)
where c.method = ?
group by all
order by c.cluster_id
"""


def clusters(con: duckdb.DuckDBPyConnection, method: str | None = None) -> Rows:
    _, default = query(con, "select any_value(method) from dim_clusters")
    if method is None or method == default[0][0]:
        return query(con, CLUSTERS_SQL)
    _, methods = query(con, "select distinct method from ml_track_clusters order by 1")
    if method not in [m for (m,) in methods]:
        raise WavehouseError(f"unknown method {method!r}; methods: {', '.join(m for (m,) in methods)}")
    return query(con, CLUSTER_COUNTS_SQL, [method])


def cluster_detail(con: duckdb.DuckDBPyConnection, term: str) -> dict[str, Rows]:
    cluster_id = resolve_cluster(con, term)
    return {
        "cluster": query(con, """select cluster_id, cluster_name, cluster_label, n_tracks, round(share, 4) as share,
                                        round(genre_purity, 3) as genre_purity, top_genres, top_artists, n_sub_clusters
                                 from dim_clusters where cluster_id = ?""", [cluster_id]),
        "profile": query(con, """select feature[3:] as feature, round(mean, 3) as mean, round(z, 2) as z_score from (
                                     unpivot (select * exclude (centroid, top_genres, top_artists) from dim_clusters
                                              where cluster_id = ?)
                                     on columns('^z_') into name feature value z) as z
                                 inner join (unpivot (select * exclude (centroid, top_genres, top_artists) from dim_clusters
                                              where cluster_id = ?)
                                     on columns('^mean_') into name mfeature value mean) as m
                                   on m.mfeature = 'mean_' || z.feature[3:]
                                 order by abs(z) desc""", [cluster_id, cluster_id]),
        "importance": query(con, """select feature, round(mean_abs_shap, 4) as mean_abs_shap, importance_rank
                                    from ml_cluster_feature_importance
                                    where scope = 'cluster' and cluster_id = ? order by importance_rank limit 5""", [cluster_id]),
        "similar": query(con, """select cluster_b as cluster_id, cluster_b_name as cluster_name,
                                        round(centroid_similarity, 3) as centroid_similarity
                                 from rpt_cluster_similarity where cluster_a = ? and cluster_b <> ?
                                 order by centroid_similarity desc limit 3""", [cluster_id, cluster_id]),
    }


def evaluation(con: duckdb.DuckDBPyConnection) -> Rows:
    return query(con, "select metric, round(value, 4) as value, coalesce(null_reason, protocol) as protocol from rpt_evaluation order by metric")


def evaluation_by_embedding(con: duckdb.DuckDBPyConnection) -> Rows:
    return query(con, """
        select embedding_kind, query_group, is_default, n_queries,
               round(genre_hit_rate_at_10_heldout, 4) as genre_hit_at_10, round(own_artist_share_at_10, 4) as own_artist_at_10,
               round(catalogue_coverage_at_10, 4) as coverage_at_10, round(intra_list_diversity_at_10, 4) as diversity_at_10,
               round(popularity_lift, 4) as popularity_lift
        from rpt_evaluation_by_embedding""")


def song_path(con: duckdb.DuckDBPyConnection, a_id: str, b_id: str, steps: int = 12, per_step: int = 8) -> Rows:
    """A sequence of `steps` tracks from a to b that moves evenly along the line between their
    embeddings: for each inner point the nearest candidate (song_path_candidates) whose song is not
    in the path yet. Each step shows its similarity to its point on the line, to the previous track
    and to b."""
    if steps < 3:
        raise WavehouseError("a path needs at least 3 steps (a, one track between, b)")
    _, candidates = query(con, "select step, track_id, similarity_to_line from song_path_candidates(?, ?, steps := ?, per_step := ?)",
                          [a_id, b_id, steps, per_step])
    _, songs = query(con, "select track_id, song_key from dim_tracks where track_id in (select unnest(?))",
                     [[a_id, b_id] + [c[1] for c in candidates]])
    song = dict(songs)
    if a_id not in song or b_id not in song:
        missing = a_id if a_id not in song else b_id
        raise TrackNotFound(f"no track with id {missing!r}")
    used, picked = {song[a_id], song[b_id]}, [(0, a_id, 1.0)]
    for step in range(1, steps - 1):
        for _, track_id, similarity in (c for c in candidates if c[0] == step):
            if song[track_id] not in used:
                used.add(song[track_id])
                picked.append((step, track_id, similarity))
                break
    picked.append((steps - 1, b_id, 1.0))
    ids = [p[1] for p in picked]
    _, rows = query(con, """
        with path as (select unnest(?) as track_id, generate_subscripts(?, 1) as position),
        vectors as (select p.position, p.track_id, e.embedding from path as p
                    inner join ml_track_embeddings as e on e.track_id = p.track_id and e.is_default)
        select v.position, v.track_id, d.track_name, d.artists, d.primary_genre,
               round(list_cosine_similarity(v.embedding, prev.embedding)::double, 4) as similarity_to_previous,
               round(list_cosine_similarity(v.embedding, last.embedding)::double, 4) as similarity_to_b
        from vectors as v
        inner join dim_tracks as d using (track_id)
        left join vectors as prev on prev.position = v.position - 1
        cross join (select embedding from vectors where position = ?) as last
        order by v.position""", [ids, ids, len(ids)])
    to_line = {p[1]: p[2] for p in picked}
    columns = ["step", "track_id", "track_name", "artists", "primary_genre", "similarity_to_line",
               "similarity_to_previous", "similarity_to_b"]
    return columns, [(r[0], r[1], r[2], r[3], r[4], round(to_line[r[1]], 4), r[5], r[6]) for r in rows]


TRACK_SQL = """
select t.*, c.cluster_name
from dim_tracks as t
left join dim_clusters as c using (cluster_id)
where t.track_id = ?
"""


def track(con: duckdb.DuckDBPyConnection, track_id: str) -> dict[str, Any]:
    """One track: every column of dim_tracks and its cluster's name; TrackNotFound if unknown."""
    columns, rows = query(con, TRACK_SQL, [track_id])
    if not rows:
        raise TrackNotFound(f"no track with id {track_id!r}")
    return dict(zip(columns, rows[0]))


MAP_SQL = """
select m.track_id, round(m.x, 4) as x, round(m.y, 4) as y, t.cluster_id, t.track_name, t.artists
from ml_track_maps as m
inner join dim_tracks as t using (track_id)
where m.map = ?
order by hash(m.track_id), m.track_id
limit ? offset ?
"""


def map_points(con: duckdb.DuckDBPyConnection, name: str = "pca", limit: int = 5000, offset: int = 0) -> Rows:
    """2-D map coordinates with cluster, in a fixed pseudo-random order (the first page is a sample)."""
    _, maps = query(con, "select distinct map from ml_track_maps order by 1")
    if name not in [m for (m,) in maps]:
        raise WavehouseError(f"unknown map {name!r}; maps: {', '.join(m for (m,) in maps)}")
    return query(con, MAP_SQL, [name, limit, offset])

"""The catalogue as people browse it: playlists (a cluster's or a mood's), clusters and one cluster's
profile, the evaluation, a path between two songs, one track, and the 2-D maps."""

from __future__ import annotations

from typing import Any

import duckdb

from ..errors import WavehouseError
from .db import Rows, query
from .recommend import check_mood
from .resolve import TrackNotFound, resolve_cluster

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


def playlist(
    con: duckdb.DuckDBPyConnection, cluster: str | None, mood: str | None, n: int, sub_cluster: int | None = None
) -> Rows:
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
with genre_counts as (
    select c.cluster_id, t.primary_genre, count(*) as n
    from ml_track_clusters as c
    inner join dim_tracks as t using (track_id)
    where c.method = $method and t.primary_genre is not null
    group by all
),
top_genres as (  -- the most frequent genre, ties to the first by name (mode() breaks them at random)
    select cluster_id, first(primary_genre order by n desc, primary_genre) as top_genre
    from genre_counts
    group by all
)
select c.method, c.cluster_id, count(*) as n_tracks, round(count(*) / sum(count(*)) over (), 4) as share,
       any_value(g.top_genre) as top_genre, round(avg(t.energy), 2) as energy,
       round(avg(t.acousticness), 2) as acousticness
from ml_track_clusters as c
inner join dim_tracks as t using (track_id)
left join top_genres as g on g.cluster_id = c.cluster_id
where c.method = $method
group by c.method, c.cluster_id
order by c.cluster_id
"""


def clusters(con: duckdb.DuckDBPyConnection, method: str | None = None) -> Rows:
    _, default = query(con, "select any_value(method) from dim_clusters")
    if method is None or method == default[0][0]:
        return query(con, CLUSTERS_SQL)
    _, methods = query(con, "select distinct method from ml_track_clusters order by 1")
    if method not in [m for (m,) in methods]:
        raise WavehouseError(f"unknown method {method!r}; methods: {', '.join(m for (m,) in methods)}")
    return query(con, CLUSTER_COUNTS_SQL, {"method": method})


def cluster_detail(con: duckdb.DuckDBPyConnection, term: str) -> dict[str, Rows]:
    cluster_id = resolve_cluster(con, term)
    return {
        "cluster": query(
            con,
            """select cluster_id, cluster_name, cluster_label, n_tracks, round(share, 4) as share,
                                        round(genre_purity, 3) as genre_purity, top_genres, top_artists, n_sub_clusters
                                 from dim_clusters where cluster_id = ?""",
            [cluster_id],
        ),
        "profile": query(
            con,
            """select feature[3:] as feature, round(mean, 3) as mean, round(z, 2) as z_score from (
                                     unpivot (select * exclude (centroid, top_genres, top_artists) from dim_clusters
                                              where cluster_id = ?)
                                     on columns('^z_') into name feature value z) as z
                                 inner join (unpivot (select * exclude (centroid, top_genres, top_artists) from dim_clusters
                                              where cluster_id = ?)
                                     on columns('^mean_') into name mfeature value mean) as m
                                   on m.mfeature = 'mean_' || z.feature[3:]
                                 order by abs(z) desc""",
            [cluster_id, cluster_id],
        ),
        "importance": query(
            con,
            """select feature, round(mean_abs_shap, 4) as mean_abs_shap, importance_rank
                                    from ml_cluster_feature_importance
                                    where scope = 'cluster' and cluster_id = ? order by importance_rank limit 5""",
            [cluster_id],
        ),
        "similar": query(
            con,
            """select cluster_b as cluster_id, cluster_b_name as cluster_name,
                                        round(centroid_similarity, 3) as centroid_similarity
                                 from rpt_cluster_similarity where cluster_a = ? and cluster_b <> ?
                                 order by centroid_similarity desc limit 3""",
            [cluster_id, cluster_id],
        ),
    }


def evaluation(con: duckdb.DuckDBPyConnection) -> Rows:
    return query(
        con,
        "select metric, round(value, 4) as value, coalesce(null_reason, protocol) as protocol from rpt_evaluation order by metric",
    )


def evaluation_by_embedding(con: duckdb.DuckDBPyConnection) -> Rows:
    return query(
        con,
        """
        select embedding_kind, query_group, is_default, n_queries,
               round(genre_hit_rate_at_10_heldout, 4) as genre_hit_at_10, round(own_artist_share_at_10, 4) as own_artist_at_10,
               round(catalogue_coverage_at_10, 4) as coverage_at_10, round(intra_list_diversity_at_10, 4) as diversity_at_10,
               round(popularity_lift, 4) as popularity_lift
        from rpt_evaluation_by_embedding""",
    )


def song_path(con: duckdb.DuckDBPyConnection, a_id: str, b_id: str, steps: int = 12, per_step: int = 8) -> Rows:
    """A sequence of `steps` tracks from a to b that moves evenly along the line between their
    embeddings: for each inner point the nearest candidate (song_path_candidates) whose song is not
    in the path yet. Each step shows its similarity to its point on the line, to the previous track
    and to b."""
    if steps < 3:
        raise WavehouseError("a path needs at least 3 steps (a, one track between, b)")
    _, candidates = query(
        con,
        "select step, track_id, similarity_to_line from song_path_candidates(?, ?, steps := ?, per_step := ?)",
        [a_id, b_id, steps, per_step],
    )
    _, songs = query(
        con,
        "select track_id, song_key from dim_tracks where track_id in (select unnest(?))",
        [[a_id, b_id] + [c[1] for c in candidates]],
    )
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
    _, rows = query(
        con,
        """
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
        order by v.position""",
        [ids, ids, len(ids)],
    )
    to_line = {p[1]: p[2] for p in picked}
    columns = [
        "step",
        "track_id",
        "track_name",
        "artists",
        "primary_genre",
        "similarity_to_line",
        "similarity_to_previous",
        "similarity_to_b",
    ]
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


def sound(con: duckdb.DuckDBPyConnection, track_id: str) -> Rows:
    """Every feature of a track the catalogue has (the macro track_sound): label, unit, value, the
    value in words ("97 BPM", "C# minor", "3:40", "79%") and, for the continuous ones, the share of
    the catalogue below it (percentile)."""
    _, found = query(con, "select 1 from dim_tracks where track_id = ?", [track_id])
    if not found:
        raise TrackNotFound(f"no track with id {track_id!r}")
    return query(con, "select * from track_sound(?)", [track_id])


def map_points(con: duckdb.DuckDBPyConnection, name: str = "pca", limit: int = 5000, offset: int = 0) -> Rows:
    """2-D map coordinates with cluster, in a fixed pseudo-random order (the first page is a sample)."""
    _, maps = query(con, "select distinct map from ml_track_maps order by 1")
    if name not in [m for (m,) in maps]:
        raise WavehouseError(f"unknown map {name!r}; maps: {', '.join(m for (m,) in maps)}")
    return query(con, MAP_SQL, [name, limit, offset])

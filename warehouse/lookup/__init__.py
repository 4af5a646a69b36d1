"""The read path: everything the CLI, the web app and the JSON API answer, in one place.

It resolves what people type (tracks, clusters, moods, embeddings), applies the defaults and
checks, runs the parameterised SQL of the warehouse's macros and views, and holds what a server
keeps in memory (store.Warehouse: the read-only connection, the neighbour lists and the search
index of the published file; imported by the server only). `wavehouse.cli` and `wavehouse.web`
only parse input and render output. Imports only duckdb (the server's store also numpy and
rapidfuzz): no torch, scikit-learn or dbt on this path.

    resolve    what a user typed -> a track or a cluster
    recommend  recommendations, filters, embeddings, diverse re-ranking, "why"
    catalogue  playlists, clusters, evaluation, song paths, one track and its sound, maps
    builder    the playlist builder: seeds, a cluster or a mood, shaped by a few controls
    tables     info, quarantined rows, tracks, tuning runs, a user's own SQL
    listeners  a person's recommendations (recommend_for), taste, listening and evaluation
    values     DuckDB values as JSON or text, playlists as M3U / URIs
    db         read-only connections and one parameterised query
    store, lists, search_index   the server's snapshot of the published file
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from .builder import Built, Shape, build_playlist
from .catalogue import (
    cluster_detail,
    clusters,
    evaluation,
    evaluation_by_embedding,
    map_points,
    playlist,
    song_path,
    sound,
    track,
)
from .db import Rows, connect, query
from .listeners import (
    ForYou,
    has_listens,
    listener_evaluation,
    listener_profile,
    listeners,
    recommend_for,
    require_listens,
    resolve_listener,
)
from .recommend import (
    EMBEDDINGS,
    WHY_COLUMNS,
    Answer,
    Filters,
    check_mood,
    embedding_choices,
    explain,
    is_plain,
    list_of,
    mmr_order,
    moods,
    per_cluster_conflict,
    recommend,
    recommend_diverse,
    recommend_per_cluster,
    recommendations,
    resolve_embedding,
    why,
)
from .resolve import (
    CLEAR_POPULARITY_MARGIN,
    CLEAR_SCORE_MARGIN,
    AmbiguousTrack,
    Resolution,
    TrackNotFound,
    clearly_best,
    resolve_cluster,
    resolve_track,
    search,
    suggestions,
)
from .tables import facts, rejected_rows, run_sql, top_tracks, tuning
from .values import for_api, for_people, playlist_text, records


@contextmanager
def opened() -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse, read-only, for one command; closed after."""
    con = connect()
    try:
        yield con
    finally:
        con.close()


__all__ = [
    "AmbiguousTrack",
    "Answer",
    "Built",
    "Shape",
    "build_playlist",
    "sound",
    "CLEAR_POPULARITY_MARGIN",
    "CLEAR_SCORE_MARGIN",
    "EMBEDDINGS",
    "Filters",
    "ForYou",
    "Resolution",
    "Rows",
    "TrackNotFound",
    "WHY_COLUMNS",
    "check_mood",
    "clearly_best",
    "cluster_detail",
    "clusters",
    "connect",
    "embedding_choices",
    "evaluation",
    "evaluation_by_embedding",
    "explain",
    "facts",
    "for_api",
    "for_people",
    "has_listens",
    "listener_evaluation",
    "listener_profile",
    "listeners",
    "is_plain",
    "list_of",
    "map_points",
    "mmr_order",
    "moods",
    "opened",
    "per_cluster_conflict",
    "playlist",
    "playlist_text",
    "query",
    "recommend",
    "recommend_diverse",
    "recommend_for",
    "recommend_per_cluster",
    "recommendations",
    "records",
    "rejected_rows",
    "resolve_cluster",
    "resolve_embedding",
    "require_listens",
    "resolve_listener",
    "resolve_track",
    "run_sql",
    "search",
    "song_path",
    "suggestions",
    "top_tracks",
    "track",
    "tuning",
    "why",
]

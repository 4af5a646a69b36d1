"""The warehouse's own tables as the CLI lists them: where it lives and what it holds, the
quarantined records, the tracks, the tuning runs, and any read-only query a user types (run as
typed, on a read-only connection; user values only ever reach DuckDB as parameters)."""

from __future__ import annotations

from typing import Any

import duckdb

from .. import paths
from .db import Rows, connect, query

REJECTED_ROWS = """
select source_file, source_row, source_line, reject_reason, track_id, track_name, raw_record
from int_tracks_rejected
order by record_number
limit ?
"""

TRACKS = """
select track_id, track_name, artists, primary_genre, popularity
from dim_tracks
order by popularity desc, track_id
limit ?
"""

TUNING = """
select search, candidate_id, width, depth, epochs, lr, smote, output, audio_weight,
       validation_hit_at_10, validation_own_artist_share, is_chosen, source, tuned_at
from ml_genre_head_tuning
order by search, validation_hit_at_10 desc nulls last, candidate_id
limit ?
"""

FACTS = """
select (select max(started_at) from ml_runs), (select count(*) from dim_tracks),
       (select count(*) from int_tracks_rejected), (select count(*) from dim_clusters),
       (select any_value(input ->> 'path') from ml_runs),
       (select any_value(input ->> 'layout') from ml_runs),
       (select any_value(has_genres) from ml_runs)
"""


def rejected_rows(con: duckdb.DuckDBPyConnection, limit: int) -> Rows:
    return query(con, REJECTED_ROWS, [limit])


def top_tracks(con: duckdb.DuckDBPyConnection, limit: int) -> Rows:
    return query(con, TRACKS, [limit])


def tuning(con: duckdb.DuckDBPyConnection, limit: int) -> Rows:
    """The genre-head and hybrid-mix searches' candidates, best first; no rows without genres."""
    return query(con, TUNING, [limit])


def run_sql(con: duckdb.DuckDBPyConnection, text: str) -> Rows:
    """A user's own query, on the read-only connection they opened."""
    return query(con, text)


def facts() -> dict[str, Any]:
    """Where the warehouse lives and, once built, what it holds (`wavehouse info`)."""
    out: dict[str, Any] = {
        "home": str(paths.home()),
        "published": str(paths.published_db()),
        "dbt_project": str(paths.project_dir()),
        "bundled_data": str(paths.default_data()),
    }
    if not paths.published_db().is_file():
        out["built_at_utc"] = "not built yet: run `wavehouse build`"
        return out
    con = connect()
    try:
        _, rows = query(con, FACTS)
    finally:
        con.close()
    built, n_tracks, n_rejected, n_clusters, source, layout, has_genres = rows[0]
    out.update(
        built_at_utc=str(built),
        input=source,
        layout=layout,
        genres=has_genres,
        tracks=n_tracks,
        rejected_rows=n_rejected,
        clusters=n_clusters,
    )
    return out

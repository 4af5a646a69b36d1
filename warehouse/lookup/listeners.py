"""A listener's side of the read path: who is in the warehouse, recommendations for a person
(the recommend_for macro, dbt_project/macros/listens.sql), their taste and listening over time,
and how well recommend_for did on their own history. Every query is parameterised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import WavehouseError
from .db import Rows, query
from .recommend import check_mood

# fct_listener_recommendations holds each listener's first 100 with the default knobs
DEFAULT_LIST_LENGTH = 100
STORED_LIST = """select * exclude (listener_id, listener_name) from fct_listener_recommendations
                 where listener_name = ? and rank <= ? order by rank"""


@dataclass
class ForYou:
    """recommend_for's knobs (the same filters and caps as recommend(); discovery 0 favours the
    artists a listener plays, 0.5 is neutral, 1 leaves them out)."""

    discovery: float = 0.5
    max_per_artist: int | None = None
    explicit: bool | None = None
    min_popularity: int = 0
    max_popularity: int = 100
    mood: str | None = None

    def sql(self) -> str:
        return ", ".join(f"{name} := ?" for name in self.__dataclass_fields__)

    def params(self) -> list[Any]:
        return [getattr(self, name) for name in self.__dataclass_fields__]


def listener_names(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """Every listener's name, or None when the warehouse has no listening tables."""
    try:
        return [r[0] for r in con.execute("select listener_name from dim_listeners order by listener_name").fetchall()]
    except duckdb.CatalogException:
        return None


def has_listens(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(listener_names(con))


def require_listens(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The listeners' names; raises, saying how to add one, when the warehouse holds no listening history."""
    names = listener_names(con)
    if not names:
        raise WavehouseError(
            "no listening history in this warehouse: build with `wavehouse build --listens PATH` "
            "(your Spotify download's zip, a ListenBrainz export or a CSV; docs/listening.md)"
        )
    return names


def listeners(con: duckdb.DuckDBPyConnection) -> Rows:
    """Every listener with their counts (dim_listeners)."""
    require_listens(con)
    return query(
        con,
        """select listener_name, plays, skips, distinct_songs, hours_played, match_rate, streams_read,
                  streams_matched, streams_unmatched, duplicates_merged, first_played_at, last_played_at
           from dim_listeners order by listener_name""",
    )


def resolve_listener(con: duckdb.DuckDBPyConnection, name: str | None) -> str:
    """The listener_name a user means: theirs (a name or listener_id), or the only one there is."""
    names = require_listens(con)
    if name is None:
        if len(names) == 1:
            return names[0]
        raise WavehouseError(f"several listeners: give one with --listener ({', '.join(names[:10])})")
    if name in names:
        return name
    found = query(
        con,
        "select listener_name from dim_listeners where listener_id = ? or lower(listener_name) = lower(?) limit 1",
        [name, name],
    )[1]
    if not found:
        raise WavehouseError(f"no listener {name!r} (listeners: {', '.join(names[:10])})")
    return found[0][0]


def recommend_for(
    con: duckdb.DuckDBPyConnection, listener: str | None, k: int = 10, knobs: ForYou | None = None
) -> Rows:
    """Top-k for a listener from their taste (the recommend_for macro), never a song they played."""
    knobs = knobs or ForYou()
    if not 0 <= knobs.discovery <= 1:
        raise WavehouseError(f"discovery must be between 0 and 1, not {knobs.discovery}")
    stored = knobs == ForYou() and k <= DEFAULT_LIST_LENGTH  # the list in fct_listener_recommendations
    if stored and listener is not None:  # a name as stored: one query
        try:
            cursor = con.execute(STORED_LIST, [listener, k])
            found = cursor.fetchall()
            if found:
                return [d[0] for d in cursor.description], found
        except duckdb.CatalogException:
            pass  # no listening tables: resolve_listener says how to add them
    name = resolve_listener(con, listener)
    if stored:
        return query(con, STORED_LIST, [name, k])
    check_mood(con, knobs.mood)
    return query(con, f"select * from recommend_for(?, k := ?, {knobs.sql()})", [name, k, *knobs.params()])


def listener_profile(con: duckdb.DuckDBPyConnection, listener: str | None) -> dict[str, Rows]:
    """What a listener's page shows: their counts, taste centres, top artists and clusters, plays by
    month and cluster, and recommend_for's evaluation on their history."""
    name = resolve_listener(con, listener)
    one = [name]
    return {
        "listener": query(con, "select * exclude (listener_id) from dim_listeners where listener_name = ?", one),
        "taste": query(
            con,
            """select t.centre_id as taste_centre, round(t.share, 3) as share, t.n_tracks,
                      any_value(c.because_you_play) as because_you_play
               from ml_listener_taste as t
               inner join dim_listeners as l using (listener_id)
               left join fct_listener_candidates as c
                      on c.listener_id = t.listener_id and c.split = t.split and c.centre_id = t.centre_id
               where l.listener_name = ? and t.split = 'all'
               group by all order by 2 desc, 1""",
            one,
        ),
        "artists": _top(con, name, "artist"),
        "clusters": _top(con, name, "cluster"),
        "months": query(
            con,
            """select month, value as cluster, plays, share_of_month from rpt_listening
               where listener_name = ? and dimension = 'cluster' order by month, plays desc, value""",
            one,
        ),
        "evaluation": query(
            con,
            """select method, k, test_songs, found, round(hit_rate, 3) as hit_rate, round(recall, 4) as recall
               from rpt_listener_evaluation where listener_name = ? order by k, method""",
            one,
        ),
    }


def _top(con: duckdb.DuckDBPyConnection, name: str, dimension: str, limit: int = 10) -> Rows:
    return query(
        con,
        f"""select value as {dimension}, sum(plays)::bigint as plays, round(sum(minutes) / 60, 1) as hours
            from rpt_listening where listener_name = ? and dimension = ?
            group by value order by plays desc, value limit ?""",
        [name, dimension, limit],
    )


def listener_evaluation(con: duckdb.DuckDBPyConnection) -> Rows:
    """rpt_listener_evaluation."""
    require_listens(con)
    return query(
        con,
        """select listener_name, method, k, test_songs, found, round(hit_rate, 3) as hit_rate, round(recall, 4) as recall
           from rpt_listener_evaluation order by listener_name = 'all listeners', listener_name, k, method""",
    )

"""The server's recommendation lists: fct_recommendation_candidates (the default embedding's top-20
per track, which `recommend()` and `lookup.list_of` read by its ART index) held in memory.

Why: one list read through DuckDB costs 1.5-2 ms of CPU (binding, planning, the index scan, the
rows made Python objects), most of a recommendation's cost at 16 clients on 2 cores. Here a
track's list is a slice of two arrays (its neighbours' row numbers and similarities, in rank
order) and the rows' columns are one tuple per track, built once per published file. The rows
equal `lookup.list_of`'s, column for column (tests/test_web.py compares them on every seed of the
fixture). Requests with filters, several seeds or another embedding still go to the SQL macros.
"""

from __future__ import annotations

import numpy as np

from .db import Rows

COLUMNS = [
    "rank",
    "track_id",
    "track_name",
    "artists",
    "primary_genre",
    "genres",
    "n_seeds",
    "similarity",
    "cluster_id",
    "cluster_name",
    "mood",
    "popularity",
    "explicit",
]
TRACK_COLUMNS = (
    "track_id",
    "track_name",
    "artists",
    "primary_genre",
    "genres",
    "cluster_id",
    "cluster_name",
    "mood",
    "popularity",
    "explicit",
)


class NeighbourLists:
    def __init__(self, con):
        # the lists in seed order and rank order, each neighbour as its row in `tracks` below
        # (dim_tracks' track_number is its row number in track_id order)
        lists = con.sql("""select s.track_number as seed, n.track_number as neighbour, c.similarity
                           from fct_recommendation_candidates as c
                           inner join dim_tracks as s on s.track_id = c.seed_track_id
                           inner join dim_tracks as n on n.track_id = c.track_id
                           order by seed, c.neighbour_rank""").fetchnumpy()
        seed = np.asarray(lists["seed"], dtype=np.int64)
        self.neighbour = np.asarray(lists["neighbour"], dtype=np.int32) - 1
        self.similarity = np.asarray(lists["similarity"])  # FLOAT: its Python float is what DuckDB returns
        # the columns a list shows, per track, as fct_recommendation_candidates holds them
        rows = con.sql(f"""select {", ".join("c." + c if c == "cluster_name" else "t." + c for c in TRACK_COLUMNS)}
                           from dim_tracks as t left join dim_clusters as c using (cluster_id)
                           order by t.track_number""").fetchall()
        # one object per distinct genre list, genre, cluster name and mood (they repeat: 94 -> 52 MB at 114k)
        shared: dict = {}
        self.tracks = [
            (
                tid,
                name,
                artists,
                shared.setdefault(genre, genre),
                None if genres is None else shared.setdefault(("genres", *genres), genres),
                cluster,
                shared.setdefault(cluster_name, cluster_name),
                shared.setdefault(mood, mood),
                popularity,
                explicit,
            )
            for tid, name, artists, genre, genres, cluster, cluster_name, mood, popularity, explicit in rows
        ]
        self.starts = np.searchsorted(seed, np.arange(1, len(rows) + 2))
        self.row = {r[0]: i for i, r in enumerate(self.tracks)}

    def top(self, track_id: str, k: int) -> Rows | None:
        """The top k of the track's list, as lookup.list_of returns it; None when `track_id` is not
        a track id or its list is shorter than k (the caller asks SQL then)."""
        row = self.row.get(track_id.strip())
        if row is None or self.starts[row + 1] - self.starts[row] < k:
            return None
        start = int(self.starts[row])
        end = start + k
        body = []
        for rank, (row, similarity) in enumerate(
            zip(self.neighbour[start:end].tolist(), self.similarity[start:end].tolist()), 1
        ):
            tid, name, artists, genre, genres, cluster, cluster_name, mood, popularity, explicit = self.tracks[row]
            body.append(
                (
                    rank,
                    tid,
                    name,
                    artists,
                    genre,
                    genres,
                    1,
                    similarity,
                    cluster,
                    cluster_name,
                    mood,
                    popularity,
                    explicit,
                )
            )
        return COLUMNS, body

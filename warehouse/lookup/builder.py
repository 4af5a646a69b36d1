"""The playlist builder: seeds (songs, or a cluster's or a mood's closest songs) and a few controls
a person understands, for the builder page, its JSON twin and exports (the SQL is the warehouse's
macro build_playlist, macros/playlists.sql)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..errors import WavehouseError
from .catalogue import playlist
from .db import Rows, query
from .recommend import check_mood
from .resolve import resolve_track

SEEDS_FROM_A_PLAYLIST = 5  # a builder started from a cluster or a mood grows from its 5 closest songs


@dataclass(frozen=True)
class Shape:
    """The builder's controls: bounded here for every client (the API bounds them too)."""

    n: int = 25
    discovery: float = 0.5
    min_energy: float = 0.0
    max_energy: float = 1.0
    min_tempo: float = 0.0
    max_tempo: float = 250.0
    one_per_artist: bool = True

    def check(self) -> None:
        if not 1 <= self.n <= 200:
            raise WavehouseError("n: give 1 to 200 songs")
        if not 0 <= self.discovery <= 1:
            raise WavehouseError("discovery: give 0 (familiar) to 1 (discovery)")
        if not 0 <= self.min_energy <= self.max_energy <= 1:
            raise WavehouseError("energy: give 0 <= min_energy <= max_energy <= 1")
        if not 0 <= self.min_tempo <= self.max_tempo <= 300:
            raise WavehouseError("tempo: give 0 <= min_tempo <= max_tempo <= 300 (BPM)")


@dataclass
class Built:
    seeds: list[str]  # the seed track ids
    seed_tracks: Rows  # their track_id, track_name, artists
    tracks: Rows  # the playlist


def build_playlist(
    con: duckdb.DuckDBPyConnection,
    seeds: list[str],
    shape: Shape,
    cluster: str | None = None,
    mood: str | None = None,
) -> Built:
    """A playlist grown from `seeds` (ids or what people type, resolved as `recommend` resolves
    them) or, with none, from the closest songs of `cluster` or `mood`; with seeds, `mood` keeps
    that mood's songs only. Shaped by `shape` (the macro build_playlist, macros/playlists.sql)."""
    shape.check()
    check_mood(con, mood)
    ids = list(dict.fromkeys(resolve_track(con, s).track_id for s in seeds if s.strip()))
    only_mood = mood
    if not ids:
        if cluster is None and mood is None:
            raise WavehouseError("give a seed song, a mood or a cluster to start from")
        columns, rows = playlist(con, cluster, mood, SEEDS_FROM_A_PLAYLIST)
        ids = [r[columns.index("track_id")] for r in rows]
        only_mood = None
    seed_tracks = query(
        con, "select track_id, track_name, artists from dim_tracks where list_contains(?, track_id)", [ids]
    )
    tracks = query(
        con,
        """select * from build_playlist(?, n := ?, discovery := ?, min_energy := ?, max_energy := ?,
                                        min_tempo := ?, max_tempo := ?, one_per_artist := ?, mood := ?)""",
        [
            ids,
            shape.n,
            shape.discovery,
            shape.min_energy,
            shape.max_energy,
            shape.min_tempo,
            shape.max_tempo,
            shape.one_per_artist,
            only_mood,
        ],
    )
    return Built(ids, seed_tracks, tracks)

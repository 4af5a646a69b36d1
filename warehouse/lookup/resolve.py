"""What a user typed, resolved: a track (an id, a Spotify URI or link, or a search as people type
it) or a cluster (an id or part of its name). Raises TrackNotFound (with suggestions) or
AmbiguousTrack (with the tied candidates) rather than guessing."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..errors import WavehouseError
from .db import Rows, query


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
    _, rows = query(
        con,
        """
        select track_name || ' — ' || coalesce(artists, '?') || ' (' || track_id || ')'
        from dim_tracks
        order by greatest(jaro_winkler_similarity(title_key, wh_normalise(?)),
                          jaro_winkler_similarity(search_key, wh_normalise(?))) desc, popularity desc, track_id
        limit ?""",
        [text, text, limit],
    )
    return [r[0] for r in rows]


def clearly_best(scores: list[float], popularity: list[int | None]) -> bool:
    """True when the first of several ranked candidates should be taken without asking."""
    if len(scores) < 2:
        return True
    gap = scores[0] - scores[1]
    return gap >= CLEAR_SCORE_MARGIN or (
        gap >= 0 and (popularity[0] or 0) - (popularity[1] or 0) >= CLEAR_POPULARITY_MARGIN
    )


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
            raise WavehouseError(
                f"--pick {pick}: {term!r} has {len(found)} candidate(s); see wavehouse search {term!r}"
            )
        return Resolution(found[pick - 1][0], (columns, found), pick)
    score, popularity = columns.index("score"), columns.index("popularity")
    if clearly_best([r[score] for r in found], [r[popularity] for r in found]):
        return Resolution(found[0][0], (columns, found))
    tied = [r for r in found if r[score] >= found[0][score] - CLEAR_SCORE_MARGIN]
    numbered = (["pick", *columns], [(i, *r) for i, r in enumerate(tied, 1)])
    raise AmbiguousTrack(term, numbered)


def resolve_cluster(con: duckdb.DuckDBPyConnection, term: str) -> int:
    if term.lstrip("-").isdigit():
        _, rows = query(con, "select cluster_id from dim_clusters where cluster_id = ?", [int(term)])
    else:
        _, rows = query(
            con,
            "select cluster_id from dim_clusters where cluster_name ilike '%' || ? || '%' order by cluster_id",
            [term],
        )
    if len(rows) != 1:
        _, names = query(con, "select cluster_id || ': ' || cluster_name from dim_clusters order by cluster_id")
        what = "no cluster" if not rows else "several clusters"
        raise WavehouseError(f"{what} match {term!r}; clusters:\n  " + "\n  ".join(r[0] for r in names))
    return rows[0][0]

"""Recommendations for one or several seed tracks: the neighbour lists (fct_recommendation_candidates
and the recommend() macros), the filters and embeddings people choose, the diverse re-ranking
(MMR) and "why". Every query is parameterised; the SQL lives in the warehouse as macros
(dbt_project/macros/recommend.sql)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import WavehouseError
from .db import Rows, query
from .resolve import resolve_track


@dataclass
class Filters:
    exclude_seed_artists: bool = False
    max_per_artist: int | None = None
    explicit: bool | None = None
    min_popularity: int = 0
    max_popularity: int = 100
    mood: str | None = None
    same_cluster: bool = False
    embedding: str | None = None  # None = the default embedding (see resolve_embedding)

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


def moods(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The moods a track can have (the seed moods, by priority), then "neutral"."""
    _, rows = query(con, "select mood from moods order by priority")
    return [r[0] for r in rows] + ["neutral"]


def check_mood(con: duckdb.DuckDBPyConnection, mood: str | None) -> None:
    if mood is None:
        return
    if mood not in (found := moods(con)):
        raise WavehouseError(f"unknown mood {mood!r}; moods: {', '.join(found)}")


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


def recommend(con: duckdb.DuckDBPyConnection, seed_ids: list[str], k: int = 10, filters: Filters | None = None) -> Rows:
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
        _, extra = query(
            con,
            f"select * from recommend_by_vector(?, k := ?, {filters.sql()})",
            [seed_ids, k + len(rows), *filters.params()],
        )
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


def mmr_order(
    query_vec: list[float], candidates: list[tuple[str, list[float]]], k: int, weight: float = 0.7
) -> list[str]:
    """Maximal marginal relevance: pick, one at a time, the candidate maximising
    weight * similarity to the query - (1 - weight) * its highest similarity to those already picked."""
    relevance = {cid: _cosine(query_vec, vec) for cid, vec in candidates}
    vectors = dict(candidates)
    chosen: list[str] = []
    closest = {cid: -1.0 for cid, _ in candidates}
    while candidates and len(chosen) < k:
        best = max(
            (cid for cid, _ in candidates if cid not in chosen),
            key=lambda cid: (weight * relevance[cid] - (1 - weight) * closest[cid], cid),
            default=None,
        )
        if best is None:
            break
        chosen.append(best)
        for cid in closest:
            closest[cid] = max(closest[cid], _cosine(vectors[cid], vectors[best]))
    return chosen


def recommend_diverse(
    con: duckdb.DuckDBPyConnection,
    seed_ids: list[str],
    k: int = 10,
    filters: Filters | None = None,
    pool: int = 50,
    weight: float = 0.7,
) -> Rows:
    """Diverse top-k: the `pool` nearest by the vector path, re-ranked by MMR."""
    filters = filters or Filters()
    check_mood(con, filters.mood)
    columns, rows = query(
        con,
        f"select * from recommend_by_vector(?, k := ?, {filters.sql()})",
        [seed_ids, max(pool, k), *filters.params()],
    )
    ids = [r[1] for r in rows]
    _, vecs = query(
        con,
        """select track_id, embedding from ml_track_embeddings
                            where ((?::varchar is null and is_default) or embedding_kind = ?)
                              and track_id in (select unnest(?))""",
        [filters.embedding, filters.embedding, ids + seed_ids],
    )
    by_id = {tid: list(vec) for tid, vec in vecs}
    seeds = [by_id[s] for s in seed_ids if s in by_id]
    query_vec = [sum(col) / len(seeds) for col in zip(*seeds)]
    order = mmr_order(query_vec, [(tid, by_id[tid]) for tid in ids if tid in by_id], k, weight)
    position = {tid: i for i, tid in enumerate(order)}
    picked = sorted((r for r in rows if r[1] in position), key=lambda r: position[r[1]])
    rank = columns.index("rank")
    return columns, [tuple(i + 1 if j == rank else v for j, v in enumerate(r)) for i, r in enumerate(picked)]


def explain(con: duckdb.DuckDBPyConnection, seed_id: str, track_ids: list[str]) -> dict[str, tuple]:
    """Why each track is recommended for the seed: {track_id: (because, agree_most, differ_most,
    shared_genres)}; `because` in words (recommendation_because: shared artists, genres and mood,
    the closest features and the largest differences with both values), the rest as data."""
    _, rows = query(
        con,
        """
        select w.track_id, b.because, w.agree_most, w.differ_most, w.shared_genres
        from (select unnest(?) as rec_id) as r, recommendation_why(?, r.rec_id) as w
        left join recommendation_because(?, ?) as b on b.track_id = w.track_id""",
        [track_ids, seed_id, seed_id, track_ids],
    )
    return {r[0]: r[1:] for r in rows}


WHY_COLUMNS = ("because", "agree_most", "differ_most", "shared_genres")


def why(con: duckdb.DuckDBPyConnection, seed_id: str, track_ids: list[str]) -> dict[str, dict[str, Any]]:
    """explain() as named values for each of track_ids ({track_id: {agree_most, differ_most,
    shared_genres}}; None values where the warehouse has no explanation)."""
    found = explain(con, seed_id, track_ids) if track_ids else {}
    return {tid: dict(zip(WHY_COLUMNS, found.get(tid, (None,) * len(WHY_COLUMNS)))) for tid in track_ids}


def is_plain(n_seeds: int, filters: Filters, diverse: bool = False, per_cluster: bool = False) -> bool:
    """One seed, no filter, the default embedding, no re-ranking: the request a neighbour list
    answers as it stands (in memory on a server, one index read in SQL)."""
    return n_seeds == 1 and filters == Filters() and not (diverse or per_cluster)


def per_cluster_conflict(n_seeds: int, same_cluster: bool, embedding: str | None) -> bool:
    """Seed 000's per-cluster scheme takes one seed, in its own cluster space: no other seeds, no
    same-cluster filter, no other embedding."""
    return n_seeds > 1 or same_cluster or embedding is not None


@dataclass
class Answer:
    seeds: list[str]
    rows: Rows
    why: dict[str, dict[str, Any]] | None = None


def recommendations(
    con: duckdb.DuckDBPyConnection,
    terms: list[str],
    k: int,
    filters: Filters,
    diverse: bool = False,
    per_cluster: bool = False,
    explain_rows: bool = False,
    top=None,
) -> Answer:
    """What the CLI and the server answer for seeds `terms` (ids, URIs or search text; searches take
    their clearly best match): the plain case from `top(term, k)` when given (a server's in-memory
    lists; None: ask SQL), the per-cluster scheme, the diverse re-ranking or the filtered lists;
    with "why" for each row when asked (against the first seed)."""
    plain = is_plain(len(terms), filters, diverse, per_cluster)
    rows = top(terms[0], k) if plain and top is not None else None
    seeds = [terms[0].strip()] if rows else [resolve_track(con, t).track_id for t in terms]
    if rows is None and per_cluster:
        if per_cluster_conflict(len(seeds), filters.same_cluster, filters.embedding):
            raise WavehouseError("per_cluster takes one seed and no same_cluster or embedding")
        rows = recommend_per_cluster(con, seeds[0])
    elif rows is None:
        rows = (recommend_diverse if diverse else recommend)(con, seeds, k, filters)
    columns, body = rows
    reasons = why(con, seeds[0], [r[columns.index("track_id")] for r in body]) if explain_rows and body else None
    return Answer(seeds, rows, reasons)

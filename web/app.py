"""`wavehouse serve`: a local web app and JSON API over the published warehouse, read-only.

Every page has a JSON twin under /api (documented at /openapi.json and /docs). The app reads
through the same look-up functions as the CLI, so search, recommend, playlists and clusters answer
the same. It opens the published file read-only with external access off and a locked
configuration (a request can neither write nor reach the file system), and reopens it when a build
publishes a new one. All SQL is parameterised.
"""

from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware

from wavehouse import __version__, lookup
from wavehouse.errors import WavehouseError
from wavehouse.lookup import for_api, records
from wavehouse.lookup.store import Warehouse
from wavehouse.paths import published_db

from . import listeners, page_routes


class NotFound(WavehouseError):
    """An id or cluster that does not exist: 404."""


# Endpoints return JSONResponse themselves: the values are JSON-ready (for_api) and FastAPI's
# own encoder would walk every value again (0.19 ms of a 4 ms recommendation, measured).
def error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def create_app(db_path: Path | None = None) -> FastAPI:
    store = Warehouse(db_path or published_db())

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        await run_in_threadpool(store.warm)  # each worker loads its indexes before serving
        yield

    # /docs is our own page (FastAPI's Swagger UI loads its scripts from a CDN; this app works offline)
    app = FastAPI(
        title="wavehouse",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        description="Content-based music recommendations, clusters and playlists from a wavehouse "
        "warehouse (read-only). Every page of the app has its JSON twin here.",
    )
    app.state.store = store
    # large answers (the map's pages: 3.3 MB of JSON per 100,000 tracks, a third of that gzipped)
    # compressed when the client accepts it; the small ones every request makes are left alone
    app.add_middleware(GZipMiddleware, minimum_size=65_536, compresslevel=5)

    @app.exception_handler(lookup.AmbiguousTrack)
    async def ambiguous(_: Request, exc: lookup.AmbiguousTrack):
        return error(409, str(exc).replace(" with --pick N", ""), candidates=records(exc.candidates))

    @app.exception_handler(lookup.TrackNotFound)
    async def track_not_found(_: Request, exc: lookup.TrackNotFound):
        return error(404, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound):
        return error(404, str(exc))

    @app.exception_handler(WavehouseError)
    async def bad_request(_: Request, exc: WavehouseError):
        return error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'query')}: {e['msg']}" for e in exc.errors()]
        return error(422, "; ".join(problems), details=for_api(exc.errors()))

    def cluster_id(con, term: str) -> int:
        try:
            return lookup.resolve_cluster(con, term)
        except WavehouseError as exc:
            raise NotFound(str(exc).splitlines()[0]) from None

    # ------------------------------------------------------------------ JSON API

    # The two hot paths answer from memory on the event loop (no thread hand-off: 0.12 ms of a
    # 0.5 ms recommendation, measured); whatever needs a query runs in the thread pool.
    @app.get("/api/search", tags=["tracks"], summary="Find tracks as people type them")
    async def api_search(
        q: Annotated[
            str, Query(min_length=1, max_length=200, description="title, artist, both, or a Spotify id/URI/link")
        ],
        k: Annotated[int, Query(ge=1, le=100)] = 10,
    ):
        if store.searches_in_memory(q):
            rows = store.search(q, k)
        else:
            rows = await run_in_threadpool(store.search, q, k)
        return JSONResponse({"query": q, "results": records(rows)})

    @app.get("/api/tracks/{track_id}", tags=["tracks"], summary="One track: metadata, features, cluster")
    def api_track(track_id: str):
        with store.cursor() as con:
            return JSONResponse(for_api(lookup.track(con, track_id)))

    @app.get("/api/recommend", tags=["recommendations"], summary="Tracks like one or several seeds")
    async def api_recommend(
        seed: Annotated[
            list[str],
            Query(min_length=1, max_length=20, description="track ids, URIs or search text; repeat for several"),
        ],
        k: Annotated[int, Query(ge=1, le=500)] = 10,
        exclude_artist: bool = False,
        max_per_artist: Annotated[int | None, Query(ge=1)] = None,
        explicit: bool | None = None,
        min_popularity: Annotated[int, Query(ge=0, le=100)] = 0,
        max_popularity: Annotated[int, Query(ge=0, le=100)] = 100,
        mood: str | None = None,
        same_cluster: bool = False,
        diverse: bool = False,
        per_cluster: bool = False,
        embedding: Annotated[
            Literal["hybrid", "audio", "unsupervised"] | None,
            Query(
                description="hybrid (sound + the artists' other genres), audio (sound alone) or "
                "unsupervised (autoencoder); default: the warehouse's default"
            ),
        ] = None,
        explain: bool = False,
    ):
        options = lookup.Filters(
            exclude_artist, max_per_artist, explicit, min_popularity, max_popularity, mood, same_cluster
        )
        if embedding is None and not explain and lookup.is_plain(len(seed), options, diverse, per_cluster):
            # the common case (a track_id, no options): its list, from memory
            rows = store.top(seed[0], k)
            if rows:
                return JSONResponse({"seeds": [seed[0].strip()], "results": records(rows)})
        return await run_in_threadpool(recommend, seed, k, options, embedding, diverse, per_cluster, explain)

    def recommend(
        seed: list[str],
        k: int,
        options: lookup.Filters,
        embedding: str | None,
        diverse: bool,
        per_cluster: bool,
        explain: bool,
    ) -> JSONResponse:
        with store.cursor() as con:
            filters = dataclasses.replace(options, embedding=lookup.resolve_embedding(con, embedding))
            answer = lookup.recommendations(con, seed, k, filters, diverse, per_cluster, explain, top=store.top)
            results = records(answer.rows)
            if answer.why:
                for r in results:
                    r["why"] = answer.why[r["track_id"]]
            return JSONResponse({"seeds": answer.seeds, "results": results})

    @app.get("/api/path", tags=["recommendations"], summary="A smooth path of tracks from a to b")
    def api_path(
        a: Annotated[str, Query(min_length=1)],
        b: Annotated[str, Query(min_length=1)],
        steps: Annotated[int, Query(ge=3, le=100)] = 12,
    ):
        with store.cursor() as con:
            start, end = (lookup.resolve_track(con, t).track_id for t in (a, b))
            return JSONResponse({"from": start, "to": end, "steps": records(lookup.song_path(con, start, end, steps))})

    @app.get("/api/clusters", tags=["clusters"], summary="Every cluster of a method")
    def api_clusters(method: str | None = None):
        with store.cursor() as con:
            return JSONResponse({"clusters": records(lookup.clusters(con, method))})

    @app.get("/api/clusters/{cluster}", tags=["clusters"], summary="One cluster's profile")
    def api_cluster(cluster: str):
        with store.cursor() as con:
            cid = cluster_id(con, cluster)
            return JSONResponse(cluster_sections(con, cid))

    @app.get("/api/clusters/{cluster}/playlist", tags=["playlists"], summary="The tracks nearest a cluster's centre")
    def api_cluster_playlist(
        cluster: str,
        n: Annotated[int, Query(ge=1, le=1000)] = 40,
        mood: str | None = None,
        sub: int | None = None,
        format: Annotated[str, Query(pattern="^(json|m3u|uris)$")] = "json",
    ):
        with store.cursor() as con:
            cid = cluster_id(con, cluster)
            return playlist_response(lookup.playlist(con, str(cid), mood, n, sub), format, f"cluster-{cid}")

    @app.get("/api/moods/{mood}/playlist", tags=["playlists"], summary="The tracks nearest a mood's centre")
    def api_mood_playlist(
        mood: str,
        n: Annotated[int, Query(ge=1, le=1000)] = 40,
        format: Annotated[str, Query(pattern="^(json|m3u|uris)$")] = "json",
    ):
        with store.cursor() as con:
            return playlist_response(lookup.playlist(con, None, mood, n), format, f"mood-{mood}")

    @app.get("/api/evaluation", tags=["evaluation"], summary="How good the recommendations are (rpt_evaluation)")
    def api_evaluation():
        with store.cursor() as con:
            return JSONResponse({"metrics": records(lookup.evaluation(con))})

    @app.get("/api/map", tags=["clusters"], summary="2-D map points with cluster, paged")
    def api_map(
        map: Annotated[str, Query(pattern="^[a-z_]+$")] = "pca",
        limit: Annotated[int, Query(ge=1, le=100000)] = 5000,
        offset: Annotated[int, Query(ge=0)] = 0,
        format: Annotated[str, Query(pattern="^(records|columns)$")] = "records",
    ):
        with store.cursor() as con:
            columns, rows = lookup.map_points(con, map, limit, offset)
        if format == "columns":  # the map page's every track as arrays (names come on hover)
            shown = [columns.index(c) for c in ("track_id", "x", "y", "cluster_id")]
            return JSONResponse({"map": map, "offset": offset, **{columns[i]: [r[i] for r in rows] for i in shown}})
        return JSONResponse({"map": map, "offset": offset, "points": records((columns, rows))})

    @app.get("/api/tracks/{track_id}/sound", tags=["tracks"], summary="A track's features in words and units")
    def api_sound(track_id: str):
        with store.cursor() as con:
            return JSONResponse({"track_id": track_id, "features": records(lookup.sound(con, track_id))})

    @app.get("/api/playlist", tags=["playlists"], summary="The playlist builder: seeds shaped by a few controls")
    def api_playlist(
        ask: Annotated[PlaylistQuery, Depends()],
        format: Annotated[str, Query(pattern="^(json|m3u|uris|csv)$")] = "json",
    ):
        with store.cursor() as con:
            built = lookup.build_playlist(con, ask.seeds, ask.shape, ask.cluster, ask.mood)
        if format != "json":
            return playlist_response(built.tracks, format, "wavehouse-playlist")
        return JSONResponse(
            {"seeds": built.seeds, "seed_tracks": records(built.seed_tracks), "tracks": records(built.tracks)}
        )

    page_routes.add_routes(app, store, NotFound, cluster_id, cluster_sections, PlaylistQuery)
    listeners.add_routes(app, store, NotFound)
    return app


def cluster_sections(con, cid: int) -> dict[str, Any]:
    """A cluster's profile as JSON values: its row, feature profile, importance, similar clusters."""
    sections = {name: records(rows) for name, rows in lookup.cluster_detail(con, str(cid)).items()}
    sections["cluster"] = sections["cluster"][0]
    return sections


class PlaylistQuery:
    """The playlist builder's parameters, every one bounded (the API's and the page's)."""

    def __init__(
        self,
        seed: Annotated[list[str], Query(max_length=20, description="track ids, URIs or search text")] = [],  # noqa: B006
        cluster: Annotated[str | None, Query(max_length=100)] = None,
        mood: Annotated[str | None, Query(max_length=40)] = None,
        n: Annotated[int, Query(ge=1, le=200)] = 25,
        discovery: Annotated[float, Query(ge=0, le=1, description="0 familiar ... 1 discovery")] = 0.5,
        min_energy: Annotated[float, Query(ge=0, le=1)] = 0.0,
        max_energy: Annotated[float, Query(ge=0, le=1)] = 1.0,
        min_tempo: Annotated[float, Query(ge=0, le=300)] = 0.0,
        max_tempo: Annotated[float, Query(ge=0, le=300)] = 250.0,
        one_per_artist: bool = True,
    ):
        self.seeds = [s[:200] for s in seed if s.strip()]
        self.cluster, self.mood = cluster, mood or None
        self.shape = lookup.Shape(n, discovery, min_energy, max_energy, min_tempo, max_tempo, one_per_artist)

    def as_query(self) -> dict[str, Any]:
        return {"seed": self.seeds, "cluster": self.cluster, "mood": self.mood, **self.shape.__dict__}


MEDIA = {"m3u": "audio/x-mpegurl", "csv": "text/csv", "uris": "text/plain"}


def playlist_response(rows: lookup.Rows, fmt: str, name: str):
    if fmt == "json":
        return JSONResponse({"playlist": name, "tracks": records(rows)})
    text = lookup.playlist_text(*rows, fmt)
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'} if fmt in ("m3u", "csv") else {}
    return PlainTextResponse(text, media_type=MEDIA[fmt], headers=headers)

"""The app's HTML pages, each reading what its JSON twin reads (wavehouse.lookup) and rendering it
with web/pages.py, web/map_page.py and web/playlist_page.py. Every parameter is bounded."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Path, Query
from fastapi.responses import HTMLResponse, Response

from wavehouse import lookup
from wavehouse.errors import WavehouseError
from wavehouse.lookup import for_api, records

from . import map_page, pages, playlist_page
from .layout import FAVICON_SVG

Text = Annotated[str | None, Query(max_length=200)]


def add_routes(app: FastAPI, store, not_found, cluster_id, cluster_sections, playlist_query) -> None:
    """Register the pages (store: the server's warehouse; not_found: the app's 404 error type;
    cluster_id and cluster_sections: the app's cluster look-ups; playlist_query: the builder's
    bounded parameters; all shared with the API)."""

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs_page():
        return pages.api_docs(app.openapi())

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(FAVICON_SVG, media_type="image/svg+xml")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home_page(q: Text = None):
        found = None
        with store.cursor() as con:
            if q and q.strip():
                try:
                    found = {"query": q, "results": records(store.search(q, 10))}
                except WavehouseError as exc:
                    found = {"query": q, "results": [], "error": str(exc)}
            return pages.home(records(lookup.clusters(con)), q or "", found)

    @app.get("/track/{track_id}", response_class=HTMLResponse, include_in_schema=False)
    def track_page(track_id: str, embedding: Literal["hybrid", "audio", "unsupervised"] | None = None):
        with store.cursor() as con:
            try:
                info = lookup.track(con, track_id)
            except lookup.TrackNotFound as exc:
                return HTMLResponse(pages.not_found(str(exc)), status_code=404)
            names, default = lookup.embedding_choices(con)
            filters = lookup.Filters(embedding=lookup.resolve_embedding(con, embedding))
            recs = records(lookup.recommendations(con, [track_id], 10, filters, top=store.top).rows)
            why = lookup.why(con, track_id, [r["track_id"] for r in recs])
            for r in recs:
                r["why"] = for_api(why[r["track_id"]])
            sound = records(lookup.sound(con, track_id))
            return pages.track(for_api(info), sound, recs, names, embedding or default)

    @app.get("/clusters", response_class=HTMLResponse, include_in_schema=False)
    def clusters_page():
        with store.cursor() as con:
            return map_page.clusters(records(lookup.clusters(con)), "tsne")

    @app.get("/cluster/{cluster}", response_class=HTMLResponse, include_in_schema=False)
    def cluster_page(cluster: Annotated[str, Path(max_length=100)]):
        with store.cursor() as con:
            try:
                cid = cluster_id(con, cluster)
            except not_found as exc:
                return HTMLResponse(pages.not_found(str(exc)), status_code=404)
            tracks = records(lookup.playlist(con, str(cid), None, 40))
            return pages.cluster(cluster_sections(con, cid), tracks)

    @app.get("/playlist", response_class=HTMLResponse, include_in_schema=False)
    def playlist_builder(ask=Depends(playlist_query)):  # noqa: B008 (FastAPI's dependency)
        query = ask.as_query()
        answer, error = None, None
        with store.cursor() as con:
            moods = lookup.moods(con)
            if ask.seeds or ask.cluster or ask.mood:
                try:
                    built = lookup.build_playlist(con, ask.seeds, ask.shape, ask.cluster, ask.mood)
                    answer = {"seed_tracks": records(built.seed_tracks), "tracks": records(built.tracks)}
                    query["seed"] = built.seeds
                except WavehouseError as exc:
                    error = str(exc).splitlines()[0]
        return playlist_page.builder(query, answer, error, moods)

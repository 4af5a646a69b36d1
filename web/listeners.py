"""A listener's routes: /api/listeners, /api/listeners/{name}, /api/listeners/{name}/recommend and
the page /listener/{name} (their taste over time as a chart, top artists and clusters, their list
with why). Reads through wavehouse.lookup like every other route; every parameter is bounded."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse

from wavehouse import lookup
from wavehouse.errors import WavehouseError
from wavehouse.lookup import records

from .layout import e, layout, play_button, track_link
from .pages import not_found as not_found_page

Name = Annotated[str, Path(min_length=1, max_length=200)]
FOR_YOU = [
    ("#", "rank"),
    ("Title", "track_name"),
    ("Artists", "artists"),
    ("Genre", "primary_genre"),
    ("Why", "why"),
    ("", "play"),
]
METHODS = {
    "recommend_for": "for you",
    "popularity": "most popular",
    "random": "random",
    "co_listening": "what listeners like you played",
}
PALETTE = ["#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0891b2", "#9ca3af"]


def add_routes(app: FastAPI, store, not_found) -> None:
    """Register the listener routes on the app (store: the server's warehouse; not_found: the
    app's 404 error type)."""

    def known(con, name: str) -> str:
        try:
            return lookup.resolve_listener(con, name)
        except WavehouseError as exc:
            raise not_found(str(exc)) from None

    @app.get("/api/listeners", tags=["listeners"], summary="The listeners of a build with --listens")
    def api_listeners():
        with store.cursor() as con:
            return JSONResponse({"listeners": records(lookup.listeners(con))})

    @app.get("/api/listeners/{name}", tags=["listeners"], summary="A listener's taste, listening and evaluation")
    def api_listener(name: Name):
        with store.cursor() as con:
            profile = lookup.listener_profile(con, known(con, name))
            return JSONResponse({section: records(rows) for section, rows in profile.items()})

    @app.get("/api/listeners/{name}/recommend", tags=["listeners"], summary="Tracks for a listener (recommend_for)")
    def api_listener_recommend(
        name: Name,
        k: Annotated[int, Query(ge=1, le=200)] = 10,
        discovery: Annotated[float, Query(ge=0, le=1)] = 0.5,
        max_per_artist: Annotated[int | None, Query(ge=1, le=200)] = None,
        explicit: bool | None = None,
        min_popularity: Annotated[int, Query(ge=0, le=100)] = 0,
        max_popularity: Annotated[int, Query(ge=0, le=100)] = 100,
        mood: Annotated[str | None, Query(max_length=40)] = None,
    ):
        knobs = lookup.ForYou(discovery, max_per_artist, explicit, min_popularity, max_popularity, mood)
        with store.cursor() as con:
            listener = known(con, name)
            return JSONResponse(
                {"listener": listener, "tracks": records(lookup.recommend_for(con, listener, k, knobs))}
            )

    @app.get("/listener/{name}", response_class=HTMLResponse, include_in_schema=False)
    def listener_page(name: Name):
        with store.cursor() as con:
            try:
                listener = known(con, name)
            except not_found as exc:
                return HTMLResponse(not_found_page(str(exc)), status_code=404)
            profile = {section: records(rows) for section, rows in lookup.listener_profile(con, listener).items()}
            tracks = records(lookup.recommend_for(con, listener, 20))
            return page(listener, profile, tracks)


def months_chart(months: list[dict[str, Any]], width: int = 720, height: int = 220) -> str:
    """Plays per month as stacked bars of the listener's six most played clusters (the rest grey), as
    inline SVG with a title and a legend."""
    if not months:
        return ""
    totals: dict[str, int] = {}
    for row in months:
        totals[row["cluster"]] = totals.get(row["cluster"], 0) + row["plays"]
    top = sorted(totals, key=lambda c: (-totals[c], c))[:6]
    by_month: dict[str, dict[str, int]] = {}
    for row in months:
        key = row["cluster"] if row["cluster"] in top else "other"
        month = by_month.setdefault(str(row["month"])[:7], {})
        month[key] = month.get(key, 0) + row["plays"]
    names = [*top, "other"]
    peak = max(sum(m.values()) for m in by_month.values())
    step = width / len(by_month)
    bars = []
    for i, (month, counts) in enumerate(by_month.items()):
        y = height
        for j, cluster in enumerate(names):
            h = counts.get(cluster, 0) / peak * (height - 20)
            if h:
                y -= h
                bars.append(
                    f'<rect x="{i * step + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[j]}"><title>{e(month)}: {e(cluster)}, {counts[cluster]} plays</title></rect>'
                )
    first, last = next(iter(by_month)), list(by_month)[-1]
    legend = "".join(
        f'<span class="pill"><span style="display:inline-block;width:.8em;height:.8em;background:{PALETTE[j]}">'
        f"</span> {e(c)}</span>"
        for j, c in enumerate(names)
        if any(c in m for m in by_month.values())
    )
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="Plays per month, by cluster" '
        f'style="width:100%;max-width:{width}px;background:#fff">'
        f"<title>Plays per month from {e(first)} to {e(last)}, by cluster</title>{''.join(bars)}</svg>"
        f'<div class="muted">{e(first)} … {e(last)}</div><div>{legend}</div>'
    )


def cards(rows: list[dict[str, Any]], columns: list[tuple[str, str]], links: dict[str, Any] | None = None) -> str:
    """A table with headers in words (columns: (header, key)) that stacks into cards on a phone."""
    links = links or {}
    head = "".join(f"<th>{e(h)}</th>" for h, _ in columns)
    body = "".join(
        "<tr>"
        + "".join(f'<td data-label="{e(h)}">{links[k](r) if k in links else e(r.get(k))}</td>' for h, k in columns)
        + "</tr>"
        for r in rows
    )
    return f'<table class="cards"><tr>{head}</tr>{body}</table>'


def page(name: str, profile: dict[str, list[dict[str, Any]]], tracks: list[dict[str, Any]]) -> str:
    info = profile["listener"][0]
    summary = (
        f"{info['plays']:,} plays and {info['skips']:,} skips of {info['distinct_songs']:,} songs, "
        f"{e(info['hours_played'])} hours, {e(str(info['first_played_at'])[:10])} to "
        f"{e(str(info['last_played_at'])[:10])}; {info['match_rate'] or 0:.0%} of the music streams "
        f"matched the catalogue ({info['streams_unmatched']:,} did not)"
    )
    taste = [{**t, "share": f"{t['share']:.0%}"} for t in profile["taste"]]
    scores = [
        {**r, "hit_rate": f"{r['hit_rate']:.0%}", "recall": f"{r['recall']:.0%}", "method": METHODS.get(r["method"])}
        for r in profile["evaluation"]
    ]
    body = f"""<h1>{e(name)}</h1><p>{summary}</p>
<h2>Your listening, month by month</h2>{months_chart(profile["months"])}
<h2>For you</h2>{cards(tracks, FOR_YOU, {"track_name": track_link, "play": play_button})}
<h2>Your taste</h2><p class="muted">The few kinds of music you play most, each with its share of your listening.</p>
{cards(taste, [("Kind", "taste_centre"), ("Share", "share"), ("Tracks", "n_tracks"), ("Like", "because_you_play")])}
<h2>Top artists</h2>{cards(profile["artists"], [("Artist", "artist"), ("Plays", "plays"), ("Hours", "hours")])}
<h2>Top clusters</h2>{cards(profile["clusters"], [("Cluster", "cluster"), ("Plays", "plays"), ("Hours", "hours")])}
<h2>How well this works on your history</h2>
<p class="muted">Your taste up to a date, against the songs you first played after it.</p>
{cards(scores, [("List", "method"), ("Top", "k"), ("New songs", "test_songs"), ("Found", "found"), ("Hit", "hit_rate"), ("Recall", "recall")])}"""
    return layout(name, body, f"/api/listeners/{quote(name)}")

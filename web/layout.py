"""What every page shares: the style, the page frame, values and headers in words, tables that
become cards on a phone, and the Play button.

Every value is escaped. Nothing is fetched from elsewhere when a page loads (the favicon is inline,
the style and scripts are in the page); the Play button loads Spotify's embed player only when a
person clicks it."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1f2937;background:#fafafa}
header{background:#1f2937;color:#fff;padding:.6em 1.2em;display:flex;flex-wrap:wrap;gap:.4em 1.5em;align-items:center}
header a{color:#f3f4f6;text-decoration:none}header b{font-size:1.1em}header .note{color:#d1d5db;margin-left:auto}
header .note a{text-decoration:underline}
main{max-width:1100px;margin:1em auto;padding:0 1em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.2em;background:#fff}
th,td{border-bottom:1px solid #e5e7eb;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600}a{color:#1d4ed8}
input,select,button{font:inherit}
input[type=search],input[type=text]{font-size:1.1em;padding:.45em;width:100%;box-sizing:border-box}
button{background:#1d4ed8;color:#fff;border:0;border-radius:6px;padding:.3em .8em;cursor:pointer}
button.quiet{background:#e5e7eb;color:#1f2937}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}
.muted{color:#4b5563}.bar{display:inline-block;height:.7em;background:#2563eb}.neg{background:#dc2626}
.pill{display:inline-block;background:#e5e7eb;border-radius:9px;padding:0 .5em;margin:0 .2em .2em 0;font-size:13px}
.player iframe{border:0;border-radius:12px;width:100%;max-width:480px;height:80px;display:block;margin:.3em 0}
details{margin:.3em 0}summary{cursor:pointer;color:#1d4ed8}
svg text{font:12px system-ui,sans-serif;fill:#1f2937}
canvas{background:#fff;border:1px solid #e5e7eb;width:100%;max-width:1000px;cursor:crosshair;touch-action:none}
#tip{position:fixed;pointer-events:none;background:#111;color:#fff;padding:.25em .5em;border-radius:4px;font-size:13px;display:none}
@media (max-width:700px){
 table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:auto}
 table.cards tr:first-child{display:none}
 table.cards tr{border:1px solid #e5e7eb;border-radius:8px;margin:.6em 0;padding:.3em .5em;background:#fff}
 table.cards td{border:0;padding:.15em 0}
 table.cards td[data-label]:not([data-label=""])::before{content:attr(data-label) ": ";font-weight:600}
}
"""

# a note on a blue square, inline in every page (a browser then asks for no /favicon.ico; the app
# serves it there too, for clients that ask anyway)
FAVICON_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='7' "
    "fill='#1d4ed8'/><path d='M13 23a4 4 0 1 1-2-3.46V7l11-2v13a4 4 0 1 1-2-3.46V9.4l-7 1.3z' fill='white'/></svg>"
)
FAVICON = "data:image/svg+xml," + quote(FAVICON_SVG)

# column -> the header a person reads
HEADERS = {
    "rank": "#",
    "position": "#",
    "track_name": "Track",
    "artists": "Artists",
    "primary_genre": "Genre",
    "similarity": "Match",
    "centroid_similarity": "Closeness to the centre",
    "cluster_id": "Cluster",
    "cluster_name": "Cluster",
    "n_tracks": "Tracks",
    "share": "Share of the catalogue",
    "genre_purity": "Main genre's share",
    "top_genres": "Top genres",
    "mood": "Mood",
    "because": "Why",
    "play": "Listen",
    "energy": "Energy",
    "acousticness": "Acoustic",
    "mean_abs_shap": "Influence (mean |SHAP|)",
    "importance_rank": "Rank",
    "label": "Feature",
    "value_text": "Value",
    "percentile": "Against the catalogue",
}

PLAY_JS = """
document.addEventListener('click', ev => {
  const b = ev.target.closest('button.play');
  if (!b) return;
  const box = document.getElementById('player-' + b.dataset.track) || b.parentElement;
  const f = document.createElement('iframe');
  f.src = 'https://open.spotify.com/embed/track/' + encodeURIComponent(b.dataset.track);
  f.title = 'Spotify player: ' + b.dataset.title;
  f.allow = 'autoplay; clipboard-write; encrypted-media; fullscreen; picture-in-picture';
  f.loading = 'lazy';
  box.classList.add('player'); box.appendChild(f); b.remove();
});
function playButton(id, title) {
  return `<span id="player-${esc(id)}"><button class="play" type="button" data-track="${esc(id)}" ` +
    `data-title="${esc(title)}" aria-label="Play ${esc(title)}">▶ Play</button></span>`;
}
function esc(s) { return String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]); }
"""


def e(value: Any) -> str:
    """A value as escaped text: floats to four significant digits, lists joined."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(e(v) for v in value)
    return escape(str(value))


def percent(value: Any) -> str:
    return "" if value is None else f"{value:.0%}"


def layout(title: str, body: str, twin: str | None = None, script: str = "") -> str:
    """A whole page: header, `body`, the Play button's script and the page's own `script`."""
    json_link = f' · <a href="{escape(twin)}">JSON</a>' if twin else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)} · wavehouse</title>
<link rel="icon" href="{FAVICON}"><style>{STYLE}</style></head><body>
<header><b><a href="/">wavehouse</a></b><nav aria-label="pages"><a href="/">Search</a> · <a href="/clusters">Map and clusters</a>
· <a href="/playlist">Playlist builder</a> · <a href="/docs">API</a></nav><span class="note">read-only{json_link}</span></header>
<main>{body}</main><script>{PLAY_JS}{script}</script></body></html>"""


def play_button(row: dict[str, Any]) -> str:
    """ "Play" (accessible name "Play <title>"): Spotify's player appears only when it is clicked."""
    tid, title = str(row["track_id"]), str(row.get("track_name") or row["track_id"])
    return (
        f'<span id="player-{escape(tid)}"><button class="play" type="button" data-track="{escape(tid)}" '
        f'data-title="{escape(title)}" aria-label="Play {escape(title)}">▶ Play</button></span>'
    )


def spotify_link(row: dict[str, Any]) -> str:
    return f'<a href="https://open.spotify.com/track/{quote(str(row["track_id"]))}">open in Spotify</a>'


def track_link(row: dict[str, Any]) -> str:
    return f'<a href="/track/{quote(str(row["track_id"]))}">{e(row.get("track_name")) or e(row["track_id"])}</a>'


def cluster_link(row: dict[str, Any]) -> str:
    if row.get("cluster_id") is None:
        return ""
    return f'<a href="/cluster/{row["cluster_id"]}">{e(row.get("cluster_name")) or row["cluster_id"]}</a>'


def table(rows: list[dict[str, Any]], columns: list[str], cells: dict[str, Any] | None = None) -> str:
    """Rows under headers in words; `cells` renders a column's cell from its row. On a phone each
    row is a card with its headers as labels."""
    cells = cells or {}
    heads = [HEADERS.get(c, c.replace("_", " ").capitalize()) for c in columns]
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td data-label="{escape(h)}">{cells[c](r) if c in cells else e(r.get(c))}</td>'
            for c, h in zip(columns, heads)
        )
        + "</tr>"
        for r in rows
    )
    return f'<table class="cards"><tr>{head}</tr>{body}</table>'

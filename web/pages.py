"""The app's HTML pages: plain, server-rendered, every value escaped; the little JavaScript they use
(live search, the cluster map, the song path form) is inline, so the pages work offline with no CDN."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2937;color:#fff;padding:.6em 1.2em;display:flex;gap:1.5em;align-items:center}
header a{color:#e5e7eb;text-decoration:none}header b{font-size:1.1em}
main{max-width:1100px;margin:1em auto;padding:0 1em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.2em;background:#fff}
th,td{border-bottom:1px solid #e5e7eb;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600}a{color:#1d4ed8}
input[type=search],input[type=text]{font-size:1.1em;padding:.45em;width:100%;box-sizing:border-box}
.muted{color:#6b7280}.bar{display:inline-block;height:.7em;background:#60a5fa}.neg{background:#f87171}
#tip{position:fixed;pointer-events:none;background:#111;color:#fff;padding:.25em .5em;border-radius:4px;font-size:13px;display:none}
canvas{background:#fff;border:1px solid #e5e7eb;width:100%;max-width:1000px;cursor:crosshair}
.pill{display:inline-block;background:#e5e7eb;border-radius:9px;padding:0 .5em;margin:0 .2em .2em 0;font-size:13px}
"""

FEATURES = [
    "danceability",
    "energy",
    "valence",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "liveness",
    "loudness",
    "tempo",
    "popularity",
    "duration_ms",
    "explicit",
    "key",
    "mode",
    "time_signature",
]


def e(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(e(v) for v in value)
    return escape(str(value))


def layout(title: str, body: str, twin: str | None = None) -> str:
    json_link = f' · <a href="{escape(twin)}">JSON</a>' if twin else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)} · wavehouse</title>
<style>{STYLE}</style></head><body>
<header><b><a href="/">wavehouse</a></b><a href="/">Search</a><a href="/clusters">Clusters</a><a href="/docs">API</a>
<span class="muted" style="margin-left:auto">read-only{json_link}</span></header>
<main>{body}</main></body></html>"""


def track_link(row: dict[str, Any]) -> str:
    return f'<a href="/track/{quote(str(row["track_id"]))}">{e(row.get("track_name")) or e(row["track_id"])}</a>'


def table(rows: list[dict[str, Any]], columns: list[str], links: dict[str, Any] | None = None) -> str:
    links = links or {}
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{links[c](r) if c in links else e(r.get(c))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def cluster_link(row: dict[str, Any]) -> str:
    if row.get("cluster_id") is None:
        return ""
    return f'<a href="/cluster/{row["cluster_id"]}">{e(row.get("cluster_name")) or row["cluster_id"]}</a>'


def home(clusters: list[dict[str, Any]]) -> str:
    body = f"""<h1>Find a song</h1>
<input id="q" type="search" placeholder="a title, an artist, both (&quot;Ed Sheeran - Shape of You&quot;), or a Spotify link" autofocus>
<div id="results" class="muted">Type to search.</div>
<h2>Clusters</h2>{table(clusters, ["cluster_id", "cluster_name", "n_tracks", "top_genres"], {"cluster_name": cluster_link})}
<script>
const box = document.getElementById('q'), out = document.getElementById('results');
let timer = null, asked = 0;
function esc(s) {{ return String(s ?? '').replace(/[&<>"']/g, c => ({{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}})[c]); }}
box.addEventListener('input', () => {{
  clearTimeout(timer);
  timer = setTimeout(async () => {{
    const q = box.value.trim(), mine = ++asked;
    if (!q) {{ out.innerHTML = 'Type to search.'; return; }}
    const r = await fetch('/api/search?k=10&q=' + encodeURIComponent(q));
    if (mine !== asked) return;
    const data = await r.json();
    if (!r.ok) {{ out.textContent = data.error; return; }}
    out.innerHTML = data.results.length ? '<table><tr><th>track</th><th>artists</th><th>genre</th><th>score</th></tr>' +
      data.results.map(t => `<tr class="result"><td><a href="/track/${{encodeURIComponent(t.track_id)}}">${{esc(t.track_name)}}</a></td>` +
        `<td>${{esc(t.artists)}}</td><td>${{esc(t.primary_genre)}}</td><td>${{t.score}}</td></tr>`).join('') + '</table>'
      : 'No match.';
  }}, 120);
}});
</script>"""
    return layout("Search", body, "/api/search?q=shape%20of%20you")


def track(
    info: dict[str, Any], recs: list[dict[str, Any]], why: dict[str, tuple], embeddings: list[str], embedding: str
) -> str:
    """The track page; its recommendations from `embedding`, with links to the others."""
    tid = str(info["track_id"])
    choose = " · ".join(
        f"<b>{e(name)}</b>"
        if name == embedding
        else f'<a href="/track/{quote(tid)}?embedding={quote(name)}">{e(name)}</a>'
        for name in embeddings
    )
    features = [{"feature": f, "value": info.get(f)} for f in FEATURES if info.get(f) is not None]
    for r in recs:
        agree, differ, shared = why.get(r["track_id"], (None, None, None))
        r["why"] = f"agree on {e(agree)}; differ on {e(differ)}" + (f"; shared genres {e(shared)}" if shared else "")
    genres = "".join(f'<span class="pill">{e(g)}</span>' for g in info.get("genres") or [])
    body = f"""<h1>{e(info.get("track_name"))}</h1>
<p><b>{e(info.get("artists"))}</b> · {e(info.get("album_name"))} · cluster {cluster_link(info)} · mood {
        e(info.get("mood"))
    }
 · <a href="https://open.spotify.com/track/{quote(tid)}">open in Spotify</a></p><p>{genres}</p>
<h2>Recommendations</h2>
<p>embedding: {choose}</p>
{
        table(
            recs,
            ["rank", "track_name", "artists", "primary_genre", "similarity", "cluster_name", "why"],
            {"track_name": track_link, "cluster_name": cluster_link},
        )
    }
<h2>Path to another song</h2>
<form id="pathform"><input id="to" type="text" placeholder="a song to travel to, e.g. bohemian rhapsody">
<label>steps <input id="steps" type="number" value="12" min="3" max="100" style="width:4em"></label> <button>Find a path</button></form>
<div id="path"></div>
<h2>Features</h2>{table(features, ["feature", "value"])}
<script>
function esc(s) {{ return String(s ?? '').replace(/[&<>"']/g, c => ({{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}})[c]); }}
document.getElementById('pathform').addEventListener('submit', async ev => {{
  ev.preventDefault();
  const out = document.getElementById('path');
  out.textContent = 'Finding a path...';
  const to = document.getElementById('to').value, steps = document.getElementById('steps').value;
  const r = await fetch(`/api/path?a={quote(tid)}&b=${{encodeURIComponent(to)}}&steps=${{steps}}`);
  const data = await r.json();
  if (!r.ok) {{ out.textContent = data.error; return; }}
  out.innerHTML = '<table><tr><th>step</th><th>track</th><th>artists</th><th>similarity to line</th><th>to previous</th><th>to end</th></tr>' +
    data.steps.map(s => `<tr class="step"><td>${{s.step}}</td><td><a href="/track/${{encodeURIComponent(s.track_id)}}">${{esc(s.track_name)}}</a></td>` +
      `<td>${{esc(s.artists)}}</td><td>${{s.similarity_to_line}}</td><td>${{s.similarity_to_previous ?? ''}}</td><td>${{s.similarity_to_b}}</td></tr>`).join('') + '</table>';
}});
</script>"""
    return layout(
        str(info.get("track_name") or tid),
        body,
        f"/api/recommend?seed={quote(tid)}&explain=true&embedding={quote(embedding)}",
    )


def clusters(rows: list[dict[str, Any]]) -> str:
    body = f"""<h1>The catalogue on a map</h1>
<p class="muted">Each dot is a track (a fixed sample), placed by the first two principal components and coloured by
cluster. Hover for the track, click to open it.</p>
<canvas id="map" width="1000" height="620"></canvas><div id="tip"></div>
<p id="legend"></p>
{
        table(
            rows,
            ["cluster_id", "cluster_name", "n_tracks", "share", "genre_purity", "top_genres", "energy", "acousticness"],
            {"cluster_name": cluster_link},
        )
    }
<script>
const COLORS = ['#2563eb','#dc2626','#16a34a','#9333ea','#ea580c','#0891b2','#ca8a04','#db2777','#4b5563','#65a30d',
                '#7c3aed','#0d9488','#b91c1c','#1e40af','#a16207','#be185d','#15803d','#6d28d9','#c2410c','#0369a1'];
const canvas = document.getElementById('map'), ctx = canvas.getContext('2d'), tip = document.getElementById('tip');
let points = [], sx, sy;
function esc(s) {{ return String(s ?? '').replace(/[&<>"']/g, c => ({{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}})[c]); }}
function colour(c) {{ return c === null || c < 0 ? '#9ca3af' : COLORS[c % COLORS.length]; }}
async function draw() {{
  const r = await fetch('/api/map?map=pca&limit=6000');
  points = (await r.json()).points;
  const xs = points.map(p => p.x), ys = points.map(p => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  sx = x => 10 + (x - x0) / (x1 - x0 || 1) * (canvas.width - 20);
  sy = y => canvas.height - 10 - (y - y0) / (y1 - y0 || 1) * (canvas.height - 20);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const p of points) {{ ctx.fillStyle = colour(p.cluster_id); ctx.fillRect(sx(p.x) - 1.5, sy(p.y) - 1.5, 3, 3); }}
  const ids = [...new Set(points.map(p => p.cluster_id))].sort((a, b) => a - b);
  document.getElementById('legend').innerHTML = 'Open a cluster: ' + ids.map(c =>
    `<a class="pill legend" href="/cluster/${{c}}" style="background:${{colour(c)}};color:#fff">${{c}}</a>`).join('');
  canvas.dataset.ready = points.length;
}}
function nearest(ev) {{
  const box = canvas.getBoundingClientRect(), scale = canvas.width / box.width;
  const mx = (ev.clientX - box.left) * scale, my = (ev.clientY - box.top) * scale;
  let best = null, bestD = 36;
  for (const p of points) {{ const d = (sx(p.x) - mx) ** 2 + (sy(p.y) - my) ** 2; if (d < bestD) {{ best = p; bestD = d; }} }}
  return best;
}}
canvas.addEventListener('mousemove', ev => {{
  const p = nearest(ev);
  if (!p) {{ tip.style.display = 'none'; return; }}
  tip.style.display = 'block'; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px';
  tip.innerHTML = `${{esc(p.track_name)}} — ${{esc(p.artists)}} <span style="opacity:.7">(cluster ${{p.cluster_id}})</span>`;
}});
canvas.addEventListener('click', ev => {{ const p = nearest(ev); if (p) location.href = '/track/' + encodeURIComponent(p.track_id); }});
draw();
</script>"""
    return layout("Clusters", body, "/api/clusters")


def cluster(sections: dict[str, Any], tracks: list[dict[str, Any]]) -> str:
    info = sections["cluster"]
    cid = info["cluster_id"]
    genres = "".join(
        f'<span class="pill">{e(g["genre"])} {g["share"]:.0%}</span>' for g in info.get("top_genres") or []
    )
    artists = "".join(f'<span class="pill">{e(a["artist"])}</span>' for a in info.get("top_artists") or [])
    for row in sections["profile"]:
        z = row.get("z_score") or 0
        row["deviation"] = (
            f'<span class="bar{" neg" if z < 0 else ""}" style="width:{min(abs(z), 3) * 40:.0f}px"></span> {z:+.2f}'
        )
    profile = "".join(
        f"<tr><td>{e(r['feature'])}</td><td>{e(r['mean'])}</td><td>{r['deviation']}</td></tr>"
        for r in sections["profile"]
    )
    body = f"""<h1>Cluster {cid}: {e(info["cluster_name"])}</h1>
<p>{e(info["n_tracks"])} tracks ({info["share"]:.1%} of the catalogue) · genre purity {e(info.get("genre_purity"))}</p>
<p><b>Top genres</b> {genres or '<span class="muted">none (the catalogue has no genres)</span>'}</p><p><b>Top artists</b> {artists}</p>
<h2>How it differs from the catalogue</h2>
<table><tr><th>feature</th><th>mean</th><th>z-score (deviation from the catalogue mean)</th></tr>{profile}</table>
<h2>What drives it (SHAP)</h2>{table(sections["importance"], ["feature", "mean_abs_shap", "importance_rank"])}
<h2>Similar clusters</h2>{table(sections["similar"], ["cluster_id", "cluster_name", "centroid_similarity"], {"cluster_name": cluster_link})}
<h2>Playlist</h2><p><a id="m3u" href="/api/clusters/{cid}/playlist?format=m3u&n=40">Download M3U</a> ·
<a href="/api/clusters/{cid}/playlist?format=uris&n=40">Spotify URIs</a></p>
{table(tracks, ["position", "track_name", "artists", "primary_genre", "mood", "centroid_similarity"], {"track_name": track_link})}"""
    return layout(f"Cluster {cid}", body, f"/api/clusters/{cid}")


def not_found(message: str) -> str:
    return layout("Not found", f"<h1>Not found</h1><p>{escape(message)}</p><p><a href='/'>Search</a></p>")


def api_docs(spec: dict[str, Any]) -> str:
    """The OpenAPI document as a page: every endpoint, its parameters and an example link."""
    parts = [
        f"<h1>{e(spec['info']['title'])} API <span class='muted'>{e(spec['info']['version'])}</span></h1>",
        f"<p>{e(spec['info'].get('description'))} Machine-readable: <a href='/openapi.json'>/openapi.json</a>. "
        'Errors are JSON: <code>{"error": "what was wrong"}</code> with status 400 (bad value), 404 (unknown '
        "id or cluster), 409 (several tracks match equally well: <code>candidates</code> lists them) or 422 "
        "(a parameter out of range or malformed).</p>",
    ]
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": p.get("schema", {}).get("type")
                    or " | ".join(str(s.get("type")) for s in p.get("schema", {}).get("anyOf", [])),
                    "default": p.get("schema", {}).get("default"),
                    "description": p.get("description"),
                }
                for p in op.get("parameters", [])
            ]
            parts.append(
                f"<h2 id='{e(op.get('operationId'))}'><code>{method.upper()} {e(path)}</code></h2>"
                f"<p>{e(op.get('summary'))}</p>"
                + (table(params, ["name", "in", "required", "type", "default", "description"]) if params else "")
            )
    return layout("API", "".join(parts), "/openapi.json")

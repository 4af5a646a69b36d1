"""The app's HTML pages: plain, server-rendered, every value escaped; the little JavaScript they use
is inline (web/layout.py, web/charts.py), so the pages work offline with no CDN."""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import quote

from .charts import SOUND_JS, bars
from .layout import cluster_link, e, layout, percent, play_button, spotify_link, table, track_link

EMBEDDING_WORDS = {
    "hybrid": "sound and genres",
    "audio": "sound alone",
    "unsupervised": "sound, no genre labels",
}


def data_script(name: str, value: Any) -> str:
    """A JSON value as a script's constant (safe inside <script>)."""
    return f"const {name} = {json.dumps(value).replace('</', '<' + chr(92) + '/')};"


SEARCH_JS = """
const box = document.getElementById('q'), out = document.getElementById('results');
let timer = null, asked = 0;
function show(data) {
  out.innerHTML = data.results.length ? '<table class="cards"><tr><th>Track</th><th>Artists</th><th>Genre</th><th></th></tr>' +
    data.results.map(t => `<tr class="result"><td data-label="Track"><a href="/track/${encodeURIComponent(t.track_id)}">${esc(t.track_name)}</a></td>` +
      `<td data-label="Artists">${esc(t.artists)}</td><td data-label="Genre">${esc(t.primary_genre)}</td>` +
      `<td data-label="">${playButton(t.track_id, t.track_name)}</td></tr>`).join('') + '</table>'
    : 'No match.';
}
box.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const q = box.value.trim(), mine = ++asked;
    history.replaceState(null, '', q ? '/?q=' + encodeURIComponent(q) : '/');
    if (!q) { out.innerHTML = 'Type to search.'; return; }
    const r = await fetch('/api/search?k=10&q=' + encodeURIComponent(q));
    if (mine !== asked) return;
    const data = await r.json();
    if (!r.ok) { out.textContent = data.error; return; }
    show(data);
  }, 120);
});
if (FOUND && FOUND.error) out.textContent = FOUND.error; else if (FOUND) show(FOUND);
"""


def home(clusters: list[dict[str, Any]], q: str = "", found: dict[str, Any] | None = None) -> str:
    """The search page; `q` and its results (the /api/search answer) when the URL carries ?q=."""
    body = f"""<h1>Find a song</h1>
<form action="/" role="search"><label for="q">A title, an artist or both</label>
<input id="q" name="q" type="search" value="{
        escape(q)
    }" placeholder="&quot;Ed Sheeran - Shape of You&quot;, or a Spotify link" autofocus></form>
<div id="results" class="muted" aria-live="polite">Type to search.</div>
<h2>Clusters of similar sound</h2>{
        table(clusters, ["cluster_name", "n_tracks", "top_genres"], {"cluster_name": cluster_link})
    }"""
    return layout("Search", body, "/api/search?q=shape%20of%20you", data_script("FOUND", found) + SEARCH_JS)


def track(
    info: dict[str, Any], sound: list[dict[str, Any]], recs: list[dict[str, Any]], embeddings: list[str], embedding: str
) -> str:
    """The track page: its sound against the catalogue, recommendations from `embedding` with why
    in words (technical detail one click away), a Play button for each, a path to another song."""
    tid = str(info["track_id"])
    choose = " · ".join(
        f"<b>{e(EMBEDDING_WORDS.get(name, name))}</b>"
        if name == embedding
        else f'<a href="/track/{quote(tid)}?embedding={quote(name)}">{e(EMBEDDING_WORDS.get(name, name))}</a>'
        for name in embeddings
    )
    for r in recs:
        why = r.get("why") or {}
        r["details"] = (
            f"<details><summary>detail</summary>match {r['similarity']:.3f} (cosine); closest features "
            f"{e(why.get('agree_most'))}; furthest {e(why.get('differ_most'))}</details>"
        )
    cells = {
        "track_name": track_link,
        "cluster_name": cluster_link,
        "similarity": lambda r: percent(r["similarity"]),
        "because": lambda r: e((r.get("why") or {}).get("because")) + r["details"],
        "play": lambda r: play_button(r)
        + f' <button class="quiet compare" type="button" data-track="{escape(str(r["track_id"]))}" '
        f'data-title="{e(r.get("track_name"))}" aria-label="Compare the sound of {e(r.get("track_name"))}">Compare</button>',
    }
    genres_html = "".join(f'<span class="pill">{e(g)}</span>' for g in info.get("genres") or [])
    title = e(info.get("track_name"))
    body = f"""<h1>{title}</h1>
<p><b>{e(info.get("artists"))}</b> · {e(info.get("album_name"))} · cluster {cluster_link(info)} · mood {
        e(info.get("mood"))
    }</p>
<p>{genres_html}</p><p>{play_button(info)} {spotify_link(info)} ·
<a href="/playlist?seed={quote(tid)}">build a playlist from it</a></p>
<h2>Its sound</h2>
<p class="muted" id="sound-note">Where it sits among every track of the catalogue: the blue dot.</p>
<svg id="sound" role="img" data-title="{title}: its sound against the catalogue" aria-labelledby="sound-note"
 style="width:100%;max-width:600px"></svg>
<details><summary>Every feature in numbers</summary>{
        table(sound, ["label", "value_text", "percentile"], {"percentile": lambda r: above(r)})
    }</details>
<h2>Songs like it</h2>
<p>Matched on: {choose}</p>
{
        table(
            recs,
            ["rank", "track_name", "artists", "primary_genre", "similarity", "because", "play"],
            cells,
        )
    }
<h2>Path to another song</h2>
<form id="pathform"><label for="to">A song to travel to</label> <input id="to" type="text" placeholder="e.g. bohemian rhapsody">
<label>steps <input id="steps" type="number" value="12" min="3" max="100" style="width:4em"></label> <button>Find a path</button></form>
<div id="path" aria-live="polite"></div>"""
    script = (
        data_script("SOUND", sound)
        + data_script("SEED", tid)
        + SOUND_JS
        + """
const chart = document.getElementById('sound'), note = document.getElementById('sound-note');
soundChart(chart, SOUND, null, '');
document.addEventListener('click', async ev => {
  const b = ev.target.closest('button.compare');
  if (!b) return;
  const r = await fetch('/api/tracks/' + encodeURIComponent(b.dataset.track) + '/sound');
  const other = (await r.json()).features;
  soundChart(chart, SOUND, other, b.dataset.title);
  note.textContent = 'Blue dot: this song. Orange diamond: ' + b.dataset.title + '.';
  chart.scrollIntoView({behavior: 'smooth', block: 'center'});
});
document.getElementById('pathform').addEventListener('submit', async ev => {
  ev.preventDefault();
  const out = document.getElementById('path');
  out.textContent = 'Finding a path...';
  const to = document.getElementById('to').value, steps = document.getElementById('steps').value;
  const r = await fetch(`/api/path?a=${encodeURIComponent(SEED)}&b=${encodeURIComponent(to)}&steps=${steps}`);
  const data = await r.json();
  if (!r.ok) { out.textContent = data.error; return; }
  out.innerHTML = '<table class="cards"><tr><th>Step</th><th>Track</th><th>Artists</th><th>Match to the line</th></tr>' +
    data.steps.map(s => `<tr class="step"><td data-label="Step">${s.step}</td><td data-label="Track"><a href="/track/${encodeURIComponent(s.track_id)}">${esc(s.track_name)}</a></td>` +
      `<td data-label="Artists">${esc(s.artists)}</td><td data-label="Match to the line">${Math.round(s.similarity_to_line * 100)}%</td></tr>`).join('') + '</table>';
});
"""
    )
    return layout(
        str(info.get("track_name") or tid),
        body,
        f"/api/recommend?seed={quote(tid)}&explain=true&embedding={quote(embedding)}",
        script,
    )


def above(row: dict[str, Any]) -> str:
    p = row.get("percentile")
    return "" if p is None else f"higher than {p}% of the catalogue"


def cluster(sections: dict[str, Any], tracks: list[dict[str, Any]]) -> str:
    """A cluster: its genre mix and how it differs from the catalogue as charts, what drives it,
    similar clusters and its playlist (every track playable)."""
    info = sections["cluster"]
    cid = info["cluster_id"]
    artists = "".join(f'<span class="pill">{e(a["artist"])}</span>' for a in info.get("top_artists") or [])
    mix = bars(info.get("top_genres") or [], "genre", "share", f"Genre mix of {info['cluster_name']}")
    profile = bars(
        [{**r, "label": r.get("label") or r["feature"]} for r in sections["profile"]],
        "label",
        "z_score",
        f"How {info['cluster_name']} differs from the catalogue",
        signed=True,
        text=lambda r: f"{r['z_score']:+.1f} sd",
    )
    body = f"""<h1>{e(info["cluster_name"])}</h1>
<p>{e(info["n_tracks"])} tracks ({info["share"]:.1%} of the catalogue) · cluster {cid}</p>
<p><b>Top artists</b> {artists}</p>
<h2>Genre mix</h2>{mix or '<p class="muted">The catalogue has no genres.</p>'}
<h2>How it sounds, against the catalogue</h2>
<p class="muted">Each feature's mean in this cluster, in standard deviations (sd) from the catalogue's mean.</p>{
        profile
    }
<details><summary>What drives it (SHAP) and the means</summary>{
        table(sections["importance"], ["feature", "mean_abs_shap", "importance_rank"])
    }{table(sections["profile"], ["feature", "mean", "z_score"])}</details>
<h2>Similar clusters</h2>{
        table(
            sections["similar"],
            ["cluster_name", "centroid_similarity"],
            {"cluster_name": cluster_link, "centroid_similarity": lambda r: percent(r["centroid_similarity"])},
        )
    }
<h2>Its playlist</h2><p><a id="m3u" href="/api/clusters/{cid}/playlist?format=m3u&n=40">Download M3U</a> ·
<a href="/api/clusters/{cid}/playlist?format=uris&n=40">Spotify URIs</a> ·
<a href="/playlist?cluster={cid}">Open in the playlist builder</a></p>
{
        table(
            tracks,
            ["position", "track_name", "artists", "primary_genre", "mood", "play"],
            {"track_name": track_link, "play": play_button},
        )
    }"""
    return layout(e(info["cluster_name"]), body, f"/api/clusters/{cid}")


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

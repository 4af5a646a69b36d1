"""The playlist builder: seeds (songs, or a cluster's or a mood's closest tracks), a few controls a
person understands, the list updating as they move, and the list taken away (M3U, Spotify URIs,
CSV) or shared as a URL that rebuilds it. Everything goes through /api/playlist."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from .layout import e, layout, percent, play_button, table, track_link

BUILDER_JS = """
const form = document.getElementById('builder'), out = document.getElementById('list'), status = document.getElementById('status');
function params(adding = false) {
  const p = new URLSearchParams();
  for (const el of form.elements) {
    if (!el.name || (el.id === 'add' && !adding)) continue;
    if (el.type === 'checkbox') p.set(el.name, el.checked ? 'true' : 'false');
    else if (el.value !== '') p.append(el.name, el.value);
  }
  return p;
}
function row(t) {
  return `<tr><td data-label="#">${t.position}</td>` +
    `<td data-label="Track"><a href="/track/${encodeURIComponent(t.track_id)}">${esc(t.track_name)}</a></td>` +
    `<td data-label="Artists">${esc(t.artists)}</td><td data-label="Genre">${esc(t.primary_genre)}</td>` +
    `<td data-label="Energy">${Math.round(t.energy * 100)}%</td><td data-label="Tempo">${Math.round(t.tempo)} BPM</td>` +
    `<td data-label="Match">${Math.round(t.similarity * 100)}%</td>` +
    `<td data-label="Listen">${playButton(t.track_id, t.track_name)}</td></tr>`;
}
const HEAD = '<table class="cards"><tr><th>#</th><th>Track</th><th>Artists</th><th>Genre</th>' +
  '<th>Energy</th><th>Tempo</th><th>Match</th><th>Listen</th></tr>';
let asked = 0;
async function update() {
  const p = params(), mine = ++asked;
  history.replaceState(null, '', '/playlist?' + p);
  for (const f of ['m3u', 'uris', 'csv']) document.getElementById('get-' + f).href = '/api/playlist?' + p + '&format=' + f;
  status.textContent = 'Updating...';
  const r = await fetch('/api/playlist?' + p), data = await r.json();
  if (mine !== asked) return;
  if (!r.ok) { status.textContent = data.error; return; }
  status.textContent = data.tracks.length ? `${data.tracks.length} songs from ${data.seeds.length} seed${data.seeds.length > 1 ? 's' : ''}.`
    : 'No song fits these settings: widen the energy or tempo range.';
  out.innerHTML = HEAD + data.tracks.map(row).join('') + '</table>';
  for (const el of form.querySelectorAll('output')) {
    const v = Number(form.elements[el.htmlFor].value);
    el.value = el.dataset.unit === '%' ? Math.round(v * 100) + '%' : v + el.dataset.unit;
  }
}
let timer = null;
// the controls update the list as they move; a song typed in "Add a song" joins the seeds on Enter
form.addEventListener('input', ev => { if (ev.target.id === 'add') return; clearTimeout(timer); timer = setTimeout(update, 150); });
form.addEventListener('submit', ev => { ev.preventDefault(); location.href = '/playlist?' + params(true); });
document.getElementById('share').addEventListener('click', async () => {
  try { await navigator.clipboard.writeText(location.href); document.getElementById('share').textContent = 'Link copied'; }
  catch { prompt('Copy this link', location.href); }
});
"""


def control(name: str, label: str, value: Any, low: float, high: float, step: float, unit: str = "") -> str:
    """A slider and its value as people read it (unit "%": 0-1 shown as a percentage)."""
    shown = f"{float(value):.0%}" if unit == "%" else f"{float(value):g}{unit}"
    return (
        f'<label>{escape(label)} <input type="range" name="{name}" id="{name}" min="{low}" max="{high}" '
        f'step="{step}" value="{float(value):g}"> <output for="{name}" data-unit="{escape(unit)}">{escape(shown)}</output>'
        "</label>"
    )


def builder(query: dict[str, Any], answer: dict[str, Any] | None, error: str | None, moods: list[str]) -> str:
    """The page for `query` (the /api/playlist parameters) and its answer (None: no seed yet)."""
    seeds = "".join(
        f'<input type="hidden" name="seed" value="{escape(s["track_id"])}">'
        f'<span class="pill">{track_link(s)} · {e(s["artists"])}</span>'
        for s in (answer or {}).get("seed_tracks", [])
    )
    mood_options = "".join(
        f'<option value="{escape(m)}"{" selected" if m == query.get("mood") else ""}>{escape(m)}</option>'
        for m in moods
    )
    cluster = query.get("cluster")
    rows = (answer or {}).get("tracks", [])
    listing = table(
        rows,
        ["position", "track_name", "artists", "primary_genre", "energy", "tempo", "similarity", "play"],
        {
            "track_name": track_link,
            "energy": lambda r: percent(r["energy"]),
            "tempo": lambda r: f"{r['tempo']:.0f} BPM",
            "similarity": lambda r: percent(r["similarity"]),
            "play": play_button,
        },
    )
    exports = urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
    body = f"""<h1>Build a playlist</h1>
<p class="muted">Start from songs (from a song's page, or typed below), a mood or a cluster; shape it
with the controls; take it away or share the link, which rebuilds it.</p>
<form id="builder" action="/playlist">
<p><b>Seeds</b> {seeds or '<span class="muted">none yet</span>'}</p>
<p><label for="add">Add a song</label> <input id="add" name="seed" type="search" placeholder="a title, an artist or both"></p>
<p><label>or a mood <select name="mood"><option value="">(none)</option>{mood_options}</select></label>
{f'<input type="hidden" name="cluster" value="{escape(str(cluster))}">' if cluster is not None else ""}</p>
<fieldset><legend>Shape it</legend>
<p>{control("discovery", "Familiar ↔ discovery", query["discovery"], 0, 1, 0.1)}</p>
<p>{control("min_energy", "Energy from", query["min_energy"], 0, 1, 0.05, "%")}
{control("max_energy", "to", query["max_energy"], 0, 1, 0.05, "%")}</p>
<p>{control("min_tempo", "Tempo from", query["min_tempo"], 0, 250, 5, " BPM")}
{control("max_tempo", "to", query["max_tempo"], 0, 250, 5, " BPM")}</p>
<p><label><input type="checkbox" name="one_per_artist" value="true"{" checked" if query["one_per_artist"] else ""}>
one song per artist</label> · {control("n", "Songs", query["n"], 5, 100, 5)}</p>
</fieldset><p><button>Build</button> <button type="button" id="share" class="quiet">Copy a link to this playlist</button></p></form>
<p id="status" aria-live="polite">{escape(error or (f"{len(rows)} songs." if answer else "Add a song, a mood or a cluster to start."))}</p>
<p>Take it away: <a id="get-m3u" href="/api/playlist?{escape(exports)}&amp;format=m3u">M3U</a> ·
<a id="get-uris" href="/api/playlist?{escape(exports)}&amp;format=uris">Spotify URIs</a> ·
<a id="get-csv" href="/api/playlist?{escape(exports)}&amp;format=csv">CSV</a></p>
<div id="list">{listing}</div>"""
    return layout("Playlist builder", body, "/api/playlist?" + exports, BUILDER_JS)

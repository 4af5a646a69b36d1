"""The map page: every track of the catalogue on the t-SNE map of the space its clusters were
computed in, coloured by cluster, with zoom and pan (wheel, drag, buttons, keys), the clusters
named in the legend, a search that highlights a song and its nearest neighbours, and a click that
opens a track."""

from __future__ import annotations

from typing import Any

from .layout import cluster_link, e, layout, percent, table

COLOURS = [
    "#1d4ed8", "#b91c1c", "#15803d", "#7e22ce", "#c2410c", "#0e7490", "#a16207", "#be185d", "#374151", "#4d7c0f",
    "#6d28d9", "#0f766e", "#991b1b", "#1e3a8a", "#854d0e", "#9d174d", "#166534", "#5b21b6", "#9a3412", "#075985",
]  # fmt: skip

PAGE_ROWS = 100_000  # tracks per request of the map page (the API's most: 1M tracks load in 9 pages)

MAP_JS = """
const canvas = document.getElementById('map'), ctx = canvas.getContext('2d'), tip = document.getElementById('tip');
let P = null, view = {s: 1, x: 0, y: 0}, marked = [], names = {};
const colour = c => c === null || c < 0 ? '#9ca3af' : COLOURS[c % COLOURS.length];
const px = i => (P.x[i] * view.s + view.x), py = i => (P.y[i] * view.s + view.y);
function fit() { view = {s: 1, x: 0, y: 0}; draw(); }
function draw() {
  if (!P) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const r = Math.min(4, 1.2 + view.s / 3);
  for (let i = 0; i < P.x.length; i++) { ctx.fillStyle = colour(P.cluster_id[i]); ctx.fillRect(px(i) - r / 2, py(i) - r / 2, r, r); }
  marked.forEach((i, n) => {
    ctx.strokeStyle = n ? '#111827' : '#b45309'; ctx.lineWidth = n ? 1.5 : 3;
    ctx.beginPath(); ctx.arc(px(i), py(i), n ? 6 : 10, 0, 7); ctx.stroke();
    if (n) { ctx.beginPath(); ctx.moveTo(px(marked[0]), py(marked[0])); ctx.lineTo(px(i), py(i)); ctx.stroke(); }
  });
}
function zoom(f, cx = canvas.width / 2, cy = canvas.height / 2) {
  view.x = cx - (cx - view.x) * f; view.y = cy - (cy - view.y) * f; view.s *= f; draw();
}
function at(ev) {
  const b = canvas.getBoundingClientRect(), k = canvas.width / b.width;
  return [(ev.clientX - b.left) * k, (ev.clientY - b.top) * k];
}
function nearest(ev) {
  const [mx, my] = at(ev); let best = -1, bestD = 64;
  for (let i = 0; i < P.x.length; i++) { const d = (px(i) - mx) ** 2 + (py(i) - my) ** 2; if (d < bestD) { best = i; bestD = d; } }
  return best;
}
async function name(i) {
  const id = P.track_id[i];
  if (!(id in names)) { const r = await fetch('/api/tracks/' + encodeURIComponent(id)); const t = await r.json();
    names[id] = `${esc(t.track_name)} — ${esc(t.artists)} <span style="opacity:.75">(${esc(t.cluster_name)})</span>`; }
  return names[id];
}
let drag = null, moved = false;
canvas.addEventListener('wheel', ev => { ev.preventDefault(); const [x, y] = at(ev); zoom(ev.deltaY < 0 ? 1.25 : 0.8, x, y); }, {passive: false});
canvas.addEventListener('pointerdown', ev => { drag = at(ev); moved = false; });
window.addEventListener('pointerup', () => { drag = null; });
canvas.addEventListener('pointermove', async ev => {
  if (!P) return;
  if (drag) { const [x, y] = at(ev); if (Math.abs(x - drag[0]) + Math.abs(y - drag[1]) > 2) moved = true;
    view.x += x - drag[0]; view.y += y - drag[1]; drag = [x, y]; draw(); return; }
  const i = nearest(ev);
  if (i < 0) { tip.style.display = 'none'; return; }
  tip.style.display = 'block'; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px';
  tip.innerHTML = await name(i);
});
canvas.addEventListener('click', ev => {
  if (moved) return;
  const i = nearest(ev);
  if (i >= 0) location.href = '/track/' + encodeURIComponent(P.track_id[i]);
});
canvas.addEventListener('keydown', ev => {
  const step = 40, keys = {ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step]};
  if (keys[ev.key]) { view.x += keys[ev.key][0]; view.y += keys[ev.key][1]; draw(); ev.preventDefault(); }
  if (ev.key === '+' || ev.key === '=') zoom(1.25);
  if (ev.key === '-') zoom(0.8);
});
document.getElementById('zoomin').onclick = () => zoom(1.25);
document.getElementById('zoomout').onclick = () => zoom(0.8);
document.getElementById('reset').onclick = fit;
document.getElementById('find').addEventListener('submit', async ev => {
  ev.preventDefault();
  const q = document.getElementById('song').value.trim(), out = document.getElementById('found');
  if (!q) return;
  const r = await fetch('/api/search?k=1&q=' + encodeURIComponent(q)), data = await r.json();
  if (!r.ok || !data.results.length) { out.textContent = r.ok ? 'No match.' : data.error; return; }
  const t = data.results[0], rec = await (await fetch('/api/recommend?k=10&seed=' + encodeURIComponent(t.track_id))).json();
  const where = Object.fromEntries(P.track_id.map((id, i) => [id, i]));
  marked = [t.track_id, ...rec.results.map(x => x.track_id)].filter(id => id in where).map(id => where[id]);
  out.innerHTML = `<a href="/track/${encodeURIComponent(t.track_id)}">${esc(t.track_name)} — ${esc(t.artists)}</a>` +
    ' (orange ring) and its 10 nearest songs (black rings).';
  if (marked.length) {
    view.s = Math.max(view.s, 3);
    view.x = canvas.width / 2 - P.x[marked[0]] * view.s; view.y = canvas.height / 2 - P.y[marked[0]] * view.s;
  }
  draw();
});
// every track, a page of the API at a time (its pages are bounded; the first is a random sample),
// drawn as the pages arrive; places are fitted to the canvas over the tracks loaded so far
const COLUMNS = ['track_id', 'x', 'y', 'cluster_id'];
function place(raw) {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];  // a loop: spread (...) overflows at 100k+
  for (let i = 0; i < raw.x.length; i++) {
    x0 = Math.min(x0, raw.x[i]); x1 = Math.max(x1, raw.x[i]); y0 = Math.min(y0, raw.y[i]); y1 = Math.max(y1, raw.y[i]);
  }
  const k = Math.min((canvas.width - 20) / (x1 - x0 || 1), (canvas.height - 20) / (y1 - y0 || 1));
  return {track_id: raw.track_id, cluster_id: raw.cluster_id,
    x: raw.x.map(v => 10 + (v - x0) * k + (canvas.width - 20 - (x1 - x0) * k) / 2),
    y: raw.y.map(v => canvas.height - 10 - (v - y0) * k - (canvas.height - 20 - (y1 - y0) * k) / 2)};
}
(async () => {
  const count = document.getElementById('count');
  let raw = null;
  for (let offset = 0; ; offset += PAGE) {
    const page = await (await fetch(`/api/map?map=${MAP}&format=columns&limit=${PAGE}&offset=${offset}`)).json();
    raw = raw ? Object.fromEntries(COLUMNS.map(c => [c, raw[c].concat(page[c])])) : page;
    P = place(raw);
    const more = page.x.length === PAGE;
    count.textContent = P.x.length.toLocaleString('en') + (more ? ' (loading more)' : '');
    draw();
    if (!more) break;
  }
  canvas.dataset.ready = P.x.length;
})();
"""


def clusters(rows: list[dict[str, Any]], map_name: str) -> str:
    """The map and the clusters' table."""
    legend = "".join(
        f'<a class="pill legend" href="/cluster/{r["cluster_id"]}" style="background:{COLOURS[r["cluster_id"] % 20]};'
        f'color:#fff">{e(r["cluster_name"])}</a>'
        for r in rows
        if r.get("cluster_id") is not None and r["cluster_id"] >= 0
    )
    body = f"""<h1>The catalogue on a map</h1>
<p class="muted">Each dot is one of <span id="count">the</span> tracks, placed so that songs that sound alike
(in the space the clusters were computed in) are near each other, and coloured by cluster. Scroll or use
the buttons to zoom, drag or use the arrow keys to move, hover for a song, click to open it.</p>
<form id="find" role="search"><label for="song">Find a song on the map</label>
<input id="song" type="search" placeholder="a title, an artist or both"></form><p id="found" aria-live="polite"></p>
<p><button type="button" id="zoomin" aria-label="Zoom in">+</button> <button type="button" id="zoomout"
aria-label="Zoom out">−</button> <button type="button" id="reset" class="quiet">Show everything</button></p>
<canvas id="map" width="1000" height="640" tabindex="0" role="img"
 aria-label="Map of every track, coloured by cluster; the clusters are listed below"></canvas>
<div id="tip" role="status"></div>
<p id="legend">{legend}</p>
<h2>The clusters</h2>{
        table(
            rows,
            ["cluster_name", "n_tracks", "share", "top_genres"],
            {
                "cluster_name": cluster_link,
                "share": lambda r: percent(r.get("share")),
            },
        )
    }"""
    script = f"const COLOURS = {COLOURS!r}; const MAP = {map_name!r}; const PAGE = {PAGE_ROWS};" + MAP_JS
    return layout("Map", body, "/api/clusters", script)

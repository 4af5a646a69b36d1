"""Charts as inline SVG: bars drawn on the server for what a page shows as it is (a cluster's
profile and genre mix), and the sound chart's script, which draws a track against the catalogue
and, on request, against another track (the same drawing for both, in the browser)."""

from __future__ import annotations

from html import escape
from typing import Any


def bars(rows: list[dict[str, Any]], label: str, value: str, title: str, signed: bool = False, text=None) -> str:
    """Horizontal bars of rows[value] (0-1 shares, or signed values when `signed`), labelled with
    rows[label]; `text(row)` is the number written beside each bar."""
    if not rows:
        return ""
    width, left, height = 560, 170, 22
    top = max(abs(r[value] or 0) for r in rows) or 1
    scale = (width - left - 70) / (2 * top if signed else top)
    zero = left + (width - left - 70) / 2 if signed else left
    parts = []
    for i, r in enumerate(rows):
        v, y = r[value] or 0, i * height
        x, w = (zero + min(v, 0) * scale, abs(v) * scale) if signed else (left, v * scale)
        colour = "#dc2626" if signed and v < 0 else "#2563eb"
        words = escape(text(r) if text else f"{v:.0%}")
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(str(r[label]))}</text>'
            f'<rect x="{x:.1f}" y="{y + 4}" width="{max(w, 1):.1f}" height="{height - 8}" fill="{colour}" rx="2"/>'
            f'<text x="{x + max(w, 1) + 6:.1f}" y="{y + 15}">{words}</text>'
        )
    axis = f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{len(rows) * height}" stroke="#9ca3af"/>'
    return (
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {len(rows) * height}" '
        f'style="width:100%;max-width:{width}px"><title>{escape(title)}</title>{axis}{"".join(parts)}</svg>'
    )


# soundChart(svg element, rows of track_sound, rows of the other track or null, the other's title):
# each continuous feature on a 0-100 line of the catalogue's percentiles, the track as a blue dot,
# the other as an orange diamond, both values written at the right
SOUND_JS = """
function soundChart(el, rows, other, otherTitle) {
  // as wide as it is shown (a phone's 360 px, a desktop's 600), so its text stays at 12 px
  const W = Math.max(340, Math.min(600, el.clientWidth || 600)), left = Math.round(W * 0.22);
  const w = Math.round(W * 0.5), shown = rows.filter(r => r.percentile !== null), h = 26;
  const byFeature = Object.fromEntries((other || []).map(r => [r.feature, r]));
  const x = p => left + p / 100 * w;
  let s = `<title>${esc(el.dataset.title)}${other ? ' compared with ' + esc(otherTitle) : ''}</title>`;
  s += `<text x="${x(0)}" y="12" text-anchor="middle" class="muted">lowest</text>` +
       `<text x="${x(50)}" y="12" text-anchor="middle">median</text><text x="${x(100)}" y="12" text-anchor="middle">highest</text>`;
  shown.forEach((r, i) => {
    const y = 24 + i * h + h / 2, o = byFeature[r.feature];
    s += `<text x="${left - 10}" y="${y + 4}" text-anchor="end">${esc(r.label)}</text>` +
         `<line x1="${x(0)}" x2="${x(100)}" y1="${y}" y2="${y}" stroke="#d1d5db" stroke-width="6" stroke-linecap="round"/>` +
         `<line x1="${x(50)}" x2="${x(50)}" y1="${y - 6}" y2="${y + 6}" stroke="#6b7280"/>`;
    if (o && o.percentile !== null)
      s += `<path d="M${x(o.percentile)} ${y - 7}l7 7-7 7-7-7z" fill="#c2410c"><title>${esc(otherTitle)}: ${esc(o.value_text)}</title></path>`;
    s += `<circle cx="${x(r.percentile)}" cy="${y}" r="6" fill="#1d4ed8">` +
         `<title>${esc(r.value_text)}, higher than ${r.percentile}% of the catalogue</title></circle>` +
         `<text x="${x(100) + 10}" y="${y + 4}">${esc(r.value_text)}${o ? ' · ' + esc(o.value_text) : ''}</text>`;
  });
  el.setAttribute('viewBox', `0 0 ${W} ${24 + shown.length * h + 6}`);
  el.innerHTML = s;
}
"""

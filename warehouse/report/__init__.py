"""`wavehouse report`: one self-contained HTML file (images inline as PNG data URIs; no server, no
internet) built from warehouse tables only, with the seed projects' plots (sections.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from ..lookup.db import connect
from .sections import SECTIONS

__all__ = ["SECTIONS", "render_report"]


# marks the page once loaded with how many images rendered, for the browser test and for people
IMAGE_CHECK = (
    "addEventListener('load', () => { const i = [...document.images]; "
    "document.body.dataset.images = i.length; "
    "document.body.dataset.imagesLoaded = i.filter(x => x.complete && x.naturalWidth > 0).length; });"
)

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1300px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}
th{background:#f3f3f3}img{max-width:100%}figure{margin:1em 0}figcaption{color:#666;font-size:13px}
.cards{display:flex;gap:1em}.card{border:1px solid #ccc;border-radius:6px;padding:.7em 1.2em}
.card b{display:block;font-size:1.5em}h2{border-bottom:2px solid #4c72b0;padding-bottom:.2em;margin-top:2em}"""


def render_report(db: Path | None, out: Path, progress: Callable[[str], None] = lambda s: None) -> Path:
    """Write the report to `out`; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    con: duckdb.DuckDBPyConnection = connect(db)
    started = time.perf_counter()
    parts = []
    try:
        for name, fn in SECTIONS:
            progress(f"rendering {name} ...")
            parts.append(f"<section id='{name.replace(' ', '-')}'>{fn(con)}</section>")
    finally:
        con.close()
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>wavehouse report</title><style>{STYLE}</style>"
        f"</head><body><h1>wavehouse report</h1>{''.join(parts)}"
        f"<p style='color:#888'>Rendered in {time.perf_counter() - started:.1f}s from the warehouse tables.</p>"
        f"<script>{IMAGE_CHECK}</script></body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out)
    return out

"""Printing rows as a table, JSON or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from typing import Any, Sequence

import click

FORMATS = ("table", "json", "csv")


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 6)
    return value


def _cell(value: Any, width: int = 60) -> str:
    if value is None:
        text = ""
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(_cell(v, width) for v in value)
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps([dict(zip(columns, map(_plain, row))) for row in rows], indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(v, 10_000) for v in row])
        return buffer.getvalue().rstrip("\n")
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def echo_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table") -> None:
    click.echo(render(columns, rows, fmt))


format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                             show_default=True, help="Output format.")


def playlist_text(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """A playlist as an extended M3U file or as Spotify URIs (one per line)."""
    col = {name: i for i, name in enumerate(columns)}
    if fmt == "uris":
        return "\n".join(f"spotify:track:{row[col['track_id']]}" for row in rows)
    lines = ["#EXTM3U"]
    for row in rows:
        seconds = int((row[col["duration_ms"]] or 0) / 1000)
        title = f"{row[col['artists']] or ''} - {row[col['track_name']] or ''}".replace("\n", " ")
        lines += [f"#EXTINF:{seconds},{title}", f"https://open.spotify.com/track/{row[col['track_id']]}"]
    return "\n".join(lines)

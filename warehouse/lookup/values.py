"""DuckDB values as the clients show them, and playlists as files: one walker over lists, tuples
and dicts with two policies for the leaves (`for_api`: exact JSON values for programs; `for_people`:
the CLI's JSON and CSV, rounded and as text), the rows as records, and M3U / Spotify URI text."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import math
from collections.abc import Callable, Sequence
from typing import Any

from .db import Rows


def walk(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """`value` with every leaf (anything but a list, tuple or dict) replaced by leaf(it); tuples
    become lists, dict keys stay."""
    if isinstance(value, dict):
        return {k: walk(v, leaf) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [walk(v, leaf) for v in value]
    return leaf(value)


def _api_leaf(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _people_leaf(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def for_api(value: Any) -> Any:
    """DuckDB values as JSON values (lists, structs, decimals as floats, dates in ISO; NaN as null)."""
    return walk(value, _api_leaf)


def for_people(value: Any) -> Any:
    """DuckDB values for the CLI's JSON: dates, times and decimals as text, floats to 6 places."""
    return walk(value, _people_leaf)


def records(rows: Rows) -> list[dict[str, Any]]:
    """Rows as a list of {column: JSON value}."""
    columns, body = rows
    return [{c: for_api(v) for c, v in zip(columns, r)} for r in body]


def playlist_text(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """A playlist as an extended M3U file (`m3u`), as Spotify URIs, one per line (`uris`), or as
    CSV with a header (`csv`: every column)."""
    col = {name: i for i, name in enumerate(columns)}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_people_leaf(v) for v in row] for row in rows)
        return out.getvalue()
    if fmt == "uris":
        return "\n".join(f"spotify:track:{row[col['track_id']]}" for row in rows)
    lines = ["#EXTM3U"]
    for row in rows:
        seconds = int((row[col["duration_ms"]] or 0) / 1000)
        title = f"{row[col['artists']] or ''} - {row[col['track_name']] or ''}".replace("\n", " ")
        lines += [f"#EXTINF:{seconds},{title}", f"https://open.spotify.com/track/{row[col['track_id']]}"]
    return "\n".join(lines)

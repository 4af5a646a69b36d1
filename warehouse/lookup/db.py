"""Opening the published warehouse for reading, and running one parameterised query. Readers are always read-only, so any number of them
can run while a build writes its own private file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ..errors import WavehouseError
from ..paths import published_db

Rows = tuple[list[str], list[tuple]]  # (column names, rows): what every look-up returns


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    db = path or published_db()
    if not db.is_file():
        raise WavehouseError(f"no warehouse at {db}: run `wavehouse build` first")
    return duckdb.connect(str(db), read_only=True)


def query(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None
) -> tuple[list[str], list[tuple]]:
    """Run one parameterised query; return (column names, rows)."""
    try:
        cur = con.execute(sql, params or [])
    except duckdb.Error as exc:
        raise WavehouseError(str(exc).splitlines()[0]) from None
    columns = [d[0] for d in cur.description] if cur.description else []
    return columns, cur.fetchall()

"""The published warehouse as a server sees it: one read-only DuckDB connection, reopened when a
build publishes a new file (an atomic rename, so the path's inode changes), with a cursor per
request. A request that started on the old file finishes on it (its cursor keeps the old
connection alive); the next request opens on the new one, so a publish fails no request."""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from wavehouse.paths import WavehouseError



def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """The file attached read-only to a fresh in-memory database (so a republished file at the same
    path is opened anew, not served from DuckDB's per-path instance cache), then external access
    switched off and the configuration locked: no request can write or reach the file system.
    One DuckDB thread: each request's query runs in the request's own thread, and concurrent
    requests fill the cores (measured at 16 clients: 8% more recommendations and 12% more
    searches per second than with a thread per core, whose workers the queries contend for)."""
    con = duckdb.connect(":memory:", config={"threads": 1})
    con.execute("attach ? as wh (read_only)", [str(path)])
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


class Warehouse:
    def __init__(self, path: Path, check_every: float = 0.25):
        self.path = Path(path)
        self.check_every = check_every
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._checked = 0.0
        self.opened = 0                     # how many files were opened (1 + publishes seen)

    def _stat(self) -> tuple[int, int]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise WavehouseError(f"no warehouse at {self.path}: run `wavehouse build` first") from None
        return st.st_ino, st.st_mtime_ns

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection to the published file, reopened if a publish replaced the file."""
        now = time.monotonic()
        if self._con is not None and now - self._checked < self.check_every:
            return self._con
        with self._lock:
            identity = self._stat()
            self._checked = now
            if self._con is None or identity != self._identity:
                self._con = open_read_only(self.path)
                self._identity = identity
                self.opened += 1
            return self._con

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one request (DuckDB cursors are separate connections to one database)."""
        cur = self.connection().cursor()
        cur.execute("use wh")
        try:
            yield cur
        finally:
            cur.close()

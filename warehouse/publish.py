"""Publishing: checkpoint the build file and move it over the published one in one atomic rename.

Readers that hold the old file open keep their consistent snapshot (the old inode lives on until
they close it); new connections see the new warehouse. A failed build never reaches this step.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from .paths import WavehouseError, build_db, published_db


def checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the database file so the file alone is complete."""
    con = duckdb.connect(str(path))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def publish(base: Path | None = None) -> Path:
    """Publish $WAVEHOUSE_HOME/build/wavehouse.duckdb as $WAVEHOUSE_HOME/wavehouse.duckdb."""
    source, target = build_db(base), published_db(base)
    if not source.is_file():
        raise WavehouseError(f"nothing to publish: {source} does not exist (run `wavehouse build` or `dbt build`)")
    checkpoint(source)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        raise WavehouseError(f"{wal} is still there after a checkpoint; is a dbt build still running?")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    _fsync_dir(target.parent)
    return target


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

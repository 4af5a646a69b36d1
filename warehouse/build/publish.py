"""Publishing: checkpoint the build file and move it over the published one in one atomic rename.

Readers that hold the old file open keep their consistent snapshot (the old inode lives on until
they close it); new connections see the new warehouse. A failed build never reaches this step.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from ..errors import WavehouseError
from ..paths import build_db, published_db


def checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the database file so the file alone is complete."""
    con = duckdb.connect(str(path))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


EXPORT_PATTERN = r"^(dim_|fct_|rpt_|ml_runs$)"
# fct_recommendation_candidates is the look-ups' serving copy of fct_track_neighbours joined to
# dim_tracks and dim_clusters (all three exported): at 1M tracks its Parquet was 1.4 GB of the 2.1
# GB of marts, and most of the export's time
NOT_EXPORTED = ("fct_recommendation_candidates",)


def export_marts(db: Path, folder: Path) -> list[Path]:
    """Every mart and report table (dim_*, fct_*, rpt_*, ml_runs; not NOT_EXPORTED) as
    $WAVEHOUSE_HOME/marts/<name>.parquet, each written to a temporary name and renamed, so a reader
    never sees half a file. Views are not exported: rpt_recommendations is fct_track_neighbours
    joined to dim_tracks (both exported), and materialising it costs 20 rows of "why" per track."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in NOT_EXPORTED:  # an earlier version's copy would go stale
        (folder / f"{name}.parquet").unlink(missing_ok=True)
    con = duckdb.connect(
        str(db), read_only=True, config={"memory_limit": os.environ.get("WAVEHOUSE_DUCKDB_MEMORY", "3GB")}
    )
    written = []
    try:
        names = [
            r[0]
            for r in con.execute(
                """select table_name from information_schema.tables
               where table_type = 'BASE TABLE' and regexp_matches(table_name, ?)
                 and not list_contains(?, table_name) order by 1""",
                [EXPORT_PATTERN, list(NOT_EXPORTED)],
            ).fetchall()
        ]
        for name in names:
            final = folder / f"{name}.parquet"
            temporary = folder / f".{name}.parquet.tmp"
            quoted_path = str(temporary).replace("'", "''")
            quoted_name = name.replace('"', '""')
            con.execute(f"copy (select * from \"{quoted_name}\") to '{quoted_path}' (format parquet)")
            os.replace(temporary, final)
            written.append(final)
    finally:
        con.close()
    return written


def publish(base: Path | None = None) -> Path:
    """Publish $WAVEHOUSE_HOME/build/wavehouse.duckdb as $WAVEHOUSE_HOME/wavehouse.duckdb (and the
    marts as Parquet under $WAVEHOUSE_HOME/marts/)."""
    source, target = build_db(base), published_db(base)
    if not source.is_file():
        raise WavehouseError(f"nothing to publish: {source} does not exist (run `wavehouse build` or `dbt build`)")
    checkpoint(source)
    export_marts(source, target.parent / "marts")
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        raise WavehouseError(f"{wal} is still there after a checkpoint; is a dbt build still running?")
    target.parent.mkdir(parents=True, exist_ok=True)
    _fault_pause()
    os.replace(source, target)
    _fsync_dir(target.parent)
    return target


def _fault_pause() -> None:
    """Fault injection for the reliability tests: with WAVEHOUSE_FAULT_PAUSE_BEFORE_PUBLISH=SECONDS a
    build announces itself and waits just before the rename, so a test can kill it there."""
    seconds = os.environ.get("WAVEHOUSE_FAULT_PAUSE_BEFORE_PUBLISH")
    if seconds:
        print("wavehouse: paused before publish", flush=True)
        time.sleep(float(seconds))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

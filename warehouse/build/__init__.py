"""Building: run the dbt project in-process into the private build file, then publish it.

dbt          dbt in this process: arguments, environment, lock, failures, the process's end
dbt_home     the alias folder that lets dbt's parse carry from one build to the next
options      --data, --columns, --vars and the encoding, checked
fingerprint  what a build is of, and whether the published warehouse is of the same
progress     one line per stage, bars for the stages that know their size
publish      checkpoint, Parquet marts, atomic rename
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..listens import holds_listens, staged_listens
from ..paths import build_db, home, published_db
from .dbt import build_lock, dbt_args, end_process, run_dbt
from .fingerprint import build_fingerprint, code_files, published_fingerprint
from .options import INGEST_MODELS, column_map, resolve_data, vars_argument, with_var
from .publish import publish

__all__ = [
    "INGEST_MODELS",
    "BuildSummary",
    "build",
    "build_fingerprint",
    "build_lock",
    "code_files",
    "column_map",
    "dbt_args",
    "end_process",
    "published_fingerprint",
    "run_dbt",
    "summarise",
]


@dataclass
class BuildSummary:
    rows_read: int
    rows_kept: int
    rows_rejected: int
    duplicates_merged: int
    rejected_by_reason: list[tuple[str, int]] = field(default_factory=list)
    published: Path | None = None
    mode: str | None = None  # full | incremental (ml_build_plan)
    mode_reason: str = ""
    tracks_added: int = 0
    tracks_changed: int = 0
    tracks_deleted: int = 0
    up_to_date: bool = False  # nothing changed since the published build: nothing was built
    built_at: str = ""  # (then) when the published warehouse was built
    example: str = ""  # "Artist - Title" of the catalogue's most popular track
    # per listener (a build with --listens): name, streams read, matched, unmatched, duplicates, match rate
    listeners: list[tuple] = field(default_factory=list)


SUMMARY_SQL = """
select
    (select count(*) from stg_spotify__tracks) as rows_read,
    (select count(*) from dim_tracks) as rows_kept,
    (select count(*) from int_tracks_rejected) as rows_rejected,
    (select coalesce(sum(n_source_rows - 1), 0) from dim_tracks) as duplicates_merged
"""

REASONS_SQL = """
select reason, count(*) as n
from (select unnest(string_split(reject_reason, '; ')) as reason from int_tracks_rejected)
group by reason
order by n desc, reason
"""


LISTENERS_SQL = """
select listener_name, streams_read, streams_matched, streams_unmatched, duplicates_merged, match_rate
from dim_listeners order by listener_name
"""


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchall()[0][0]
    )


def summarise(db: Path) -> BuildSummary:
    con = duckdb.connect(str(db), read_only=True)
    try:
        read, kept, rejected, merged = con.execute(SUMMARY_SQL).fetchone()
        reasons = con.execute(REASONS_SQL).fetchall()
        has_plan = _has_table(con, "ml_build_plan")
        plan = (
            con.execute(
                "select mode, reason, tracks_added, tracks_changed, tracks_deleted from ml_build_plan"
            ).fetchall()
            if has_plan
            else []
        )
        listeners = con.execute(LISTENERS_SQL).fetchall() if _has_table(con, "dim_listeners") else []
        example = con.execute("""select split_part(artists, ';', 1) || ' - ' || track_name from dim_tracks
                                 order by popularity desc nulls last, track_id limit 1""").fetchall()
    finally:
        con.close()
    summary = BuildSummary(
        read, kept, rejected, merged, reasons, example=example[0][0] if example else "", listeners=listeners
    )
    if plan:
        (summary.mode, summary.mode_reason, summary.tracks_added, summary.tracks_changed, summary.tracks_deleted) = (
            plan[0]
        )
    return summary


def build(
    data: Path | None = None,
    full_refresh: bool = False,
    base: Path | None = None,
    dbt_extra: list[str] | None = None,
    on_built: Callable[[BuildSummary], None] | None = None,
    dbt_vars: str | None = None,
    columns: dict[str, str] | None = None,
    encoding: str | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
    force: bool = False,
    tune: bool = False,
    progress: Callable | None = None,
    listens: Path | str | None = None,
    listener: str | None = None,
    pseudonymise: bool = False,
) -> BuildSummary:
    """dbt build into $WAVEHOUSE_HOME/build/wavehouse.duckdb, then publish it atomically. The
    published warehouse (if any) is attached read-only: unless full_refresh or tune, the build can
    be incremental (ml_build_plan), and a full build keeps its tuned config (ml_genre_head_tuning).
    When it was built from the same input files, arguments, code and libraries
    (build_fingerprint), nothing is built unless `force` or `tune`: the summary says up_to_date.
    `tune` runs the genre-head and hybrid-mix searches and trains every model on their choice
    (var tune); later builds reuse it. The fingerprint leaves `tune` out: a build after a tuning
    run with the same input has nothing to do. `listens` (a file, zip, folder or glob of listening
    histories; `listener` names a single person, `pseudonymise` replaces names with stable
    pseudonyms) adds their streams to those of earlier builds (warehouse.listens)."""
    base = base or home()
    dbt_extra = list(dbt_extra or []) + vars_argument(dbt_vars, columns, encoding)
    data = resolve_data(data)
    with build_lock(base), staged_listens(base, listens, listener, pseudonymise) as staged:
        if staged is not None:
            dbt_extra = with_var(dbt_extra, "listens", staged.dbt_var())
            if progress is not None:
                progress.line(staged.summary())
        elif holds_listens(published_db(base)):  # no new files: the listening models carry the streams
            dbt_extra = with_var(dbt_extra, "listens", {"dir": "", "formats": []}, unless_set=True)
        fingerprint = build_fingerprint(data, [*dbt_extra, f"engine={engine}", staged.digest if staged else ""])
        built = published_fingerprint(published_db(base))
        if built and built[0] == fingerprint and not (full_refresh or force or tune):
            summary = summarise(published_db(base))
            summary.up_to_date, summary.built_at, summary.published = True, built[1], published_db(base)
            return summary
        target = build_db(base)
        for stale in (target, target.with_name(target.name + ".wal")):
            stale.unlink(missing_ok=True)
        extra = list(dbt_extra or []) + (["--full-refresh"] if full_refresh else [])
        if tune:
            extra = with_var(extra, "tune", True)
        if engine == "spark":
            # Spark reads, types, quarantines and dedupes; DuckDB reads its tables and does the rest
            # (their unit tests are of the SQL Spark ran, so not repeated on the tables it wrote)
            # the networks and KMeans train on a bounded sample, every track is embedded and assigned
            # on Spark, and the neighbour lists are searched on Spark, list by list (wavehouse.spark.jobs)
            master = spark_master or os.environ.get("WAVEHOUSE_SPARK_MASTER", "local[2]")
            from ..spark.ingest import spark_ingest

            extra = with_var(extra, "spark_output", str(spark_ingest(base, data, extra, master)))
            extra = with_var(with_var(extra, "spark_master", master), "engine", "spark")
            extra = with_var(extra, "neighbour_method", "spark_ivf", unless_set=True)
            extra += ["--exclude", *(f"test_type:unit,{model}" for model in INGEST_MODELS)]
        previous = published_db(base)
        run_dbt(
            dbt_args("build", base, extra),
            base,
            data,
            previous=previous if previous.is_file() else None,
            fingerprint=fingerprint,
            progress=progress,
        )
        summary = summarise(target)
        if on_built:
            on_built(summary)
        started = time.monotonic()
        summary.published = publish(base)
        if progress is not None:
            progress.done("publish (checkpoint, Parquet marts, rename)", time.monotonic() - started)
    return summary

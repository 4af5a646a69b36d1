"""Building: run the dbt project in-process into the private build file, then publish it."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from . import dbt_home
from .paths import WavehouseError, build_db, build_dir, default_data, home, project_dir, published_db
from .publish import publish


@dataclass
class BuildSummary:
    rows_read: int
    rows_kept: int
    rows_rejected: int
    duplicates_merged: int
    rejected_by_reason: list[tuple[str, int]] = field(default_factory=list)
    published: Path | None = None
    mode: str | None = None            # full | incremental (ml_build_plan)
    mode_reason: str = ""
    tracks_added: int = 0
    tracks_changed: int = 0
    tracks_deleted: int = 0
    up_to_date: bool = False           # nothing changed since the published build: nothing was built
    built_at: str = ""                 # (then) when the published warehouse was built
    example: str = ""                  # "Artist - Title" of the catalogue's most popular track


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


@contextlib.contextmanager
def build_lock(base: Path) -> Iterator[None]:
    """One build at a time per warehouse folder; a second one fails at once with a clear message."""
    build_dir(base).mkdir(parents=True, exist_ok=True)
    lock_path = build_dir(base) / ".lock"
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WavehouseError(f"another build is running in {base} (lock {lock_path}); wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_args(command: str | list[str], base: Path, extra: list[str] | None = None) -> list[str]:
    project = project_dir()
    words = [command] if isinstance(command, str) else list(command)
    return [*words, "--project-dir", str(project), "--profiles-dir", str(project),
            "--target-path", str(build_dir(base) / "target"), "--log-path", str(build_dir(base) / "logs"),
            *(extra or [])]


# Set once dbt (and with it torch, scikit-learn and shap) has run in this process. Such a process
# cannot shut down cleanly: after shap and torch are loaded, interpreter finalisation leaves the
# duckdb module's objects alive, and duckdb's bindings then print dozens of "nanobind: leaked
# instance ..." lines. Such a process ends through end_process (the CLI, and pytest sessions).
dbt_ran_in_process = False


def end_process(code: int) -> None:
    """End a process that ran dbt: what a normal exit runs first (atexit handlers, e.g.
    multiprocessing's semaphore cleanup; logging; flushed stdio), then os._exit, skipping the
    interpreter finalisation that makes duckdb print leak noise. Returns if dbt never ran here."""
    if not dbt_ran_in_process:
        return
    import atexit
    import logging
    import sys

    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_dbt(args: list[str], base: Path, data: Path, previous: Path | None = None, fingerprint: str = "",
            progress: Callable | None = None) -> None:
    """Run dbt in this process (no second interpreter start-up); raise WavehouseError on failure.
    `previous`: the published warehouse an incremental build may start from; `fingerprint`: what
    the build is of (build_fingerprint), recorded in ml_build_plan; `progress`: a callback for
    dbt's events (progress.BuildProgress), which then replaces dbt's console log (--quiet; the
    log file keeps everything)."""
    from dbt.cli.main import dbtRunner

    global dbt_ran_in_process
    dbt_ran_in_process = True
    target = build_dir(base) / "target"
    dbt_home.seed_parse(target)
    with _environment(WAVEHOUSE_HOME=str(dbt_home.alias_for(base)), WAVEHOUSE_DATA=str(data),
                      WAVEHOUSE_PREVIOUS=str(previous or ""),
                      WAVEHOUSE_FINGERPRINT=fingerprint,
                      DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_VERSION_CHECK="false"):
        try:
            if progress is not None:
                result = dbtRunner(callbacks=[progress]).invoke(["--quiet", *args])
            else:
                result = dbtRunner().invoke(args)
        finally:
            _close_dbt_duckdb()
            dbt_home.remember_parse(target)
    if not result.success:
        raise WavehouseError(_failure_message(result))


def _close_dbt_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB instance open for the life of the process; close it so the build
    file can be checkpointed and published (and so no second configuration of it is ever opened).
    Then drop dbt's adapters, whose connection objects still hold DuckDB cursors."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    env = DuckDBConnectionManager._ENV
    if env is not None:
        with contextlib.suppress(Exception):
            env.close()
    DuckDBConnectionManager.close_all_connections()
    reset_adapters()


def _failure_message(result) -> str:
    if result.exception is not None:
        text = str(result.exception)
        lines = [line.strip() for line in text.splitlines() if "wavehouse:" in line]
        if lines:
            return lines[0].split("wavehouse:", 1)[1].strip()
        # e.g. DuckDB refusing a file that is not UTF-8: its first lines say what and where
        lines = [line.strip() for line in text.splitlines() if line.strip() and line.strip() != "Runtime Error"]
        where = [line for line in lines if line.startswith("file = ")]
        return " ".join(lines[:3] + where[:1]) + " (nothing was published)"
    failures = []
    for node_result in getattr(result.result, "results", []) or []:
        ours = [line.split("wavehouse:", 1)[1].strip() for line in str(node_result.message).splitlines() if "wavehouse:" in line]
        if ours:   # a check of ours (bad input) failed: its one line says what and where
            return ours[0] + " (nothing was published)"
        if str(node_result.status) in ("error", "fail"):
            lines = [line.strip() for line in str(node_result.message).splitlines() if line.strip()]
            failures.append(f"{node_result.node.name}: {' '.join(lines[:2])}")
    return "dbt build failed; nothing was published. " + "; ".join(failures[:5])


def summarise(db: Path) -> BuildSummary:
    con = duckdb.connect(str(db), read_only=True)
    try:
        read, kept, rejected, merged = con.execute(SUMMARY_SQL).fetchone()
        reasons = con.execute(REASONS_SQL).fetchall()
        has_plan = con.execute("select count(*) from information_schema.tables where table_name = 'ml_build_plan'"
                               ).fetchall()[0][0]
        plan = con.execute("select mode, reason, tracks_added, tracks_changed, tracks_deleted from ml_build_plan"
                           ).fetchall() if has_plan else []
        example = con.execute("""select split_part(artists, ';', 1) || ' - ' || track_name from dim_tracks
                                 order by popularity desc nulls last, track_id limit 1""").fetchall()
    finally:
        con.close()
    summary = BuildSummary(read, kept, rejected, merged, reasons, example=example[0][0] if example else "")
    if plan:
        (summary.mode, summary.mode_reason, summary.tracks_added, summary.tracks_changed,
         summary.tracks_deleted) = plan[0]
    return summary


def resolve_data(data: Path | str | None) -> Path:
    """The input as an absolute path: a file, a folder of CSV/Parquet parts, or a glob."""
    if data is None:
        return default_data()
    path = Path(data).expanduser()
    path = path if path.is_absolute() else Path.cwd() / path
    if not path.exists() and not glob.glob(str(path)):
        raise WavehouseError(f"input not found: {data} (give a CSV or Parquet file, a folder of them, or a glob)")
    return path.resolve() if path.exists() else path


def column_map(text: str | None) -> dict[str, str]:
    """`--columns track_id=id,track_name=name` as {ours: theirs}."""
    mapping = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        ours, sep, theirs = part.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise WavehouseError(f"--columns: {part!r} is not OURS=THEIRS (e.g. --columns track_name=title,artists=artist)")
        mapping[ours.strip()] = theirs.strip()
    return mapping


def vars_argument(dbt_vars: str | None, columns: dict[str, str] | None, encoding: str | None) -> list[str]:
    """--vars for dbt: the user's YAML, plus column_map and encoding from the CLI flags."""
    if not (dbt_vars or columns or encoding):
        return []
    import yaml

    values = yaml.safe_load(dbt_vars) if dbt_vars else {}
    if not isinstance(values, dict):
        raise WavehouseError(f"--vars must be a YAML mapping, e.g. '{{latent_dim: 16}}'; got {dbt_vars!r}")
    if columns:
        values["column_map"] = {**(values.get("column_map") or {}), **columns}
    if encoding:
        values["encoding"] = encoding
    return ["--vars", json.dumps(values)]


INGEST_MODELS = ["stg_catalogue__records", "stg_spotify__tracks", "int_tracks_rejected", "int_tracks_deduped"]


def spark_ingest(base: Path, data: Path, dbt_extra: list[str], master: str | None) -> Path:
    """`--engine spark`, first step: the ingest models built by dbt-spark (target spark) as Parquet
    under build/spark; returns that folder, which the DuckDB build then reads (var spark_output)."""
    import shutil

    try:
        import pyspark  # noqa: F401
        import dbt.adapters.spark  # noqa: F401
    except ImportError:
        raise WavehouseError("--engine spark needs pyspark and dbt-spark: pip install 'wavehouse[spark]' "
                             "(and a Java runtime)") from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise WavehouseError("--engine spark needs a Java runtime (java on PATH or JAVA_HOME), e.g. apt install default-jre-headless")
    output = build_dir(base) / "spark"
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(build_dir(base) / "spark-warehouse", ignore_errors=True)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)    # Python workers: this interpreter, where wavehouse is
    with _environment(WAVEHOUSE_SPARK_MASTER=master):
        run_dbt(dbt_args("run", base, ["--target", "spark", "--select", *INGEST_MODELS,
                                       *with_var(dbt_extra, "spark_output", str(output))]), base, data)
    # what Spark ran and how long each model took (the DuckDB build that follows replaces target/'s)
    shutil.copy(build_dir(base) / "target" / "run_results.json", output / "run_results.json")
    return output


def with_var(dbt_extra: list[str], name: str, value, unless_set: bool = False) -> list[str]:
    """dbt_extra with one more var in its --vars (added if there is none); with unless_set, a var
    the user set is kept."""
    extra = list(dbt_extra)
    if "--vars" in extra:
        i = extra.index("--vars")
        values = json.loads(extra[i + 1])
        if not (unless_set and name in values):
            extra[i + 1] = json.dumps({**values, name: value})
        return extra
    return extra + ["--vars", json.dumps({name: value})]


def input_files(data: Path) -> list[Path]:
    """The files behind a resolved --data: the file, every file directly in the folder, or the
    glob's files (a superset of what the source macro reads, in name order)."""
    if data.is_file():
        return [data]
    if data.is_dir():
        return sorted(p for p in data.iterdir() if p.is_file())
    return sorted(Path(p) for p in glob.glob(str(data)) if Path(p).is_file())


CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".csv", ".toml"}


def code_files() -> list[Path]:
    """The code a build's tables depend on: the dbt project (models, macros, seeds, tests) and the
    Python package (models_py, the ML I/O), sources only (no caches, logs or targets)."""
    from . import ml_io
    from .models_py import embed

    roots = {project_dir(), Path(ml_io.__file__).parent, Path(embed.__file__).parent}
    skip = {"__pycache__", "target", "logs", "dbt_packages", "data"}
    files = set()
    for root in roots:
        for path in root.rglob("*"):
            parts = path.relative_to(root).parts
            if path.suffix in CODE_SUFFIXES and path.is_file() and not (skip & set(parts) or any(
                    part.startswith(".") for part in parts)):     # no dotfiles (dbt's .user.yml)
                files.add(path)
    return sorted(files)


def build_fingerprint(data: Path, arguments: list[str]) -> str:
    """A SHA-256 of everything a build's tables are computed from: the bytes of the input files
    (and their names inside a folder or glob), the build's arguments (--vars: parameters, column
    map, encoding; the engine), the code (code_files) and the library versions. Two builds with
    the same fingerprint compute the same tables (every model is seeded)."""
    import hashlib

    from .ml_io import library_versions

    digest = hashlib.sha256()

    def add(label: str, text: str) -> None:
        digest.update(f"{label}\0{text}\0".encode())

    files = input_files(data)
    for path in files:
        add("input", path.name if len(files) > 1 or data.is_dir() else path.suffix)
        with open(path, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    add("arguments", json.dumps(arguments))
    for path in code_files():
        add("code", path.name)
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    add("libraries", json.dumps(library_versions(), sort_keys=True))
    return digest.hexdigest()


def published_fingerprint(db: Path) -> tuple[str, str] | None:
    """(fingerprint, when its build started, UTC) of the published warehouse (ml_build_plan,
    ml_runs), or None when it has none: no warehouse, one from before fingerprints, or one built
    by a plain `dbt build`."""
    if not db.is_file():
        return None
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute("""select p.input_fingerprint, strftime(r.started_at, '%Y-%m-%d %H:%M:%S')
                              from ml_build_plan as p left join ml_runs as r using (run_id)""").fetchall()
    except duckdb.Error:    # an older warehouse: no such column
        return None
    finally:
        con.close()
    return (rows[0][0], rows[0][1] or "") if rows and rows[0][0] else None


def build(data: Path | None = None, full_refresh: bool = False, base: Path | None = None,
          dbt_extra: list[str] | None = None, on_built: Callable[[BuildSummary], None] | None = None,
          dbt_vars: str | None = None, columns: dict[str, str] | None = None, encoding: str | None = None,
          engine: str = "duckdb", spark_master: str | None = None, force: bool = False,
          tune: bool = False, progress: Callable | None = None) -> BuildSummary:
    """dbt build into $WAVEHOUSE_HOME/build/wavehouse.duckdb, then publish it atomically. The
    published warehouse (if any) is attached read-only: unless full_refresh or tune, the build can
    be incremental (ml_build_plan), and a full build keeps its tuned config (ml_genre_head_tuning).
    When it was built from the same input files, arguments, code and libraries
    (build_fingerprint), nothing is built unless `force` or `tune`: the summary says up_to_date.
    `tune` runs the genre-head and hybrid-mix searches and trains every model on their choice
    (var tune); later builds reuse it. The fingerprint leaves `tune` out: a build after a tuning
    run with the same input has nothing to do."""
    base = base or home()
    dbt_extra = list(dbt_extra or []) + vars_argument(dbt_vars, columns, encoding)
    data = resolve_data(data)
    with build_lock(base):
        fingerprint = build_fingerprint(data, [*dbt_extra, f"engine={engine}"])
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
            # on Spark, and the neighbour lists are searched on Spark, list by list (wavehouse/spark_jobs.py)
            master = spark_master or os.environ.get("WAVEHOUSE_SPARK_MASTER", "local[2]")
            extra = with_var(extra, "spark_output", str(spark_ingest(base, data, extra, master)))
            extra = with_var(with_var(extra, "spark_master", master), "engine", "spark")
            extra = with_var(extra, "neighbour_method", "spark_ivf", unless_set=True)
            extra += ["--exclude", *(f"test_type:unit,{model}" for model in INGEST_MODELS)]
        previous = published_db(base)
        run_dbt(dbt_args("build", base, extra), base, data,
                previous=previous if previous.is_file() else None, fingerprint=fingerprint, progress=progress)
        summary = summarise(target)
        if on_built:
            on_built(summary)
        started = time.monotonic()
        summary.published = publish(base)
        if progress is not None:
            progress.done("publish (checkpoint, Parquet marts, rename)", time.monotonic() - started)
    return summary

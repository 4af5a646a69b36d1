"""dbt, run in this process: its arguments, its environment (the warehouse folder, the input, the
published warehouse an incremental build starts from), one build at a time per folder (a lock), a
clear message from its failures, and the end of a process that ran it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import WavehouseError
from ..paths import build_dir, project_dir
from . import dbt_home


@contextlib.contextmanager
def build_lock(base: Path) -> Iterator[None]:
    """One build at a time per warehouse folder; a second one fails at once with a clear message."""
    build_dir(base).mkdir(parents=True, exist_ok=True)
    lock_path = build_dir(base) / ".lock"
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WavehouseError(
                f"another build is running in {base} (lock {lock_path}); wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
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
    return [
        *words,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(build_dir(base) / "target"),
        "--log-path",
        str(build_dir(base) / "logs"),
        *(extra or []),
    ]


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


def run_dbt(
    args: list[str],
    base: Path,
    data: Path,
    previous: Path | None = None,
    fingerprint: str = "",
    progress: Callable | None = None,
) -> None:
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
    with environment(
        WAVEHOUSE_HOME=str(dbt_home.alias_for(base)),
        WAVEHOUSE_DATA=str(data),
        WAVEHOUSE_PREVIOUS=str(previous or ""),
        WAVEHOUSE_FINGERPRINT=fingerprint,
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_VERSION_CHECK="false",
    ):
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
        ours = [
            line.split("wavehouse:", 1)[1].strip()
            for line in str(node_result.message).splitlines()
            if "wavehouse:" in line
        ]
        if ours:  # a check of ours (bad input) failed: its one line says what and where
            return ours[0] + " (nothing was published)"
        if str(node_result.status) in ("error", "fail"):
            lines = [line.strip() for line in str(node_result.message).splitlines() if line.strip()]
            failures.append(f"{node_result.node.name}: {' '.join(lines[:2])}")
    return "dbt build failed; nothing was published. " + "; ".join(failures[:5])

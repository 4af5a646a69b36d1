"""Shared fixtures: the small real fixture catalogue and a warehouse built from it once per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CSV = FIXTURES / "tracks_fixture.csv"


# dbt vars for builds whose subject is not the models (reading a layout, a format, an encoding,
# incremental bookkeeping): the same stages on smaller samples and a smaller genre head, so each
# such build is quicker
QUICK = {
    "k_max": 6,
    "tsne_sample": 300,
    "tsne_max_iter": 250,
    "shap_fit_sample": 500,
    "shap_explain_sample": 100,
    "genre_head": {"width": 64, "depth": 1, "epochs": 5},
}


def quick_vars(**more) -> str:
    """QUICK plus `more`, as the JSON text `--vars` / build(dbt_vars=) take."""
    return json.dumps({**QUICK, **more})


QUICK_VARS = quick_vars()


@pytest.fixture(scope="session")
def fixture_csv() -> Path:
    return FIXTURE_CSV


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """A warehouse built and published from the fixture (once per run; tests must only read it).
    Under pytest-xdist (`make test` runs two workers) the first worker that asks builds it in the
    run's shared temporary folder while holding a file lock; the others wait and read the same one."""
    from filelock import FileLock

    from wavehouse.build import build
    from wavehouse.paths import published_db

    if "PYTEST_XDIST_WORKER" not in os.environ:
        home = tmp_path_factory.mktemp("wavehouse_home")
        build(data=FIXTURE_CSV, base=home)
        return home
    home = tmp_path_factory.getbasetemp().parent / "wavehouse_home"  # the run's folder, above each worker's
    with FileLock(f"{home}.lock"):
        if not published_db(home).exists():
            build(data=FIXTURE_CSV, base=home)
    return home


def copy_home(source: Path, target: Path) -> Path:
    """A copy of a built home's published warehouse (not its build folder), to build on."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("build"))
    return target


def ingest(data: Path, home: Path) -> Path:
    """Only the ingest models (read, type, quarantine, dedupe: what every model downstream reads),
    with their dbt tests, into home's build file (never published); returns that file."""
    from wavehouse.build import INGEST_MODELS, dbt_args, run_dbt
    from wavehouse.paths import build_db

    run_dbt(dbt_args("build", home, ["--select", *INGEST_MODELS]), home, data)
    return build_db(home)


@pytest.fixture()
def use_home(monkeypatch):
    """Point WAVEHOUSE_HOME at a folder for the duration of a test."""

    def _use(home: Path) -> Path:
        monkeypatch.setenv("WAVEHOUSE_HOME", str(home))
        return home

    return _use


def read_during_build(readers: list[str], home: Path, data: Path, tmp_path: Path) -> list[tuple[int, int, str]]:
    """Run each reader's code (argv: published db, stop file; prints "queries errors") in its own
    process, all at once, while one build of `data` runs and publishes into `home`; return
    (queries, errors, its stderr) per reader."""
    from wavehouse.build import build
    from wavehouse.paths import published_db

    stop = tmp_path / "stop-reader"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(published_db(home)), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for code in readers
    ]
    try:
        time.sleep(1.5)
        build(data=data, base=home, force=True)  # must not fail on the readers' locks
        time.sleep(0.5)
    finally:
        stop.touch()
        outputs = [proc.communicate(timeout=60) for proc in procs]
    results = []
    for out, err in outputs:
        queries, errors = map(int, out.split())
        results.append((queries, errors, err))
    return results


@pytest.fixture()
def fixture_text() -> str:
    return FIXTURE_CSV.read_text(encoding="utf-8")


os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


_exit_status: list[int] = []


# The test files by measured time, slowest first (docs/build_time.md): `make test` hands files to
# its two workers in this order (--no-loadscope-reorder), so that the long ones start first and both
# workers finish near the same time; a file not listed runs after these.
SLOWEST_FIRST = [
    "test_engines.py",
    "test_reliability.py",
    "test_catalogues.py",
    "test_incremental.py",
    "test_packaging.py",
    "test_web.py",
    "test_tuning.py",
    "test_build.py",
    "test_ml_build.py",
    "test_lookup_cli.py",
    "test_concurrency.py",
    "test_bi_docs_report.py",
    "test_models_py.py",
]


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's own order stays


def pytest_sessionfinish(session, exitstatus):
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Builds ran dbt in this process: end it as the CLI does, after pytest has written
    everything, so shutdown cannot print duckdb's leak noise under the summary."""
    import sys

    build_module = sys.modules.get("wavehouse.build")
    if build_module is not None and _exit_status:
        build_module.end_process(_exit_status[-1])

"""Shared fixtures (the small real fixture catalogue and a warehouse built from it once per run) and
the run's hooks; the helpers tests call are in tests/helpers.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.helpers import FIXTURE_CSV


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


@pytest.fixture()
def use_home(monkeypatch):
    """Point WAVEHOUSE_HOME at a folder for the duration of a test."""

    def _use(home: Path) -> Path:
        monkeypatch.setenv("WAVEHOUSE_HOME", str(home))
        return home

    return _use


@pytest.fixture()
def fixture_text() -> str:
    return FIXTURE_CSV.read_text(encoding="utf-8")


os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


_exit_status: list[int] = []


# The test files by measured time, slowest first (docs/build_time.md): `make test` hands files to
# its workers in this order (--no-loadscope-reorder), so that the long ones start first and all
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

    build_module = sys.modules.get("wavehouse.build")
    if build_module is not None and _exit_status:
        build_module.end_process(_exit_status[-1])

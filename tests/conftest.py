"""Shared fixtures: the small real fixture catalogue and a warehouse built from it once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CSV = FIXTURES / "tracks_fixture.csv"


@pytest.fixture(scope="session")
def fixture_csv() -> Path:
    return FIXTURE_CSV


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """A warehouse built and published from the fixture (once; tests must only read it)."""
    from wavehouse.build import build

    home = tmp_path_factory.mktemp("wavehouse_home")
    build(data=FIXTURE_CSV, base=home)
    return home


@pytest.fixture()
def use_home(monkeypatch):
    """Point WAVEHOUSE_HOME at a folder for the duration of a test."""
    def _use(home: Path) -> Path:
        monkeypatch.setenv("WAVEHOUSE_HOME", str(home))
        return home
    return _use


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture()
def fixture_text() -> str:
    return FIXTURE_CSV.read_text(encoding="utf-8")


os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

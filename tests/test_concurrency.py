"""A reader holding the published warehouse never breaks a build, and a build never breaks a reader."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import copy_home, read_during_build
from wavehouse.build import build_lock
from wavehouse.errors import WavehouseError

LOOP = """
queries = errors = 0
while not stop.exists():
    try:
        step()
        queries += 1
    except Exception as exc:
        errors += 1
        print("reader error:", exc, file=sys.stderr)
    time.sleep(PAUSE)
print(queries, errors)
"""


def reader(setup: str, pause: float) -> str:
    """A reader process's code (argv: published db, stop file): `setup` (which defines step()),
    then step() until the stop file appears; prints "queries errors"."""
    head = "import sys, time, pathlib\ndb, stop = sys.argv[1], pathlib.Path(sys.argv[2])\n"
    return head + textwrap.dedent(setup) + LOOP.replace("PAUSE", str(pause))


# DuckDB: one connection held open for the whole build, and new connections all along
READER = reader(
    """
    import duckdb
    held = duckdb.connect(db, read_only=True)
    def step():
        held.execute("select count(*), sum(popularity) from dim_tracks").fetchall()
        fresh = duckdb.connect(db, read_only=True)
        fresh.execute("select count(*) from dim_tracks").fetchall()
        fresh.close()
""",
    0.01,
)

# a BI tool's driver: SQLAlchemy over duckdb-engine, read-only, a connection per round
SQLALCHEMY_READER = reader(
    """
    import sqlalchemy as sa
    engine = sa.create_engine(f"duckdb:///{db}", connect_args={"read_only": True})
    def step():
        with engine.connect() as con:
            con.execute(sa.text("select cluster_name, n_tracks from dim_clusters")).fetchall()
            con.execute(sa.text("select * from recommend([:id], k := 5)"), {"id": "4qPNDBW1i3p13qLCt0Ki3A"}).fetchall()
""",
    0.02,
)


def test_readers_keep_querying_while_build_publishes(tmp_path, fixture_csv, built_home):
    """A DuckDB reader holding the file (and opening new connections) and a BI tool's SQLAlchemy
    driver, both during one build and its publish."""
    home = copy_home(built_home, tmp_path / "home")  # a published warehouse to read
    readers = [READER]
    try:
        import duckdb_engine  # noqa: F401

        readers.append(SQLALCHEMY_READER)
    except ImportError:
        pass
    for queries, errors, err in read_during_build(readers, home, fixture_csv, tmp_path):
        assert errors == 0, err
        assert queries > 10


def test_second_build_at_once_fails_clearly(tmp_path):
    with build_lock(tmp_path):
        with pytest.raises(WavehouseError, match="another build is running"):
            with build_lock(tmp_path):
                pass

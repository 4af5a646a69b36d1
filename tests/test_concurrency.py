"""A reader holding the published warehouse never breaks a build, and a build never breaks a reader."""

from __future__ import annotations

import textwrap

from wavehouse.build import build_lock
from wavehouse.paths import WavehouseError

from tests.conftest import copy_home, read_during_build

import pytest

READER = textwrap.dedent("""
    import sys, time, duckdb, pathlib
    db, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    held = duckdb.connect(db, read_only=True)      # held open for the whole build
    queries = errors = 0
    while not stop.exists():
        try:
            held.execute("select count(*), sum(popularity) from dim_tracks").fetchall()
            fresh = duckdb.connect(db, read_only=True)   # and new connections all along
            fresh.execute("select count(*) from dim_tracks").fetchall()
            fresh.close()
            queries += 1
        except Exception as exc:
            errors += 1
            print("reader error:", exc, file=sys.stderr)
        time.sleep(0.01)
    print(queries, errors)
""")


SQLALCHEMY_READER = textwrap.dedent("""
    import sys, time, pathlib, sqlalchemy as sa
    db, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    engine = sa.create_engine(f"duckdb:///{db}", connect_args={"read_only": True})
    queries = errors = 0
    while not stop.exists():
        try:
            with engine.connect() as con:
                con.execute(sa.text("select cluster_name, n_tracks from dim_clusters")).fetchall()
                con.execute(sa.text("select * from recommend([:id], k := 5)"), {"id": "4qPNDBW1i3p13qLCt0Ki3A"}).fetchall()
            queries += 1
        except Exception as exc:
            errors += 1
            print("reader error:", exc, file=sys.stderr)
        time.sleep(0.02)
    print(queries, errors)
""")


def test_readers_keep_querying_while_build_publishes(tmp_path, fixture_csv, built_home):
    """A DuckDB reader holding the file (and opening new connections) and a BI tool's SQLAlchemy
    driver, both during one build and its publish."""
    home = copy_home(built_home, tmp_path / "home")     # a published warehouse to read
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

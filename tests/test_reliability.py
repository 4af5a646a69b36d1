"""Faults: builds killed at several points, generated broken CSVs, garbage given to the CLI (two
builds at once: test_concurrency.py)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.helpers import QUICK_VARS
from wavehouse.build import INGEST_MODELS, build, dbt_args, run_dbt
from wavehouse.errors import WavehouseError
from wavehouse.paths import build_db, published_db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_build(home: Path, data: Path, extra_env: dict | None = None, args: tuple = ()) -> subprocess.Popen:
    env = {**os.environ, "WAVEHOUSE_HOME": str(home), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    # --force: the same input as the published warehouse's, which would otherwise be up to date;
    # --verbose: dbt's own log, whose lines the markers below are
    return subprocess.Popen(
        [sys.executable, "-m", "wavehouse.cli.main", "build", "--data", str(data), "--force", "--verbose", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def kill_when(proc: subprocess.Popen, marker: str, timeout: float = 300) -> str:
    """Read the build's output until `marker` appears, then SIGKILL it."""
    seen = []
    deadline = time.time() + timeout
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            return "".join(seen)
        if time.time() > deadline:
            break
    proc.kill()
    raise AssertionError(f"marker {marker!r} never appeared:\n{''.join(seen)[-3000:]}")


# Where a build is killed, in the order the test kills them: each build after a kill starts from
# the debris of the one before (its lock, its half-written build file), and only the last one runs
# to the end
KILLS = [
    ("START sql table model main.int_tracks_deduped", {}, ()),  # during a SQL model
    ("genre_aware: started", {}, ("--full-refresh", "--vars", QUICK_VARS)),  # during training (a full build)
    ("embed_new_tracks: started", {}, ()),  # during an incremental build
    ("paused before publish", {"WAVEHOUSE_FAULT_PAUSE_BEFORE_PUBLISH": "60"}, ()),  # during publish
]


def test_killed_builds_leave_published_warehouse_intact(built_home, fixture_csv, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    published_db(home).write_bytes(published_db(built_home).read_bytes())
    before = digest(published_db(home))
    for marker, env, args in KILLS:
        kill_when(start_build(home, fixture_csv, env, args), marker)
        assert digest(published_db(home)) == before, f"the published file changed when killed at {marker!r}"
        con = duckdb.connect(str(published_db(home)), read_only=True)
        assert con.execute("select count(*) from dim_tracks").fetchone()[0] > 2000
        con.close()
    summary = build(data=fixture_csv, base=home, force=True)  # the next build succeeds
    assert summary.rows_kept > 2000 and not summary.up_to_date


# ---------------------------------------------------------------- generated broken CSVs

SQL_LAYER = ["--select", *INGEST_MODELS]
# (a bare CR inside a line is left out: lines end with LF or CRLF, tested apart)
JUNK = st.text(alphabet=st.sampled_from(list("abc,;\"'\\ \t-1.5e9Ü東")), max_size=12)


@st.composite
def corrupted_csv(draw, lines: list[str]):
    header, body = lines[0], lines[1:]
    rows = draw(st.lists(st.sampled_from(body), min_size=1, max_size=25))
    out = []
    for row in rows:
        kind = draw(st.sampled_from(["keep", "keep", "field", "drop", "add", "blank", "cut", "junk"]))
        fields = row.split(",")
        if kind == "field":
            fields[draw(st.integers(0, len(fields) - 1))] = draw(JUNK)
        elif kind == "drop":
            fields.pop(draw(st.integers(0, len(fields) - 1)))
        elif kind == "add":
            fields.append(draw(JUNK))
        elif kind == "blank":
            fields = [""]
        elif kind == "cut":
            fields = ",".join(fields)[: draw(st.integers(0, 40))].split(",")
        elif kind == "junk":
            fields = [draw(JUNK)]
        out.append(",".join(fields))
    # DuckDB's reader skips empty lines (they are not records); every other line is one
    return header + "\n" + "\n".join(out) + "\n", sum(1 for line in out if line != "")


PROPERTY_HOME: dict[str, Path] = {}
FIXTURE_LINES = (
    (Path(__file__).parent / "fixtures" / "tracks_fixture.csv").read_text(encoding="utf-8").splitlines()[:200]
)
SNIFFER_MISSES_HEADER = (Path(__file__).parent / "fixtures" / "sniffer_takes_header_for_data.csv").read_text(
    encoding="utf-8"
)


@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=corrupted_csv(FIXTURE_LINES))
# found by this test: with junk lines (a lone 東, a tab) in its sample, DuckDB's sniffer took the
# header line for data and named the columns column00..column20
@example(case=(SNIFFER_MISSES_HEADER, sum(1 for line in SNIFFER_MISSES_HEADER.splitlines()[1:] if line != "")))
def test_generated_broken_csvs_are_quarantined_never_crash(tmp_path_factory, case):
    text, n_lines = case
    # one home and one input path for every example: dbt's environment is then the same each time,
    # so it parses the project once and reuses that (partial parsing), instead of once per example
    if "home" not in PROPERTY_HOME:
        PROPERTY_HOME["home"] = tmp_path_factory.mktemp("prop")
    home = PROPERTY_HOME["home"]
    data = home / "input.csv"
    data.write_text(text, encoding="utf-8")
    build_db(home).parent.mkdir(parents=True, exist_ok=True)
    for stale in (build_db(home), build_db(home).with_name(build_db(home).name + ".wal")):
        stale.unlink(missing_ok=True)
    if n_lines == 0:
        with pytest.raises(WavehouseError, match="no data rows"):
            run_dbt(dbt_args("build", home, SQL_LAYER), home, data)
        return
    run_dbt(dbt_args("build", home, SQL_LAYER), home, data)
    con = duckdb.connect(str(build_db(home)), read_only=True)
    read = con.execute("select count(*) from stg_spotify__tracks").fetchone()[0]
    kept = con.execute("select count(*) from int_tracks_deduped").fetchone()[0]
    merged = con.execute("select coalesce(sum(n_source_rows - 1), 0) from int_tracks_deduped").fetchone()[0]
    rejected = con.execute("select count(*) from int_tracks_rejected").fetchone()[0]
    unexplained = con.execute(
        "select count(*) from int_tracks_rejected where reject_reason is null or reject_reason = ''"
    ).fetchone()[0]
    con.close()
    # a stray quote opens a quoted field that may run over several lines (RFC 4180, as DuckDB's
    # reader reads it), so lines can merge into one record, never split into more
    assert 1 <= read <= n_lines
    assert read == kept + rejected + merged
    assert unexplained == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"just some text\nand more\n", "lacks required columns"),
        (b"\x00\xff\xfe not a csv \x00\n\x01\x02", "does not look like a text CSV"),  # binary: refused, named
    ],
)
def test_cli_build_never_shows_a_traceback_on_garbage(tmp_path, content, message):
    data = tmp_path / "garbage.csv"
    data.write_bytes(content)
    env = {**os.environ, "WAVEHOUSE_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-m", "wavehouse.cli.main", "build", "--data", str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 1
    assert "Traceback" not in out.stdout + out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("Error:")]
    assert errors and message in errors[0] and str(data) in errors[0]
    assert not (tmp_path / "home" / "wavehouse.duckdb").exists()

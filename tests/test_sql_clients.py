"""Every SQL object of the published warehouse and every SQL statement and look-up command of the
README, run as a user would: read-only, in the DuckDB we pin (2.0) and in the DuckDB 1.5 line that
BI drivers and older CLIs bundle (CI installs duckdb 1.5 and duckdb-cli 1.5 in a side venv and sets
WAVEHOUSE_OLD_DUCKDB_PYTHON / WAVEHOUSE_OLD_DUCKDB_CLI; see .ci/run)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from tests.helpers import docs_text
from wavehouse.cli.main import cli
from wavehouse.paths import published_db

SEED = "4qPNDBW1i3p13qLCt0Ki3A"  # Ben Woodward - Ghost (Acoustic), in the fixture
OTHER = "7qiZfU4dY1lWllzX7mPBI3"  # Ed Sheeran - Shape of You, in the fixture
# the README and the docs pages: every example in them is run
README = docs_text()

# One example call of every macro the warehouse defines; a new macro without one fails the test.
MACRO_EXAMPLES = {
    "recommend": f"select * from recommend(['{SEED}', '{OTHER}'], k := 5, max_per_artist := 1, mood := null)",
    "recommend_by_vector": f"select * from recommend_by_vector(['{SEED}'], k := 5, explicit := false)",
    "recommend_per_cluster": f"select * from recommend_per_cluster('{SEED}', n_same := 3, n_other := 1)",
    "recommendation_why": f"select * from recommendation_why('{SEED}', '{OTHER}')",
    "search_tracks": "select * from search_tracks('Ed Sheeran - Shape of You', k := 3)",
    "search_terms": "select * from search_terms('Shape of You by Ed Sheeran')",
    "wh_normalise": "select wh_normalise('Ça va (feat. Ünï) - Remix!')",
    "wh_feature_agreement": "select wh_feature_agreement(a.features, b.features) from int_track_features_scaled as a, "
    "int_track_features_scaled as b where a.track_id = '" + SEED + "' and b.track_id = '" + OTHER + "'",
    "wh_word_match": "select wh_word_match('rhapsdy', ['bohemian', 'rhapsody'])",
    "song_path_candidates": f"select * from song_path_candidates('{SEED}', '{OTHER}', steps := 6, per_step := 3)",
    "wh_key_text": "select wh_key_text(1, 0)",
    "wh_feature_text": "select wh_feature_text('duration', 220459)",
    "track_sound": f"select * from track_sound('{SEED}')",
    "tracks_sound": f"select * from tracks_sound(['{SEED}', '{OTHER}'])",
    "sound_comparison": f"select * from sound_comparison('{SEED}', ['{OTHER}'])",
    "recommendation_because": f"select * from recommendation_because('{SEED}', ['{OTHER}'])",
    "build_playlist": f"select * from build_playlist(['{SEED}'], n := 5, discovery := 0.8, max_tempo := 130.0)",
    # the fixture warehouse has no listeners: the macro binds and returns no rows (tests/test_listens.py)
    "recommend_for": "select * from recommend_for('me', k := 5, discovery := 1, max_per_artist := 1)",
}

# Runs statements read-only in whatever Python runs it (2.0 here, 1.5 in the side venv); prints
# {statement: null | error} as JSON.
RUNNER = r"""
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
out = {"version": duckdb.__version__, "errors": {}}
for statement in json.loads(sys.stdin.read()):
    try:
        con.execute(statement).fetchall()
    except Exception as exc:
        out["errors"][statement] = str(exc).splitlines()[0]
print(json.dumps(out))
"""


# What only a warehouse built with --listens has (its models are disabled otherwise): the README's
# and docs' statements that read them run in tests/test_listens.py, on such a warehouse
LISTENING = ("recommend_for(", "rpt_listening", "rpt_listener_evaluation", "fct_listen", "dim_listeners")


def needs_listens(text: str) -> bool:
    return any(name in text for name in LISTENING)


def readme_sql(listening: bool = False) -> list[str]:
    """The SQL statements of the README and docs (those that need listens, or the others)."""
    blocks = re.findall(r"```sql\n(.*?)```", README, flags=re.S)
    statements = []
    for block in blocks:
        statements += [
            s.strip()
            for s in re.split(r";\s*\n", block + "\n")
            if s.strip() and not all(line.strip().startswith("--") for line in s.strip().splitlines())
        ]
    return [s for s in statements if needs_listens(s) == listening]


def warehouse_statements(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    relations = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1"
        ).fetchall()
    ]
    macros = {
        r[0]
        for r in con.execute(
            "select distinct function_name from duckdb_functions() where database_name = current_database() "
            "and function_type in ('macro', 'table_macro') and not internal"
        ).fetchall()
    }
    con.close()
    assert macros <= set(MACRO_EXAMPLES), (
        f"give these macros an example in MACRO_EXAMPLES: {macros - set(MACRO_EXAMPLES)}"
    )
    assert len(relations) > 20
    return [f'select * from "{name}" limit 5' for name in relations] + [MACRO_EXAMPLES[m] for m in sorted(macros)]


def run_statements(python: str, db: Path, statements: list[str]) -> dict:
    out = subprocess.run(
        [python, "-c", RUNNER, str(db)], input=json.dumps(statements), capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def old_python() -> str:
    python = os.environ.get("WAVEHOUSE_OLD_DUCKDB_PYTHON")
    if not python:
        pytest.skip("set WAVEHOUSE_OLD_DUCKDB_PYTHON to a python with duckdb 1.5 (.ci/run does)")
    return python


def test_readme_has_sql_examples():
    statements = readme_sql()
    assert len(statements) >= 8
    assert any("recommend(" in s for s in statements) and any("search_tracks(" in s for s in statements)


@pytest.mark.parametrize("client", ["duckdb 2.0", "duckdb 1.5"])
def test_every_table_view_macro_and_readme_statement_runs(built_home, client):
    python = sys.executable if client == "duckdb 2.0" else old_python()
    db = published_db(built_home)
    result = run_statements(python, db, warehouse_statements(db) + readme_sql())
    assert result["version"].startswith("2.0" if client == "duckdb 2.0" else "1.5")
    assert result["errors"] == {}


def test_readme_sql_in_the_duckdb_1_5_cli(built_home):
    cli_binary = os.environ.get("WAVEHOUSE_OLD_DUCKDB_CLI")
    if not cli_binary:
        pytest.skip("set WAVEHOUSE_OLD_DUCKDB_CLI to the duckdb-cli 1.5 binary (.ci/run does)")
    version = subprocess.run([cli_binary, "--version"], capture_output=True, text=True).stdout
    assert version.startswith("v1.5"), version
    for statement in readme_sql() + [MACRO_EXAMPLES["recommend"]]:
        out = subprocess.run(
            [cli_binary, "-readonly", str(published_db(built_home)), "-c", statement],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0 and "Error" not in out.stderr, f"{statement}\n{out.stderr}"


def readme_lookup_commands() -> list[list[str]]:
    """The README's `wavehouse ...` look-up lines, as typed (comments and redirections dropped)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].split(" > ")[0].strip()
            words = shlex.split(line) if line.startswith("wavehouse ") else []
            if "--listeners" in words or needs_listens(line):  # needs listens: tests/test_listens.py
                continue
            if len(words) > 1 and words[1] in {
                "search",
                "recommend",
                "playlist",
                "clusters",
                "cluster",
                "evaluate",
                "sql",
                "tracks",
                "info",
                "rejects",
                "path",
            }:
                commands.append(words[1:])
    return commands


def test_readme_lookup_commands_work_as_typed(built_home):
    commands = readme_lookup_commands()
    assert len(commands) >= 10 and any(c[:2] == ["recommend", "ghost acoustic"] for c in commands)
    for args in commands:
        result = CliRunner().invoke(cli, args, env={"WAVEHOUSE_HOME": str(built_home)})
        assert result.exit_code == 0, f"wavehouse {shlex.join(args)}\n{result.output}"
        assert "leaked" not in result.output

"""The command line, through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.helpers import copy_home
from wavehouse.cli.main import cli


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_help_has_examples_and_version():
    result = run("--help")
    assert result.exit_code == 0 and "Examples:" in result.output
    assert run("--version").output.strip().startswith("wavehouse, version")
    for command in ("build", "publish", "sql", "tracks"):
        assert "Example" in run(command, "--help").output


def test_missing_warehouse_is_one_line(tmp_path):
    result = run("sql", "select 1", env={"WAVEHOUSE_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert "run `wavehouse build`" in result.output
    assert "Traceback" not in result.output


def test_sql_formats(built_home):
    env = {"WAVEHOUSE_HOME": str(built_home)}
    as_json = json.loads(run("sql", "select count(*) as n from dim_tracks", "--format", "json", env=env).output)
    assert as_json[0]["n"] > 2000
    as_csv = run(
        "sql",
        "select primary_genre, count(*) as n from dim_tracks group by 1 order by 1 limit 2",
        "--format",
        "csv",
        env=env,
    ).output.splitlines()
    assert as_csv[0] == "primary_genre,n" and len(as_csv) == 3
    table = run("sql", "select 1 as one", env=env).output
    assert table.splitlines()[0].strip() == "one"


def test_sql_is_read_only_and_errors_are_clean(built_home):
    env = {"WAVEHOUSE_HOME": str(built_home)}
    result = run("sql", "drop table dim_tracks", env=env)
    assert result.exit_code == 1 and "read-only" in result.output.lower()
    result = run("sql", "select * from no_such_table", env=env)
    assert result.exit_code == 1 and "no_such_table" in result.output and "Traceback" not in result.output


def test_tracks_rejected_shows_reasons(built_home):
    env = {"WAVEHOUSE_HOME": str(built_home)}
    rows = json.loads(run("tracks", "--rejected", "--format", "json", env=env).output)
    assert len(rows) == 9
    assert all(row["reject_reason"] for row in rows)
    assert any("wrong column count" in row["reject_reason"] for row in rows)


def test_build_command_names_a_missing_file(tmp_path, built_home):
    # (a whole build through the command, its counts and a second one up to date: test_packaging)
    env = {"WAVEHOUSE_HOME": str(copy_home(built_home, tmp_path / "home"))}
    result = run("build", "--data", str(tmp_path / "missing.csv"), env=env)
    assert result.exit_code == 1 and "missing.csv" in result.output and "Traceback" not in result.output


def test_every_command_is_documented_in_the_readme():
    from wavehouse.paths import PACKAGE_ROOT

    readme = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in cli.commands if f"wavehouse {name}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"

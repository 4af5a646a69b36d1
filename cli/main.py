"""The wavehouse command line. Every command is a thin layer over the `wavehouse` library.

Look-up commands import only click and duckdb; build commands import dbt (and, through the dbt
Python models, torch and scikit-learn) lazily.
"""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path

import click

from wavehouse import __version__
from wavehouse.paths import WavehouseError

from .output import echo_rows, format_option


def user_errors(func):
    """Turn WavehouseError into one line on stderr and exit code 1, never a traceback."""
    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except WavehouseError as exc:
            click.secho(f"Error: {exc}", err=True, fg="red")
            sys.exit(1)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wavehouse")
def cli():
    """wavehouse: a music catalogue as a DuckDB warehouse of clusters, neighbours and playlists.

    \b
    Examples:
      wavehouse build                      # build + publish from the bundled 114k catalogue
      wavehouse build --data my.csv.gz     # your own catalogue (Kaggle Spotify columns)
      wavehouse sql "select count(*) from dim_tracks"
      wavehouse tracks --rejected

    The warehouse lives in $WAVEHOUSE_HOME (default ./warehouse).
    """


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="Input CSV (optionally .gz/.zst). Default: the bundled 114k Spotify catalogue.")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@user_errors
def build(data, full_refresh):
    """Run the dbt project into a private file and publish it atomically.

    Progress is dbt's own log. Readers of the published warehouse are never disturbed; a failed
    build publishes nothing.

    \b
    Example:
      WAVEHOUSE_HOME=/tmp/wh wavehouse build --data tests/fixtures/tracks_fixture.csv
    """
    from wavehouse.build import build as run_build

    def report(summary):
        click.echo(f"rows read {summary.rows_read:,}: kept {summary.rows_kept:,} tracks, "
                   f"rejected {summary.rows_rejected:,} (quarantined in int_tracks_rejected), "
                   f"merged {summary.duplicates_merged:,} duplicate rows")
        for reason, count in summary.rejected_by_reason:
            click.echo(f"  rejected: {count:>6,}  {reason}")

    summary = run_build(data=data, full_refresh=full_refresh, on_built=report)
    click.secho(f"published {summary.published}", fg="green")


@cli.command()
@user_errors
def publish():
    """Publish the result of a plain `dbt build` (run in dbt_project/).

    \b
    Example:
      (cd dbt_project && dbt build) && wavehouse publish
    """
    from wavehouse.publish import publish as run_publish

    click.secho(f"published {run_publish()}", fg="green")


@cli.command()
@click.argument("query")
@format_option
@user_errors
def sql(query, fmt):
    """Run a read-only SQL QUERY against the published warehouse.

    \b
    Examples:
      wavehouse sql "select primary_genre, count(*) from dim_tracks group by all order by 2 desc limit 5"
      wavehouse sql "select * from int_tracks_rejected" --format csv
    """
    from wavehouse import db

    con = db.connect()
    try:
        columns, rows = db.query(con, query)
    finally:
        con.close()
    echo_rows(columns, rows, fmt)


@cli.command()
@click.option("--rejected", is_flag=True, help="Show the quarantined rows and why they were rejected.")
@click.option("-n", "--limit", type=int, default=50, show_default=True, help="Rows to show.")
@format_option
@user_errors
def tracks(rejected, limit, fmt):
    """Show tracks, or with --rejected the rows quarantined at build time.

    \b
    Example:
      wavehouse tracks --rejected --format json
    """
    from wavehouse import db, queries

    con = db.connect()
    try:
        sql_text = queries.REJECTED_ROWS if rejected else queries.TRACKS
        columns, rows = db.query(con, sql_text, [limit])
    finally:
        con.close()
    echo_rows(columns, rows, fmt)

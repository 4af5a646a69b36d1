"""Commands over the published warehouse as a whole: `info`, `sql`, `rejects`, `tracks`, `serve`
and `report`. Each reads through wavehouse.lookup (or the server and report built on it)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .output import echo_rows, format_option, user_errors


@click.command()
@format_option
@user_errors
def info(fmt):
    """Where the warehouse lives and what it holds: paths, build time, input and its layout, counts.

    \b
    Examples:
      wavehouse info
      duckdb -readonly "$(wavehouse info --format json | jq -r .published)"
    """
    from wavehouse import lookup

    facts = lookup.facts()
    if fmt == "json":
        click.echo(json.dumps(facts, indent=2))
    else:
        echo_rows(["name", "value"], list(facts.items()), fmt)


@click.command()
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
    from wavehouse import lookup

    with lookup.opened() as con:
        echo_rows(*lookup.run_sql(con, query), fmt)


@click.command()
@click.option("-n", "--limit", type=int, default=50, show_default=True, help="Rows to show.")
@format_option
@user_errors
def rejects(limit, fmt):
    """The input records quarantined at build time: file, row or line, reason, raw text.

    Records the CSV reader could not parse (wrong field count, invalid UTF-8, a stray quote) have
    their line in the file (source_line); records that failed a value check have their position
    among the file's records (source_row) and their fields as JSON. The same as
    `wavehouse tracks --rejected`, or in SQL: `select * from int_tracks_rejected`.

    \b
    Examples:
      wavehouse rejects
      wavehouse rejects -n 500 --format csv > rejects.csv
      wavehouse sql "select reject_reason, count(*) from int_tracks_rejected group by all"
    """
    from wavehouse import lookup

    with lookup.opened() as con:
        echo_rows(*lookup.rejected_rows(con, limit), fmt)


@click.command()
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
    from wavehouse import lookup

    with lookup.opened() as con:
        echo_rows(*(lookup.rejected_rows if rejected else lookup.top_tracks)(con, limit), fmt)


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (127.0.0.1: this machine only; 0.0.0.0 to share on your network).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes. Each holds its own read-only connection and in-memory indexes "
    "(about 0.5 GB at 114k tracks); with several clients, one per core (search and "
    "recommend are Python work that one process runs a request at a time).",
)
@user_errors
def serve(host, port, workers):
    """A local web app and JSON API over the published warehouse, read-only.

    Pages: / (search), /track/<id> (recommendations with why, a path to another song),
    /clusters (the catalogue on a map), /cluster/<id> (profile, playlist, M3U). The JSON API is
    documented at /docs and /openapi.json. It keeps serving while `wavehouse build` runs and
    answers from the new warehouse after a publish, without a restart.

    \b
    Examples:
      wavehouse serve
      wavehouse serve --port 8080
      wavehouse serve --workers 2        # several clients on a 2-core machine
      curl 'http://127.0.0.1:8000/api/recommend?seed=4qPNDBW1i3p13qLCt0Ki3A&k=5&explain=true'
    """
    import uvicorn

    from wavehouse import lookup
    from wavehouse.paths import published_db

    lookup.connect().close()  # a clear error now if nothing is built yet
    click.echo(f"wavehouse: serving {published_db()} on http://{host}:{port} (API docs: /docs)", err=True)
    options = dict(host=host, port=port, log_level="warning", http="httptools", loop="uvloop")
    # the app by name (each worker process builds its own; the CLI never imports the web package)
    uvicorn.run("wavehouse.web.app:create_app", factory=True, workers=workers, **options)


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the HTML (default $WAVEHOUSE_HOME/report.html).",
)
@user_errors
def report(out):
    """Write a self-contained HTML report (plots inline; opens from disk, no server, no internet).

    \b
    Examples:
      wavehouse report
      wavehouse report --out /tmp/wavehouse.html && xdg-open /tmp/wavehouse.html
    """
    from wavehouse.paths import home
    from wavehouse.report import render_report

    target = out or home() / "report.html"
    path = render_report(None, target, progress=lambda s: click.echo(s, err=True))
    click.secho(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", fg="green")

"""The wavehouse command line. Every command is a thin layer over the `wavehouse` library: it parses
options, calls wavehouse.lookup (reading) or wavehouse.build (writing), and renders the result.

Look-up commands import only click and duckdb; build commands import dbt (and, through the dbt
Python models, torch and scikit-learn) lazily.
"""

from __future__ import annotations

import sys

import click

from wavehouse import __version__

from . import build_commands, catalogue_commands, listener_commands, lookup_commands, warehouse_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wavehouse")
def cli():
    """wavehouse: a music catalogue as a DuckDB warehouse of clusters, neighbours and playlists.

    \b
    Examples:
      wavehouse build                      # build + publish from the bundled 114k catalogue
      wavehouse build --data my.csv.gz     # your own catalogue (CSV, Parquet, a folder)
      wavehouse sql "select count(*) from dim_tracks"
      wavehouse rejects                    # quarantined records and why
      wavehouse search "ghost acoustic"
      wavehouse recommend "ghost acoustic" -k 10 --explain
      wavehouse playlist --mood calm --format m3u > calm.m3u
      wavehouse clusters
      wavehouse evaluate
      wavehouse build --listens my_spotify_data.zip && wavehouse for-you

    The warehouse lives in $WAVEHOUSE_HOME (default ~/.local/share/wavehouse, or
    $XDG_DATA_HOME/wavehouse); `wavehouse info` prints where.
    """


for module in (build_commands, catalogue_commands, listener_commands, lookup_commands, warehouse_commands):
    for command in vars(module).values():
        if isinstance(command, click.Command):
            cli.add_command(command)


def main() -> None:
    """The console script: the click app, then exit; a process that ran dbt ends through
    wavehouse.build.end_process (no "nanobind: leaked instance" noise at shutdown)."""
    try:
        cli.main(prog_name="wavehouse")
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        click.echo(str(code), err=True)
        code = 1
    build_module = sys.modules.get("wavehouse.build")
    if build_module is not None:
        build_module.end_process(code or 0)
    sys.exit(code or 0)


if __name__ == "__main__":
    main()

"""`wavehouse build`, `tune` and `publish`: the commands that write the warehouse. They import dbt
(and, through the dbt Python models, torch and scikit-learn) only when run."""

from __future__ import annotations

import shlex

import click

from .output import echo_rows, format_option, user_errors


@click.command()
@click.option(
    "--data",
    default=None,
    metavar="PATH",
    help="Your catalogue: a CSV (.gz/.zst too) or Parquet file, a folder of them, or a glob "
    "('exports/*.csv'). Default: the bundled 114k Spotify catalogue.",
)
@click.option(
    "--columns",
    "columns",
    default=None,
    metavar="OURS=THEIRS,...",
    help="Map columns the known layouts do not recognise, e.g. track_name=title,artists=artist.",
)
@click.option(
    "--encoding",
    default=None,
    type=click.Choice(["utf-8", "latin-1", "utf-16"]),
    help="Text encoding of CSV input (default utf-8).",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Retrain every model. Without it, a build after a published one is incremental when at "
    "most incremental_max_change_share (20%) of the tracks changed (docs/scaling.md).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Build even when the published warehouse was built from the same input files, --vars, code "
    "and libraries (otherwise there is nothing to do, and nothing is built).",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show dbt's own log (every model and test) instead of one line per stage."
)
@click.option(
    "--tune",
    is_flag=True,
    help="Run the genre-head and hybrid-mix searches first and train on their choice (a full build; "
    "the same as `wavehouse tune`). Later builds reuse the tuned config.",
)
@click.option(
    "--vars",
    "dbt_vars",
    default=None,
    metavar="YAML",
    help="dbt vars, e.g. '{neighbour_method: ivf, latent_dim: 16}' (see dbt_project.yml).",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Who reads, types, quarantines and dedupes the catalogue, embeds and clusters every track and "
    "searches the neighbour lists: DuckDB, or Spark through dbt-spark (pip install 'wavehouse[spark]'; "
    "training runs on the driver on a sample of at most train_sample tracks, the marts in "
    "DuckDB either way; docs/spark.md).",
)
@click.option(
    "--master",
    "spark_master",
    default=None,
    metavar="URL",
    help="Spark master for --engine spark: local[2] (default, $WAVEHOUSE_SPARK_MASTER), spark://host:7077, yarn.",
)
@click.option(
    "--listens",
    default=None,
    metavar="PATH",
    help="Listening histories to add: Spotify's download (the zip, or its Streaming_History_*.json), "
    "a ListenBrainz export, a CSV; a folder of one sub-folder or zip per person (docs/listening.md).",
)
@click.option("--listener", default=None, metavar="NAME", help="Name for a single person's export that names no user.")
@click.option("--pseudonymise", is_flag=True, help="Store listeners under stable pseudonyms instead of their names.")
@click.argument("expanded", nargs=-1, required=False, metavar="")
@user_errors
def build(
    data,
    columns,
    encoding,
    full_refresh,
    force,
    verbose,
    tune,
    dbt_vars,
    engine,
    spark_master,
    listens,
    listener,
    pseudonymise,
    expanded,
):
    """Run the dbt project into a private file and publish it atomically.

    Progress: one line per stage with the time since the start and the stage's seconds, and a bar
    for the stages that know their size (training epochs); --verbose shows dbt's own log instead
    (always written to $WAVEHOUSE_HOME/build/logs/dbt.log). Readers of the published warehouse are never disturbed; a failed
    build publishes nothing. Layouts recognised from the header with no flags: the Kaggle 114k
    Spotify Tracks file, the Spotify 600k tracks file (id, name, artists as ['A', 'B']), and the
    layouts of seed projects 003/004 (name_song, name_artists, genres; Positiveness). Required:
    a title, artists and the nine core audio features; everything else is optional.

    When a warehouse is published already, the build is incremental: the published warehouse's
    trained models are reused, only new and changed tracks are embedded and clustered, and the
    neighbour lists are updated exactly. It trains everything again (a full build) with
    --full-refresh, when the model parameters, features or genres changed, or when more than
    incremental_max_change_share of the tracks were added, changed or deleted. When nothing
    changed (the same input files, --vars, code and libraries as the published build) there is
    nothing to do: it says so and builds nothing, unless --force.

    \b
    Examples:
      wavehouse build
      wavehouse build --full-refresh                     # retrain every model
      wavehouse build --force                            # build again though nothing changed
      WAVEHOUSE_HOME=/tmp/wh wavehouse build --data tests/fixtures/tracks_fixture.csv
      wavehouse build --data ~/exports/tracks_600k.csv
      wavehouse build --data ~/exports/parts/            # a folder of CSV or Parquet parts
      wavehouse build --data my.csv --columns track_name=title,artists=artist,valence=mood
      wavehouse build --data old_export.csv --encoding latin-1
      wavehouse build --vars '{neighbour_method: ivf, ivf_probe: 4}'
      wavehouse build --engine spark --master local[2]   # ingest, scoring and neighbours on Spark (docs/spark.md)
      wavehouse build --listens ~/Downloads/my_spotify_data.zip   # then: wavehouse for-you
      wavehouse build --listens history/                 # history/alex/, history/sam.zip: one per person
    """
    import time

    from wavehouse.build import build as run_build
    from wavehouse.build import column_map
    from wavehouse.build.progress import BuildProgress, clock

    if expanded:
        raise click.UsageError(
            f"unexpected arguments {' '.join(expanded[:3])}{' ...' if len(expanded) > 3 else ''}: "
            f"if your shell expanded a glob, quote it (--data 'parts/*.csv') or give the folder (--data parts/)"
        )

    def report(summary):
        click.echo(
            f"rows read {summary.rows_read:,}: kept {summary.rows_kept:,} tracks, "
            f"rejected {summary.rows_rejected:,} (quarantined in int_tracks_rejected), "
            f"merged {summary.duplicates_merged:,} duplicate rows"
        )
        for reason, count in summary.rejected_by_reason:
            click.echo(f"  rejected: {count:>6,}  {reason}")
        for name, read, matched, unmatched, merged, rate in summary.listeners:
            click.echo(
                f"listens of {name}: {read:,} streams read = {matched:,} matched + {unmatched:,} unmatched + "
                f"{merged:,} duplicates merged; {rate or 0:.1%} of the music streams matched the catalogue"
            )
        if summary.listeners:
            click.echo(
                '  (unmatched streams and why: wavehouse sql "from fct_listens_unmatched"; then: wavehouse for-you)'
            )
        if summary.mode:
            click.echo(
                f"{summary.mode} build ({summary.mode_reason}): {summary.tracks_added:,} tracks added, "
                f"{summary.tracks_changed:,} changed, {summary.tracks_deleted:,} deleted"
            )

    progress = None if verbose else BuildProgress()
    started = time.monotonic()
    if progress is not None:
        from wavehouse.paths import build_dir, home

        click.echo(
            f"wavehouse build{' --tune' if tune else ''}: {data or 'the bundled catalogue'} into {home()} "
            f"(dbt's log: {build_dir() / 'logs' / 'dbt.log'}); reading the dbt project ..."
        )
    summary = run_build(
        data=data,
        full_refresh=full_refresh,
        on_built=report,
        dbt_vars=dbt_vars,
        columns=column_map(columns),
        encoding=encoding,
        engine=engine,
        spark_master=spark_master,
        force=force,
        tune=tune,
        progress=progress,
        listens=listens,
        listener=listener,
        pseudonymise=pseudonymise,
    )
    if summary.up_to_date:
        click.secho(
            f"up to date: {summary.published} was built on {summary.built_at} UTC from the same input, "
            f"--vars, code and libraries ({summary.rows_kept:,} tracks); nothing to do "
            f"(wavehouse build --force builds it again)",
            fg="green",
        )
        return
    if progress is not None:
        click.echo(progress.finished())
    click.secho(
        f"published {summary.published}: {summary.rows_kept:,} tracks, {summary.mode or 'full'} build "
        f"in {clock(time.monotonic() - started)}",
        fg="green",
    )
    example = summary.example.replace('"', "") or "a title you know"
    if summary.listeners:
        who = "" if len(summary.listeners) == 1 else f" --listener {shlex.quote(summary.listeners[0][0])}"
        click.echo(f"next: wavehouse for-you{who}   (then: wavehouse listeners; wavehouse serve: /listener/<name>)")
        return
    click.echo(
        f'next: wavehouse recommend "{example}"   (then: wavehouse clusters, wavehouse serve, '
        f'wavehouse sql "from dim_clusters")'
    )


@click.command()
@click.option("--data", default=None, metavar="PATH", help="The catalogue to tune on and build (as for `build`).")
@click.option("--columns", "columns", default=None, metavar="OURS=THEIRS,...", help="As for `build`.")
@click.option("--encoding", default=None, type=click.Choice(["utf-8", "latin-1", "utf-16"]), help="As for `build`.")
@click.option(
    "--vars",
    "dbt_vars",
    default=None,
    metavar="YAML",
    help="dbt vars, e.g. the search space: '{genre_head_search: [{width: 256}, {width: 512}]}'.",
)
@click.option("-n", "--limit", type=click.IntRange(1), default=12, show_default=True, help="Search rows to show.")
@format_option
@user_errors
@click.pass_context
def tune(ctx, data, columns, encoding, dbt_vars, limit, fmt):
    """Search the audio embedding's genre-head config and the hybrid mix on your catalogue, then
    build and publish the warehouse with their choice (a full build).

    A build trains the config in dbt_project.yml (vars genre_head, hybrid_audio_weight: the choices
    of the search recorded on the bundled catalogue, docs/tuning.md). Tuning scores each config of
    genre_head_search and each hybrid mix of hybrid_audio_weights on the validation band of the
    training songs (held-out songs are never read), on at most search_sample tracks. The chosen
    config is stored in the warehouse (ml_genre_head_tuning) and every later build, full ones
    included, reuses it until you tune again (or build with --vars '{use_tuned_config: false}').
    `ml_runs.config_source` says which config each build used. It takes several minutes: each
    candidate trains a network (on the bundled catalogue: 9.5 minutes of searching, 14.5 in all).

    \b
    Examples:
      wavehouse tune
      wavehouse tune --data ~/exports/tracks.csv
      wavehouse tune --vars '{genre_head_search: [{width: 256}, {width: 512, lr: 0.01}], search_sample: 50000}'
      wavehouse sql "select * from ml_genre_head_tuning where is_chosen"
    """
    from wavehouse import lookup

    ctx.invoke(
        build,
        data=data,
        columns=columns,
        encoding=encoding,
        full_refresh=False,
        force=False,
        verbose=False,
        tune=True,
        dbt_vars=dbt_vars,
        engine="duckdb",
        spark_master=None,
        expanded=(),
    )
    with lookup.opened() as con:
        columns_out, rows = lookup.tuning(con, limit)
    if not rows:
        click.echo(
            "the catalogue has no genres: there is no audio embedding to tune (recommendations use the "
            "unsupervised autoencoder)"
        )
        return
    echo_rows(columns_out, rows, fmt)


@click.command()
@user_errors
def publish():
    """Publish the result of a plain `dbt build` (run in dbt_project/).

    \b
    Example:
      (cd dbt_project && dbt build) && wavehouse publish
    """
    from wavehouse.build.publish import publish as run_publish

    click.secho(f"published {run_publish()}", fg="green")

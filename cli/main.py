"""The wavehouse command line. Every command is a thin layer over the `wavehouse` library.

Look-up commands import only click and duckdb; build commands import dbt (and, through the dbt
Python models, torch and scikit-learn) lazily.
"""

from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path

import click

from wavehouse import __version__
from wavehouse.paths import WavehouseError

from .output import echo_rows, format_option, playlist_text, render


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
      wavehouse build --data my.csv.gz     # your own catalogue (CSV, Parquet, a folder)
      wavehouse sql "select count(*) from dim_tracks"
      wavehouse rejects                    # quarantined records and why
      wavehouse search "ghost acoustic"
      wavehouse recommend "ghost acoustic" -k 10 --explain
      wavehouse playlist --mood calm --format m3u > calm.m3u
      wavehouse clusters
      wavehouse evaluate

    The warehouse lives in $WAVEHOUSE_HOME (default ~/.local/share/wavehouse, or
    $XDG_DATA_HOME/wavehouse); `wavehouse info` prints where.
    """


@cli.command()
@click.option("--data", default=None, metavar="PATH",
              help="Your catalogue: a CSV (.gz/.zst too) or Parquet file, a folder of them, or a glob "
                   "('exports/*.csv'). Default: the bundled 114k Spotify catalogue.")
@click.option("--columns", "columns", default=None, metavar="OURS=THEIRS,...",
              help="Map columns the known layouts do not recognise, e.g. track_name=title,artists=artist.")
@click.option("--encoding", default=None, type=click.Choice(["utf-8", "latin-1", "utf-16"]),
              help="Text encoding of CSV input (default utf-8).")
@click.option("--full-refresh", is_flag=True,
              help="Retrain every model. Without it, a build after a published one is incremental when at "
                   "most incremental_max_change_share (20%) of the tracks changed (docs/scaling.md).")
@click.option("--force", is_flag=True,
              help="Build even when the published warehouse was built from the same input files, --vars, code "
                   "and libraries (otherwise there is nothing to do, and nothing is built).")
@click.option("-v", "--verbose", is_flag=True,
              help="Show dbt's own log (every model and test) instead of one line per stage.")
@click.option("--tune", is_flag=True,
              help="Run the genre-head and hybrid-mix searches first and train on their choice (a full build; "
                   "the same as `wavehouse tune`). Later builds reuse the tuned config.")
@click.option("--vars", "dbt_vars", default=None, metavar="YAML",
              help="dbt vars, e.g. '{neighbour_method: ivf, latent_dim: 16}' (see dbt_project.yml).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Who reads, types, quarantines and dedupes the catalogue, embeds and clusters every track and "
                   "searches the neighbour lists: DuckDB, or Spark through dbt-spark (pip install 'wavehouse[spark]'; "
                   "training runs on the driver on a sample of at most train_sample tracks, the marts in "
                   "DuckDB either way; docs/spark.md).")
@click.option("--master", "spark_master", default=None, metavar="URL",
              help="Spark master for --engine spark: local[2] (default, $WAVEHOUSE_SPARK_MASTER), spark://host:7077, yarn.")
@click.argument("expanded", nargs=-1, required=False, metavar="")
@user_errors
def build(data, columns, encoding, full_refresh, force, verbose, tune, dbt_vars, engine, spark_master, expanded):
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
    """
    import time

    from wavehouse.build import build as run_build, column_map
    from wavehouse.progress import BuildProgress, clock

    if expanded:
        raise click.UsageError(f"unexpected arguments {' '.join(expanded[:3])}{' ...' if len(expanded) > 3 else ''}: "
                               f"if your shell expanded a glob, quote it (--data 'parts/*.csv') or give the folder (--data parts/)")

    def report(summary):
        click.echo(f"rows read {summary.rows_read:,}: kept {summary.rows_kept:,} tracks, "
                   f"rejected {summary.rows_rejected:,} (quarantined in int_tracks_rejected), "
                   f"merged {summary.duplicates_merged:,} duplicate rows")
        for reason, count in summary.rejected_by_reason:
            click.echo(f"  rejected: {count:>6,}  {reason}")
        if summary.mode:
            click.echo(f"{summary.mode} build ({summary.mode_reason}): {summary.tracks_added:,} tracks added, "
                       f"{summary.tracks_changed:,} changed, {summary.tracks_deleted:,} deleted")

    progress = None if verbose else BuildProgress()
    started = time.monotonic()
    if progress is not None:
        from wavehouse.paths import build_dir, home

        click.echo(f"wavehouse build{' --tune' if tune else ''}: {data or 'the bundled catalogue'} into {home()} "
                   f"(dbt's log: {build_dir() / 'logs' / 'dbt.log'}); reading the dbt project ...")
    summary = run_build(data=data, full_refresh=full_refresh, on_built=report, dbt_vars=dbt_vars,
                        columns=column_map(columns), encoding=encoding, engine=engine, spark_master=spark_master,
                        force=force, tune=tune, progress=progress)
    if summary.up_to_date:
        click.secho(f"up to date: {summary.published} was built on {summary.built_at} UTC from the same input, "
                    f"--vars, code and libraries ({summary.rows_kept:,} tracks); nothing to do "
                    f"(wavehouse build --force builds it again)", fg="green")
        return
    if progress is not None:
        click.echo(progress.finished())
    click.secho(f"published {summary.published}: {summary.rows_kept:,} tracks, {summary.mode or 'full'} build "
                f"in {clock(time.monotonic() - started)}", fg="green")
    example = summary.example.replace('"', "") or "a title you know"
    click.echo(f'next: wavehouse recommend "{example}"   (then: wavehouse clusters, wavehouse serve, '
               f'wavehouse sql "from dim_clusters")')


@cli.command()
@click.option("--data", default=None, metavar="PATH", help="The catalogue to tune on and build (as for `build`).")
@click.option("--columns", "columns", default=None, metavar="OURS=THEIRS,...", help="As for `build`.")
@click.option("--encoding", default=None, type=click.Choice(["utf-8", "latin-1", "utf-16"]), help="As for `build`.")
@click.option("--vars", "dbt_vars", default=None, metavar="YAML",
              help="dbt vars, e.g. the search space: '{genre_head_search: [{width: 256}, {width: 512}]}'.")
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
    from wavehouse import db, queries

    ctx.invoke(build, data=data, columns=columns, encoding=encoding, full_refresh=False, force=False, verbose=False,
               tune=True, dbt_vars=dbt_vars, engine="duckdb", spark_master=None, expanded=())
    con = db.connect()
    try:
        columns_out, rows = db.query(con, queries.TUNING, [limit])
    finally:
        con.close()
    if not rows:
        click.echo("the catalogue has no genres: there is no audio embedding to tune (recommendations use the "
                   "unsupervised autoencoder)")
        return
    echo_rows(columns_out, rows, fmt)


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
    _show_rows("REJECTED_ROWS", limit, fmt)


def _show_rows(name, limit, fmt):
    from wavehouse import db, queries

    con = db.connect()
    try:
        columns, rows = db.query(con, getattr(queries, name), [limit])
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
    _show_rows("REJECTED_ROWS" if rejected else "TRACKS", limit, fmt)


@cli.command()
@format_option
@user_errors
def info(fmt):
    """Where the warehouse lives and what it holds: paths, build time, input and its layout, counts.

    \b
    Examples:
      wavehouse info
      duckdb -readonly "$(wavehouse info --format json | jq -r .published)"
    """
    from wavehouse import db, paths

    facts = {"home": str(paths.home()), "published": str(paths.published_db()),
             "dbt_project": str(paths.project_dir()), "bundled_data": str(paths.default_data())}
    if paths.published_db().is_file():
        con = db.connect()
        try:
            _, rows = db.query(con, """select (select max(started_at) from ml_runs), (select count(*) from dim_tracks),
                                              (select count(*) from int_tracks_rejected), (select count(*) from dim_clusters),
                                              (select any_value(input ->> 'path') from ml_runs),
                                              (select any_value(input ->> 'layout') from ml_runs),
                                              (select any_value(has_genres) from ml_runs)""")
        finally:
            con.close()
        built, n_tracks, n_rejected, n_clusters, source, layout, has_genres = rows[0]
        facts.update(built_at_utc=str(built), input=source, layout=layout, genres=has_genres,
                     tracks=n_tracks, rejected_rows=n_rejected, clusters=n_clusters)
    else:
        facts["built_at_utc"] = "not built yet: run `wavehouse build`"
    if fmt == "json":
        click.echo(json.dumps(facts, indent=2))
    else:
        echo_rows(["name", "value"], list(facts.items()), fmt)


# ---------------------------------------------------------------- look-ups (click + duckdb only)

def _lookup(fn):
    """Open the published warehouse read-only for the command, close it after."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        from wavehouse import db

        con = db.connect()
        try:
            return fn(con, *args, **kwargs)
        finally:
            con.close()
    return wrapper


def _resolve_all(con, terms, pick=None):
    """Track ids for the TRACKS arguments; says on stderr which track a search picked (and how to
    choose another), lists the candidates and exits 1 when they are truly tied."""
    from wavehouse.lookup import AmbiguousTrack, resolve_track

    ids = []
    for term in terms:
        try:
            found = resolve_track(con, term, pick)
        except AmbiguousTrack as exc:
            click.secho(f"Error: {exc}", err=True, fg="red")
            click.echo(render(*exc.candidates), err=True)
            sys.exit(1)
        if found.others:
            click.echo(f"{term!r}: picked {found.describe()}, best of {found.others + 1} matches; "
                       f"choose another with --pick N (see wavehouse search {term!r}) or its track_id", err=True)
        ids.append(found.track_id)
    return ids


@cli.command()
@click.argument("text")
@click.option("-n", "-k", "--limit", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Results to show (-k as in `recommend` and the API's k).")
@format_option
@user_errors
@_lookup
def search(con, text, limit, fmt):
    """Find tracks by what you would type: "title", "title artist", "Artist - Title", "Title by
    Artist", or a Spotify id, URI or link. Case, accents, "feat." and punctuation do not matter.
    Ranked by how well the title and artist words match, then popularity; one row per song.
    The `pick` column is what `wavehouse recommend --pick N` takes.

    \b
    Examples:
      wavehouse search "shape of you"
      wavehouse search "Queen - Bohemian Rhapsody"
      wavehouse search "halo beyonce" --format json
    """
    from wavehouse.lookup import search as run_search, suggestions

    columns, rows = run_search(con, text, limit)
    if not rows:
        click.secho(f"Error: no track matches {text!r}. Did you mean:", err=True, fg="red")
        for line in suggestions(con, text):
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    echo_rows(["pick", *columns], [(i, *r) for i, r in enumerate(rows, 1)], fmt)


@cli.command()
@click.argument("tracks", nargs=-1, required=True)
@click.option("-k", "--count", "k", type=click.IntRange(1, 500), default=10, show_default=True, help="How many.")
@click.option("--same-cluster", is_flag=True, help="Only tracks in the seed's cluster.")
@click.option("--per-cluster", is_flag=True, help="Seed 000's scheme: 11 nearest in the cluster + 3 from each other cluster.")
@click.option("--exclude-artist", is_flag=True, help="Leave out the seeds' own artists.")
@click.option("--max-per-artist", type=click.IntRange(1), default=None, help="At most N tracks per artist.")
@click.option("--mood", default=None, help="Only tracks of this mood (see `wavehouse sql \"from moods\"`).")
@click.option("--explicit/--no-explicit", default=None, help="Only explicit / only clean tracks.")
@click.option("--min-popularity", type=click.IntRange(0, 100), default=0, show_default=True)
@click.option("--max-popularity", type=click.IntRange(0, 100), default=100, show_default=True)
@click.option("--diverse", is_flag=True, help="Re-rank for variety (maximal marginal relevance over the embeddings).")
@click.option("--embedding", type=click.Choice(["hybrid", "audio", "unsupervised"]), default=None,
              help="hybrid: sound + the genres of the artists' other tracks (the default); audio: sound "
                   "alone; unsupervised: the autoencoder, no genre labels (see `wavehouse sql \"from "
                   "rpt_evaluation_by_embedding\"`).")
@click.option("--explain", is_flag=True, help="Show why: features that agree/differ most, shared genres.")
@click.option("--pick", type=click.IntRange(1), default=None,
              help="Take the Nth match of a search string (as numbered by `wavehouse search`).")
@format_option
@user_errors
@_lookup
def recommend(con, tracks, k, same_cluster, per_cluster, exclude_artist, max_per_artist, mood, explicit,
              min_popularity, max_popularity, diverse, embedding, explain, pick, fmt):
    """Recommend tracks like TRACKS: track ids, Spotify URIs or links, or what you would type
    ("title", "title artist", "Artist - Title", "Title by Artist"). Several seeds combine. A search
    takes its clearly best match and says so on stderr; truly tied matches are listed (exit 1).

    \b
    Examples:
      wavehouse recommend 4qPNDBW1i3p13qLCt0Ki3A
      wavehouse recommend "Ed Sheeran - Shape of You"
      wavehouse recommend "shape of you" --pick 2
      wavehouse recommend spotify:track:7qiZfU4dY1lWllzX7mPBI3
      wavehouse recommend "ghost acoustic" -k 20 --exclude-artist --max-per-artist 1 --explain
      wavehouse recommend "ghost acoustic" "comedy gen hoshino" --mood calm --no-explicit
      wavehouse recommend 4qPNDBW1i3p13qLCt0Ki3A --per-cluster
      wavehouse recommend 4qPNDBW1i3p13qLCt0Ki3A --diverse --format json
      wavehouse recommend "Ed Sheeran - Shape of You" --embedding audio
    """
    from wavehouse import lookup

    if per_cluster and (same_cluster or len(tracks) > 1 or embedding):
        raise click.UsageError("--per-cluster takes one seed track and no --same-cluster or --embedding")
    kind = lookup.resolve_embedding(con, embedding)
    seed_ids = _resolve_all(con, tracks, pick)
    if per_cluster:
        columns, rows = lookup.recommend_per_cluster(con, seed_ids[0])
    else:
        filters = lookup.Filters(exclude_artist, max_per_artist, explicit, min_popularity, max_popularity, mood,
                                 same_cluster, kind)
        run = lookup.recommend_diverse if diverse else lookup.recommend
        columns, rows = run(con, seed_ids, k, filters)
        keep = ["rank", "track_id", "track_name", "artists", "primary_genre", "similarity", "cluster_name", "mood"]
        if fmt != "table":
            keep += ["genres", "n_seeds", "popularity", "explicit", "cluster_id"]
        index = [columns.index(c) for c in keep]
        columns, rows = keep, [tuple(r[i] for i in index) for r in rows]
    if explain and rows:
        why = lookup.explain(con, seed_ids[0], [r[columns.index("track_id")] for r in rows])
        columns = columns + ["agree_most", "differ_most", "shared_genres"]
        rows = [r + tuple(why.get(r[columns.index("track_id")], (None, None, None))) for r in rows]
    echo_rows(columns, rows, fmt)


@cli.command()
@click.argument("start")
@click.argument("end")
@click.option("--steps", type=click.IntRange(3, 100), default=12, show_default=True,
              help="Tracks in the path, both ends included.")
@click.option("--pick", type=click.IntRange(1), default=None, help="Take the Nth match of a search string.")
@format_option
@user_errors
@_lookup
def path(con, start, end, steps, pick, fmt):
    """A path of tracks from START to END that moves smoothly through the embedding space: the
    nearest unused song to each of STEPS evenly spaced points on the line between them, no song
    twice; each step's similarity to its point, to the previous track and to END.

    \b
    Examples:
      wavehouse path "ghost acoustic" "bohemian rhapsody"
      wavehouse path 4qPNDBW1i3p13qLCt0Ki3A 7qiZfU4dY1lWllzX7mPBI3 --steps 8 --format json
    """
    from wavehouse import lookup

    a, b = _resolve_all(con, [start, end], pick)
    echo_rows(*lookup.song_path(con, a, b, steps), fmt)


@cli.command()
@click.argument("cluster", required=False)
@click.option("--mood", default=None, help="A mood playlist, or only this mood inside CLUSTER.")
@click.option("--sub", "sub_cluster", type=int, default=None, help="A sub-cluster of CLUSTER.")
@click.option("-n", "--size", type=click.IntRange(1, 1000), default=20, show_default=True, help="Tracks.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "m3u", "uris"]), default="table",
              show_default=True, help="m3u: a playlist file; uris: Spotify URIs to paste into Spotify.")
@user_errors
@_lookup
def playlist(con, cluster, mood, sub_cluster, size, fmt):
    """A playlist: the tracks nearest a cluster's centre (CLUSTER is an id or part of its name),
    or a mood's.

    \b
    Examples:
      wavehouse playlist 3
      wavehouse playlist "chill" -n 40 --format m3u > chill.m3u
      wavehouse playlist --mood party --format uris
    """
    from wavehouse import lookup

    columns, rows = lookup.playlist(con, cluster, mood, size, sub_cluster)
    if not rows:
        raise WavehouseError("the playlist is empty (is the mood rare in this cluster?)")
    if fmt in ("m3u", "uris"):
        click.echo(playlist_text(columns, rows, fmt))
    else:
        echo_rows(columns, rows, fmt)


@cli.command()
@click.option("--method", default=None, help="kmeans_embedding (default), kmeans_features, kmeans_pca or dbscan_pca.")
@format_option
@user_errors
@_lookup
def clusters(con, method, fmt):
    """List the clusters with their automatic names, sizes and profiles.

    \b
    Examples:
      wavehouse clusters
      wavehouse clusters --method dbscan_pca --format json
    """
    from wavehouse import lookup

    echo_rows(*lookup.clusters(con, method), fmt)


@cli.command()
@click.argument("cluster")
@format_option
@user_errors
@_lookup
def cluster(con, cluster, fmt):
    """One cluster: name, size, top genres and artists, z-score profile, SHAP drivers, neighbours.

    \b
    Example:
      wavehouse cluster 3
    """
    from wavehouse import lookup

    sections = lookup.cluster_detail(con, cluster)
    if fmt == "json":
        click.echo(json.dumps({name: json.loads(render(*rows, "json")) for name, rows in sections.items()},
                                     indent=2, ensure_ascii=False))
        return
    for name, rows in sections.items():
        click.secho(f"\n{name}", bold=True)
        echo_rows(*rows, fmt)


@cli.command()
@click.option("--by-embedding", is_flag=True,
              help="Each embedding (hybrid, audio, autoencoder, genre_aware) on the same held-out queries, "
                   "by whether the query's artists have other labelled tracks.")
@format_option
@user_errors
@_lookup
def evaluate(con, by_embedding, fmt):
    """Recommendation quality: genre hit rates@10 under several protocols, same-song rate, coverage.

    \b
    Examples:
      wavehouse evaluate
      wavehouse evaluate --format json
      wavehouse evaluate --by-embedding
    """
    from wavehouse import lookup

    if by_embedding:
        echo_rows(*lookup.evaluation_by_embedding(con), fmt)
        return
    columns, rows = lookup.evaluation(con)
    if fmt == "json":
        click.echo(json.dumps({metric: value for metric, value, _ in rows}, indent=2))
    else:
        echo_rows(columns, rows, fmt)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only; 0.0.0.0 to share on your network).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes. Each holds its own read-only connection and in-memory indexes "
                   "(about 0.5 GB at 114k tracks); with several clients, one per core (search and "
                   "recommend are Python work that one process runs a request at a time).")
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

    from wavehouse import db
    from wavehouse.web.app import create_app

    db.connect().close()           # a clear error now if nothing is built yet
    click.echo(f"wavehouse: serving {db.published_db()} on http://{host}:{port} (API docs: /docs)", err=True)
    options = dict(host=host, port=port, log_level="warning", http="httptools", loop="uvloop")
    if workers == 1:
        uvicorn.run(create_app(), **options)
    else:   # each worker process builds its own app (uvicorn imports the factory by name)
        uvicorn.run("wavehouse.web.app:create_app", factory=True, workers=workers, **options)


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write the HTML (default $WAVEHOUSE_HOME/report.html).")
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

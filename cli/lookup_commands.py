"""The look-up commands: `search`, `recommend` and `path`. Each parses its options, asks wavehouse.lookup and renders the rows; they import only
click and duckdb."""

from __future__ import annotations

import sys

import click

from .output import echo_rows, format_option, render, user_errors, with_warehouse


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
            click.echo(
                f"{term!r}: picked {found.describe()}, best of {found.others + 1} matches; "
                f"choose another with --pick N (see wavehouse search {term!r}) or its track_id",
                err=True,
            )
        ids.append(found.track_id)
    return ids


@click.command()
@click.argument("text")
@click.option(
    "-n",
    "-k",
    "--limit",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Results to show (-k as in `recommend` and the API's k).",
)
@format_option
@user_errors
@with_warehouse
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
    from wavehouse.lookup import search as run_search
    from wavehouse.lookup import suggestions

    columns, rows = run_search(con, text, limit)
    if not rows:
        click.secho(f"Error: no track matches {text!r}. Did you mean:", err=True, fg="red")
        for line in suggestions(con, text):
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    echo_rows(["pick", *columns], [(i, *r) for i, r in enumerate(rows, 1)], fmt)


@click.command()
@click.argument("tracks", nargs=-1, required=True)
@click.option("-k", "--count", "k", type=click.IntRange(1, 500), default=10, show_default=True, help="How many.")
@click.option("--same-cluster", is_flag=True, help="Only tracks in the seed's cluster.")
@click.option(
    "--per-cluster", is_flag=True, help="Seed 000's scheme: 11 nearest in the cluster + 3 from each other cluster."
)
@click.option("--exclude-artist", is_flag=True, help="Leave out the seeds' own artists.")
@click.option("--max-per-artist", type=click.IntRange(1), default=None, help="At most N tracks per artist.")
@click.option("--mood", default=None, help='Only tracks of this mood (see `wavehouse sql "from moods"`).')
@click.option("--explicit/--no-explicit", default=None, help="Only explicit / only clean tracks.")
@click.option("--min-popularity", type=click.IntRange(0, 100), default=0, show_default=True)
@click.option("--max-popularity", type=click.IntRange(0, 100), default=100, show_default=True)
@click.option("--diverse", is_flag=True, help="Re-rank for variety (maximal marginal relevance over the embeddings).")
@click.option(
    "--embedding",
    type=click.Choice(["hybrid", "audio", "unsupervised"]),
    default=None,
    help="hybrid: sound + the genres of the artists' other tracks (the default); audio: sound "
    'alone; unsupervised: the autoencoder, no genre labels (see `wavehouse sql "from '
    'rpt_evaluation_by_embedding"`).',
)
@click.option(
    "--explain",
    is_flag=True,
    help="Show why, in words (shared artists, genres and mood, the closest features and the largest differences with both values), and as data.",
)
@click.option(
    "--pick",
    type=click.IntRange(1),
    default=None,
    help="Take the Nth match of a search string (as numbered by `wavehouse search`).",
)
@format_option
@user_errors
@with_warehouse
def recommend(
    con,
    tracks,
    k,
    same_cluster,
    per_cluster,
    exclude_artist,
    max_per_artist,
    mood,
    explicit,
    min_popularity,
    max_popularity,
    diverse,
    embedding,
    explain,
    pick,
    fmt,
):
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

    if per_cluster and lookup.per_cluster_conflict(len(tracks), same_cluster, embedding):
        raise click.UsageError("--per-cluster takes one seed track and no --same-cluster or --embedding")
    kind = lookup.resolve_embedding(con, embedding)
    seed_ids = _resolve_all(con, tracks, pick)
    filters = lookup.Filters(
        exclude_artist, max_per_artist, explicit, min_popularity, max_popularity, mood, same_cluster, kind
    )
    answer = lookup.recommendations(con, seed_ids, k, filters, diverse, per_cluster, explain)
    columns, rows = answer.rows
    if not per_cluster:
        keep = ["rank", "track_id", "track_name", "artists", "primary_genre", "similarity", "cluster_name", "mood"]
        if fmt != "table":
            keep += ["genres", "n_seeds", "popularity", "explicit", "cluster_id"]
        index = [columns.index(c) for c in keep]
        columns, rows = keep, [tuple(r[i] for i in index) for r in rows]
    if not answer.why:
        return echo_rows(columns, rows, fmt)
    track = columns.index("track_id")
    # a table shows the data columns of why and, under it, the words in full (a column cuts them)
    shown = [c for c in lookup.WHY_COLUMNS if fmt != "table" or c != "because"]
    echo_rows(columns + shown, [r + tuple(answer.why[r[track]][c] for c in shown) for r in rows], fmt)
    if fmt == "table":
        click.echo("\nwhy, in words:")
        for rank, r in enumerate(rows, 1):
            click.echo(f"  {rank}. {r[columns.index('track_name')]}: {answer.why[r[track]]['because']}")


@click.command()
@click.argument("start")
@click.argument("end")
@click.option(
    "--steps",
    type=click.IntRange(3, 100),
    default=12,
    show_default=True,
    help="Tracks in the path, both ends included.",
)
@click.option("--pick", type=click.IntRange(1), default=None, help="Take the Nth match of a search string.")
@format_option
@user_errors
@with_warehouse
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

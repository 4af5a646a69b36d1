"""`wavehouse for-you` and `wavehouse listeners`: a person's recommendations and who is in the
warehouse (a build with --listens). They parse options, ask wavehouse.lookup and render the rows."""

from __future__ import annotations

import click

from .output import echo_rows, format_option, user_errors, with_warehouse


@click.command("for-you")
@click.option(
    "--listener",
    default=None,
    metavar="NAME",
    help="Whose (a name from `wavehouse listeners`); the only one if omitted.",
)
@click.option("-k", "--count", "k", type=click.IntRange(1, 200), default=10, show_default=True, help="How many.")
@click.option(
    "--discovery",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="0 favours artists you play, 0.5 is neutral, 1 leaves them out.",
)
@click.option("--max-per-artist", type=click.IntRange(1), default=None, help="At most this many tracks per artist.")
@click.option("--mood", default=None, help="Only tracks of this mood (see `wavehouse moods`).")
@click.option("--no-explicit", is_flag=True, help="Leave out explicit tracks.")
@click.option("--min-popularity", type=click.IntRange(0, 100), default=0, help="Only tracks at least this popular.")
@click.option("--max-popularity", type=click.IntRange(0, 100), default=100, help="Only tracks at most this popular.")
@format_option
@user_errors
@with_warehouse
def for_you(con, listener, k, discovery, max_per_artist, mood, no_explicit, min_popularity, max_popularity, fmt):
    """Recommendations for a person, from their listening history: drawn from each of their taste
    centres in proportion, never a song they already played, with why (the tracks of theirs each
    one is near). The same rows as `select * from recommend_for('NAME')` in SQL.

    \\b
    Examples:
      wavehouse build --listens ~/Downloads/my_spotify_data.zip
      wavehouse for-you
      wavehouse for-you --listener alex -k 20 --discovery 1     # only artists alex never played
      wavehouse for-you --max-per-artist 1 --mood calm --format json
    """
    from wavehouse import lookup

    knobs = lookup.ForYou(
        discovery=discovery,
        max_per_artist=max_per_artist,
        explicit=False if no_explicit else None,
        min_popularity=min_popularity,
        max_popularity=max_popularity,
        mood=mood,
    )
    echo_rows(*lookup.recommend_for(con, listener, k, knobs), fmt)


@click.command()
@format_option
@user_errors
@with_warehouse
def listeners(con, fmt):
    """The listeners in the warehouse (dim_listeners): plays, skips, match rate, when.

    \\b
    Examples:
      wavehouse listeners
      wavehouse sql "select * from rpt_listening where dimension = 'artist' order by plays desc limit 10"
    """
    from wavehouse import lookup

    echo_rows(*lookup.listeners(con), fmt)

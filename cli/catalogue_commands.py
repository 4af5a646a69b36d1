"""The catalogue commands: `playlist`, `clusters`, `cluster` and `evaluate`. Each parses its
options, asks wavehouse.lookup and renders the rows; they import only click and duckdb."""

from __future__ import annotations

import json

import click

from wavehouse.errors import WavehouseError

from .output import echo_rows, format_option, render, user_errors, with_warehouse


@click.command()
@click.argument("cluster", required=False)
@click.option("--mood", default=None, help="A mood playlist, or only this mood inside CLUSTER.")
@click.option("--sub", "sub_cluster", type=int, default=None, help="A sub-cluster of CLUSTER.")
@click.option("-n", "--size", type=click.IntRange(1, 1000), default=20, show_default=True, help="Tracks.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "m3u", "uris"]),
    default="table",
    show_default=True,
    help="m3u: a playlist file; uris: Spotify URIs to paste into Spotify.",
)
@user_errors
@with_warehouse
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
        click.echo(lookup.playlist_text(columns, rows, fmt))
    else:
        echo_rows(columns, rows, fmt)


@click.command()
@click.option("--method", default=None, help="kmeans_embedding (default), kmeans_features, kmeans_pca or dbscan_pca.")
@format_option
@user_errors
@with_warehouse
def clusters(con, method, fmt):
    """List the clusters with their automatic names, sizes and profiles.

    \b
    Examples:
      wavehouse clusters
      wavehouse clusters --method dbscan_pca --format json
    """
    from wavehouse import lookup

    echo_rows(*lookup.clusters(con, method), fmt)


@click.command()
@click.argument("cluster")
@format_option
@user_errors
@with_warehouse
def cluster(con, cluster, fmt):
    """One cluster: name, size, top genres and artists, z-score profile, SHAP drivers, neighbours.

    \b
    Example:
      wavehouse cluster 3
    """
    from wavehouse import lookup

    sections = lookup.cluster_detail(con, cluster)
    if fmt == "json":
        click.echo(
            json.dumps(
                {name: json.loads(render(*rows, "json")) for name, rows in sections.items()},
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for name, rows in sections.items():
        click.secho(f"\n{name}", bold=True)
        echo_rows(*rows, fmt)


@click.command()
@click.option(
    "--by-embedding",
    is_flag=True,
    help="Each embedding (hybrid, audio, autoencoder, genre_aware) on the same held-out queries, "
    "by whether the query's artists have other labelled tracks.",
)
@click.option(
    "--listeners",
    "for_listeners",
    is_flag=True,
    help="recommend_for on each listener's own history (a time split) against popularity and random "
    "(rpt_listener_evaluation; needs a build with --listens).",
)
@format_option
@user_errors
@with_warehouse
def evaluate(con, by_embedding, for_listeners, fmt):
    """Recommendation quality: genre hit rates@10 under several protocols, same-song rate, coverage.

    \b
    Examples:
      wavehouse evaluate
      wavehouse evaluate --format json
      wavehouse evaluate --by-embedding
      wavehouse evaluate --listeners
    """
    from wavehouse import lookup

    if by_embedding:
        echo_rows(*lookup.evaluation_by_embedding(con), fmt)
        return
    if for_listeners:
        echo_rows(*lookup.listener_evaluation(con), fmt)
        return
    columns, rows = lookup.evaluation(con)
    if fmt == "json":
        click.echo(json.dumps({metric: value for metric, value, _ in rows}, indent=2))
    else:
        echo_rows(columns, rows, fmt)

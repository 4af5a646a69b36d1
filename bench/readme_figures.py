"""Regenerate every figure of README.md and docs/*.md from a built warehouse and the latest benchmark
runs, so the pages never drift from what the code does. Each block sits between
`<!-- figures:NAME -->` and `<!-- /figures:NAME -->` in whichever page shows it and is replaced whole.

    wavehouse build                       # the bundled catalogue, at the commit to document
    python bench/run.py                   # optional: refreshes bench/results/latest.json
    python bench/readme_figures.py        # rewrites the blocks of README.md and docs/ (--check: exit 1 if stale)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import table as bench_table  # noqa: E402  (bench/table.py renders the benchmark tables)

# dbt vars renamed since a stored bench run: its text is shown under the current name
RENAMED_VARS = {"spark_train_sample": "train_sample"}


def current_names(text: str) -> str:
    for old, new in RENAMED_VARS.items():
        text = re.sub(rf"\b{old}\b", new, text)
    return text


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def markdown(header: list[str], body: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in r) + " |" for r in body]
    return "\n".join(lines)


def block_provenance(con, commit: str, bench: dict) -> str:
    (started,) = rows(con, "select max(started_at) from ml_runs")[0]
    run = f" (run started {bench['started']})" if bench.get("started") else ""
    return (
        f"Figures in this README and docs/ come from a build of commit `{commit}` on the bundled catalogue "
        f"(started {started:%Y-%m-%d %H:%M} UTC) and from the benchmark's `bench/results/latest.json`{run}; "
        "`python bench/readme_figures.py` rewrites them."
    )


def block_build(con) -> str:
    read, kept, rejected, merged = rows(
        con,
        """
        select (select count(*) from stg_spotify__tracks), (select count(*) from dim_tracks),
               (select count(*) from int_tracks_rejected), (select coalesce(sum(n_source_rows - 1), 0) from dim_tracks)""",
    )[0]
    reasons = rows(
        con,
        """select reject_reason, count(*) as n,
                                  arg_min(coalesce('line ' || format('{:,}', source_line), 'row ' || format('{:,}', source_row)), record_number)
                           from int_tracks_rejected group by all order by n desc, reject_reason""",
    )
    why = "; ".join(f"{n:,} `{reason}` (first at {where})" for reason, n, where in reasons) or "none"
    return (
        f"{read:,} rows read: {kept:,} tracks kept (one per distinct valid track_id), {rejected:,} quarantined "
        f"({why}), {merged:,} duplicate rows merged (tracks listed under several genres). "
        f"{read:,} = {kept:,} + {rejected:,} + {merged:,}."
    )


def block_quality(con, bench: dict) -> str:
    peer = bench.get("peer_seed_pipeline", {}).get("genre_hit_rate_at_10")
    values = dict(rows(con, "select metric, value from rpt_evaluation"))
    default = rows(con, "select any_value(embedding_kind) from ml_track_embeddings where is_default")[0][0]
    n_genres = rows(con, "select count(distinct genre_id) from int_ml_inputs where not is_holdout")[0][0]
    labels = [
        ("genre_hit_rate_at_10_heldout", f"genre hit rate@10, held-out songs as queries (default {default} embedding)"),
        (
            "genre_hit_rate_at_10_seed_protocol",
            "genre hit rate@10, seed 001's protocol (name-deduped, every query; audio embedding, sound alone as the seed)",
        ),
        ("genre_hit_rate_at_10_unsupervised", "genre hit rate@10, unsupervised autoencoder, held-out queries"),
        (
            "audio_head_accuracy_heldout",
            f"audio genre head (the audio embedding) top-1 accuracy on held-out tracks ({n_genres} genres)",
        ),
        ("genre_head_accuracy_heldout", "genre_aware autoencoder's genre head top-1 accuracy on held-out tracks"),
        ("duplicate_song_rate_at_10", "a song twice in one top-10 list"),
        ("same_song_rate_at_10", "the seed's own song (another release) in its top-10"),
        ("own_artist_share_at_10", "top-10 recommendations sharing an artist with the seed"),
        ("catalogue_coverage_at_10", "catalogue coverage (tracks in some top-10)"),
    ]
    body = []
    for metric, label in labels:
        if metric in values:
            other = (
                f"{peer:.3f} (measured by bench/run.py)"
                if metric == "genre_hit_rate_at_10_seed_protocol" and peer
                else ""
            )
            body.append((label, f"{values[metric]:.3f}", other))
    return markdown(["metric (`rpt_evaluation`)", "wavehouse", "seed pipeline"], body)


def block_embeddings(con) -> str:
    """rpt_evaluation_by_embedding: every embedding on the same held-out queries, all of them and
    by whether the query's artists have other labelled tracks."""
    body = rows(
        con,
        """
        select embedding_kind || case when is_default then ' (default)' else '' end, query_group, n_queries,
               round(genre_hit_rate_at_10_heldout, 3), round(own_artist_share_at_10, 3),
               round(catalogue_coverage_at_10, 3), round(intra_list_diversity_at_10, 3),
               round(popularity_lift, 3)
        from rpt_evaluation_by_embedding""",
    )
    return markdown(
        [
            "embedding",
            "queries",
            "n",
            "genre hit@10",
            "own artist@10",
            "coverage",
            "intra-list diversity",
            "popularity lift",
        ],
        body,
    )


def block_tuning(con) -> str:
    """ml_genre_head_tuning: the searches behind the audio and hybrid embeddings."""
    heads = rows(
        con,
        """
        select width, depth, epochs, lr, schedule, smote, output, round(validation_hit_at_10, 4),
               round(validation_accuracy, 3), round(seconds, 1), case when is_chosen then 'chosen' else '' end
        from ml_genre_head_tuning where search = 'genre_head' order by candidate_id""",
    )
    mixes = rows(
        con,
        """
        select audio_weight, round(validation_hit_at_10, 4), round(validation_own_artist_share, 4),
               case when is_chosen then 'chosen' else '' end
        from ml_genre_head_tuning where search = 'hybrid_mix' order by candidate_id""",
    )
    return (
        markdown(
            [
                "width",
                "depth",
                "epochs",
                "lr",
                "schedule",
                "SMOTE",
                "embedding = output",
                "validation hit@10",
                "validation top-1",
                "training s",
                "",
            ],
            heads,
        )
        + "\n\nThe hybrid mix (audio weight w; artist evidence from the training songs outside the validation band):\n\n"
        + markdown(["w", "validation hit@10", "validation own-artist share", ""], mixes)
    )


def block_config(con) -> str:
    """The config the audio and hybrid embeddings of this build were trained with, and its source."""
    ((source, run, head, weight),) = rows(
        con,
        """select config_source, config_tuning_run_id, genre_head_config,
                                                       hybrid_audio_weight from ml_runs""",
    )
    config = json.loads(head) if head else {}
    where = (
        "the defaults of `dbt_project.yml` (vars `genre_head`, `hybrid_audio_weight`): this warehouse was never tuned"
        if source == "defaults"
        else f"the searches of tuning run `{run}`"
    )
    fields = ", ".join(f"{k} {v}" for k, v in config.items())
    return f"This build's audio embedding is a genre head with {fields}; the hybrid mix's audio weight is {weight}: {where}."


def block_first_build(report: dict) -> str:
    """bench/first_build.py: the seed pipeline and a first `wavehouse build`, measured in one run."""
    rounds = report["rounds"]
    body = [(i, r["peer"]["seconds"], r["wavehouse"]["seconds"], f"**{r['ratio']}x**") for i, r in enumerate(rounds, 1)]
    machine = report["machine"]
    return (
        f"Run started {report['run_started']} on {machine['cores']} cores, commit `{machine['commit']}` "
        f"(`python bench/first_build.py`, the bundled catalogue, a fresh home: a full build; goal <= 2x):\n\n"
        + markdown(["round", "seed pipeline s", "wavehouse build s", "wavehouse / seed"], body)
    )


def block_first_build_stages(report: dict) -> str:
    """docs/build_time.md: the last round's seconds per stage."""
    last = report["rounds"][-1]["wavehouse"]
    stages = sorted(last["ml_stage_seconds"].items(), key=lambda kv: -kv[1])
    body = [(name, round(seconds, 1)) for name, seconds in stages if seconds >= 0.5]
    body += [
        (f"SQL models (all {len(last['sql_model_seconds'])})", round(sum(last["sql_model_seconds"].values()), 1)),
        ("dbt tests", round(last["dbt_tests_seconds"], 1)),
        (
            "everything else (dbt start and parse, Python models reading and writing tables, publish)",
            round(
                last["seconds"]
                - sum(s for _, s in stages)
                - sum(last["sql_model_seconds"].values())
                - last["dbt_tests_seconds"],
                1,
            ),
        ),
        ("**whole build**", f"**{last['seconds']}**"),
    ]
    quality = [(kind, q["genre_hit_at_10"], q["own_artist_at_10"]) for kind, q in last["quality"].items()]
    return (
        f"Run started {report['run_started']}, commit `{report['machine']['commit']}`, peak RSS "
        f"{last['peak_rss_mb']:,.0f} MB:\n\n"
        + markdown(["stage", "s"], body)
        + "\n\nQuality of that build (rpt_evaluation_by_embedding, held-out queries, group `all`):\n\n"
        + markdown(["embedding", "genre hit@10", "own artist@10"], quality)
    )


def block_clusters(con) -> str:
    k, pca_components, variance, eps, noise = rows(
        con,
        """
        select chosen_k_embedding, pca_components, pca_variance_kept, dbscan_eps, dbscan_noise_share from ml_runs""",
    )[0]
    comparison = rows(
        con,
        """
        select method, n_clusters, round(silhouette, 3), round(davies_bouldin, 3), round(calinski_harabasz, 1),
               round(noise_share, 4)
        from rpt_clustering_comparison order by is_default desc, method""",
    )
    sizes = rows(
        con,
        """
        with counts as (
            select c.method, c.cluster_id, t.primary_genre, count(*) as n
            from ml_track_clusters as c inner join dim_tracks as t using (track_id)
            group by all
        ),
        per_cluster as (
            select method, cluster_id, sum(n) as n, max(n) / sum(n) as purity from counts group by all
        )
        select method, count(*) as clusters, round(max(n) / sum(n), 3),
               round(arg_max(purity, n), 3), round(avg(purity), 3)
        from per_cluster
        group by method
        order by method""",
    )
    named = rows(
        con,
        """select cluster_id, cluster_name, n_tracks, round(share, 3), round(genre_purity, 3)
                         from dim_clusters order by cluster_id""",
    )
    return "\n".join(
        [
            f"Default clustering: KMeans in the embedding, k = {k} (elbow, checked against silhouette and "
            f"Davies-Bouldin). PCA keeps {pca_components} components ({variance:.0%} of the variance); DBSCAN's "
            f"eps at the k-distance knee is {eps:.2f} ({noise:.1%} noise).",
            "",
            markdown(
                ["method", "clusters", "silhouette", "Davies-Bouldin", "Calinski-Harabasz", "noise share"], comparison
            ),
            "",
            "Cluster sizes and genre purity (share of a cluster's tracks in its most common genre; 114 genres, so",
            "a random split gives about 0.01):",
            "",
            markdown(
                [
                    "method",
                    "clusters (DBSCAN: noise counted as one)",
                    "largest cluster's share",
                    "largest cluster's purity",
                    "mean purity",
                ],
                sizes,
            ),
            "",
            markdown(["cluster", "name (`dim_clusters`)", "tracks", "share", "genre purity"], named),
        ]
    )


def block_ingest(ingest: dict) -> str:
    """bench/ingest.py's run: the ingest stage before (line reader) and after (DuckDB's readers)."""
    body = []
    for size, run in ingest["sizes"].items():
        before, after = run["before"], run["after"]
        body.append(
            (
                f"{int(size):,}",
                f"{before['records']:,}",
                before["stage_s_median"],
                after["stage_s_median"],
                f"**{run['after_over_before']}x**",
            )
        )
    return "\n".join(
        [
            f"Run started {ingest['started']}: `{ingest['before_revision']}` (the line-splitting reader) against "
            f"`{ingest['after_revision']}`, median of {ingest['repeat']} alternating runs each "
            "(staging + quarantine models and the run-start checks, dbt node times).",
            "",
            markdown(["rows", "records read", "before s", "after s", "after / before"], body),
        ]
    )


def block_listens(run: dict) -> str:
    """bench/listens.py's run: a decade of one person's streams built in, and recommend_for's latency."""
    read, matched, unmatched, merged, rate = run["streams_read_matched_unmatched_duplicates_rate"]
    body = [
        (
            "staging (unzip, recognise, copy; the build's clock counts whole seconds)",
            run["staging_seconds"] or "< 1",
            "",
        ),
        (
            "reading and matching (the six listening models that read, dedupe, match and count)",
            run["read_and_match_models_seconds"],
            "<= 60 s with staging",
        ),
        ("the whole build with the listens (incremental: the catalogue's models reused)", run["build_seconds"], ""),
        (
            "recommend_for, SQL, warm p50 / p95 ms",
            f"{run['recommend_for_sql']['p50_ms']} / {run['recommend_for_sql']['p95_ms']}",
            "p50 <= 50 ms",
        ),
        (
            "GET /api/listeners/me/recommend, warm p50 / p95 ms",
            f"{run['recommend_for_api']['p50_ms']} / {run['recommend_for_api']['p95_ms']}",
            "p50 <= 10 ms",
        ),
    ]
    return "\n".join(
        [
            f"`python bench/listens.py`, run started {run['started']} on {run['machine']['cores']} cores: "
            f"{run['streams']:,} synthetic streams of one listener (Spotify extended history, a zip of "
            f"16,000-stream files) built into the bundled catalogue's warehouse; {read:,} streams read = "
            f"{matched:,} matched + {unmatched:,} unmatched + {merged:,} duplicates merged (match rate {rate:.1%}).",
            "",
            markdown(["what", "seconds / ms", "goal"], body),
        ]
    )


def block_serve(serve: dict) -> str:
    """bench/serve_load.py's run: single warm requests, 16 clients idle and during a rebuild + publish."""
    single, idle, during = serve["single"], serve["idle"], serve.get("during_rebuild", {})
    by_kind, n = serve["idle_by_kind"], serve["clients"]
    body = [
        (
            "one client, warm: recommend",
            single["recommend"]["p50_ms"],
            single["recommend"]["p99_ms"],
            single["recommend"]["throughput_rps"],
            "< 5 ms p50",
        ),
        (
            "one client, warm: search",
            single["search"]["p50_ms"],
            single["search"]["p99_ms"],
            single["search"]["throughput_rps"],
            "< 10 ms p50",
        ),
        (
            f"{n} clients, idle, recommend only",
            by_kind["recommend"]["p50_ms"],
            by_kind["recommend"]["p99_ms"],
            by_kind["recommend"]["throughput_rps"],
            "< 50 ms p99",
        ),
        (
            f"{n} clients, idle, search only",
            by_kind["search"]["p50_ms"],
            by_kind["search"]["p99_ms"],
            by_kind["search"]["throughput_rps"],
            "< 100 ms p99",
        ),
        (f"{n} clients, idle, mixed: recommend", idle["recommend"]["p50_ms"], idle["recommend"]["p99_ms"], "", ""),
        (f"{n} clients, idle, mixed: search", idle["search"]["p50_ms"], idle["search"]["p99_ms"], "", ""),
        (
            f"{n} clients, idle, mixed: all",
            idle["all"]["p50_ms"],
            idle["all"]["p99_ms"],
            idle["all"]["throughput_rps"],
            "",
        ),
    ]
    sql = serve.get("sql_one_warm_connection", {})
    workers = serve.get("workers", 1)
    lines = [
        f"Run started {serve['started']} on {serve['cores']} cores (load generator on the same cores), "
        f"`wavehouse serve --workers {workers}`, {serve['requests_per_phase']:,} requests per load phase.",
        "",
        markdown(["", "p50 ms", "p99 ms", "requests/s", "goal"], body),
    ]
    if serve.get("server_rss_mb"):
        rss = serve["server_rss_mb"]
        lines += [
            "",
            f"Resident memory after the idle phases: {' and '.join(f'{mb:,.0f} MB' for mb in rss['workers'])} "
            f"per worker process (connection, DuckDB's cache, in-memory indexes), {rss['main']:,.0f} MB the "
            "parent.",
        ]
    if during:
        rebuilt = Path(serve.get("during_rebuild_data", "?")).name
        build = serve.get("during_rebuild_build")
        what = f"an {build['mode']} build of `{rebuilt}`, {build['tracks']:,} tracks" if build else f"of `{rebuilt}`"
        lines += [
            "",
            f"During a rebuild + publish ({what}; asking only for tracks both warehouses hold): "
            f"{during['requests']:,} requests in {during['rounds']} rounds, "
            f"**{during['failed']} failed**, publish seen while loaded: {during['published_during_load']}, "
            f"worst round p99 {during['p99_ms_worst_round']} ms.",
        ]
    if sql:
        lines += [
            "",
            "The same look-ups as SQL on one warm connection (what a SQL client pays): "
            + ", ".join(f"`{name}` p50 {v['p50_ms']} ms" for name, v in sql.items())
            + ".",
        ]
    return "\n".join(lines)


def block_incremental(runs: list[dict]) -> str:
    """bench/incremental.py's runs: a full build without 1% of the rows, then the incremental build
    with them, per catalogue size."""
    body = []
    for run in runs:
        full, inc, check = run["full"], run["incremental"], run["incremental_lists_check"]
        lists = inc["neighbour_lists"].get("neighbours", {})
        body.append(
            (
                f"{run['rows']:,}",
                f"{inc['tracks']:,}",
                f"`{run['vars'] or '{}'}`",
                full["seconds"],
                round(full["peak_rss_mb"] / 1024, 2),
                inc["seconds"],
                round(inc["peak_rss_mb"] / 1024, 2),
                f"**{run['incremental_over_full']}**",
                f"{inc['tracks_added']:,} / {inc['tracks_changed']:,} / {inc['tracks_deleted']:,}",
                f"{lists.get('lists_merged', 0):,} / {lists.get('lists_searched', 0):,}",
                round(check["recall_at_10_vs_exact"], 4),
                run.get("unchanged", {}).get("seconds", "not run"),
                run["started"],
                run["machine"].get("commit", ""),
            )
        )
    return markdown(
        [
            "rows",
            "tracks",
            "vars",
            "full s",
            "full peak GB",
            "incremental s",
            "incremental peak GB",
            "incremental / full",
            "added / changed / deleted",
            "default lists merged / searched",
            "recall@10 vs exact (2,000 queries)",
            "nothing changed s",
            "run started",
            "commit",
        ],
        body,
    )


def peak_stage(build: dict) -> tuple[str, float]:
    """The ML stage in which a build's process reached its peak RSS (the first to reach it), in GB;
    stages it reused (0 s) are not its own."""
    stages = [
        (name, stage["peak_rss_mb"])
        for name, stage in build["ml_stages"].items()
        if stage.get("peak_rss_mb") and stage.get("seconds")
    ]
    top = max(mb for _, mb in stages)
    return next(name for name, mb in stages if mb == top), round(top / 1024, 2)


def block_incremental_stages(runs: list[dict]) -> str:
    """The largest catalogue's latest bench/incremental.py run, stage by stage: seconds and the rise
    of the process's peak RSS in each ML stage, for the full and the incremental build; the SQL
    models as one line (their five slowest named); and where each build peaked."""
    from incremental import rss_deltas

    run = runs[-1]
    full, inc = run["full"], run["incremental"]
    deltas = {"full": rss_deltas(full["ml_stages"]), "incremental": rss_deltas(inc["ml_stages"])}
    body = []
    for name in list(full["ml_stages"]) + [n for n in inc["ml_stages"] if n not in full["ml_stages"]]:
        f, i = full["ml_stages"].get(name, {}), inc["ml_stages"].get(name, {})
        if (f.get("seconds") or 0) >= 0.5 or (i.get("seconds") or 0) >= 0.5 or deltas["incremental"].get(name):
            body.append(
                (
                    name,
                    round(f.get("seconds") or 0, 1),
                    deltas["full"].get(name, 0),
                    round(i.get("seconds") or 0, 1),
                    deltas["incremental"].get(name, 0),
                )
            )
    python_models = {
        "ml_track_embeddings",
        "ml_track_neighbours",
        "ml_genre_head_tuning",
        "ml_track_maps",
        "ml_track_clusters",
        "ml_k_selection",
        "ml_track_pca",
        "ml_dbscan_kdistance",
        "ml_cluster_feature_importance",
    }
    sql = {
        build: {m: s for m, s in b["models_seconds"].items() if m not in python_models}
        for build, b in (("full", full), ("incremental", inc))
    }
    slowest = sorted(sql["incremental"].items(), key=lambda kv: -kv[1])[:5]
    body.append(
        (
            "SQL models (dbt), all",
            round(sum(sql["full"].values()), 1),
            "",
            round(sum(sql["incremental"].values()), 1),
            "",
        )
    )
    if "tests_seconds" in inc:  # runs before it was recorded had no such line
        body.append(("dbt tests, all", full["tests_seconds"], "", inc["tests_seconds"], ""))
        body.append(
            (
                "the rest (dbt start, parse, publish)",
                round(full["seconds"] - sum(full["models_seconds"].values()) - full["tests_seconds"], 1),
                "",
                round(inc["seconds"] - sum(inc["models_seconds"].values()) - inc["tests_seconds"], 1),
                "",
            )
        )
    lines = [
        f"{run['rows']:,} rows, run started {run['started']}, vars `{run['vars'] or '{}'}`:",
        "",
        markdown(["stage", "full s", "full peak rise MB", "incremental s", "incremental peak rise MB"], body),
        "",
        "A peak rise is how much the build process's peak RSS grew during the stage (the first stage's "
        "includes everything before it: the SQL layer and the reads).",
        "Slowest SQL models of the incremental build: " + ", ".join(f"`{m}` {s} s" for m, s in slowest) + ".",
    ]
    for build in ("full", "incremental"):
        stage, gb = peak_stage(run[build])
        lines.append(
            f"The {build} build's ML stages peaked at {gb} GB in `{stage}` (whole build, DuckDB included: "
            f"{round(run[build]['peak_rss_mb'] / 1024, 2)} GB)."
        )
    return "\n".join(lines)


def block_engines(run: dict) -> str:
    """bench/engines.py: each size built by both engines on this machine."""
    body = []
    for rows, side in run["sizes"].items():
        duck, spark = side["duckdb"], side["spark"]
        body.append(
            (
                f"{int(rows):,}",
                f"{duck['tracks']:,}",
                duck["seconds"],
                spark["seconds"],
                f"**{side['spark_over_duckdb']['seconds']}**",
                round(duck["peak_tree_rss_mb"] / 1024, 2),
                round(spark["peak_tree_rss_mb"] / 1024, 2),
                spark["neighbour_method"],
                spark["ivf_recall_at_10"],
            )
        )
    text = (
        markdown(
            [
                "rows",
                "tracks",
                "DuckDB s",
                "Spark local[2] s",
                "Spark / DuckDB",
                "DuckDB peak GB",
                "Spark peak GB (JVM and workers included)",
                "Spark neighbours",
                "their recall@10",
            ],
            body,
        )
        + f"\n\nMeasured by `python bench/engines.py` on {run['machine']['cores']} cores, vars `{current_names(run['vars'] or '{}')}`"
    )
    if "neighbour_method: ivf" in (run["vars"] or ""):
        text += " (`neighbour_method: ivf`: the IVF in the DuckDB build, spark_ivf in the Spark build)"
    if run.get("resumed"):
        text += (
            f"; the sizes were built by {len(run['resumed']) + 1} invocations of the same code"
            f" (commit {run['machine']['commit']}; `--resume`), each size's two builds in one of them"
        )
    return text + "."


def block_engines_model(run: dict) -> str:
    """bench/engines.py's extrapolation: the stages it fitted, then its estimates."""
    model = run["extrapolation"]
    sizes = list(next(iter(model["stages"].values()))["seconds"])
    stages = sorted(model["stages"].items(), key=lambda item: -(item[1]["seconds"][sizes[-1]] or 0))
    shown = [
        (name, s["where"], *(round(s["seconds"][n] or 0, 1) for n in sizes), s["exponent"])
        for name, s in stages
        if (s["seconds"][sizes[-1]] or 0) >= 1
    ]
    rest = sum((s["seconds"][sizes[-1]] or 0) for _, s in stages) - sum(row[3] for row in shown)
    lines = [
        markdown(["stage (Spark engine)", "where", *(f"s at {int(n):,}" for n in sizes), "exponent a"], shown),
        "",
        f"Stages under 1 s at {int(sizes[-1]):,} tracks: {round(rest, 1)} s together.",
        "",
        markdown(
            ["tracks", "executors (4 cores)", "estimated hours", "share on the driver"],
            [
                (f"{int(key.split('_')[0]):,}", key.split("_")[2], e["hours"], e["driver_share"])
                for key, e in model["estimates"].items()
            ],
        ),
        "",
        f"Model: {current_names(model['model'])}.",
    ]
    memory = model.get("driver_memory")
    if memory:
        lines += [
            "",
            f"Memory: the Spark build's peak (build process, JVM and workers) grew by "
            f"{memory['kb_per_track']} KB per track between the two sizes; at that rate the build machine "
            f"would hold about {memory['gb_at_10m']} GB at 10M tracks and {memory['gb_at_100m']} GB at 100M.",
        ]
    return "\n".join(lines)


def replace_block(text: str, name: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- figures:{name} -->\n).*?(<!-- /figures:{name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"no <!-- figures:{name} --> ... <!-- /figures:{name} --> block")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text)


def fill(text: str, blocks: dict[str, str]) -> str:
    """`text` with each of its figures blocks that `blocks` has rendered replaced."""
    for name in re.findall(r"<!-- figures:(\w+) -->", text):
        if name in blocks:
            text = replace_block(text, name, blocks[name])
    return text


def all_blocks(db: Path, bench_json: Path, commit: str, tuned_db: Path | None = None) -> dict[str, str]:
    """Every figures block this warehouse and the benchmark results can fill, by name."""
    bench = json.loads(bench_json.read_text()) if bench_json.is_file() else {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        blocks = {
            "provenance": block_provenance(con, commit, bench),
            "build": block_build(con),
            "quality": block_quality(con, bench),
            "embeddings": block_embeddings(con),
            "config": block_config(con),
            "clusters": block_clusters(con),
        }
    finally:
        con.close()
    if bench:
        blocks["bench"] = bench_table.main(bench_json)
    results = {
        name: bench_json.with_name(f"{name}_latest.json")
        for name in ("first_build", "serve", "ingest", "engines", "listens")
    }
    loaded = {name: json.loads(path.read_text()) for name, path in results.items() if path.is_file()}
    if "first_build" in loaded:
        blocks["first_build"] = block_first_build(loaded["first_build"])
        blocks["first_build_stages"] = block_first_build_stages(loaded["first_build"])
    if "serve" in loaded:
        blocks["serve"] = block_serve(loaded["serve"])
    if "listens" in loaded:
        blocks["listens_bench"] = block_listens(loaded["listens"])
    if "ingest" in loaded:
        blocks["ingest"] = block_ingest(loaded["ingest"])
    if "engines" in loaded:
        blocks["engines"] = block_engines(loaded["engines"])
        if "extrapolation" in loaded["engines"]:
            blocks["engines_model"] = block_engines_model(loaded["engines"])
    incremental = incremental_runs(bench_json.parent)
    if incremental:
        blocks["incremental"] = block_incremental(incremental)
        blocks["incremental_stages"] = block_incremental_stages(incremental)
    if tuned_db:
        tuned = duckdb.connect(str(tuned_db), read_only=True)
        try:
            blocks["tuning"] = block_tuning(tuned)
        finally:
            tuned.close()
    return blocks


def render(db: Path, bench_json: Path, readme: str, commit: str) -> str:
    """`readme` with every block it holds filled from this warehouse and the benchmark results."""
    return fill(readme, all_blocks(db, bench_json, commit))


def incremental_runs(folder: Path) -> list[dict]:
    """bench/incremental.py's latest run per catalogue size, smallest first."""
    runs = [json.loads(p.read_text()) for p in folder.glob("incremental_*_latest.json")]
    return sorted(runs, key=lambda run: run["rows"])


def main() -> None:
    from wavehouse.paths import published_db

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None, help="published warehouse (default: wavehouse info's)")
    parser.add_argument("--bench", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument(
        "--tuned-db",
        type=Path,
        default=None,
        help="a warehouse built by `wavehouse tune` on the bundled catalogue: docs/tuning.md's search table",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md differs from the rendering")
    parser.add_argument(
        "--commit",
        default=None,
        help="the commit the warehouse was built from (default: HEAD; give it when commits "
        "that change no build came after the build)",
    )
    args = parser.parse_args()
    commit = (
        args.commit
        or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    )
    blocks = all_blocks(args.db or published_db(), args.bench, commit or "unknown", args.tuned_db)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    before = {page: page.read_text(encoding="utf-8") for page in pages}
    after = {page: fill(text, blocks) for page, text in before.items()}
    placed = {name for text in before.values() for name in re.findall(r"<!-- figures:(\w+) -->", text)}
    unplaced = sorted(set(blocks) - placed - ({"tuning"} if not args.tuned_db else set()))
    if unplaced:
        raise SystemExit(f"rendered but in no page: {', '.join(unplaced)}")
    if args.check:
        sys.exit(0 if after == before else 1)
    for page, text in after.items():
        if text != before[page]:
            page.write_text(text, encoding="utf-8")
    changed = [page.relative_to(ROOT).as_posix() for page in pages if after[page] != before[page]]
    print(f"updated: {', '.join(changed) or 'nothing'}")


if __name__ == "__main__":
    main()

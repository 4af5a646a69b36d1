"""Top-K cosine neighbours of every track in each embedding users can recommend from (the default,
hybrid, first; then audio and autoencoder), never the track itself nor another id of the same song,
and no song twice in a list (the best-ranked id of each song is kept and the list refilled from
further down). `neighbour_method` chooses how: exact (default); ivf, an inverted-file index (ListScan) over a
fine k-means of the same embedding (ivf_lists lists), each query probing as few of its nearest lists
as reach ivf_min_recall recall@10 on the recall sample (recall_sample tracks chosen by a hash of the
track id; their exact lists are ml_recall_lists); spark_ivf, which `wavehouse build --engine spark`
sets, list by list on Spark. An incremental build (ml_build_plan) updates the previous build's
lists instead of searching them all. Also, for evaluation only: the cluster-space (genre_aware)
embedding's top-10 of held-out tracks, and seed 001's protocol in the audio embedding, sound alone
as in the seed (tracks deduplicated by name, every query, top-10); eval_max_queries caps their
queries at a fixed sample (0: every query). How each is made: wavehouse.ml.neighbour_lists."""

from pathlib import Path

import duckdb
import numpy as np


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml
    from wavehouse.ml.neighbour_lists import NeighbourLists

    p = ml.config(
        neighbours_k=(dbt.config.get("neighbours_k"), int),
        neighbour_method=(dbt.config.get("neighbour_method"), str),
        ivf_probe=(dbt.config.get("ivf_probe"), int),
        ivf_lists=(dbt.config.get("ivf_lists"), int),
        ivf_min_recall=(dbt.config.get("ivf_min_recall"), float),
        neighbour_memory_mb=(dbt.config.get("neighbour_memory_mb"), float),
        recall_sample=(dbt.config.get("recall_sample"), int),
        eval_max_queries=(dbt.config.get("eval_max_queries"), int),
        engine=(dbt.config.get("engine"), str),
        train_sample=(dbt.config.get("train_sample"), int),
        seed=(dbt.config.get("seed"), int),
        spark_master=(dbt.config.get("spark_master"), str),
        spark_output=(dbt.config.get("spark_output"), Path),
    )
    inputs = ml.table(dbt.ref("int_ml_inputs").order("track_id"))
    names = ml.table(dbt.ref("int_tracks_deduped").select("track_id, track_name").order("track_id"))
    embeddings = dbt.ref("ml_track_embeddings")
    kinds = [
        r[0]
        for r in embeddings.filter("not is_cluster_space or is_default")
        .aggregate("embedding_kind, bool_or(is_default) as d")
        .order("d desc, embedding_kind")
        .fetchall()
    ]

    def vectors(condition):
        return ml.matrix(ml.table(embeddings.filter(condition).order("track_id")), "embedding")

    incremental = ml.is_incremental(dbt.ref("ml_build_plan"))
    lists = NeighbourLists(
        session,
        p,
        inputs.column("track_id").combine_chunks(),
        inputs.column("song_id").to_numpy(),
        incremental,
        dbt.ref("int_track_changes"),
        ml.build_plan(dbt.ref("ml_build_plan"))["run_id"],
    )
    sound_kind = "audio" if "audio" in kinds else kinds[0]  # seed 001's protocol: sound alone
    for kind in kinds:  # the default first; then the others users can choose (recommend --embedding)
        stage_name = "neighbours" if kind == kinds[0] else f"neighbours_{kind}"
        E = vectors(duckdb.ColumnExpression("embedding_kind") == duckdb.ConstantExpression(kind))
        with ml.stage(session, stage_name, {**p, "incremental": incremental}) as m:
            moved = lists.moved(kind, E)
            idx, sim = lists.search(kind, stage_name, E, m, moved)
            lists.write(kind, range(len(E)), idx, sim, is_default=kind == kinds[0])
            m.update(rows=int(idx.size), embedding_kind=kind, dims=int(E.shape[1]))
        if kind == sound_kind:
            sound, sound_moved = E, moved
        del E, idx, sim

    if ml.genre_labels(inputs) is not None:  # the evaluation lists only serve genre metrics
        with ml.stage(session, "neighbours_evaluation", {**p, "incremental": incremental}) as m:
            holdout = np.flatnonzero(inputs.column("is_holdout").to_numpy(zero_copy_only=False))
            lists.evaluation(vectors("is_cluster_space"), sound, sound_moved, names.column("track_name"), holdout, m)
    return session.table("wh_neighbour_lists")

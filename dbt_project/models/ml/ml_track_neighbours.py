"""Top-K cosine neighbours of every track in each embedding users can recommend from (the default,
hybrid, first; then audio and autoencoder), never the track itself nor another id of the same song,
and no song twice in a list (the best-ranked id of each song is kept and the list refilled from
further down); exact (default), or through an inverted-list index: neighbour_method ivf is a faiss
IndexIVFFlat over a fine KMeans of the same embedding (ivf_lists lists), each query probing its
nearest lists, as few as reach ivf_min_recall recall@10 on the recall sample (from ivf_probe up,
growing by half; the sample is recall_sample tracks chosen by a hash of the track id, and its exact
lists are ml_recall_lists); spark_ivf, which `wavehouse build --engine spark` sets, searches list by
list on Spark, each query list probing the ivf_probe nearest lists of its queries
(warehouse/spark/jobs.py). Either records its recall@10 against exact on a sample of queries. Also,
for evaluation only: the cluster-space (genre_aware) embedding's top-10 of held-out tracks, and seed
001's protocol in the audio embedding, sound alone as in the seed (tracks deduplicated by name,
every query, top-10). eval_max_queries caps their queries at a fixed sample (0: every query; with
`--engine spark`, at most train_sample, as these exact lists run on the driver).

An incremental build (ml_build_plan) updates the previous build's lists instead: new tracks and
changed ones whose vector or song moved (ml.moved_rows), and tracks whose list held a deleted or
moved one, are searched in full (exactly; with neighbour_method ivf through a new IVF index at the
full build's probes, its recall measured again against the previous build's exact lists of the
recall sample, updated as every list is); every other list is merged exactly with the moved tracks
that reach its k-th (models_py/neighbours.update_lists, topk_above), whichever the method. The
evaluation lists are updated the same way (the seed-protocol set's newcomers are fresh rows there)."""

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml
    from wavehouse.models_py.neighbours import (
        exact_topk,
        exact_topk_distinct,
        ivf_centroids,
        ivf_sample,
        ivf_searcher,
        ivf_topk_tuned,
        normalise_rows,
        recall_at,
        update_lists,
    )
    from wavehouse.models_py.sampling import first_of_each_name, keyed_sample

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

    def of_kind(kind):
        return duckdb.ColumnExpression("embedding_kind") == duckdb.ConstantExpression(kind)

    has_genres = ml.genre_labels(inputs) is not None
    ids = inputs.column("track_id").combine_chunks()
    songs = inputs.column("song_id").to_numpy()
    holdout = np.flatnonzero(inputs.column("is_holdout").to_numpy(zero_copy_only=False))
    memory = p["neighbour_memory_mb"]
    incremental = ml.is_incremental(dbt.ref("ml_build_plan"))
    changes = dbt.ref("int_track_changes")
    # each embedding's lists go into a temporary DuckDB table as soon as they are made, so that the
    # process holds one embedding's lists at a time (at 1M tracks, 20 per track: about 1 GB each)
    session.execute("""create or replace temp table wh_neighbour_lists (track_id varchar, embedding_kind varchar,
                       is_default boolean, neighbour_rank integer, neighbour_track_id varchar, similarity float)""")

    def add(kind, query_rows, idx, sim, is_default=False):
        # in parts of 65,536 lists: the whole of one embedding's rows as Arrow strings held about
        # 1 GB at 1M tracks
        k = idx.shape[1]
        for start in range(0, len(query_rows), 65_536):
            part_rows = slice(start, start + 65_536)
            rows = np.asarray(query_rows)[part_rows]
            n = len(rows) * k
            part = pa.table(
                {
                    "track_id": ids.take(pa.array(np.repeat(rows, k))),
                    "embedding_kind": pa.repeat(pa.scalar(kind), n),
                    "is_default": pa.repeat(pa.scalar(is_default), n),
                    "neighbour_rank": pa.array(np.tile(np.arange(1, k + 1, dtype=np.int32), len(rows))),
                    "neighbour_track_id": ids.take(pa.array(idx[part_rows].reshape(-1))),
                    "similarity": pa.array(sim[part_rows].reshape(-1), pa.float32()),
                }
            )
            session.register("wh_neighbour_part", part)
            session.execute("insert into wh_neighbour_lists select * from wh_neighbour_part")
            session.unregister("wh_neighbour_part")

    # --engine spark: these exact lists run on the driver, so 0 (every query) means at most
    # train_sample queries there (all of them below it, as on DuckDB)
    cap = p["eval_max_queries"] or (p["train_sample"] if p["engine"] == "spark" else 0)
    approximate = p["neighbour_method"] != "exact"
    keys = ids.to_pylist() if cap or approximate else None  # for the samples keyed by track id
    # the recall sample of approximate lists: keyed by track id, so it keeps its members as the
    # catalogue grows and an incremental build updates its exact lists instead of searching them again
    recall_rows = keyed_sample(keys, np.arange(len(ids)), p["recall_sample"], p["seed"]) if approximate else None

    def exact_sample_lists(E, kind, m, moved=None):
        """The exact lists of the recall sample (kept in ml_recall_lists): an incremental build's
        are the previous build's, updated as every list is (exact merge; queries that are new or
        lost a neighbour searched again, exactly); otherwise searched."""
        k = p["neighbours_k"]
        if incremental and ml.previous_has(session, "ml_recall_lists"):
            old_idx, old_sim = ml.previous_neighbour_lists(session, kind, ids, moved, k, table="ml_recall_lists")
            idx, sim, counts = update_lists(E, k, songs, old_idx, old_sim, moved, memory, queries=recall_rows)
            m.update({f"recall_{name}": n for name, n in counts.items() if name != "fresh_rows"})
        else:
            idx, sim = exact_topk_distinct(E, k, songs, memory, queries=recall_rows)
        ml.store_recall_lists(session, kind, ids, recall_rows, idx, sim)
        return idx, sim

    def recall_of(E, idx, sim, kind, m, moved=None):
        """Recall@10 of approximate lists against the exact ones of the recall sample's queries."""
        exact_idx, exact_sim = exact_sample_lists(E, kind, m, moved)
        return recall_at(idx[recall_rows], exact_idx, 10, sim[recall_rows], exact_sim)

    everyone = np.arange(len(ids))
    for kind in kinds:  # the default first; then the others users can choose (recommend --embedding)
        stage_name = "neighbours" if kind == kinds[0] else f"neighbours_{kind}"
        E = vectors(of_kind(kind))
        with ml.stage(session, stage_name, {**p, "incremental": incremental}) as m:
            if incremental:
                moved = ml.moved_rows(session, changes, kind, ids, E)
                old_idx, old_sim = ml.previous_neighbour_lists(session, kind, ids, moved, p["neighbours_k"])
                search = None
                if p["neighbour_method"] == "ivf":  # lists searched again: by the IVF, at the full build's probes
                    probe = int(ml.previous_stage_metric(session, stage_name, "ivf_probe_used") or p["ivf_probe"])
                    try:  # on the full build's centroids
                        centroids = ml.load_model(session, f"ivf_{kind}")[0]["centroids"]
                    except ValueError:  # a warehouse from before they were stored: fitted anew
                        centroids = None
                    search = ivf_searcher(E, p["ivf_lists"], p["seed"], probe, centroids)
                    m.update(ivf_probe_used=probe)
                idx, sim, counts = update_lists(
                    E, p["neighbours_k"], songs, old_idx, old_sim, moved, memory, search=search
                )
                m.update(counts)
                del old_idx, old_sim
                if search:  # the IVF index is let go before the exact lists of the recall sample
                    search = None
                    m.update(ivf_recall_at_10=recall_of(E, idx, sim, kind, m, moved))
            elif p["neighbour_method"] in ("ivf", "spark_ivf"):
                if p["neighbour_method"] == "spark_ivf":  # wavehouse build --engine spark
                    from wavehouse.spark.jobs import ivf_topk_distinct_on_spark, spark_session

                    idx, sim, facts = ivf_topk_distinct_on_spark(
                        spark_session(p["spark_master"]),
                        E,
                        p["neighbours_k"],
                        songs,
                        p["ivf_lists"],
                        p["ivf_probe"],
                        p["seed"],
                        Path(p["spark_output"]) / f"neighbours_{kind}",
                    )
                    m.update(facts)
                    m.update(ivf_recall_at_10=recall_of(E, idx, sim, kind, m))
                else:  # faiss IVF, probing as many lists as reach ivf_min_recall on the recall sample
                    # its centroids are stored: an incremental build searches and merges on the same lists
                    centroids = ivf_centroids(normalise_rows(E), p["ivf_lists"], p["seed"])
                    fitted_on = ivf_sample(len(E), p["ivf_lists"], p["seed"])[1]
                    ml.save_model(
                        session,
                        f"ivf_{kind}",
                        {"centroids": centroids},
                        {"embedding_kind": kind, "ivf_lists": len(centroids), "seed": p["seed"]},
                        ml.build_plan(dbt.ref("ml_build_plan"))["run_id"],
                        len(fitted_on),
                        ml.training_hash(E[fitted_on]),
                    )
                    idx, sim, facts = ivf_topk_tuned(
                        E,
                        p["neighbours_k"],
                        songs,
                        recall_rows,
                        p["ivf_lists"],
                        p["ivf_probe"],
                        p["ivf_min_recall"],
                        p["seed"],
                        memory,
                        centroids,
                        exact=exact_sample_lists(E, kind, m),
                    )
                    m.update(facts)
            elif p["neighbour_method"] == "exact":
                idx, sim = exact_topk_distinct(E, p["neighbours_k"], songs, memory, progress=ml.progress_of(stage_name))
            else:
                raise ValueError(f"neighbour_method must be exact, ivf or spark_ivf, not {p['neighbour_method']!r}")
            add(kind, everyone, idx, sim, is_default=kind == kinds[0])
            m.update(rows=int(idx.size), embedding_kind=kind, dims=int(E.shape[1]))
        if kind == ("audio" if "audio" in kinds else kinds[0]):
            sound_only = E  # seed 001's protocol is compared in an embedding of sound alone
            sound_moved = moved if incremental else None
        del E

    def capped(rows):
        # 0 = every query; else a fixed sample keyed by track id (for 10^6-track scale runs), which
        # keeps its members when the catalogue grows, so an incremental build can reuse their lists
        return keyed_sample(keys, rows, cap, p["seed"]) if cap else rows

    if has_genres:  # the evaluation lists only serve genre metrics
        with ml.stage(session, "neighbours_evaluation", {**p, "incremental": incremental}) as m:
            # the cluster space (genre_aware) is not offered for recommendations: its lists exist
            # for the held-out queries only, to compare it in rpt_evaluation_by_embedding
            queries = capped(holdout)
            G = vectors("is_cluster_space")
            if incremental:
                moved = ml.moved_rows(session, changes, "genre_aware", ids, G)
                old_idx, old_sim = ml.previous_neighbour_lists(session, "genre_aware", ids, moved, 10)
                idx, sim, counts = update_lists(G, 10, songs, old_idx, old_sim, moved, memory, queries=queries)
                m.update({f"genre_aware_{name}": n for name, n in counts.items()})
            else:
                idx, sim = exact_topk_distinct(
                    G, 10, songs, memory, queries=queries, progress=ml.progress_of("neighbours_evaluation")
                )
            add("genre_aware", queries, idx, sim)
            del G
            # seed 001: first track of each name, neighbours among those only, no song exclusion
            first = first_of_each_name(pc.fill_null(names.column("track_name"), "").to_numpy(zero_copy_only=False))
            queries = capped(first)
            S = sound_only[first]
            at = np.searchsorted(first, queries)
            if incremental:  # a track new to the set (new, or now its name's first) is fresh
                first_ids = ids.take(pa.array(first))
                was_first = pc.is_in(first_ids, value_set=ml.previous_first_of_each_name(session))
                fresh = sound_moved[first] | ~was_first.to_numpy(zero_copy_only=False)
                old_idx, old_sim = ml.previous_neighbour_lists(
                    session, "seed_protocol", first_ids, fresh, min(10, len(first) - 1)
                )
                idx, sim, counts = update_lists(
                    S, min(10, len(first) - 1), np.arange(len(first)), old_idx, old_sim, fresh, memory, queries=at
                )
                m.update({f"seed_protocol_{name}": n for name, n in counts.items()})
            else:
                idx, sim = exact_topk(S, 10, None, memory, queries=at)
            add("seed_protocol", queries, first[idx], sim)
            m.update(seed_protocol_tracks=len(first), heldout_queries=len(holdout))
    return session.table("wh_neighbour_lists")

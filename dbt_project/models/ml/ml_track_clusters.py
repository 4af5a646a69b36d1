"""Cluster labels of every track for each method: kmeans_features, kmeans_pca, kmeans_embedding
(at the k chosen in ml_k_selection) and dbscan_pca (eps from ml_dbscan_kdistance; noise = -1);
plus sub_cluster_id, a re-clustering inside each cluster (seed 002). The centroids, sub-centroids
and DBSCAN core samples are stored in ml_models: an incremental build keeps the other tracks'
labels and gives new and changed tracks their nearest centroid (and sub-centroid), and the
cluster of their nearest core sample within eps (else noise), as KMeans and DBSCAN assign. With
`wavehouse build --engine spark` KMeans fits on a fixed sample of at most train_sample
tracks and every track is assigned the same way on Spark (warehouse/spark/jobs.py)."""

import time
from pathlib import Path

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml
    from wavehouse.models_py.cluster import dbscan_fit, internal_scores, kmeans_labels, sub_clusters_with_centroids

    p = ml.config(
        kmeans_n_init=(dbt.config.get("kmeans_n_init"), int),
        sub_k=(dbt.config.get("sub_k"), int),
        dbscan_sample=(dbt.config.get("dbscan_sample"), int),
        metric_sample=(dbt.config.get("metric_sample"), int),
        seed=(dbt.config.get("seed"), int),
        engine=(dbt.config.get("engine"), str),
        train_sample=(dbt.config.get("train_sample"), int),
        spark_master=(dbt.config.get("spark_master"), str),
        spark_output=(dbt.config.get("spark_output"), Path),
    )
    inputs, spaces = ml.clustering_spaces(
        dbt.ref("int_ml_inputs"), dbt.ref("ml_track_pca"), dbt.ref("ml_track_embeddings")
    )
    plan = ml.build_plan(dbt.ref("ml_build_plan"))
    if plan["mode"] == "incremental":
        return incremental(session, inputs, spaces, dbt.ref("int_track_changes"))
    chosen = {r["space"]: r["k"] for r in dbt.ref("ml_k_selection").filter("is_chosen").to_arrow_table().to_pylist()}
    dbscan = dbt.ref("ml_dbscan_kdistance").limit(1).to_arrow_table().to_pylist()[0]
    metric_rows = ml.sample_rows(inputs, p["metric_sample"], p["seed"])
    ids = inputs.column("track_id").combine_chunks()
    # --engine spark: KMeans and the sub-clusters are fitted on the driver on a bounded sample, then
    # every track is assigned on Spark with the fitted centroids (warehouse/spark/jobs.py)
    fit = ml.sample_rows(inputs, p["train_sample"], p["seed"]) if p["engine"] == "spark" else slice(None)
    labels, models, facts = {}, {}, {}
    for space in ("features", "pca", "embedding"):
        method = f"kmeans_{space}"
        with ml.stage(session, method, {**p, "k": chosen[space]}) as m:
            X = spaces[space][fit]
            fitted, centroids, inertia = kmeans_labels(X, chosen[space], seed=p["seed"], n_init=p["kmeans_n_init"])
            sub, sub_centroids = sub_clusters_with_centroids(X, fitted, p["sub_k"], seed=p["seed"])
            labels[method] = (fitted, sub)
            m.update(k=chosen[space], inertia=inertia, train_rows=len(X))
        models[method] = {"centroids": centroids, **{f"sub_{c}": v for c, v in sub_centroids.items()}}
        facts[method] = ({"space": space, "k": chosen[space]}, len(X), ml.training_hash(X))
    with ml.stage(session, "dbscan_pca", {**p, "eps": dbscan["eps"], "min_samples": dbscan["min_samples"]}) as m:
        fit_rows = ml.sample_rows(inputs, p["dbscan_sample"], p["seed"])
        fitted, cores = dbscan_fit(
            spaces["pca"], dbscan["eps"], dbscan["min_samples"], fit_rows, join_rest=p["engine"] != "spark"
        )
        labels["dbscan_pca"] = (fitted, np.zeros(len(fitted), np.int32))
        m.update(eps=dbscan["eps"], train_rows=len(fit_rows))
    models["dbscan_pca"] = {"core_vectors": spaces["pca"][cores], "core_labels": fitted[cores]}
    facts["dbscan_pca"] = (
        {"space": "pca", "eps": dbscan["eps"], "min_samples": dbscan["min_samples"]},
        len(fit_rows),
        ml.training_hash(spaces["pca"][fit_rows]),
    )
    if p["engine"] == "spark":
        from wavehouse.spark.jobs import assign_on_spark, spark_session

        with ml.stage(session, "assign_on_spark", {"spark_master": p["spark_master"]}) as m:
            assigned = assign_on_spark(
                spark_session(p["spark_master"]),
                models,
                SPACES,
                spaces,
                dbscan["eps"],
                Path(p["spark_output"]) / "clusters",
            )
            # the DBSCAN fit's own rows keep the fit's labels (a border point's nearest core may be
            # another cluster's); every other track joins its nearest core, as dbscan_fit does
            dbscan_labels = assigned["dbscan_pca"][0]
            dbscan_labels[fit_rows] = labels["dbscan_pca"][0][fit_rows]
            labels = assigned
            m.update(tracks=len(ids))
    parts = []
    for method, (cluster, sub) in labels.items():
        parts.append(
            pa.table(
                {
                    "track_id": ids,
                    "method": pa.array([method] * len(ids)),
                    "cluster_id": pa.array(cluster, pa.int32()),
                    "sub_cluster_id": pa.array(sub, pa.int32()),
                }
            )
        )
        started = time.perf_counter()
        scores = internal_scores(spaces[SPACES[method]], cluster, metric_rows)
        scores.update(n_clusters=int(len(set(cluster.tolist()) - {-1})), noise_share=float((cluster == -1).mean()))
        ml.add_to_stage(session, method, time.perf_counter() - started, scores)
        params, rows, training = facts[method]
        ml.save_model(session, method, models[method], params, plan["run_id"], rows, training)
    return pa.concat_tables(parts)


SPACES = {"kmeans_features": "features", "kmeans_pca": "pca", "kmeans_embedding": "embedding", "dbscan_pca": "pca"}


def incremental(session, inputs, spaces, changes_rel):
    """The previous labels of unchanged tracks; new and changed tracks assigned with the stored models."""
    from wavehouse import ml
    from wavehouse.models_py.cluster import assign_stored

    ids = inputs.column("track_id").combine_chunks()
    compute = ml.to_compute(changes_rel, ids)
    rows = np.flatnonzero(compute)
    previous = ml.previous(session, "ml_track_clusters")
    parts = []
    with ml.stage(session, "assign_new_tracks", {}) as m:
        for method, space in SPACES.items():
            stored, params = ml.load_model(session, method)
            labels, sub = assign_stored(stored, spaces[space][rows], params.get("eps"))
            new = pa.table(
                {
                    "track_id": ids.take(pa.array(rows, pa.int64())),
                    "method": pa.array([method] * len(rows)),
                    "cluster_id": pa.array(labels, pa.int32()),
                    "sub_cluster_id": pa.array(sub, pa.int32()),
                }
            )
            of_method = previous.filter(pa.compute.equal(previous.column("method"), method))
            parts += [new.cast(previous.schema), ml.reused_from_previous(of_method, ids, compute)]
        m.update(tracks=len(rows))
    ml.reuse_stages(session, list(SPACES))
    return pa.concat_tables(parts)

"""Cluster labels of every track for each method: kmeans_features, kmeans_pca, kmeans_embedding
(at the k chosen in ml_k_selection) and dbscan_pca (eps from ml_dbscan_kdistance; noise = -1);
plus sub_cluster_id, a re-clustering inside each cluster (seed 002)."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml_io
    from wavehouse.models_py.cluster import dbscan_labels, internal_scores, kmeans_labels, sub_clusters

    p = ml_io.config(
        kmeans_n_init=(dbt.config.get("kmeans_n_init"), int),
        sub_k=(dbt.config.get("sub_k"), int),
        dbscan_sample=(dbt.config.get("dbscan_sample"), int),
        metric_sample=(dbt.config.get("metric_sample"), int),
        seed=(dbt.config.get("seed"), int),
    )
    inputs, spaces = ml_io.clustering_spaces(dbt.ref("int_ml_inputs"), dbt.ref("ml_track_pca"),
                                              dbt.ref("ml_track_embeddings"))
    chosen = {r["space"]: r["k"] for r in dbt.ref("ml_k_selection").filter("is_chosen").to_arrow_table().to_pylist()}
    dbscan = dbt.ref("ml_dbscan_kdistance").limit(1).to_arrow_table().to_pylist()[0]
    metric_rows = ml_io.sample_rows(inputs, p["metric_sample"], p["seed"])
    ids = inputs.column("track_id").combine_chunks()
    parts = []

    def add(method, space, labels, sub=None):
        parts.append(pa.table({
            "track_id": ids,
            "method": pa.array([method] * len(ids)),
            "cluster_id": pa.array(labels, pa.int32()),
            "sub_cluster_id": pa.array(sub if sub is not None else np.zeros(len(ids), np.int32), pa.int32()),
        }))
        scores = internal_scores(spaces[space], labels, metric_rows)
        scores.update(n_clusters=int(len(set(labels.tolist()) - {-1})), noise_share=float((labels == -1).mean()))
        return scores

    for space in ("features", "pca", "embedding"):
        method = f"kmeans_{space}"
        with ml_io.stage(session, method, {**p, "k": chosen[space]}) as m:
            labels, _, inertia = kmeans_labels(spaces[space], chosen[space], seed=p["seed"], n_init=p["kmeans_n_init"])
            sub = sub_clusters(spaces[space], labels, p["sub_k"], seed=p["seed"])
            m.update(add(method, space, labels, sub), k=chosen[space], inertia=inertia)
    with ml_io.stage(session, "dbscan_pca", {**p, "eps": dbscan["eps"], "min_samples": dbscan["min_samples"]}) as m:
        fit_rows = ml_io.sample_rows(inputs, p["dbscan_sample"], p["seed"])
        labels = dbscan_labels(spaces["pca"], dbscan["eps"], dbscan["min_samples"], fit_rows)
        m.update(add("dbscan_pca", "pca", labels), eps=dbscan["eps"])
    return pa.concat_tables(parts)

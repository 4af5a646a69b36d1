"""Cluster labels of every track for each method: kmeans_features, kmeans_pca, kmeans_embedding
(at the k chosen in ml_k_selection) and dbscan_pca (eps from ml_dbscan_kdistance; noise = -1);
plus sub_cluster_id, a re-clustering inside each cluster (seed 002). The centroids, sub-centroids
and DBSCAN core samples are stored in ml_models: an incremental build keeps the other tracks'
labels and gives new and changed tracks their nearest centroid (and sub-centroid), and the
cluster of their nearest core sample within eps (else noise), as KMeans and DBSCAN assign."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml_io
    from wavehouse.models_py.cluster import dbscan_fit, internal_scores, kmeans_labels, sub_clusters_with_centroids

    p = ml_io.config(
        kmeans_n_init=(dbt.config.get("kmeans_n_init"), int),
        sub_k=(dbt.config.get("sub_k"), int),
        dbscan_sample=(dbt.config.get("dbscan_sample"), int),
        metric_sample=(dbt.config.get("metric_sample"), int),
        seed=(dbt.config.get("seed"), int),
    )
    inputs, spaces = ml_io.clustering_spaces(dbt.ref("int_ml_inputs"), dbt.ref("ml_track_pca"),
                                              dbt.ref("ml_track_embeddings"))
    plan = ml_io.build_plan(dbt.ref("ml_build_plan"))
    if plan["mode"] == "incremental":
        return incremental(session, inputs, spaces, dbt.ref("int_track_changes"))
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
            labels, centroids, inertia = kmeans_labels(spaces[space], chosen[space], seed=p["seed"],
                                                       n_init=p["kmeans_n_init"])
            sub, sub_centroids = sub_clusters_with_centroids(spaces[space], labels, p["sub_k"], seed=p["seed"])
            m.update(add(method, space, labels, sub), k=chosen[space], inertia=inertia)
        ml_io.save_model(session, method, {"centroids": centroids, **{f"sub_{c}": v for c, v in sub_centroids.items()}},
                         {"space": space, "k": chosen[space]}, plan["run_id"], len(labels),
                         ml_io.training_hash(spaces[space]))
    with ml_io.stage(session, "dbscan_pca", {**p, "eps": dbscan["eps"], "min_samples": dbscan["min_samples"]}) as m:
        fit_rows = ml_io.sample_rows(inputs, p["dbscan_sample"], p["seed"])
        labels, cores = dbscan_fit(spaces["pca"], dbscan["eps"], dbscan["min_samples"], fit_rows)
        m.update(add("dbscan_pca", "pca", labels), eps=dbscan["eps"])
    ml_io.save_model(session, "dbscan_pca", {"core_vectors": spaces["pca"][cores], "core_labels": labels[cores]},
                     {"space": "pca", "eps": dbscan["eps"], "min_samples": dbscan["min_samples"]}, plan["run_id"],
                     len(fit_rows), ml_io.training_hash(spaces["pca"][fit_rows]))
    return pa.concat_tables(parts)


SPACES = {"kmeans_features": "features", "kmeans_pca": "pca", "kmeans_embedding": "embedding", "dbscan_pca": "pca"}


def incremental(session, inputs, spaces, changes_rel):
    """The previous labels of unchanged tracks; new and changed tracks assigned with the stored models."""
    from wavehouse import ml_io
    from wavehouse.models_py.cluster import assign_sub_clusters, join_nearest_core, nearest_centroid

    ids = inputs.column("track_id").combine_chunks()
    compute = ml_io.to_compute(changes_rel, ids)
    rows = np.flatnonzero(compute)
    previous = ml_io.previous(session, "ml_track_clusters")
    parts = []
    with ml_io.stage(session, "assign_new_tracks", {}) as m:
        for method, space in SPACES.items():
            stored, params = ml_io.load_model(session, method)
            X = spaces[space][rows]
            if method == "dbscan_pca":
                labels = join_nearest_core(X, stored["core_vectors"], stored["core_labels"], params["eps"])
                sub = np.zeros(len(rows), np.int32)
            else:
                labels = nearest_centroid(X, stored["centroids"])
                sub = assign_sub_clusters(X, labels, {int(k[4:]): v for k, v in stored.items() if k.startswith("sub_")})
            new = pa.table({"track_id": ids.take(pa.array(rows, pa.int64())), "method": pa.array([method] * len(rows)),
                            "cluster_id": pa.array(labels, pa.int32()), "sub_cluster_id": pa.array(sub, pa.int32())})
            of_method = previous.filter(pa.compute.equal(previous.column("method"), method))
            parts += [new.cast(previous.schema), ml_io.reused_from_previous(of_method, ids, compute)]
        m.update(tracks=len(rows))
    ml_io.reuse_stages(session, list(SPACES))
    return pa.concat_tables(parts)

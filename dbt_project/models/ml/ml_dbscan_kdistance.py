"""The sorted k-distance curve of the PCA space (seed 000's DBSCAN eps plot), downsampled for
plotting, with eps chosen at its knee. Computed on a fixed stratified sample to stay tractable."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml

    if ml.is_incremental(dbt.ref("ml_build_plan")):  # fitted on the full build's tracks: kept
        ml.reuse_stages(session, ["dbscan_kdistance"])
        return ml.previous(session, "ml_dbscan_kdistance")
    from wavehouse.models_py.cluster import eps_at_knee, k_distance_curve

    p = ml.config(
        dbscan_min_samples=(dbt.config.get("dbscan_min_samples"), int),
        dbscan_sample=(dbt.config.get("dbscan_sample"), int),
        curve_points=(dbt.config.get("curve_points"), int),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml.table(dbt.ref("int_ml_inputs").order("track_id"))
    pca = ml.matrix(ml.table(dbt.ref("ml_track_pca").order("track_id")), "pca")
    rows = ml.sample_rows(inputs, p["dbscan_sample"], p["seed"])
    with ml.stage(session, "dbscan_kdistance", p) as m:
        # the k-th neighbour excluding the point itself, k = min_samples - 1 (seed 000: 10-NN, min_samples 11)
        curve = k_distance_curve(pca[rows], p["dbscan_min_samples"] - 1)
        eps = eps_at_knee(curve)
        m.update(eps=eps, sample_rows=len(rows))
    keep = np.unique(np.linspace(0, len(curve) - 1, min(p["curve_points"], len(curve))).astype(int))
    return pa.table(
        {
            "point_rank": pa.array(keep + 1, pa.int64()),
            "k_distance": pa.array(curve[keep], pa.float64()),
            "eps": pa.array(np.full(len(keep), eps), pa.float64()),
            "min_samples": pa.array(np.full(len(keep), p["dbscan_min_samples"]), pa.int64()),
            "n_points": pa.array(np.full(len(keep), len(curve)), pa.int64()),
        }
    )

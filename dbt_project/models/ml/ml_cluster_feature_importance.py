"""SHAP feature importance per cluster of the default method (seed 000): mean |SHAP| of each of the
catalogue's features (15 for the Kaggle file), from a random-forest surrogate that predicts the cluster (TreeExplainer on a
fixed sample), plus the global ranking (cluster_id null)."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml

    if ml.is_incremental(dbt.ref("ml_build_plan")):  # fitted on the full build's tracks: kept
        ml.reuse_stages(session, ["shap"])
        return ml.previous(session, "ml_cluster_feature_importance")
    from wavehouse.models_py.explain import cluster_shap_importance

    p = ml.config(
        default_cluster_method=(dbt.config.get("default_cluster_method"), str),
        shap_fit_sample=(dbt.config.get("shap_fit_sample"), int),
        shap_explain_sample=(dbt.config.get("shap_explain_sample"), int),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml.table(dbt.ref("int_ml_inputs").order("track_id"))
    clusters = ml.table(
        dbt.ref("ml_track_clusters").filter(f"method = '{p['default_cluster_method']}'").order("track_id")
    )
    labels = clusters.column("cluster_id").to_numpy()
    X = ml.matrix(inputs, "features")
    features = ml.available_features(dbt.ref("feature_scaling"))
    with ml.stage(session, "shap", p) as m:
        fit_rows = ml.sample_rows(inputs, p["shap_fit_sample"], p["seed"])
        explain_rows = ml.sample_rows(inputs, p["shap_explain_sample"], p["seed"] + 1)
        ids, importance, accuracy = cluster_shap_importance(X, labels, fit_rows, explain_rows, seed=p["seed"])
        m.update(surrogate_accuracy=accuracy)
    sizes = np.array([(labels[explain_rows] == c).sum() for c in ids], dtype=float)
    overall = (importance * sizes[:, None]).sum(axis=0) / max(sizes.sum(), 1)
    rows = {"scope": [], "cluster_id": [], "feature": [], "mean_abs_shap": [], "importance_rank": []}
    for scope, cluster, values in [("cluster", int(c), importance[i]) for i, c in enumerate(ids)] + [
        ("global", None, overall)
    ]:
        ranks = np.argsort(np.argsort(-values)) + 1
        for j, feature in enumerate(features):
            rows["scope"].append(scope)
            rows["cluster_id"].append(cluster)
            rows["feature"].append(feature)
            rows["mean_abs_shap"].append(float(values[j]))
            rows["importance_rank"].append(int(ranks[j]))
    return pa.table(
        rows,
        schema=pa.schema(
            [
                ("scope", pa.string()),
                ("cluster_id", pa.int32()),
                ("feature", pa.string()),
                ("mean_abs_shap", pa.float64()),
                ("importance_rank", pa.int32()),
            ]
        ),
    )

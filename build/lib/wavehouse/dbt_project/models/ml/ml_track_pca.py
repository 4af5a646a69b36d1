"""PCA of the scaled features keeping at least `pca_min_variance` of the variance: the space
KMeans (kmeans_pca) and DBSCAN cluster in, and the PCA 2-D map."""

import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml_io
    from wavehouse.models_py.project import pca_for_variance

    p = ml_io.config(
        pca_min_variance=(dbt.config.get("pca_min_variance"), float),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml_io.table(dbt.ref("int_ml_inputs"))
    with ml_io.stage(session, "pca", p) as m:
        pca = pca_for_variance(ml_io.matrix(inputs, "features"), p["pca_min_variance"], seed=p["seed"])
        m.update(n_components=pca.n_components, variance_kept=pca.variance_kept,
                 explained_variance_ratio=pca.explained_variance_ratio)
    return pa.table({"track_id": inputs.column("track_id"), "pca": ml_io.vectors(pca.coords)})

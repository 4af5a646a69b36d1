"""PCA of the scaled features keeping at least `pca_min_variance` of the variance: the space
KMeans (kmeans_pca) and DBSCAN cluster in, and the PCA 2-D map. An incremental build projects new
and changed tracks with the stored components and keeps the other tracks' coordinates."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml
    from wavehouse.models_py.project import pca_for_variance, project

    p = ml.config(
        pca_min_variance=(dbt.config.get("pca_min_variance"), float),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml.table(dbt.ref("int_ml_inputs").order("track_id"))
    X = ml.matrix(inputs, "features")
    ids = inputs.column("track_id").combine_chunks()
    plan = ml.build_plan(dbt.ref("ml_build_plan"))
    if plan["mode"] == "incremental":
        compute = ml.to_compute(dbt.ref("int_track_changes"), ids)
        stored, _ = ml.load_model(session, "pca")
        ml.reuse_stages(session, ["pca"])
        rows = np.flatnonzero(compute)
        previous = ml.previous(session, "ml_track_pca")
        new = pa.table(
            {
                "track_id": ids.take(pa.array(rows, pa.int64())),
                "pca": ml.vectors(project(X[rows], stored["mean"], stored["components"])),
            }
        )
        return pa.concat_tables([new.cast(previous.schema), ml.reused_from_previous(previous, ids, compute)])
    with ml.stage(session, "pca", p) as m:
        pca = pca_for_variance(X, p["pca_min_variance"], seed=p["seed"])
        m.update(
            n_components=pca.n_components,
            variance_kept=pca.variance_kept,
            explained_variance_ratio=pca.explained_variance_ratio,
        )
    ml.save_model(
        session,
        "pca",
        {"mean": pca.mean, "components": pca.components},
        p,
        plan["run_id"],
        len(X),
        ml.training_hash(X),
    )
    return pa.table({"track_id": ids, "pca": ml.vectors(pca.coords)})

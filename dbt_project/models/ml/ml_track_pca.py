"""PCA of the scaled features keeping at least `pca_min_variance` of the variance: the space
KMeans (kmeans_pca) and DBSCAN cluster in, and the PCA 2-D map. An incremental build projects new
and changed tracks with the stored components and keeps the other tracks' coordinates."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml_io
    from wavehouse.models_py.project import pca_for_variance, project

    p = ml_io.config(
        pca_min_variance=(dbt.config.get("pca_min_variance"), float),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml_io.table(dbt.ref("int_ml_inputs").order("track_id"))
    X = ml_io.matrix(inputs, "features")
    ids = inputs.column("track_id").combine_chunks()
    plan = ml_io.build_plan(dbt.ref("ml_build_plan"))
    if plan["mode"] == "incremental":
        compute = ml_io.to_compute(dbt.ref("int_track_changes"), ids)
        stored, _ = ml_io.load_model(session, "pca")
        ml_io.reuse_stages(session, ["pca"])
        rows = np.flatnonzero(compute)
        previous = ml_io.previous(session, "ml_track_pca")
        new = pa.table(
            {
                "track_id": ids.take(pa.array(rows, pa.int64())),
                "pca": ml_io.vectors(project(X[rows], stored["mean"], stored["components"])),
            }
        )
        return pa.concat_tables([new.cast(previous.schema), ml_io.reused_from_previous(previous, ids, compute)])
    with ml_io.stage(session, "pca", p) as m:
        pca = pca_for_variance(X, p["pca_min_variance"], seed=p["seed"])
        m.update(
            n_components=pca.n_components,
            variance_kept=pca.variance_kept,
            explained_variance_ratio=pca.explained_variance_ratio,
        )
    ml_io.save_model(
        session,
        "pca",
        {"mean": pca.mean, "components": pca.components},
        p,
        plan["run_id"],
        len(X),
        ml_io.training_hash(X),
    )
    return pa.table({"track_id": ids, "pca": ml_io.vectors(pca.coords)})

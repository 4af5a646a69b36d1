"""2-D maps of the catalogue: `pca` (first two principal components, every track), `lda`
(genre-supervised, fitted on the SMOTE-balanced training split, every track; only when the catalogue
has genres) and `tsne` (seed
001's t-SNE, on a fixed stratified sample)."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml_io
    from wavehouse.models_py.balance import smote_balance
    from wavehouse.models_py.project import lda_2d, tsne_2d

    p = ml_io.config(
        tsne_sample=(dbt.config.get("tsne_sample"), int),
        tsne_max_iter=(dbt.config.get("tsne_max_iter"), int),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml_io.table(dbt.ref("int_ml_inputs").order("track_id"))
    X = ml_io.matrix(inputs, "features")
    ids = inputs.column("track_id").combine_chunks()
    genres = ml_io.genre_labels(inputs)
    train = ~inputs.column("is_holdout").to_numpy(zero_copy_only=False)
    parts = []

    def add(name, rows, xy):
        parts.append(pa.table({"track_id": ids.take(pa.array(rows)), "map": pa.array([name] * len(rows)),
                               "x": pa.array(xy[:, 0], pa.float32()), "y": pa.array(xy[:, 1], pa.float32())}))

    everyone = np.arange(len(ids))
    with ml_io.stage(session, "map_pca", p):
        pca = ml_io.matrix(ml_io.table(dbt.ref("ml_track_pca").order("track_id")), "pca")
        add("pca", everyone, np.pad(pca, ((0, 0), (0, max(0, 2 - pca.shape[1]))))[:, :2])
    if genres is not None:   # LDA is genre-supervised: no map without genres
        with ml_io.stage(session, "map_lda", p) as m:
            fit = train & (genres >= 0)
            X_bal, y_bal, synthetic = smote_balance(X[fit], genres[fit], seed=p["seed"])
            add("lda", everyone, lda_2d(X_bal, y_bal, X))
            m.update(fit_rows=len(X_bal), synthetic_rows=int(synthetic.sum()))
    with ml_io.stage(session, "map_tsne", p) as m:
        rows = ml_io.sample_rows(inputs, p["tsne_sample"], p["seed"])
        add("tsne", rows, tsne_2d(X[rows], seed=p["seed"], max_iter=p["tsne_max_iter"]))
        m.update(sample_rows=len(rows))
    return pa.concat_tables(parts)

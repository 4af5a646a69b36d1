"""2-D maps of the catalogue, every track on each: `pca` (first two principal components), `lda`
(genre-supervised, fitted on the SMOTE-balanced training split's tracks within the train_sample
sample, every track projected; only when the catalogue has genres) and `tsne`, the app's map:
t-SNE (seed 001's method) of the space the clusters are computed in (the is_cluster_space
embedding) on a fixed stratified sample of tsne_sample tracks, every other track placed at the
similarity-weighted mean position of its 10 nearest sample tracks in that space
(models_py.project.place_by_neighbours). An incremental build projects new and changed tracks on
the LDA map with the stored projection, places them on the t-SNE map by the stored sample, and
keeps every other point."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml
    from wavehouse.models_py.balance import smote_balance
    from wavehouse.models_py.project import lda_fit_2d, place_by_neighbours, project, tsne_2d

    p = ml.config(
        tsne_sample=(dbt.config.get("tsne_sample"), int),
        tsne_max_iter=(dbt.config.get("tsne_max_iter"), int),
        train_sample=(dbt.config.get("train_sample"), int),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml.table(dbt.ref("int_ml_inputs").order("track_id"))
    X = ml.matrix(inputs, "features")
    clustered = dbt.ref("ml_track_embeddings").filter("is_cluster_space").order("track_id")
    C = ml.matrix(ml.table(clustered), "embedding")  # the space the clusters are computed in
    ids = inputs.column("track_id").combine_chunks()
    genres = ml.genre_labels(inputs)
    train = ~inputs.column("is_holdout").to_numpy(zero_copy_only=False)
    parts = []

    def add(name, rows, xy):
        parts.append(
            pa.table(
                {
                    "track_id": ids.take(pa.array(rows)),
                    "map": pa.array([name] * len(rows), pa.string()),
                    "x": pa.array(xy[:, 0], pa.float32()),
                    "y": pa.array(xy[:, 1], pa.float32()),
                }
            )
        )

    everyone = np.arange(len(ids))
    plan = ml.build_plan(dbt.ref("ml_build_plan"))
    if plan["mode"] == "incremental":
        compute = ml.to_compute(dbt.ref("int_track_changes"), ids)
        rows = np.flatnonzero(compute)
        previous = ml.previous(session, "ml_track_maps")
        if genres is not None:
            stored, _ = ml.load_model(session, "map_lda")
            add("lda", rows, project(X[rows], stored["mean"], stored["components"]))
        ml.reuse_stages(session, ["map_pca", "map_lda", "map_tsne"])
        kept = [
            ml.reused_from_previous(previous.filter(pa.compute.equal(previous.column("map"), name)), ids, compute)
            for name in (["lda"] if genres is not None else [])
        ]
        tsne = previous.filter(pa.compute.equal(previous.column("map"), "tsne"))
        unchanged = tsne.filter(
            pa.array(ml.rows_in(tsne.column("track_id").combine_chunks(), ids.filter(pa.array(~compute))) >= 0)
        )
        kept.append(unchanged)
        try:  # new and changed tracks placed by the full build's t-SNE sample
            sample, _ = ml.load_model(session, "map_tsne")
            reference, reference_xy = sample["vectors"], sample["xy"]
        except ValueError:  # a warehouse from before it was stored: by the unchanged tracks' places
            at = ml.rows_in(unchanged.column("track_id").combine_chunks(), ids)
            reference = C[at]
            reference_xy = np.column_stack([unchanged.column(c).to_numpy() for c in ("x", "y")])
        add("tsne", rows, place_by_neighbours(reference, reference_xy, C[rows]))
        pca_map(dbt, add, everyone)
        return pa.concat_tables([part.cast(previous.schema) for part in parts] + kept)
    with ml.stage(session, "map_pca", p):
        pca_map(dbt, add, everyone)
    if genres is not None:  # LDA is genre-supervised: no map without genres
        with ml.stage(session, "map_lda", p) as m:
            # the training split's labelled tracks within the fixed sample the networks train on
            # (at most train_sample: every one of them in a smaller catalogue)
            fit = train & (genres >= 0) & np.isin(everyone, ml.sample_rows(inputs, p["train_sample"], p["seed"]))
            X_bal, y_bal, synthetic = smote_balance(X[fit], genres[fit], seed=p["seed"])
            mean, components = lda_fit_2d(X_bal, y_bal)
            add("lda", everyone, project(X, mean, components))
            m.update(fit_rows=len(X_bal), synthetic_rows=int(synthetic.sum()))
        ml.save_model(
            session,
            "map_lda",
            {"mean": mean, "components": components},
            p,
            plan["run_id"],
            len(X_bal),
            ml.training_hash(X_bal, y_bal),
        )
    with ml.stage(session, "map_tsne", p) as m:
        rows = ml.sample_rows(inputs, p["tsne_sample"], p["seed"])
        xy = tsne_2d(C[rows], seed=p["seed"], max_iter=p["tsne_max_iter"], progress=ml.progress_of("map_tsne"))
        rest = np.setdiff1d(everyone, rows)
        add("tsne", rows, xy)
        if len(rest):  # a catalogue larger than the sample
            add("tsne", rest, place_by_neighbours(C[rows], xy, C[rest]))
        m.update(sample_rows=len(rows), placed_rows=len(rest))
    ml.save_model(
        session, "map_tsne", {"vectors": C[rows], "xy": xy}, p, plan["run_id"], len(rows), ml.training_hash(C[rows])
    )
    return pa.concat_tables(parts)


def pca_map(dbt, add, rows):
    """The first two PCA coordinates of every track (ml_track_pca), padded if PCA kept one."""
    from wavehouse import ml

    pca = ml.matrix(ml.table(dbt.ref("ml_track_pca").order("track_id")), "pca")
    add("pca", rows, np.pad(pca, ((0, 0), (0, max(0, 2 - pca.shape[1]))))[:, :2])

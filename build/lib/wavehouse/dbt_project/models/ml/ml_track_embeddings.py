"""Autoencoder embeddings of every track: `autoencoder` (unsupervised, seed 001's design) and
`genre_aware` (the same network with a genre head trained on the SMOTE-balanced training split)."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml_io
    from wavehouse.models_py.embed import train_autoencoder

    p = ml_io.config(
        latent_dim=(dbt.config.get("latent_dim"), int),
        batch_size=(dbt.config.get("batch_size"), int),
        max_epochs=(dbt.config.get("max_epochs"), int),
        patience=(dbt.config.get("patience"), int),
        learning_rate=(dbt.config.get("learning_rate"), float),
        aux_weight=(dbt.config.get("aux_weight"), float),
        feature_weights=(dbt.config.get("feature_weights"), list),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml_io.table(dbt.ref("int_ml_inputs"))
    X = ml_io.matrix(inputs, "features") * np.asarray(p["feature_weights"], dtype=np.float32)
    genres = inputs.column("genre_id").to_numpy()
    train = ~inputs.column("is_holdout").to_numpy(zero_copy_only=False)
    shared = dict(latent_dim=p["latent_dim"], batch_size=p["batch_size"], max_epochs=p["max_epochs"],
                  patience=p["patience"], lr=p["learning_rate"], seed=p["seed"], log=ml_io.log)

    ml_io.record_stage(session, "environment", 0.0, {}, {"versions": ml_io.library_versions()})
    with ml_io.stage(session, "autoencoder", p) as m:
        plain = train_autoencoder(X, **shared)
        m.update(epochs=plain.epochs, recon_mse_mean=plain.recon_mse_mean, recon_mse_max=plain.recon_mse_max)
    with ml_io.stage(session, "genre_aware", p) as m:
        aware = train_autoencoder(X, labels=genres, train_mask=train, aux_weight=p["aux_weight"], **shared)
        m.update(epochs=aware.epochs, recon_mse_mean=aware.recon_mse_mean, recon_mse_max=aware.recon_mse_max,
                 aux_accuracy_holdout=aware.aux_accuracy_holdout, train_rows=aware.n_train_rows,
                 smote_synthetic_rows=aware.n_synthetic_rows)

    ids = inputs.column("track_id")
    n = len(ids)
    result = pa.table({
        "track_id": pa.concat_arrays([ids.combine_chunks()] * 2),
        "embedding_kind": pa.array(["autoencoder"] * n + ["genre_aware"] * n),
        "embedding": pa.concat_arrays([ml_io.vectors(plain.embeddings), ml_io.vectors(aware.embeddings)]),
    })
    return result

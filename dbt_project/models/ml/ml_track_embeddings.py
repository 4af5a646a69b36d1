"""Autoencoder embeddings of every track: `autoencoder` (unsupervised, seed 001's design) and
`genre_aware` (the same network with a genre head trained on the SMOTE-balanced training split).
`is_default` marks the embedding recommendations use: genre_aware, or autoencoder for a catalogue
without genres (no genre_aware is trained then)."""

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
    names = ml_io.available_features(dbt.ref("feature_scaling"))
    # feature_weights are given for all 15 features (feature_columns order); keep those present
    weights = dict(zip(ml_io.FEATURES, p["feature_weights"]))
    X = ml_io.matrix(inputs, "features") * np.asarray([weights[f] for f in names], dtype=np.float32)
    genres = ml_io.genre_labels(inputs)
    train = ~inputs.column("is_holdout").to_numpy(zero_copy_only=False)
    shared = dict(latent_dim=p["latent_dim"], batch_size=p["batch_size"], max_epochs=p["max_epochs"],
                  patience=p["patience"], lr=p["learning_rate"], seed=p["seed"], log=ml_io.log)

    ml_io.record_stage(session, "environment", 0.0, {}, {"versions": ml_io.library_versions(),
                                                         "features": names, "has_genres": genres is not None})
    with ml_io.stage(session, "autoencoder", p) as m:
        plain = train_autoencoder(X, **shared)
        m.update(epochs=plain.epochs, recon_mse_mean=plain.recon_mse_mean, recon_mse_max=plain.recon_mse_max)
    kinds = [("autoencoder", plain.embeddings)]
    if genres is not None:
        with ml_io.stage(session, "genre_aware", p) as m:
            labelled = train & (genres >= 0)
            aware = train_autoencoder(X, labels=np.maximum(genres, 0), train_mask=labelled,
                                      aux_weight=p["aux_weight"], **shared)
            m.update(epochs=aware.epochs, recon_mse_mean=aware.recon_mse_mean, recon_mse_max=aware.recon_mse_max,
                     aux_accuracy_holdout=aware.aux_accuracy_holdout, train_rows=aware.n_train_rows,
                     smote_synthetic_rows=aware.n_synthetic_rows)
        kinds.append(("genre_aware", aware.embeddings))

    ids = inputs.column("track_id").combine_chunks()
    n = len(ids)
    default = kinds[-1][0]
    result = pa.table({
        "track_id": pa.concat_arrays([ids] * len(kinds)),
        "embedding_kind": pa.array([kind for kind, _ in kinds for _ in range(n)]),
        "embedding": pa.concat_arrays([ml_io.vectors(values) for _, values in kinds]),
        "is_default": pa.array([kind == default for kind, _ in kinds for _ in range(n)]),
    })
    return result

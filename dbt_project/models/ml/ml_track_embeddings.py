"""Every embedding of every track, one row per (track, kind); `embedding` is a FLOAT[] list (its
length depends on the kind: use list_cosine_similarity, or cast a kind to FLOAT[n]).

- `autoencoder` (unsupervised, seed 001's design; FLOAT[latent_dim]).
- `genre_aware`: the same network with a genre head trained on the SMOTE-balanced training split
  (FLOAT[latent_dim]); the space clusters and the 2-D maps are computed in (is_cluster_space).
- `audio`: the genre probabilities of an MLP on the audio features alone (FLOAT[n_genres]), its
  config the best of the search in ml_genre_head_tuning.
- `hybrid`: w x those probabilities + (1 - w) x the genre distribution of the track's artists'
  other labelled tracks (int_artist_genre_evidence, training labels only), w the chosen mix of
  ml_genre_head_tuning; audio alone for a track whose artists have none.

`is_default` marks the embedding recommendations use: hybrid, or autoencoder for a catalogue
without genres (only autoencoder is trained then).

A full build stores each trained network in ml_models; an incremental build (ml_build_plan) keeps
the previous build's vectors of unchanged tracks and computes those of new and changed tracks with
the stored networks (no training). The networks train on a fixed stratified sample of at most
train_sample tracks (every track of a smaller catalogue), then every track is embedded with them
(the same score_networks an incremental build uses): on the build machine, or on Spark with
`wavehouse build --engine spark` (warehouse/spark/jobs.py)."""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml
    from wavehouse.models_py.embed import train_autoencoder
    from wavehouse.models_py.genre_head import HeadConfig, train_genre_head

    p = ml.config(
        latent_dim=(dbt.config.get("latent_dim"), int),
        batch_size=(dbt.config.get("batch_size"), int),
        max_epochs=(dbt.config.get("max_epochs"), int),
        patience=(dbt.config.get("patience"), int),
        learning_rate=(dbt.config.get("learning_rate"), float),
        aux_weight=(dbt.config.get("aux_weight"), float),
        feature_weights=(dbt.config.get("feature_weights"), list),
        seed=(dbt.config.get("seed"), int),
        engine=(dbt.config.get("engine"), str),
        train_sample=(dbt.config.get("train_sample"), int),
        spark_master=(dbt.config.get("spark_master"), str),
        spark_output=(dbt.config.get("spark_output"), Path),
    )
    inputs = ml.table(dbt.ref("int_ml_inputs").order("track_id"))
    names = ml.available_features(dbt.ref("feature_scaling"))
    # feature_weights are given for all 15 features (feature_columns order); keep those present
    weights = dict(zip(ml.FEATURES, p["feature_weights"]))
    features = ml.matrix(inputs, "features")
    X = features * np.asarray([weights[f] for f in names], dtype=np.float32)
    genres = ml.genre_labels(inputs)
    train = ~inputs.column("is_holdout").to_numpy(zero_copy_only=False)
    shared = dict(
        latent_dim=p["latent_dim"],
        batch_size=p["batch_size"],
        max_epochs=p["max_epochs"],
        patience=p["patience"],
        lr=p["learning_rate"],
        seed=p["seed"],
        log=ml.log,
    )

    ml.record_stage(
        session,
        "environment",
        0.0,
        {},
        {"versions": ml.library_versions(), "features": names, "has_genres": genres is not None},
    )
    plan = ml.build_plan(dbt.ref("ml_build_plan"))
    evidence_rel = dbt.ref("int_artist_genre_evidence")
    if plan["mode"] == "incremental":
        return incremental(session, inputs, X, features, evidence_rel, dbt.ref("int_track_changes"))
    run = plan["run_id"]
    # the networks train on a bounded sample (all rows of a smaller catalogue); then every track is
    # scored with them, here or on Spark (warehouse/spark/jobs.py)
    fit = ml.sample_rows(inputs, p["train_sample"], p["seed"])
    X_fit, features_fit = X[fit], features[fit]
    states = {}
    with ml.stage(session, "autoencoder", p) as m:
        plain = train_autoencoder(X_fit, **shared, progress=ml.progress_of("autoencoder"))
        m.update(
            epochs=plain.epochs,
            recon_mse_mean=plain.recon_mse_mean,
            recon_mse_max=plain.recon_mse_max,
            train_rows=len(plain.embeddings),
        )
    ml.save_model(
        session,
        "autoencoder",
        plain.encoder_state,
        {"latent_dim": p["latent_dim"]},
        run,
        len(X_fit),
        ml.training_hash(X_fit),
    )
    kinds = {"autoencoder": plain.embeddings}
    states["autoencoder"] = plain.encoder_state
    tuning = ml.table(dbt.ref("ml_genre_head_tuning").filter("is_chosen").order("search"))
    config = audio_weight = None
    if genres is not None:
        labelled = (train & (genres >= 0))[fit]
        genres_fit = genres[fit]
        with ml.stage(session, "genre_aware", p) as m:
            aware = train_autoencoder(
                X_fit,
                labels=np.maximum(genres_fit, 0),
                train_mask=labelled,
                aux_weight=p["aux_weight"],
                **shared,
                progress=ml.progress_of("genre_aware"),
            )
            m.update(
                epochs=aware.epochs,
                recon_mse_mean=aware.recon_mse_mean,
                recon_mse_max=aware.recon_mse_max,
                aux_accuracy_holdout=aware.aux_accuracy_holdout,
                train_rows=aware.n_train_rows,
                smote_synthetic_rows=aware.n_synthetic_rows,
            )
        ml.save_model(
            session,
            "genre_aware",
            aware.encoder_state,
            {"latent_dim": p["latent_dim"]},
            run,
            int(labelled.sum()),
            ml.training_hash(X_fit[labelled], genres_fit[labelled]),
        )
        kinds["genre_aware"] = aware.embeddings
        states["genre_aware"] = aware.encoder_state
        if tuning.num_rows:
            # the chosen rows of the searches: genre_head (its config), then hybrid_mix (its weight)
            config = HeadConfig(**json.loads(tuning.column("config")[0].as_py()))
            audio_weight = tuning.column("audio_weight")[1].as_py() if tuning.num_rows > 1 else None
            with ml.stage(session, "genre_head", {**p, "head": config.__dict__}) as m:
                head = train_genre_head(
                    features_fit,
                    genres_fit,
                    labelled,
                    config,
                    seed=p["seed"],
                    log=ml.log,
                    progress=ml.progress_of("genre_head"),
                )
                m.update(
                    accuracy_holdout=head.accuracy,
                    train_rows=head.n_train_rows,
                    smote_synthetic_rows=head.n_synthetic_rows,
                )
            ml.save_model(
                session,
                "genre_head",
                head.state,
                {"config": config.__dict__, "audio_weight": audio_weight},
                run,
                head.n_train_rows,
                ml.training_hash(features_fit[labelled], genres_fit[labelled]),
            )
            kinds["audio"], kinds["probabilities"] = head.embeddings, head.probabilities
            states["genre_head"] = head.state
    if p["engine"] == "spark":
        from wavehouse.spark.jobs import embed_on_spark, spark_session

        with ml.stage(session, "embed_on_spark", {"spark_master": p["spark_master"]}) as m:
            kinds = embed_on_spark(
                spark_session(p["spark_master"]),
                states,
                X,
                features,
                config.output if config else None,
                Path(p["spark_output"]) / "embeddings",
            )
            m.update(tracks=len(X), train_rows=len(X_fit))
    elif len(X_fit) < len(X):
        from wavehouse.models_py.genre_head import score_networks

        with ml.stage(session, "embed_all_tracks", {}) as m:
            kinds = score_networks(states, X, features, config.output if config else None)
            m.update(tracks=len(X), train_rows=len(X_fit))
    probabilities = kinds.pop("probabilities", None)
    if audio_weight is not None:  # hybrid_audio_weights: [] = no hybrid embedding
        kinds["hybrid"] = hybrid_vectors(evidence_rel, inputs, None, probabilities, audio_weight)
    return embeddings_table(inputs.column("track_id").combine_chunks(), list(kinds.items()))


def hybrid_vectors(evidence_rel, inputs, rows, probabilities, audio_weight):
    """The hybrid embedding of the tracks at `rows` of inputs (None: all), from the genre head's
    probabilities of those tracks and their artists' genre evidence."""
    from wavehouse import ml
    from wavehouse.models_py.genre_head import artist_evidence_matrix, hybrid_embedding

    evidence = ml.table(evidence_rel.order("track_id"))
    if not evidence.column("track_id").equals(inputs.column("track_id")):
        raise ValueError("int_artist_genre_evidence is not aligned with int_ml_inputs by track_id")
    picked = evidence if rows is None else evidence.take(pa.array(rows, pa.int64()))
    artists = artist_evidence_matrix(
        picked.num_rows,
        probabilities.shape[1],
        np.arange(picked.num_rows),
        picked.column("genre_ids").to_pylist(),
        picked.column("genre_counts").to_pylist(),
    )
    return hybrid_embedding(probabilities, artists, audio_weight)


def embeddings_table(ids, kinds):
    """One row per (track, kind) from [(kind, (n, N) vectors in ids order)]."""
    from wavehouse import ml

    n = len(ids)
    names_of = [kind for kind, _ in kinds]
    default = "hybrid" if "hybrid" in names_of else names_of[-1]
    cluster_space = "genre_aware" if "genre_aware" in names_of else "autoencoder"
    return pa.table(
        {
            "track_id": pa.concat_arrays([ids] * len(kinds)),
            "embedding_kind": pa.array([kind for kind in names_of for _ in range(n)]),
            "embedding": pa.concat_arrays([ml.variable_vectors(values) for _, values in kinds]),
            "is_default": pa.array([kind == default for kind in names_of for _ in range(n)]),
            "is_cluster_space": pa.array([kind == cluster_space for kind in names_of for _ in range(n)]),
        }
    )


def incremental(session, inputs, X, features, evidence_rel, changes_rel):
    """The previous build's vectors of unchanged tracks; new and changed tracks through the stored
    networks: both encoders (X: weighted features), the genre head (features) and the hybrid mix
    with their artists' evidence."""
    from wavehouse import ml
    from wavehouse.models_py.genre_head import score_networks

    ids = inputs.column("track_id").combine_chunks()
    compute = ml.to_compute(changes_rel, ids)
    rows = np.flatnonzero(compute)
    stored = {
        r[0]
        for r in session.execute("select distinct embedding_kind from previous.main.ml_track_embeddings").fetchall()
    }
    with ml.stage(session, "embed_new_tracks", {}) as m:
        states = {kind: ml.load_model(session, kind)[0] for kind in ("autoencoder", "genre_aware") if kind in stored}
        params = {}
        if "audio" in stored:
            states["genre_head"], params = ml.load_model(session, "genre_head")
        new = score_networks(states, X[rows], features[rows], params.get("config", {}).get("output"))
        probabilities = new.pop("probabilities", None)
        if "hybrid" in stored:
            new["hybrid"] = hybrid_vectors(evidence_rel, inputs, rows, probabilities, params["audio_weight"])
        m.update(tracks=len(rows), kinds=sorted(new))
    ml.reuse_stages(session, ["autoencoder", "genre_aware", "genre_head"])
    computed = embeddings_table(ids.take(pa.array(rows, pa.int64())), [(kind, new[kind]) for kind in new])
    return ml.with_previous_rows(session, "ml_track_embeddings", computed, ids, compute)

"""The search behind the audio embedding: each genre-head config of the var genre_head_search
trained on the training songs minus a validation split of them, and scored by the validation
songs' genre hit rate@10 among the training tracks. Held-out songs are never read here. The
config with the best validation score (is_chosen) is the one ml_track_embeddings trains for the
`audio` embedding. Empty for a catalogue without genres."""

import json

import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml_io
    from wavehouse.models_py.genre_head import HeadConfig, best_config, search_genre_head

    p = ml_io.config(
        genre_head_search=(dbt.config.get("genre_head_search"), list),
        validation_share=(dbt.config.get("validation_share"), float),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml_io.table(dbt.ref("int_ml_inputs").order("track_id"))
    genres = ml_io.genre_labels(inputs)
    configs = [HeadConfig(**c) for c in p["genre_head_search"]]
    if genres is None or not configs:
        results, chosen = [], -1
    else:
        X = ml_io.matrix(inputs, "features")
        train = ~inputs.column("is_holdout").to_numpy(zero_copy_only=False)
        with ml_io.stage(session, "genre_head_search", p) as m:
            results = search_genre_head(X, genres, inputs.column("song_id").to_numpy(), train, configs,
                                        validation_share=p["validation_share"], seed=p["seed"], log=ml_io.log)
            chosen = best_config(results)
            m.update(configs=len(results), chosen=chosen + 1,
                     chosen_validation_hit_at_10=results[chosen]["validation_hit_at_10"])
    fields = list(HeadConfig.__dataclass_fields__)
    return pa.table({
        "config_id": pa.array(range(1, len(results) + 1), pa.int32()),
        **{f: pa.array([r[f] for r in results], pa.array([getattr(HeadConfig(), f)]).type) for f in fields},
        "config": pa.array([json.dumps({f: r[f] for f in fields}) for r in results], pa.string()),
        "fit_rows": pa.array([r["fit_rows"] for r in results], pa.int64()),
        "validation_rows": pa.array([r["validation_rows"] for r in results], pa.int64()),
        "validation_hit_at_10": pa.array([r["validation_hit_at_10"] for r in results], pa.float64()),
        "validation_accuracy": pa.array([r["validation_accuracy"] for r in results], pa.float64()),
        "seconds": pa.array([r["seconds"] for r in results], pa.float64()),
        "is_chosen": pa.array([i == chosen for i in range(len(results))], pa.bool_()),
    })

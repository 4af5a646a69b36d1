"""Each listener's taste, twice: from all their listens (split 'all': what recommend_for draws
from) and from the listens before their evaluation cutoff (split 'train': what
rpt_listener_evaluation measures). A few weighted centres in the default embedding
(models_py/taste.py: plays weighted by share played and recency, skips against), each with its
share of the weight and its most-played tracks. Recomputed by every build (seconds); the
catalogue's trained models are not touched."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml
    from wavehouse.models_py.taste import listen_weights, taste_centres

    p = ml.config(
        taste_max_centres=(dbt.config.get("taste_max_centres"), int),
        taste_tracks_per_centre=(dbt.config.get("taste_tracks_per_centre"), int),
        taste_half_life_days=(dbt.config.get("taste_half_life_days"), float),
        seed=(dbt.config.get("seed"), int),
    )
    dbt.ref("int_listens_split"), dbt.ref("ml_track_embeddings")  # the models it reads
    listens = ml.table(
        session.sql(
            """select s.listener_id, s.track_id, s.is_train, s.skipped, s.share_played,
                      date_diff('second', s.played_at, max(s.played_at) over (partition by s.listener_id))
                          / 86400.0 as age_days,
                      date_diff('second', s.played_at, s.cutoff) / 86400.0 as age_days_train,
                      e.embedding
               from int_listens_split as s
               inner join ml_track_embeddings as e on e.track_id = s.track_id and e.is_default
               order by s.listener_id, s.track_id, s.played_at"""
        )
    )
    rows = {name: [] for name in ["listener_id", "split", "centre_id", "share", "n_tracks", "exemplar_track_ids"]}
    centres = []
    with ml.stage(session, "listener_taste", p) as m:
        ids = np.array(listens.column("listener_id").to_pylist(), dtype=object)
        tracks = np.array(listens.column("track_id").to_pylist(), dtype=object)
        train = np.array(listens.column("is_train").to_pylist(), dtype=bool)
        weights = {
            split: listen_weights(
                listens.column("share_played").to_numpy(zero_copy_only=False).astype(float),
                listens.column("skipped").to_numpy(zero_copy_only=False),
                listens.column(age).to_numpy(zero_copy_only=False).astype(float),
                p["taste_half_life_days"],
            )
            for split, age in (("all", "age_days"), ("train", "age_days_train"))
        }
        X = ml.matrix(listens, "embedding") if len(listens) else np.zeros((0, 1), np.float32)
        for listener in sorted(set(ids)):
            for split, rows_of in (("all", ids == listener), ("train", (ids == listener) & train)):
                picked = np.flatnonzero(rows_of)
                unique, first, inverse = np.unique(tracks[picked], return_index=True, return_inverse=True)
                per_track = np.bincount(inverse, weights=weights[split][picked], minlength=len(unique))
                taste = taste_centres(
                    X[picked[first]], per_track, p["taste_max_centres"], p["taste_tracks_per_centre"], p["seed"]
                )
                for c, (centre, share) in enumerate(zip(taste.centres, taste.shares, strict=True)):
                    rows["listener_id"].append(listener)
                    rows["split"].append(split)
                    rows["centre_id"].append(c + 1)
                    rows["share"].append(float(share))
                    rows["n_tracks"].append(len(taste.exemplars[c]))
                    rows["exemplar_track_ids"].append(unique[taste.exemplars[c][:5]].tolist())
                    centres.append(centre)
        m.update(listeners=len(set(ids)), centres=len(centres), listens=len(listens))
    width = X.shape[1] if len(listens) else 1
    return pa.table(
        {
            "listener_id": pa.array(rows["listener_id"], pa.string()),
            "split": pa.array(rows["split"], pa.string()),
            "centre_id": pa.array(rows["centre_id"], pa.int32()),
            "share": pa.array(rows["share"], pa.float64()),
            "n_tracks": pa.array(rows["n_tracks"], pa.int64()),
            "exemplar_track_ids": pa.array(rows["exemplar_track_ids"], pa.list_(pa.string())),
            "centre": ml.variable_vectors(np.array(centres, np.float32).reshape(-1, width)),
        }
    )

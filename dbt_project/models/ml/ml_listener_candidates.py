"""For each listener, split and taste centre (ml_listener_taste): the taste_candidates catalogue
tracks nearest the centre (cosine, default embedding), one per song, none of a song the listener
played in that split (skips included). fct_listener_candidates adds the tracks' columns;
recommend_for and rpt_listener_evaluation rank them."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml
    from wavehouse.models_py.taste import nearest_per_centre, unit_rows

    p = ml.config(taste_candidates=(dbt.config.get("taste_candidates"), int))
    dbt.ref("ml_track_embeddings"), dbt.ref("dim_tracks"), dbt.ref("int_listens_split")  # the models it reads
    taste = ml.table(dbt.ref("ml_listener_taste").order("listener_id, split, centre_id"))
    out = {name: [] for name in ["listener_id", "split", "centre_id", "centre_rank", "track_id", "similarity"]}
    with ml.stage(session, "listener_candidates", p) as m:
        if len(taste):
            catalogue = ml.table(
                session.sql(
                    """select e.track_id, d.song_key, e.embedding
                        from ml_track_embeddings as e
                        inner join dim_tracks as d using (track_id)
                        where e.is_default order by e.track_id"""
                )
            )
            X = unit_rows(ml.matrix(catalogue, "embedding"))
            track_ids = np.array(catalogue.column("track_id").to_pylist(), dtype=object)
            songs = np.array(catalogue.column("song_key").to_pylist(), dtype=object)
            played: dict = {}  # (listener, split) -> the songs played in that split
            for listener, song, is_train in session.sql(
                "select distinct listener_id, song_key, is_train from int_listens_split"
            ).fetchall():
                played.setdefault((listener, "all"), set()).add(song)
                if is_train:
                    played.setdefault((listener, "train"), set()).add(song)
            centres = ml.matrix(taste, "centre")
            keys = list(zip(taste.column("listener_id").to_pylist(), taste.column("split").to_pylist(), strict=True))
            centre_ids = taste.column("centre_id").to_pylist()
            for listener, split in sorted(set(keys)):
                excluded = played.get((listener, split), set())
                rows = [i for i, key in enumerate(keys) if key == (listener, split)]
                for i, (best, sims) in zip(
                    rows, nearest_per_centre(X, songs, centres[rows], excluded, p["taste_candidates"]), strict=True
                ):
                    out["listener_id"] += [listener] * len(best)
                    out["split"] += [split] * len(best)
                    out["centre_id"] += [centre_ids[i]] * len(best)
                    out["centre_rank"] += list(range(1, len(best) + 1))
                    out["track_id"] += track_ids[best].tolist()
                    out["similarity"] += sims.tolist()
        m.update(rows=len(out["track_id"]))
    return pa.table(
        {
            "listener_id": pa.array(out["listener_id"], pa.string()),
            "split": pa.array(out["split"], pa.string()),
            "centre_id": pa.array(out["centre_id"], pa.int32()),
            "centre_rank": pa.array(out["centre_rank"], pa.int32()),
            "track_id": pa.array(out["track_id"], pa.string()),
            "similarity": pa.array(out["similarity"], pa.float32()),
        }
    )

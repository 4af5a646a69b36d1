"""The searches behind the audio and hybrid embeddings, scored on the validation band of the
training songs (int_ml_inputs.is_validation) with models and artist evidence from the rest of the
training split; held-out songs are never read here.

- search `genre_head`: each config of the var genre_head_search x each output of the network, by
  the validation songs' genre hit rate@10 among the training tracks. The best (is_chosen) is what
  ml_track_embeddings trains, on the training split (at most train_sample tracks), for `audio`.
- search `hybrid_mix`: each audio weight of hybrid_audio_weights, mixing the chosen model's
  probabilities with the fit-only artist evidence (int_artist_genre_evidence.fit_*): genre hit
  rate@10 and own-artist share. Chosen: the best hit rate among the mixes whose own-artist share
  is at most hybrid_max_own_artist_share.

Both run on a fixed sample of at most search_sample tracks, stratified by genre (all tracks when
the catalogue is smaller): model selection need not read a 10M-track catalogue, and its time then
stops growing with the catalogue. The chosen model trains on at most train_sample tracks (ml_track_embeddings).

Empty for a catalogue without genres."""

import json

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml_io
    if ml_io.is_incremental(dbt.ref("ml_build_plan")):   # fitted on the full build's tracks: kept
        ml_io.reuse_stages(session, ['genre_head_search', 'hybrid_mix_search'])
        return ml_io.previous(session, "ml_genre_head_tuning")
    from wavehouse.models_py.genre_head import (HeadConfig, artist_evidence_matrix, best_config, choose_hybrid_weight,
                                                search_genre_head, search_hybrid_weight)

    p = ml_io.config(
        genre_head_search=(dbt.config.get("genre_head_search"), list),
        search_sample=(dbt.config.get("search_sample"), int),
        hybrid_audio_weights=(dbt.config.get("hybrid_audio_weights"), list),
        hybrid_max_own_artist_share=(dbt.config.get("hybrid_max_own_artist_share"), float),
        seed=(dbt.config.get("seed"), int),
    )
    inputs = ml_io.table(dbt.ref("int_ml_inputs").order("track_id"))
    evidence = ml_io.table(dbt.ref("int_artist_genre_evidence").order("track_id"))
    if not evidence.column("track_id").equals(inputs.column("track_id")):
        raise ValueError("int_artist_genre_evidence is not aligned with int_ml_inputs by track_id")
    if inputs.num_rows > p["search_sample"]:
        sample = pa.array(ml_io.sample_rows(inputs, p["search_sample"], p["seed"]))
        inputs, evidence = inputs.take(sample), evidence.take(sample)
    genres = ml_io.genre_labels(inputs)
    configs = [HeadConfig(**c) for c in p["genre_head_search"]]
    head_rows, mix_rows, head_chosen, mix_chosen = [], [], -1, -1
    if genres is not None and configs:
        X = ml_io.matrix(inputs, "features")
        songs = inputs.column("song_id").to_numpy()
        train = ~inputs.column("is_holdout").to_numpy(zero_copy_only=False)
        validation = inputs.column("is_validation").to_numpy(zero_copy_only=False)
        with ml_io.stage(session, "genre_head_search", p) as m:
            head_rows, probabilities = search_genre_head(X, genres, songs, train, validation, configs,
                                                         seed=p["seed"], log=ml_io.log)
            head_chosen = best_config(head_rows)
            m.update(configs=len(head_rows), chosen=head_chosen + 1, sample_tracks=inputs.num_rows,
                     chosen_validation_hit_at_10=head_rows[head_chosen]["validation_hit_at_10"])
        if p["hybrid_audio_weights"]:      # [] = no hybrid embedding
            with ml_io.stage(session, "hybrid_mix_search", p) as m:
                # the mixes, on the rows the search used (training rows with a genre), in their order
                rows = np.flatnonzero(train & (genres >= 0))
                fit_evidence = evidence.take(pa.array(rows))
                artists = artist_evidence_matrix(len(rows), probabilities.shape[1], np.arange(len(rows)),
                                                 fit_evidence.column("fit_genre_ids").to_pylist(),
                                                 fit_evidence.column("fit_genre_counts").to_pylist())
                mix_rows = search_hybrid_weight(probabilities, artists, genres[rows], songs[rows],
                                                fit_evidence.column("artist_ids").to_pylist(),
                                                np.flatnonzero(validation[rows]), p["hybrid_audio_weights"], log=ml_io.log)
                mix_chosen = choose_hybrid_weight(mix_rows, p["hybrid_max_own_artist_share"])
                m.update(hybrid_audio_weight=mix_rows[mix_chosen]["audio_weight"],
                         hybrid_validation_hit_at_10=mix_rows[mix_chosen]["validation_hit_at_10"],
                         hybrid_validation_own_artist_share=mix_rows[mix_chosen]["validation_own_artist_share"])
    fields = list(HeadConfig.__dataclass_fields__)
    n_head, n_mix = len(head_rows), len(mix_rows)
    empty = [None] * n_mix

    def column(values, kind):
        return pa.array(values, kind)

    return pa.table({
        "search": column(["genre_head"] * n_head + ["hybrid_mix"] * n_mix, pa.string()),
        "candidate_id": column(list(range(1, n_head + 1)) + list(range(1, n_mix + 1)), pa.int32()),
        **{f: column([r[f] for r in head_rows] + empty, pa.array([getattr(HeadConfig(), f)]).type) for f in fields},
        "config": column([json.dumps({f: r[f] for f in fields}) for r in head_rows] + empty, pa.string()),
        "audio_weight": column([None] * n_head + [r["audio_weight"] for r in mix_rows], pa.float64()),
        "fit_rows": column([r["fit_rows"] for r in head_rows] + empty, pa.int64()),
        "validation_rows": column([r["validation_rows"] for r in head_rows] + [head_rows[0]["validation_rows"] if head_rows else None] * n_mix, pa.int64()),
        "validation_hit_at_10": column([r["validation_hit_at_10"] for r in head_rows + mix_rows], pa.float64()),
        "validation_accuracy": column([r["validation_accuracy"] for r in head_rows] + empty, pa.float64()),
        "validation_own_artist_share": column([None] * n_head + [r["validation_own_artist_share"] for r in mix_rows], pa.float64()),
        "seconds": column([r["seconds"] for r in head_rows] + empty, pa.float64()),
        "is_chosen": column([i == head_chosen for i in range(n_head)] + [i == mix_chosen for i in range(n_mix)], pa.bool_()),
    })

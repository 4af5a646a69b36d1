"""The config behind the audio and hybrid embeddings, and the searches that chose it.

One chosen row per search (is_chosen), which ml_track_embeddings trains:
- `genre_head`: the genre head's config (HeadConfig: width, depth, epochs, lr, output, ...);
- `hybrid_mix`: the audio weight w of the hybrid mix.

Where the chosen rows come from (column `source`):
- `search` (var tune: true; `wavehouse tune`, `wavehouse build --tune`): this build ran the two
  searches, on the validation band of the training songs (int_ml_inputs.is_validation) with models
  and artist evidence from the rest of the training split; held-out songs are never read. Search
  `genre_head`: each config of genre_head_search x each output of the network, by the validation
  songs' genre hit rate@10 among the training tracks. Search `hybrid_mix`: each audio weight of
  hybrid_audio_weights mixing the chosen model's probabilities with the fit-only artist evidence;
  chosen: the best hit rate among the mixes whose own-artist share is at most
  hybrid_max_own_artist_share. Both on a fixed stratified sample of at most search_sample tracks.
- `search`, carried: a full build of a warehouse that was tuned before keeps the published
  warehouse's search rows (tuning_run_id says which run) unless use_tuned_config is false.
- `defaults`: never tuned: the vars genre_head and hybrid_audio_weight (dbt_project.yml).

Every build records the config it used and its source in ml_stage_log (stage model_config, in
ml_runs). Empty for a catalogue without genres."""

import datetime
import json

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml

    if ml.is_incremental(dbt.ref("ml_build_plan")):  # the previous build's models and config: kept
        ml.reuse_stages(session, ["genre_head_search", "hybrid_mix_search", "model_config"])
        return ml.previous(session, "ml_genre_head_tuning")
    from wavehouse.models_py.genre_head import HeadConfig

    p = ml.config(
        tune=(dbt.config.get("tune"), bool),
        use_tuned_config=(dbt.config.get("use_tuned_config"), bool),
        genre_head=(dbt.config.get("genre_head"), dict),
        hybrid_audio_weight=(dbt.config.get("hybrid_audio_weight"), float),
        genre_head_search=(dbt.config.get("genre_head_search"), list),
        search_sample=(dbt.config.get("search_sample"), int),
        hybrid_audio_weights=(dbt.config.get("hybrid_audio_weights"), list),
        hybrid_max_own_artist_share=(dbt.config.get("hybrid_max_own_artist_share"), float),
        seed=(dbt.config.get("seed"), int),
    )
    run_id = ml.build_plan(dbt.ref("ml_build_plan"))["run_id"]
    inputs = ml.table(dbt.ref("int_ml_inputs").order("track_id"))
    if ml.genre_labels(inputs) is None:
        ml.record_stage(session, "model_config", 0.0, {"source": "none: the catalogue has no genres"}, {})
        return tuning_rows([], [], -1, -1, "defaults", None)
    if p["tune"]:
        table = search(dbt, session, p, inputs, run_id)
    elif p["use_tuned_config"] and tuned_before(session):
        table = ml.previous(session, "ml_genre_head_tuning")
    else:
        weight = p["hybrid_audio_weight"]
        table = tuning_rows(
            [HeadConfig(**p["genre_head"]).__dict__],
            [{"audio_weight": weight}] if weight > 0 else [],
            0,
            0 if weight > 0 else -1,
            "defaults",
            None,
        )
    chosen = {row["search"]: row for row in table.filter(table.column("is_chosen")).to_pylist()}
    head, mix = chosen["genre_head"], chosen.get("hybrid_mix")
    where = (
        f"tuned by run {head['tuning_run_id']} at {head['tuned_at']:%Y-%m-%d %H:%M} UTC"
        if head["source"] == "search"
        else "the defaults of dbt_project.yml; `wavehouse tune` searches your catalogue's"
    )
    ml.log(
        f"config: genre head {json.loads(head['config'])}, hybrid audio weight "
        f"{mix['audio_weight'] if mix else 'none'} ({where})"
    )
    ml.record_stage(
        session,
        "model_config",
        0.0,
        {
            "source": head["source"],
            "tuning_run_id": head["tuning_run_id"],
            "tuned_at": str(head["tuned_at"]) if head["tuned_at"] else None,
            "genre_head": json.loads(head["config"]),
            "hybrid_audio_weight": mix["audio_weight"] if mix else None,
        },
        {},
    )
    return table


def tuned_before(session) -> bool:
    """Whether the published warehouse (attached as `previous`, if any) was tuned: its
    ml_genre_head_tuning holds a search."""
    from wavehouse import ml

    if not ml.previous_has(session, "ml_genre_head_tuning"):
        return False
    columns = {
        r[0]
        for r in session.execute("""select column_name from duckdb_columns()
                                                 where database_name = 'previous'
                                                   and table_name = 'ml_genre_head_tuning'""").fetchall()
    }
    return (
        "source" in columns
        and session.execute(
            """select count(*) from previous.main.ml_genre_head_tuning
           where source = 'search' and is_chosen"""
        ).fetchall()[0][0]
        > 0
    )


def tuning_rows(head_rows, mix_rows, head_chosen, mix_chosen, source, run_id, tuned_at=None):
    """The table: one row per genre-head candidate (a dict of HeadConfig fields and, for a search,
    its scores), then one per hybrid mix ({audio_weight, scores}); *_chosen index the chosen ones."""
    from wavehouse.models_py.genre_head import HeadConfig

    fields = list(HeadConfig.__dataclass_fields__)
    n_head, n_mix = len(head_rows), len(mix_rows)
    empty = [None] * n_mix

    def scores(rows, name):
        return [r.get(name) for r in rows]

    return pa.table(
        {
            "search": pa.array(["genre_head"] * n_head + ["hybrid_mix"] * n_mix, pa.string()),
            "candidate_id": pa.array(list(range(1, n_head + 1)) + list(range(1, n_mix + 1)), pa.int32()),
            **{f: pa.array(scores(head_rows, f) + empty, pa.array([getattr(HeadConfig(), f)]).type) for f in fields},
            "config": pa.array([json.dumps({f: r[f] for f in fields}) for r in head_rows] + empty, pa.string()),
            "audio_weight": pa.array([None] * n_head + scores(mix_rows, "audio_weight"), pa.float64()),
            "fit_rows": pa.array(scores(head_rows, "fit_rows") + empty, pa.int64()),
            "validation_rows": pa.array(
                scores(head_rows, "validation_rows")
                + [head_rows[0].get("validation_rows") if head_rows else None] * n_mix,
                pa.int64(),
            ),
            "validation_hit_at_10": pa.array(scores(head_rows + mix_rows, "validation_hit_at_10"), pa.float64()),
            "validation_accuracy": pa.array(scores(head_rows, "validation_accuracy") + empty, pa.float64()),
            "validation_own_artist_share": pa.array(
                [None] * n_head + scores(mix_rows, "validation_own_artist_share"), pa.float64()
            ),
            "seconds": pa.array(scores(head_rows, "seconds") + empty, pa.float64()),
            "is_chosen": pa.array([i == head_chosen for i in range(n_head)] + [i == mix_chosen for i in range(n_mix)]),
            "source": pa.array([source] * (n_head + n_mix), pa.string()),
            "tuning_run_id": pa.array([run_id] * (n_head + n_mix), pa.string()),
            "tuned_at": pa.array([tuned_at] * (n_head + n_mix), pa.timestamp("us")),
        }
    )


def search(dbt, session, p, inputs, run_id):
    """Both searches on this build's catalogue (at most search_sample tracks), as tuning_rows."""
    from wavehouse import ml
    from wavehouse.models_py.genre_head import HeadConfig, artist_evidence_matrix
    from wavehouse.models_py.tuning import best_config, choose_hybrid_weight, search_genre_head, search_hybrid_weight

    evidence = ml.table(dbt.ref("int_artist_genre_evidence").order("track_id"))
    if not evidence.column("track_id").equals(inputs.column("track_id")):
        raise ValueError("int_artist_genre_evidence is not aligned with int_ml_inputs by track_id")
    if inputs.num_rows > p["search_sample"]:
        sample = pa.array(ml.sample_rows(inputs, p["search_sample"], p["seed"]))
        inputs, evidence = inputs.take(sample), evidence.take(sample)
    genres = ml.genre_labels(inputs)
    configs = [HeadConfig(**c) for c in p["genre_head_search"]] or [HeadConfig(**p["genre_head"])]
    X = ml.matrix(inputs, "features")
    songs = inputs.column("song_id").to_numpy()
    train = ~inputs.column("is_holdout").to_numpy(zero_copy_only=False)
    validation = inputs.column("is_validation").to_numpy(zero_copy_only=False)
    with ml.stage(session, "genre_head_search", p) as m:
        head_rows, probabilities = search_genre_head(
            X,
            genres,
            songs,
            train,
            validation,
            configs,
            seed=p["seed"],
            log=ml.log,
            progress=ml.progress_of("genre_head_search"),
        )
        head_chosen = best_config(head_rows)
        m.update(
            configs=len(head_rows),
            chosen=head_chosen + 1,
            sample_tracks=inputs.num_rows,
            chosen_validation_hit_at_10=head_rows[head_chosen]["validation_hit_at_10"],
        )
    mix_rows, mix_chosen = [], -1
    if p["hybrid_audio_weights"]:  # [] = no hybrid embedding
        with ml.stage(session, "hybrid_mix_search", p) as m:
            # the mixes, on the rows the search used (training rows with a genre), in their order
            rows = np.flatnonzero(train & (genres >= 0))
            fit_evidence = evidence.take(pa.array(rows))
            artists = artist_evidence_matrix(
                len(rows),
                probabilities.shape[1],
                np.arange(len(rows)),
                fit_evidence.column("fit_genre_ids").to_pylist(),
                fit_evidence.column("fit_genre_counts").to_pylist(),
            )
            mix_rows = search_hybrid_weight(
                probabilities,
                artists,
                genres[rows],
                songs[rows],
                fit_evidence.column("artist_ids").to_pylist(),
                np.flatnonzero(validation[rows]),
                p["hybrid_audio_weights"],
                log=ml.log,
            )
            mix_chosen = choose_hybrid_weight(mix_rows, p["hybrid_max_own_artist_share"])
            m.update(
                hybrid_audio_weight=mix_rows[mix_chosen]["audio_weight"],
                hybrid_validation_hit_at_10=mix_rows[mix_chosen]["validation_hit_at_10"],
                hybrid_validation_own_artist_share=mix_rows[mix_chosen]["validation_own_artist_share"],
            )
    tuned_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return tuning_rows(head_rows, mix_rows, head_chosen, mix_chosen, "search", run_id, tuned_at)

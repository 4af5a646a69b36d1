{#- One row: whether this build is full (train everything) or incremental (reuse the previous
    build's scaler, genre numbering, trained models and centroids; embed, assign and list the new
    and changed tracks; merge them into the existing neighbour lists), and why. Incremental needs a
    previous warehouse with stored models (ml_models), the same model parameters, the same
    features, no genre the trained models do not know, and at most incremental_max_change_share of
    the previous tracks added, changed or deleted. -#}
-- depends_on: {{ ref('int_tracks_deduped') }}
{%- set has_previous = previous_has('ml_models') and previous_has('ml_build_plan') and previous_has('int_ml_inputs') %}
with

changes as (
    select
        count(*) filter (where change = 'added') as tracks_added,
        count(*) filter (where change = 'changed') as tracks_changed,
        count(*) filter (where change = 'deleted') as tracks_deleted,
        count(*) filter (where change = 'same') as tracks_same
    from {{ ref('int_track_changes') }}
),

current_state as (
    select
        {{ sql_string(model_parameters()) }} as parameters,
        list_filter([
            {%- for column in feature_columns() %}
            case when count({{ column }}) > 0 then '{{ column }}' end{% if not loop.last %},{% endif %}
            {%- endfor %}
        ], lambda f: f is not null) as features,
        coalesce(list(distinct primary_genre order by primary_genre) filter (
            where primary_genre is not null
            and md5_number(song_key) % 100 >= {{ var('holdout_percent', 20) }}), []) as training_genres
    from {{ ref('int_tracks_deduped') }}
),

previous_state as (
    {%- if has_previous %}
    select plan.parameters, plan.features, plan.training_genres, runs.previous_run_id
    from previous.main.ml_build_plan as plan
    cross join (select max(run_id) as previous_run_id from previous.main.ml_runs) as runs
    {%- else %}
    select null::varchar as parameters, null::varchar[] as features, null::varchar[] as training_genres,
           null::varchar as previous_run_id
    {%- endif %}
),

decided as (
    select
        changes.*,
        current_state.*,
        previous_state.previous_run_id,
        (tracks_same + tracks_changed + tracks_deleted) as previous_tracks,
        (tracks_added + tracks_changed + tracks_deleted) / greatest(tracks_same + tracks_changed + tracks_deleted, 1)
            as changed_share,
        {{ var('incremental_max_change_share', 0.2) }} as max_change_share,
        case
            {%- if var('tune', false) | string | lower == 'true' %}
            when true then 'tuning (wavehouse tune): the searches choose the config, every model trains on it'
            {%- endif %}
            {%- if flags.FULL_REFRESH %}
            when true then '--full-refresh was asked for'
            {%- endif %}
            when previous_state.parameters is null then
                {{ sql_string('no previous warehouse with stored models' if previous_warehouse_path()
                              else 'no previous warehouse') }}
            when previous_state.parameters <> current_state.parameters then 'model parameters changed'
            when previous_state.features <> current_state.features then 'the feature set changed'
            when not list_has_all(previous_state.training_genres, current_state.training_genres) then
                'new genres in the training split: ' || array_to_string(
                    list_filter(
                        current_state.training_genres,
                        lambda g: not list_contains(previous_state.training_genres, g)
                    ), ', ')
            when tracks_same = 0 then 'no previous track is left unchanged'
            when (tracks_added + tracks_changed + tracks_deleted)
                / greatest(tracks_same + tracks_changed + tracks_deleted, 1)
                > {{ var('incremental_max_change_share', 0.2) }}
                then 'more than the incremental_max_change_share of tracks changed'
        end as full_reason
    from changes, current_state, previous_state
),

final as (
    select
        '{{ invocation_id }}' as run_id,
        case when full_reason is null then 'incremental' else 'full' end as mode,
        coalesce(full_reason, 'reusing the models of run ' || previous_run_id) as reason,
        tracks_added,
        tracks_changed,
        tracks_deleted,
        tracks_same,
        previous_tracks,
        changed_share,
        max_change_share,
        previous_run_id,
        parameters,
        features,
        training_genres,
        -- what this build is of (`wavehouse build`: input bytes, arguments, code, library versions);
        -- a later `wavehouse build` with the same one has nothing to do
        nullif({{ sql_string(env_var('WAVEHOUSE_FINGERPRINT', '')) }}, '') as input_fingerprint
    from decided
)

select * from final

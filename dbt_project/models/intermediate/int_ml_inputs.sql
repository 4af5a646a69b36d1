{#- What the Python models read: one row per track in track_id order, with its scaled feature
    vector, integer genre and song ids, a fixed train/held-out split, and a validation band inside
    the training split. The split is by song (md5 of song_key), so a held-out song has no other id
    in the training split. Genre ids number the training split's genres only, so that held-out
    labels cannot even change the numbering the models see (a held-out track whose genre no
    training track has gets none). -#}
-- depends_on: {{ ref('ml_build_plan') }}
{{ config(post_hook="{{ check_enough_tracks(this) }}") }}
with

tracks as (
    select * from {{ ref('int_tracks_deduped') }}
),

scaled as (
    select * from {{ ref('int_track_features_scaled') }}
),

split as (
    select
        track_id,
        (md5_number(song_key) % 100) < {{ var('holdout_percent', 20) }} as is_holdout,
        -- the next band of the same hash: training songs set aside to choose the genre head's
        -- config and the hybrid mix (ml_genre_head_tuning)
        (md5_number(song_key) % 100) >= {{ var('holdout_percent', 20) }}
            and (md5_number(song_key) % 100) < {{ var('holdout_percent', 20) }} + {{ var('validation_percent', 20) }}
            as is_validation
    from tracks
),

training_genres as (
    {%- if build_mode() == 'incremental' %}
    -- an incremental build keeps the numbering the trained models output (ml_build_plan made sure
    -- no new genre is in the training split)
    select distinct primary_genre, genre_id from previous.main.int_ml_inputs where genre_id is not null
    {%- else %}
    select primary_genre, (row_number() over (order by primary_genre) - 1)::integer as genre_id
    from (
        select distinct tracks.primary_genre
        from tracks
        inner join split using (track_id)
        where not split.is_holdout and tracks.primary_genre is not null
    ) as genres
    {%- endif %}
),

final as (
    select
        tracks.track_id,
        scaled.features,
        tracks.primary_genre,
        training_genres.genre_id,
        (dense_rank() over (order by tracks.song_key) - 1)::integer as song_id,
        split.is_holdout,
        split.is_validation
    from tracks
    inner join scaled using (track_id)
    inner join split using (track_id)
    left join training_genres using (primary_genre)
    order by tracks.track_id
)

select * from final

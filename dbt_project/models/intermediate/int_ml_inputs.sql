{#- What the Python models read: one row per track in track_id order, with its scaled feature
    vector, integer genre and song ids, and a fixed train/held-out split, and a validation band inside the training split. The split is by song
    (md5 of song_key), so a held-out song has no other id in the training split. -#}
with

tracks as (
    select * from {{ ref('int_tracks_deduped') }}
),

scaled as (
    select * from {{ ref('int_track_features_scaled') }}
),

final as (
    select
        tracks.track_id,
        scaled.features,
        tracks.primary_genre,
        case when tracks.primary_genre is not null
             then (dense_rank() over (partition by tracks.primary_genre is null order by tracks.primary_genre) - 1)::integer
        end as genre_id,
        (dense_rank() over (order by tracks.song_key) - 1)::integer as song_id,
        (md5_number(tracks.song_key) % 100) < {{ var('holdout_percent', 20) }} as is_holdout,
        -- the next band of the same hash: training songs set aside to choose the genre head's
        -- config and the hybrid mix (ml_genre_head_tuning)
        (md5_number(tracks.song_key) % 100) >= {{ var('holdout_percent', 20) }}
            and (md5_number(tracks.song_key) % 100) < {{ var('holdout_percent', 20) }} + {{ var('validation_percent', 20) }}
            as is_validation
    from tracks
    inner join scaled using (track_id)
    order by tracks.track_id
)

select * from final

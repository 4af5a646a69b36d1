{#- The track dimension: one row per valid track_id, the table every later layer joins to. -#}
with

tracks as (
    select * from {{ ref('int_tracks_deduped') }}
),

final as (
    select
        track_id,
        track_name,
        artists,
        album_name,
        primary_genre,
        genres,
        song_key,
        popularity,
        duration_ms,
        explicit,
        danceability,
        energy,
        key,
        loudness,
        mode,
        speechiness,
        acousticness,
        instrumentalness,
        liveness,
        valence,
        tempo,
        time_signature,
        is_imputed,
        n_source_rows,
        first_line_number
    from tracks
)

select * from final

{#- The track dimension: one row per valid track_id, the table every later layer joins to. -#}
{#- track_id is the primary key (an ART index: `where track_id = ?` is an index scan); the index on
    track_number serves search_tracks, whose top k are joined back by number. -#}
{{ config(post_hook="create unique index if not exists dim_tracks_track_number on {{ this }} (track_number)") }}
with

tracks as (
    select * from {{ ref('int_tracks_deduped') }}
),

ml_inputs as (
    select * from {{ ref('int_ml_inputs') }}
),

moods as (
    select * from {{ ref('int_track_moods') }}
),

clusters as (
    select * from {{ ref('ml_track_clusters') }}
    where method = '{{ var("default_cluster_method") }}'
),

final as (
    select
        tracks.track_id,
        -- a dense integer key (the rank by track_id): the search index carries it instead of the id
        row_number() over (order by tracks.track_id)::integer as track_number,
        track_name,
        artists,
        album_name,
        tracks.primary_genre,
        genres,
        song_key,
        title_key,
        search_key,
        artist_key,
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
        first_record_number,
        source_file,
        source_row,
        ml_inputs.is_holdout,
        clusters.cluster_id,
        clusters.sub_cluster_id,
        moods.mood
    from tracks
    inner join ml_inputs using (track_id)
    inner join moods using (track_id)
    left join clusters using (track_id)
    -- sorted by id: a look-up by track_id reads one row group (zone maps), not the table
    order by tracks.track_id
)

select * from final

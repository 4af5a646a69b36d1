{#- The streams that matched no catalogue track, with why: what the export said was played (artist,
    title, album) and when; nothing else of the export is kept. -#}
select
    stream_id,
    listener_id,
    played_at,
    ms_played,
    spotify_track_id,
    artist_name,
    track_name,
    album_name,
    source_format,
    unmatched_reason
from {{ ref('int_listens_matched') }}
where track_id is null

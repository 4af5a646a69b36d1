{#- Every distinct stream with what it matched in the catalogue: by Spotify id (the track itself,
    confidence 1), else by normalised title and artist (the same normaliser as search: case,
    accents, punctuation, "feat." parts) to the song whose artists include the stream's artist
    (the song's most popular release; confidence 0.9, 0.8 when several songs share that title and
    artist), else a reason it did not: 'podcast or audiobook', 'no name', 'not in the catalogue'. -#}

with

streams as (
    select *, {{ normalise_name(strip_featuring('track_name')) }} as title_norm,
           {{ normalise_name('artist_name') }} as artist_norm
    from {{ ref('int_listens_streams') }}
),

tracks as (
    select track_id, song_key, title_key, popularity from {{ ref('dim_tracks') }}
),

-- every (title, artist) of the catalogue: one row per song and artist, the song's most popular release
names as (
    select title_key, artist_norm, song_key, track_id, popularity,
           count(*) over (partition by title_key, artist_norm) as n_songs
    from (
        select title_key, unnest(string_split(split_part(song_key, '|', 1), ';')) as artist_norm, song_key,
               track_id, popularity
        from tracks
        where title_key <> '' and not starts_with(song_key, 'id:')
        qualify row_number() over (partition by song_key order by popularity desc nulls last, track_id) = 1
    ) as artist_names
    qualify row_number() over (partition by title_key, artist_norm order by popularity desc nulls last, track_id) = 1
),

matched as (
    select
        s.*,
        coalesce(by_id.track_id, by_name.track_id) as track_id,
        coalesce(by_id.song_key, by_name.song_key) as song_key,
        case when by_id.track_id is not null then 'spotify_id'
             when by_name.track_id is not null then 'artist_title' end as match_method,
        case when by_id.track_id is not null then 1.0
             when by_name.n_songs = 1 then 0.9
             when by_name.track_id is not null then 0.8 end as match_confidence
    from streams as s
    left join tracks as by_id on by_id.track_id = s.spotify_track_id
    left join names as by_name
        on by_id.track_id is null and by_name.title_key = s.title_norm and by_name.artist_norm = s.artist_norm
        and not s.is_spoken and not s.ref_is_episode
)

select
    *,
    {{ listener_id('listener_name') }} as listener_id,
    case
        when track_id is not null then null
        when is_spoken or ref_is_episode then 'podcast or audiobook'
        when spotify_track_id is null and (track_name is null or title_norm = '') then 'no name'
        else 'not in the catalogue'
    end as unmatched_reason
from matched

{#- Artist evidence for the hybrid embedding: for each track, the genres of the other labelled
    tracks of its artists, as counts per genre_id. Only the training split's labels count (a
    held-out song's genre never reaches it), and a track never counts its own song (no label of its
    own, nor of its other releases). A track with several artists sums over them. Tracks whose
    artists have no other labelled track have no row: their hybrid embedding is audio alone. -#}
with

inputs as (
    select * from {{ ref('int_ml_inputs') }}
),

tracks as (
    select track_id, artists from {{ ref('int_tracks_deduped') }}
),

track_artists as (
    select distinct inputs.track_id, inputs.song_id, trim(a.artist) as artist
    from inputs
    inner join tracks using (track_id),
    unnest(string_split(coalesce(tracks.artists, ''), ';')) as a(artist)
    where trim(a.artist) <> ''
),

-- the labels models may learn from
training_labels as (
    select track_id, genre_id from inputs where not is_holdout and genre_id is not null
),

artist_genre as (
    select track_artists.artist, training_labels.genre_id, count(*) as n_tracks
    from track_artists
    inner join training_labels using (track_id)
    group by all
),

-- the same counts within one song: taken off again, so a track does not count its own song
song_artist_genre as (
    select track_artists.song_id, track_artists.artist, training_labels.genre_id, count(*) as n_tracks
    from track_artists
    inner join training_labels using (track_id)
    group by all
),

evidence as (
    select
        track_artists.track_id,
        artist_genre.genre_id,
        sum(artist_genre.n_tracks - coalesce(song_artist_genre.n_tracks, 0))::integer as n_tracks
    from track_artists
    inner join artist_genre using (artist)
    left join song_artist_genre
        on song_artist_genre.song_id = track_artists.song_id
        and song_artist_genre.artist = track_artists.artist
        and song_artist_genre.genre_id = artist_genre.genre_id
    group by all
    having sum(artist_genre.n_tracks - coalesce(song_artist_genre.n_tracks, 0)) > 0
),

final as (
    select
        track_id,
        list(genre_id order by genre_id) as genre_ids,
        list(n_tracks order by genre_id) as genre_counts,
        sum(n_tracks)::integer as n_labelled
    from evidence
    group by track_id
    order by track_id
)

select * from final

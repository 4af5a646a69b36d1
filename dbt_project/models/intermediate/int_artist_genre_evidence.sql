{#- Artist evidence for the hybrid embedding: for each track, the genres of the other labelled
    tracks of its artists, as counts per genre_id. Only the training split's labels count (a
    held-out song's genre never reaches it), and a track never counts its own song (no label of its
    own, nor of its other releases). A track with several artists sums over them. Tracks whose
    artists have no other labelled track have empty lists: their hybrid embedding is audio alone.
    The fit_ columns are the same from the training split minus its validation band: what
    ml_genre_head_tuning scores hybrid mixes with (no validation label in them). -#}
{%- set label_sets = [('training', 'not is_holdout'), ('fit', 'not is_holdout and not is_validation')] -%}
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
    unnest(string_split(coalesce(tracks.artists, ''), ';')) as a (artist)
    where trim(a.artist) <> ''
),
{% for name, condition in label_sets %}
-- {{ name }}: the labels of tracks where {{ condition }}
{{ name }}_labels as (
    select track_id, genre_id from inputs where {{ condition }} and genre_id is not null
),

{{ name }}_artist_genre as (
    select track_artists.artist, labels.genre_id, count(*) as n_tracks
    from track_artists
    inner join {{ name }}_labels as labels using (track_id)
    group by all
),

-- the same counts within one song: taken off again, so a track does not count its own song
{{ name }}_song_artist_genre as (
    select track_artists.song_id, track_artists.artist, labels.genre_id, count(*) as n_tracks
    from track_artists
    inner join {{ name }}_labels as labels using (track_id)
    group by all
),

{{ name }}_evidence as (
    select track_id, list(genre_id order by genre_id) as genre_ids, list(n_tracks order by genre_id) as genre_counts
    from (
        select
            track_artists.track_id,
            artist_genre.genre_id,
            sum(artist_genre.n_tracks - coalesce(song_artist_genre.n_tracks, 0))::integer as n_tracks
        from track_artists
        inner join {{ name }}_artist_genre as artist_genre using (artist)
        left join {{ name }}_song_artist_genre as song_artist_genre
            on song_artist_genre.song_id = track_artists.song_id
            and song_artist_genre.artist = track_artists.artist
            and song_artist_genre.genre_id = artist_genre.genre_id
        group by all
        having sum(artist_genre.n_tracks - coalesce(song_artist_genre.n_tracks, 0)) > 0
    )
    group by track_id
),
{% endfor %}
-- the track's artists as numbers (for measuring how often a list repeats the seed's artist)
artist_numbers as (
    select track_id, list(artist_number order by artist_number) as artist_ids
    from (
        select track_id, dense_rank() over (order by artist)::integer as artist_number from track_artists
    ) as numbered
    group by track_id
),

final as (
    select
        inputs.track_id,
        coalesce(training_evidence.genre_ids, []) as genre_ids,
        coalesce(training_evidence.genre_counts, []) as genre_counts,
        coalesce(list_sum(training_evidence.genre_counts), 0)::integer as n_labelled,
        coalesce(fit_evidence.genre_ids, []) as fit_genre_ids,
        coalesce(fit_evidence.genre_counts, []) as fit_genre_counts,
        coalesce(artist_numbers.artist_ids, []) as artist_ids
    from inputs
    left join training_evidence using (track_id)
    left join fit_evidence using (track_id)
    left join artist_numbers using (track_id)
    order by inputs.track_id
)

select * from final

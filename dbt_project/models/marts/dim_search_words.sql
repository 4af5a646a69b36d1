{#- The search index: every normalised word of every track's title and artists, one row per
    occurrence (track, field, position), sorted by word, with what search_tracks needs to score a
    track from its occurrences alone (whether it is in the title, the number of words there,
    popularity, the integer keys of the track and its song), so that a query reads only the rows of
    the words it matches, and only integer columns. dim_search_vocabulary lists the distinct words. -#}
with

tracks as (
    select track_id, track_number, title_key, artist_key, popularity,
           dense_rank() over (order by song_key) as song_number
    from {{ ref('dim_tracks') }}
),

fields as (
    select track_id, track_number, song_number, popularity, true as in_title, string_split(title_key, ' ') as words
    from tracks
    union all
    select track_id, track_number, song_number, popularity, false as in_title, string_split(artist_key, ' ') as words
    from tracks
),

occurrences as (
    select track_id, track_number, song_number, popularity, in_title, len(words) as field_words,
           unnest(generate_series(1, len(words))) as position, unnest(words) as word
    from fields
),

final as (
    select
        dense_rank() over (order by word[1], word)::integer as word_id,
        word,
        track_number,
        song_number::integer as song_number,
        in_title,
        position::integer as position,
        field_words::integer as field_words,
        popularity,
        track_id
    from occurrences
    where word <> ''
    order by word_id, track_number, in_title, position
)

select * from final

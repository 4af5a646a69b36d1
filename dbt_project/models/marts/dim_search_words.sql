{#- The search index: every normalised word of every track's title and artists, one row per
    (word, track), sorted by word, with the word's first letter and length for the fuzzy step.
    `search_tracks` finds its candidates here (exact words, and close words of the same first
    letter from the distinct words), then scores only those tracks. -#}
with

tracks as (
    select track_id, title_key, artist_key from {{ ref('dim_tracks') }}
),

words as (
    select track_id, unnest(string_split(title_key, ' ')) as word from tracks
    union
    select track_id, unnest(string_split(artist_key, ' ')) as word from tracks
),

final as (
    select word, word[1] as first_letter, length(word) as n_chars, track_id
    from words
    where word <> ''
    order by word, track_id
)

select * from final

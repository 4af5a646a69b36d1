{#- The search index: every normalised word of every track's title and artists, one row per
    occurrence (track, field, position), sorted by word. dim_search_vocabulary groups it by word;
    `search_tracks` scores a query from the occurrences of the typed words (and of close words). -#}
with

tracks as (
    select track_id, title_key, artist_key from {{ ref('dim_tracks') }}
),

occurrences as (
    select track_id, 'title' as field, unnest(generate_series(1, len(string_split(title_key, ' ')))) as position,
           unnest(string_split(title_key, ' ')) as word
    from tracks
    union all
    select track_id, 'artist' as field, unnest(generate_series(1, len(string_split(artist_key, ' ')))) as position,
           unnest(string_split(artist_key, ' ')) as word
    from tracks
),

final as (
    select word, word[1] as first_letter, length(word) as n_chars, track_id, field, position::integer as position
    from occurrences
    where word <> ''
    order by word, track_id, field, position
)

select * from final

{#- The distinct words of dim_search_words with their id, first letter, length and number of
    tracks: search_tracks compares typed words with these (exact, or close: same first letter,
    Jaro-Winkler >= 0.9), then reads the occurrences of the matched word ids only. -#}
with

words as (
    select * from {{ ref('dim_search_words') }}
),

final as (
    select
        word_id,
        any_value(word) as word,
        any_value(word)[1] as first_letter,
        length(any_value(word)) as n_chars,
        count(distinct track_number) as n_tracks
    from words
    group by word_id
    order by word_id
)

select * from final

{#- The distinct words of dim_search_words with their first letter, length and every occurrence as
    a list: search_tracks compares typed words with these (exact, or close: same first letter,
    Jaro-Winkler >= 0.9) and unnests only the matched words' occurrences. -#}
with

words as (
    select * from {{ ref('dim_search_words') }}
),

final as (
    select
        word,
        any_value(first_letter) as first_letter,
        any_value(n_chars) as n_chars,
        count(distinct track_id) as n_tracks,
        list({'track_id': track_id, 'field': field, 'position': position} order by track_id, field, position) as occurrences
    from words
    group by word
    order by first_letter, word
)

select * from final

{#- ml_genre_head_tuning: each search present has exactly one chosen row (the config the
    embeddings were trained with), and every row of a table shares one source. -#}
select search, count(*) filter (where is_chosen) as chosen, count(distinct source) as sources
from {{ ref('ml_genre_head_tuning') }}
group by search
having count(*) filter (where is_chosen) <> 1 or count(distinct source) <> 1

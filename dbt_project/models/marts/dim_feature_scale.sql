{#- One row per feature the catalogue has: the words people use for it and its unit (the seed
    feature_words), the catalogue's mean and standard deviation (feature_scaling) and its 101
    percentiles (0 to 100) over every track, so that a track's value reads as "more than 72% of
    the catalogue" (the macro track_sound) without scanning the catalogue. -#}
with

percentiles as (
    {%- for feature in feature_columns() %}
    select
        '{{ feature }}' as feature,
        quantile_cont({{ feature }}::double, list_transform(range(101), lambda i: i / 100)) as percentiles
    from {{ ref('dim_tracks') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    scaling.feature,
    scaling.feature_position,
    words.label,
    words.unit,
    words.more_word,
    words.less_word,
    scaling.mean,
    scaling.std,
    percentiles.percentiles
from {{ ref('feature_scaling') }} as scaling
inner join {{ ref('feature_words') }} as words using (feature)
inner join percentiles using (feature)
where scaling.is_available

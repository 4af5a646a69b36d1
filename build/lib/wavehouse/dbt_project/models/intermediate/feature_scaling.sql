{#- Mean and population standard deviation of each feature over the deduplicated catalogue, so a
    track added later is scaled exactly like the ones used for training. -#}
with

tracks as (
    select * from {{ ref('int_tracks_deduped') }}
),

final as (
    {%- for column in feature_columns() %}
    select
        {{ loop.index }} as feature_position,
        '{{ column }}' as feature,
        avg({{ column }}::double) as mean,
        coalesce(nullif(stddev_pop({{ column }}::double), 0), 1) as std
    from tracks
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from final

{#- Mean and population standard deviation of each feature over the deduplicated catalogue, so a
    track added later is scaled exactly like the ones used for training; `is_available` is false
    for a feature the catalogue does not have (no value at all): it is left out of every model.
    In an incremental build (ml_build_plan) the previous build's parameters are kept: the trained
    models expect inputs scaled as they were trained. -#}
-- depends_on: {{ ref('ml_build_plan') }}
{%- if build_mode() == 'incremental' %}
select * from previous.main.feature_scaling
{%- else %}
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
        coalesce(nullif(stddev_pop({{ column }}::double), 0), 1) as std,
        count({{ column }}) as n_values,
        count({{ column }}) > 0 as is_available
    from tracks
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from final
{%- endif %}

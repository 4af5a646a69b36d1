{#- z-scores of the 15 features (scaled with feature_scaling; null for a feature the catalogue
    lacks), as columns, and the available ones as one FLOAT[N] vector in feature order for the
    Python models (N = 15 for the Kaggle file). -#}
{%- set available = available_features() -%}
with

tracks as (
    select * from {{ ref('int_tracks_deduped') }}
),

scaling as (
    select * from {{ ref('feature_scaling') }}
),

zscores as (
    select
        tracks.track_id,
        {%- for column in feature_columns() %}
        (tracks.{{ column }}::double - s_{{ column }}.mean) / s_{{ column }}.std
            as z_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from tracks
    {%- for column in feature_columns() %}
    cross join (select mean, std from scaling where feature = '{{ column }}') as s_{{ column }}
    {%- endfor %}
),

final as (
    select
        *,
        [
            {%- for column in available %}
            z_{{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        ]::float[{{ available | length }}] as features
    from zscores
)

select * from final

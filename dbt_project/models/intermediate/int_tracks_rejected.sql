{#- Quarantine: every record that cannot be used, with its file, row or line, raw text and reason. -#}
{%- if built_by_spark() %}
-- depends_on: {{ ref('stg_spotify__tracks') }}
{{ spark_built_table('record_number') }}
{%- else %}

with

staged as (
    select * from {{ ref('stg_spotify__tracks') }}
),

final as (
    select
        record_number,
        source_file,
        source_row,
        source_line,
        reject_reason,
        track_id,
        track_name,
        artists,
        track_genre,
        raw_record
    from staged
    where reject_reason is not null
)

select * from final
{%- endif %}

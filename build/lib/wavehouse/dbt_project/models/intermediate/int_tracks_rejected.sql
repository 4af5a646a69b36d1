{#- Quarantine: every row that cannot be used, with its source line, raw text and reason. -#}
with

staged as (
    select * from {{ ref('stg_spotify__tracks') }}
),

final as (
    select
        line_number,
        reject_reason,
        track_id,
        track_name,
        artists,
        track_genre,
        n_fields,
        raw_line
    from staged
    where reject_reason is not null
)

select * from final

{#- Every track of this build or of the previous one (the published warehouse, attached as
    `previous`; see macros/incremental.sql) and how it changed: added, deleted, changed (any column
    the models read differs: features, genre, song, artists, title) or same. Without a previous
    warehouse every track is `added`. -#}
{%- set columns = tracked_columns() -%}
with

current_tracks as (
    select track_id, {{ columns | join(', ') }} from {{ ref('int_tracks_deduped') }}
),

previous_tracks as (
    {%- if previous_has('int_tracks_deduped') %}
    select track_id, {{ columns | join(', ') }} from previous.main.int_tracks_deduped
    {%- else %}
    select * from current_tracks where false
    {%- endif %}
),

final as (
    select
        track_id,
        case
            when previous_tracks.track_id is null then 'added'
            when current_tracks.track_id is null then 'deleted'
            when false{% for column in columns %}
                or (current_tracks.{{ column }} is distinct from previous_tracks.{{ column }})
            {%- endfor %} then 'changed'
            else 'same'
        end as change,
        -- a changed track whose vectors and song stay the same keeps its place in every list
        (current_tracks.song_key is distinct from previous_tracks.song_key) as is_song_changed
    from current_tracks
    full outer join previous_tracks using (track_id)
)

select * from final

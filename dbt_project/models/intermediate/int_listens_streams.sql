{#- Every distinct stream of every listener: this build's files (stg_listens__streams) and the
    streams of earlier builds (the published warehouse's, unless the var forget_listens), one row
    per stream. The same stream read twice (overlapping downloads, the same file given again)
    counts once; n_copies says how many records were merged into it, so that across builds
    streams read = matched + unmatched + duplicates merged (dim_listeners). -#}
{%- set keep_previous = previous_has('int_listens_streams') and not var('forget_listens') -%}

with

read_now as (
    select *, 1 as n_copies from {{ ref('stg_listens__streams') }}
),

read_before as (
    {%- if keep_previous %}
    select * exclude (stream_id) from previous.main.int_listens_streams
    {%- else %}
    select * from read_now where false
    {%- endif %}
),

streams as (
    select * from read_now
    union all by name
    select * from read_before
),

merged as (
    select
        listener_name, played_at, ms_played, spotify_track_id, artist_name, track_name, untimed_position,
        any_value(source_format order by source_format) as source_format,
        bool_or(ref_is_episode) as ref_is_episode,
        any_value(album_name order by album_name nulls last) as album_name,
        any_value(reason_start order by reason_start nulls last) as reason_start,
        any_value(reason_end order by reason_end nulls last) as reason_end,
        bool_or(shuffle) as shuffle,
        bool_or(export_skipped) as export_skipped,
        bool_or(is_spoken) as is_spoken,
        sum(n_copies)::bigint as n_copies
    from streams
    group by listener_name, played_at, ms_played, spotify_track_id, artist_name, track_name, untimed_position
)

select
    substr(md5(row(
        listener_name, played_at, ms_played, spotify_track_id, artist_name, track_name, untimed_position
    )::varchar), 1, 16) as stream_id,
    *
from merged

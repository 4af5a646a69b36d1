{#- One row per stream of a catalogue track: who, what, when, how much of it. A play shorter than
    the var skip_ms (30 s), or one the export marks skipped, is a skip (kept, flagged).
    listen_id is stable across builds (a hash of the stream). -#}
select
    m.stream_id as listen_id,
    m.listener_id,
    m.track_id,
    m.song_key,
    m.played_at,
    m.ms_played,
    case when m.ms_played is not null and t.duration_ms > 0
         then least(m.ms_played / t.duration_ms, 1.0) end as share_played,
    coalesce(m.ms_played < {{ var('skip_ms') }}, false) or coalesce(m.export_skipped, false) as skipped,
    m.match_method,
    m.match_confidence,
    m.source_format,
    m.reason_start,
    m.reason_end,
    m.shuffle
from {{ ref('int_listens_matched') }} as m
inner join {{ ref('dim_tracks') }} as t using (track_id)

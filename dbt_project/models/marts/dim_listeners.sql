{#- One row per listener: counts that add up (streams_read = streams_matched + streams_unmatched +
    duplicates_merged), the match rate, plays and skips, and when they listened. -#}
with

streams as (
    select listener_id,
           any_value(listener_name) as listener_name,
           sum(n_copies)::bigint as streams_read,
           count(*) filter (where track_id is not null) as streams_matched,
           count(*) filter (where track_id is null) as streams_unmatched,
           (sum(n_copies) - count(*))::bigint as duplicates_merged,
           count(*) filter (where match_method = 'spotify_id') as matched_by_id,
           count(*) filter (where match_method = 'artist_title') as matched_by_name,
           count(*) filter (where unmatched_reason = 'podcast or audiobook') as podcast_or_audiobook
    from {{ ref('int_listens_matched') }}
    group by listener_id
),

listens as (
    select listener_id,
           count(*) filter (where not skipped) as plays,
           count(*) filter (where skipped) as skips,
           count(distinct track_id) as distinct_tracks,
           count(distinct song_key) as distinct_songs,
           min(played_at) as first_played_at,
           max(played_at) as last_played_at,
           round(sum(ms_played) / 3600000.0, 1) as hours_played
    from {{ ref('fct_listens') }}
    group by listener_id
)

select
    s.listener_id,
    s.listener_name,
    s.streams_read,
    s.streams_matched,
    s.streams_unmatched,
    s.duplicates_merged,
    -- of the music streams (podcasts and audiobooks cannot be in a music catalogue)
    round(
        s.streams_matched / nullif(s.streams_matched + s.streams_unmatched - s.podcast_or_audiobook, 0), 4
    ) as match_rate,
    s.matched_by_id,
    s.matched_by_name,
    s.podcast_or_audiobook,
    coalesce(l.plays, 0) as plays,
    coalesce(l.skips, 0) as skips,
    coalesce(l.distinct_tracks, 0) as distinct_tracks,
    coalesce(l.distinct_songs, 0) as distinct_songs,
    l.first_played_at,
    l.last_played_at,
    l.hours_played
from streams as s
left join listens as l using (listener_id)

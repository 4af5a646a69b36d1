{#- The time split rpt_listener_evaluation measures on: per listener, the plays before the cutoff
    (the time by which 1 - listener_test_share of their plays had happened) train a taste; the
    songs first played after it, never before, are what a recommendation should find. -#}
with

plays as (
    select listener_id, song_key, track_id, played_at, skipped, share_played
    from {{ ref('fct_listens') }}
),

cutoffs as (
    select listener_id, quantile_disc(played_at, 1 - {{ var('listener_test_share') }}) as cutoff
    from plays
    where not skipped
    group by listener_id
)

select
    p.listener_id,
    p.song_key,
    p.track_id,
    p.played_at,
    p.skipped,
    p.share_played,
    c.cutoff,
    p.played_at <= c.cutoff as is_train
from plays as p
inner join cutoffs as c using (listener_id)

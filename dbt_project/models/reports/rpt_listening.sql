{#- Listening by month: for each listener and month, plays (skips left out), minutes and the share
    of that month's plays, by cluster, mood, genre and artist (the track's first artist): the
    "year in review" a BI tool charts (filter on dimension). -#}
with

plays as (
    select f.listener_id, l.listener_name, date_trunc('month', f.played_at)::date as month, f.ms_played,
           coalesce(c.cluster_name, 'cluster ' || d.cluster_id) as cluster, d.mood, d.primary_genre as genre,
           trim(string_split(d.artists, ';')[1]) as artist
    from {{ ref('fct_listens') }} as f
    inner join {{ ref('dim_listeners') }} as l using (listener_id)
    inner join {{ ref('dim_tracks') }} as d using (track_id)
    left join {{ ref('dim_clusters') }} as c on c.cluster_id = d.cluster_id
    where not f.skipped
),

by_value as (
    {%- for dimension in ['cluster', 'mood', 'genre', 'artist'] %}
    select listener_id, listener_name, month, '{{ dimension }}' as dimension, {{ dimension }} as value,
           count(*) as plays, round(coalesce(sum(ms_played), 0) / 60000.0, 1) as minutes
    from plays
    group by all
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select *, round(plays / sum(plays) over (partition by listener_id, month, dimension), 4) as share_of_month
from by_value
order by listener_id, month, dimension, plays desc, value

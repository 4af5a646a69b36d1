{{ config(enabled=var('listens') is not none) }}
-- recommend_for's candidates never hold a song the listener played (skips included)
select c.listener_id, c.song_key
from {{ ref('fct_listener_candidates') }} as c
inner join {{ ref('fct_listens') }} as l on l.listener_id = c.listener_id and l.song_key = c.song_key
where c.split = 'all'

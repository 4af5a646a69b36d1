{#- recommend_for measured on each listener's own history: its taste from the plays before the
    listener's cutoff (int_listens_split), its list (the default knobs) against the songs they first
    played after it. hit = some such song in the top k; recall = the share of them in the top k.
    Beside it two baselines on the same songs: the most popular songs, and songs in a fixed random
    order, both without the songs played before the cutoff; and, where there are several listeners,
    co-listening (what the listeners who share the most songs with this one played). One row per
    listener, method and k, and rows 'all listeners' with the means. -#}
with

split as (
    select * from {{ ref('int_listens_split') }}
),

train_songs as (
    select distinct listener_id, song_key from split where is_train
),

test_songs as (
    select distinct s.listener_id, s.song_key
    from split as s
    anti join train_songs using (listener_id, song_key)
    where not s.is_train and not s.skipped
),

listeners as (
    select distinct listener_id from test_songs
),

candidates as (
    select * from {{ ref('fct_listener_candidates') }} where split = 'train'
),

{{ listener_ranking('candidates', '50', '0.5', 'null', 'null', '0', '100', 'null') }},

songs as (
    select song_key, max(popularity) as popularity from {{ ref('dim_tracks') }} group by song_key
),

-- co-listening (only with several listeners): each other listener's songs, weighted by how many
-- songs they share with this listener's plays before the cutoff (user-user overlap)
played as (
    select distinct listener_id, song_key from split where not skipped
),

overlap as (
    select t.listener_id, p.listener_id as other_id, count(*) as shared
    from train_songs as t
    inner join played as p on p.song_key = t.song_key and p.listener_id <> t.listener_id
    group by all
),

co_listened as (
    select w.listener_id, p.song_key, sum(w.shared) as score
    from overlap as w
    inner join played as p on p.listener_id = w.other_id
    anti join train_songs as t on t.listener_id = w.listener_id and t.song_key = p.song_key
    group by all
),

lists as (
    select 'recommend_for' as method, listener_id, song_key, rank from ranked where rank <= 50
    union all
    select 'popularity', l.listener_id, s.song_key,
           row_number() over (partition by l.listener_id order by s.popularity desc nulls last, s.song_key)
    from listeners as l
    cross join (select * from songs order by popularity desc nulls last, song_key limit 5000) as s
    anti join train_songs as t on t.listener_id = l.listener_id and t.song_key = s.song_key
    qualify row_number() over (partition by l.listener_id order by s.popularity desc nulls last, s.song_key) <= 50
    union all
    select 'random', l.listener_id, s.song_key,
           row_number() over (partition by l.listener_id order by hash(l.listener_id || s.song_key), s.song_key)
    from listeners as l
    cross join songs as s
    anti join train_songs as t on t.listener_id = l.listener_id and t.song_key = s.song_key
    qualify row_number() over (partition by l.listener_id order by hash(l.listener_id || s.song_key), s.song_key) <= 50
    union all
    select
        'co_listening', listener_id, song_key,
        row_number() over (partition by listener_id order by score desc, song_key)
    from co_listened
    qualify row_number() over (partition by listener_id order by score desc, song_key) <= 50
),

methods as (
    select unnest(['recommend_for', 'popularity', 'random']) as method
    union all
    select 'co_listening' where (select count(distinct listener_id) from split) > 1
),

per_listener as (
    select t.listener_id, m.method, ks.k,
           count(distinct t.song_key) as test_songs,
           count(distinct t.song_key) filter (where li.rank <= ks.k) as found
    from test_songs as t
    cross join methods as m
    cross join (select unnest([10, 50]) as k) as ks
    left join lists as li on li.listener_id = t.listener_id and li.method = m.method and li.song_key = t.song_key
    group by all
),

measured as (
    select p.listener_id, d.listener_name, p.method, p.k, p.test_songs, p.found,
           (p.found > 0)::double as hit_rate, p.found / p.test_songs as recall
    from per_listener as p
    inner join {{ ref('dim_listeners') }} as d using (listener_id)
)

select * from measured
union all
select null, 'all listeners', method, k, sum(test_songs), sum(found), avg(hit_rate), avg(recall)
from measured
group by method, k
order by listener_name nulls last, method, k

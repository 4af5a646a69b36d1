{#- What recommend_for and rpt_listener_evaluation rank: per listener, split and taste centre, the
    tracks nearest the centre that the listener never played (ml_listener_candidates), with the
    centre's share of their taste, whether the track shares an artist with one they played
    (familiar_artist: the discovery knob), the tracks behind the centre ("because you play") and
    the track's columns for filters. -#}
{{ config(post_hook="{{ create_listener_macros() }}") }}

with

played_artists as (
    select distinct s.listener_id, s.is_train, trim(a.artist) as artist
    from {{ ref('int_listens_split') }} as s
    inner join {{ ref('dim_tracks') }} as t using (track_id),
         unnest(string_split(coalesce(t.artists, ''), ';')) as a (artist)
),

centres as (
    select c.listener_id, c.split, c.centre_id, c.share,
           list(string_split(t.artists, ';')[1] || ' - ' || t.track_name order by e.position) as because_you_play
    from {{ ref('ml_listener_taste') }} as c,
         unnest(c.exemplar_track_ids[1:3]) with ordinality as e (track_id, position)
    inner join {{ ref('dim_tracks') }} as t on t.track_id = e.track_id
    group by all
),

candidates as (
    select
        c.listener_id, l.listener_name, c.split, c.centre_id, ce.share as centre_share, ce.because_you_play,
        c.centre_rank, c.similarity,
        d.track_id, d.track_name, d.artists, d.primary_genre, d.genres, d.song_key, d.explicit, d.popularity,
        d.mood, d.cluster_id, k.cluster_name,
        exists(
            select 1 from played_artists as p
            where p.listener_id = c.listener_id and (c.split = 'all' or p.is_train)
              and list_contains({{ artist_list('d.artists') }}, p.artist)
        ) as familiar_artist
    from {{ ref('ml_listener_candidates') }} as c
    inner join {{ ref('dim_listeners') }} as l using (listener_id)
    inner join centres as ce using (listener_id, split, centre_id)
    inner join {{ ref('dim_tracks') }} as d using (track_id)
    left join {{ ref('dim_clusters') }} as k on k.cluster_id = d.cluster_id
)

select * from candidates
order by listener_id, split, centre_id, centre_rank

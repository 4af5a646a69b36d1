{#- The playlist builder's SQL, created in the warehouse as a DuckDB macro by
    create_recommendation_macros (the pre-hook of rpt_recommendations). -#}
{% macro create_playlist_macros() %}
-- a playlist from seed songs, shaped by a few controls (the playlist builder): the seeds'
-- recommendations (recommend(), up to 1,000 candidates from their neighbour lists), within the
-- energy (0-1) and tempo (BPM) ranges, ranked by similarity + 0.3 x (0.5 - discovery) for a track
-- by a seed's artist and + 0.2 x (0.5 - discovery) x popularity / 100: discovery 0 favours the
-- seeds' artists and popular tracks, 0.5 is similarity alone, 1 leaves the seeds' artists out and
-- favours the less known; at most one track per artist when one_per_artist; only `mood`'s songs when given
create or replace macro build_playlist(seed_ids, n := 25, discovery := 0.5, min_energy := 0.0, max_energy := 1.0,
                                       min_tempo := 0.0, max_tempo := 250.0, one_per_artist := true,
                                       mood := null) as table
with
seed_artists as (
    select list(distinct trim(a)) as artists
    from dim_tracks as s, unnest(string_split(coalesce(s.artists, ''), ';')) as t (a)
    where list_contains(seed_ids, s.track_id)
),
candidates as (
    select
        r.*, d.energy, d.tempo, d.duration_ms, d.popularity,
        list_has_any({{ artist_list('r.artists') }}, (select artists from seed_artists)) as familiar_artist
    from recommend(seed_ids, k := 1000) as r
    inner join dim_tracks as d using (track_id)
    where d.energy between min_energy and max_energy and d.tempo between min_tempo and max_tempo
      and (mood is null or d.mood = mood)
),
scored as (
    select
        *,
        similarity + 0.3 * (0.5 - discovery) * familiar_artist::integer
            + 0.2 * (0.5 - discovery) * popularity / 100 as score
    from candidates
    where not (discovery >= 1 and familiar_artist)
),
capped as (
    select * from scored
    qualify not one_per_artist or row_number() over (partition by artists order by score desc, track_id) = 1
)
select
    row_number() over (order by score desc, track_id) as position,
    track_id, track_name, artists, primary_genre, mood, cluster_id, cluster_name,
    similarity, popularity, energy, tempo, duration_ms, familiar_artist, round(score, 4) as score
from capped
order by position
limit n;
{% endmacro %}

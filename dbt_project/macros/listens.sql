{#- Helpers of the listening-history models (models/_listens.yml lists them). -#}

{#- A time as an export writes it, as a UTC timestamp: ISO 8601 with or without "T" and "Z"
    ("2023-01-05T12:34:56Z", Spotify's extended history), "2023-01-05 12:34" (account data), or
    Unix seconds. Anything else: null. -#}
{% macro utc_timestamp(expr) -%}
coalesce(
    try_cast(regexp_replace(replace(trim({{ expr }}::varchar), 'T', ' '), '(Z|[+-]00:?00)$', '') as timestamp),
    case when regexp_full_match(trim({{ expr }}::varchar), '[0-9]{9,10}')
         then make_timestamp(trim({{ expr }}::varchar)::bigint * 1000000) end)
{%- endmacro %}

{#- The 22-character Spotify track id in an id, a spotify:track: URI or an open.spotify.com link; else null. -#}
{% macro spotify_track_id(expr) -%}
nullif(regexp_extract(trim({{ expr }}), '^(?:spotify:track:|https?://open\.spotify\.com/(?:intl-[a-z_-]+/)?track/)?([A-Za-z0-9]{22})(?:[/?].*)?$', 1), '')
{%- endmacro %}

{#- A listener's id: a stable hash of their name (the same name in every build). -#}
{% macro listener_id(name) -%}
substr(sha256('wavehouse listener id' || {{ name }}), 1, 12)
{%- endmacro %}

{#- The ranking of recommend_for and rpt_listener_evaluation (one body for both): candidates (rows
    of fct_listener_candidates) -> per listener, the top k, drawn from each taste centre in
    proportion to its share (a centre with share s places its n-th track at (n - 0.5) / s, and the
    list is in that order), after the filters, one track per song and at most max_per_artist per
    artist. score = similarity + 0.3 x (0.5 - discovery) for a familiar artist: discovery 0 favours
    the artists the listener plays, 0.5 is neutral, 1 leaves them out. Arguments are SQL
    expressions (a macro's parameters, or constants). -#}
{% macro listener_ranking(candidates, k, discovery, max_per_artist, explicit, min_popularity, max_popularity, mood) -%}
scored as (
    select c.*, c.similarity + 0.3 * (0.5 - {{ discovery }}) * c.familiar_artist::integer as score
    from {{ candidates }} as c
    where ({{ explicit }} is null or c.explicit = {{ explicit }})
      and c.popularity between {{ min_popularity }} and {{ max_popularity }}
      and ({{ mood }} is null or c.mood = {{ mood }})
      and not ({{ discovery }} >= 1 and c.familiar_artist)
),
one_per_song as (
    select * from scored as s
    qualify row_number() over (partition by s.listener_id, s.song_key order by s.score desc, s.track_id) = 1
),
capped as (
    select * from one_per_song as o
    qualify {{ max_per_artist }} is null
         or row_number() over (partition by o.listener_id, o.artists order by o.score desc, o.track_id) <= {{ max_per_artist }}
),
drawn as (
    select *, (row_number() over (partition by c.listener_id, c.centre_id order by c.score desc, c.track_id) - 0.5)
              / c.centre_share as draw_order
    from capped as c
),
ranked as (
    select row_number() over (partition by d.listener_id order by d.draw_order, d.score desc, d.track_id) as rank, d.*
    from drawn as d
)
{%- endmacro %}

{#- recommend_for(listener, k := 10, discovery := 0.5, max_per_artist := null, explicit := null,
    min_popularity := 0, max_popularity := 100, mood := null): tracks for a listener (their name or
    listener_id, dim_listeners) from their taste, never a song they played; created by a post-hook
    of fct_listener_candidates. `why` says which of their tracks the list item is near. -#}
{% macro create_listener_macros() %}
create or replace macro recommend_for(listener, k := 10, discovery := 0.5, max_per_artist := null,
                                      explicit := null, min_popularity := 0, max_popularity := 100, mood := null) as table
with
chosen as (
    select * from fct_listener_candidates as f
    where f.split = 'all'
      and f.listener_id = (select l.listener_id from dim_listeners as l
                           where l.listener_name = listener or l.listener_id = listener
                           order by (l.listener_name = listener) desc limit 1)
),
{{ listener_ranking('chosen', 'k', 'discovery', 'max_per_artist', 'explicit', 'min_popularity', 'max_popularity', 'mood') }}
select {{ listener_list_columns('r') }}
from ranked as r
where r.rank <= k
order by r.rank;
{% endmacro %}

{#- The columns of a list for a listener (recommend_for, fct_listener_recommendations), from `ranked`. -#}
{% macro listener_list_columns(r) -%}
{{ r }}.rank, {{ r }}.track_id, {{ r }}.track_name, {{ r }}.artists, {{ r }}.primary_genre, {{ r }}.genres,
{{ r }}.similarity, {{ r }}.familiar_artist, {{ r }}.centre_id as taste_centre, {{ r }}.centre_share as taste_share,
{{ r }}.cluster_id, {{ r }}.cluster_name, {{ r }}.mood, {{ r }}.popularity, {{ r }}.explicit,
'near ' || array_to_string({{ r }}.because_you_play, '; ') || ', which you play' as why
{%- endmacro %}

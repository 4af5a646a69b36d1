{#- The mood of each track: the lowest-priority mood of the `moods` seed whose every feature range
    the track satisfies, else "neutral". -#}
{%- set ranged = ['valence', 'energy', 'danceability', 'acousticness', 'instrumentalness', 'speechiness', 'tempo'] -%}
with

tracks as (
    select * from {{ ref('int_tracks_deduped') }}
),

moods as (
    select * from {{ ref('moods') }}
),

matches as (
    select tracks.track_id, moods.mood, moods.priority
    from tracks
    inner join moods
        on {% for f in ranged %}tracks.{{ f }} between moods.min_{{ f }} and moods.max_{{ f }}{% if not loop.last %}
        and {% endif %}{% endfor %}
),

final as (
    select
        tracks.track_id,
        coalesce(arg_min(matches.mood, matches.priority), 'neutral') as mood
    from tracks
    left join matches using (track_id)
    group by tracks.track_id
)

select * from final

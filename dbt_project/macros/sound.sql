{#- A track's sound in the words and units people use, created in the warehouse as DuckDB macros by
    create_recommendation_macros (the pre-hook of rpt_recommendations); the words, units and the
    catalogue's percentiles of each feature are dim_feature_scale.
    - wh_key_text(key, mode): 'C# minor'; wh_feature_text(unit, value): '72%', '120 BPM', '-5.2 dB',
      '3:05', '61/100', 'yes', '4/4'
    - track_sound(track_id): a row per feature the catalogue has: its label, value, value in words
      and, for the continuous ones, the share of the catalogue below it (percentile, 0-100)
    - tracks_sound(track_ids): the same for several tracks, with their track_id
    - sound_comparison(a, b_ids): track a's features beside each of b_ids', and b's gap from a in
      the catalogue's standard deviations
    - recommendation_because(seed_id, rec_ids): why each rec is recommended for seed, in words: shared
      artists, genres and mood, the two closest sound features (where the seed stands out most) and
      the two largest differences (at least half a standard deviation), each with both values -#}
{% macro create_sound_macros() %}
create or replace macro wh_key_text(key_number, mode_number) as
    case when key_number between 0 and 11
        then ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'][key_number::integer + 1]
            || case mode_number when 1 then ' major' when 0 then ' minor' else '' end
    end;

create or replace macro wh_feature_text(unit, value) as
    case
        when value is null then null
        when unit = 'percent' then round(100 * value)::integer || '%'
        when unit = 'bpm' then round(value)::integer || ' BPM'
        when unit = 'db' then round(value, 1) || ' dB'
        when unit = 'duration' then (round(value / 1000)::integer // 60) || ':'
            || lpad((round(value / 1000)::integer % 60)::varchar, 2, '0')
        when unit = 'score' then round(value)::integer || '/100'
        when unit = 'flag' then case when value > 0 then 'yes' else 'no' end
        when unit = 'key' then wh_key_text(value, null)
        when unit = 'mode' then case when value = 1 then 'major' else 'minor' end
        when unit = 'signature' then round(value)::integer || '/4'
        else round(value, 3)::varchar
    end;

create or replace macro tracks_sound(track_ids) as table
with
track_values as (
    select
        unnest([
            {%- for f in feature_columns() %}
            {'feature': '{{ f }}', 'value': t.{{ f }}::double}{{ ',' if not loop.last }}
            {%- endfor %}
        ]) as v,
        t.track_id,
        t.key::double as key_number,
        t.mode::double as mode_number
    from dim_tracks as t
    where list_contains(track_ids, t.track_id)
)
select
    track_values.track_id,
    s.feature_position as position,
    s.feature,
    s.label,
    s.unit,
    track_values.v.value as value,
    case
        when s.feature = 'key' then wh_key_text(track_values.key_number, track_values.mode_number)
        else wh_feature_text(s.unit, track_values.v.value)
    end as value_text,
    -- midpoint of the percentiles below and at the value: a value many tracks share (0% spoken
    -- words) sits in the middle of them
    case when s.unit in ('percent', 'bpm', 'db', 'duration', 'score') and track_values.v.value is not null then
        round((len(list_filter(s.percentiles, lambda p: p < track_values.v.value))
               + len(list_filter(s.percentiles, lambda p: p <= track_values.v.value))) / 2.02)::integer
    end as percentile
from track_values
inner join dim_feature_scale as s on s.feature = track_values.v.feature
order by track_values.track_id, s.feature_position;

create or replace macro track_sound(tid) as table
select * exclude (track_id) from tracks_sound([tid]) order by position;

create or replace macro sound_comparison(a_id, b_ids) as table
with sounds as materialized (select * from tracks_sound(list_prepend(a_id, b_ids)))
select
    b.track_id, a.position, a.feature, a.label, a.unit,
    a.value_text as a_text, b.value_text as b_text, a.percentile as a_percentile, b.percentile as b_percentile,
    (a.value - s.mean) / s.std as a_z,
    (b.value - a.value) / s.std as gap
from sounds as a
inner join sounds as b on b.feature = a.feature and b.track_id <> a.track_id
inner join dim_feature_scale as s on s.feature = a.feature
where a.track_id = a_id
order by b.track_id, a.position;

create or replace macro recommendation_because(seed_id, rec_ids) as table
with
compared as (
    select
        c.*, abs(c.gap) as size, s.more_word, s.less_word,
        -- the closest where the seed stands out: the same gap counts less on a feature the seed
        -- shares with most of the catalogue
        row_number() over (
            partition by c.track_id order by c.feature = 'popularity', abs(c.gap) - abs(c.a_z) / 4, c.position
        ) as closeness,
        row_number() over (partition by c.track_id order by abs(c.gap) desc, c.position) as distance
    from sound_comparison(seed_id, rec_ids) as c
    inner join dim_feature_scale as s on s.feature = c.feature
    where c.a_percentile is not null and c.gap is not null
),
closest as (
    select track_id, string_agg(label || ' (' || b_text || ' vs ' || a_text || ')', ' and ' order by closeness) as text
    from compared where closeness <= 2 and size < 0.5 and feature <> 'popularity'
    group by track_id
),
furthest as (
    select
        track_id,
        string_agg(
            case when size < 1 then 'a little ' when size >= 2 then 'much ' else '' end
            || case when gap > 0 then more_word else less_word end || ' (' || b_text || ' vs ' || a_text || ')',
            ', ' order by distance
        ) as text
    from compared where distance <= 2 and size >= 0.5
    group by track_id
),
shared as (
    select
        r.track_id,
        list_intersect(
            list_transform(string_split(s.artists, ';'), lambda a: trim(a)),
            list_transform(string_split(r.artists, ';'), lambda a: trim(a))
        ) as artists,
        list_intersect(s.genres, r.genres) as genres,
        case when s.mood = r.mood and s.mood <> 'neutral' then s.mood end as mood
    from dim_tracks as s, dim_tracks as r
    where s.track_id = seed_id and list_contains(rec_ids, r.track_id)
)
select
    shared.track_id,
    concat_ws('; ',
        case when len(shared.artists) > 0 then 'also by ' || array_to_string(shared.artists, ', ') end,
        case when len(shared.genres) > 0 then 'both ' || array_to_string(shared.genres, ', ') end,
        case when shared.mood is not null then 'the same mood (' || shared.mood || ')' end,
        'similar ' || closest.text,
        furthest.text
    ) as because
from shared
left join closest using (track_id)
left join furthest using (track_id);
{% endmacro %}

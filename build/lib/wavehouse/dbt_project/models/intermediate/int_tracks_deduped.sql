{#- One row per track_id. Values come from the track's first line in the file; every genre it is
    listed under is kept (first occurrence first); missing numbers are filled with the median and
    flagged; song_key marks the same song released under several ids. -#}
{%- set numeric = feature_columns() | reject('equalto', 'explicit') | list -%}

with

staged as (
    select * from {{ ref('stg_spotify__tracks') }}
    where reject_reason is null
),

genre_firsts as (
    select track_id, track_genre, min(line_number) as first_line
    from staged
    group by all
),

genres as (
    select
        track_id,
        list(track_genre order by first_line) as genres
    from genre_firsts
    group by track_id
),

row_counts as (
    select track_id, count(*) as n_source_rows
    from staged
    group by track_id
),

first_rows as (
    select *
    from staged
    qualify row_number() over (partition by track_id order by line_number) = 1
),

medians as (
    select
        {%- for column in numeric %}
        median({{ column }}) as {{ column }}_median,
        {%- endfor %}
        median(explicit::int) >= 0.5 as explicit_median
    from first_rows
),

filled as (
    select
        first_rows.track_id,
        first_rows.line_number as first_line_number,
        first_rows.track_name,
        first_rows.artists,
        first_rows.album_name,
        first_rows.track_genre as primary_genre,
        {%- for column in numeric %}
        coalesce(first_rows.{{ column }}, medians.{{ column }}_median)
            {%- if column in ['popularity', 'duration_ms', 'key', 'mode', 'time_signature'] %}::bigint{% endif %} as {{ column }},
        {%- endfor %}
        coalesce(first_rows.explicit, medians.explicit_median) as explicit,
        list_filter([
            {%- for column in feature_columns() %}
            case when first_rows.{{ column }} is null then '{{ column }}' end{% if not loop.last %},{% endif %}
            {%- endfor %}
        ], lambda c: c is not null) as imputed_columns
    from first_rows
    cross join medians
),

keyed as (
    select
        *,
        list_sort(list_transform(
            string_split(coalesce(artists, ''), ';'),
            lambda a: {{ normalise_name('a') }}
        )) as artist_keys,
        {{ normalise_name(strip_featuring('track_name')) }} as title_key
    from filled
),

final as (
    select
        keyed.track_id,
        keyed.track_name,
        keyed.artists,
        keyed.album_name,
        keyed.primary_genre,
        genres.genres,
        keyed.popularity,
        keyed.duration_ms,
        keyed.explicit,
        keyed.danceability,
        keyed.energy,
        keyed.key,
        keyed.loudness,
        keyed.mode,
        keyed.speechiness,
        keyed.acousticness,
        keyed.instrumentalness,
        keyed.liveness,
        keyed.valence,
        keyed.tempo,
        keyed.time_signature,
        len(keyed.imputed_columns) > 0 as is_imputed,
        keyed.imputed_columns,
        case
            when keyed.title_key = '' then 'id:' || keyed.track_id
            else array_to_string(keyed.artist_keys, ';') || '|' || keyed.title_key
        end as song_key,
        keyed.title_key,
        trim(array_to_string(keyed.artist_keys, ' ') || ' ' || keyed.title_key) as search_key,
        trim(array_to_string(keyed.artist_keys, ' ')) as artist_key,
        row_counts.n_source_rows,
        keyed.first_line_number
    from keyed
    inner join genres using (track_id)
    inner join row_counts using (track_id)
)

select * from final

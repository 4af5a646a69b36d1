{#- One row per track_id. Values come from the track's first record in the input; every genre it is
    listed under is kept (first occurrence first, the first as primary); missing numbers are filled
    with the median and flagged (a column the catalogue does not have stays null); song_key marks
    the same song released under several ids. -#}
{%- set numeric = feature_columns() | reject('equalto', 'explicit') | list -%}

{%- if built_by_spark() %}
-- depends_on: {{ ref('stg_spotify__tracks') }}
{{ spark_built_table('first_record_number') }}
{%- else %}

with

staged as (
    select * from {{ ref('stg_spotify__tracks') }}
    where reject_reason is null
),

genre_mentions as (
    {{ exploded('staged', 'genres', ['track_id', 'record_number'], 'genre', 'position') }}
),

genre_firsts as (
    select track_id, genre, record_number, position
    from genre_mentions
    qualify row_number() over (partition by track_id, genre order by record_number, position) = 1
),

genres as (
    select
        track_id,
        {{ ordered_list('genre', ['record_number', 'position']) }} as genres
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
    qualify row_number() over (partition by track_id order by record_number) = 1
),

medians as (
    select
        {%- for column in numeric %}
        median({{ column }}) as {{ column }}_median,
        {%- endfor %}
        median(cast(explicit as int)) >= 0.5 as explicit_median
    from first_rows
),

filled as (
    select
        first_rows.track_id,
        first_rows.record_number as first_record_number,
        first_rows.source_file,
        first_rows.source_row,
        first_rows.track_name,
        first_rows.artists,
        first_rows.album_name,

        {%- for column in numeric %}
        {%- if column in ['popularity', 'duration_ms', 'key', 'mode', 'time_signature'] %}
        -- the median of an integer column is rounded half away from zero (4.5 -> 5)
        coalesce(first_rows.{{ column }}, cast(round(medians.{{ column }}_median) as bigint)) as {{ column }},
        {%- else %}
        coalesce(first_rows.{{ column }}, medians.{{ column }}_median) as {{ column }},
        {%- endif %}
        {%- endfor %}
        coalesce(first_rows.explicit, medians.explicit_median) as explicit,
        {%- set imputed = [] %}
        {%- for column in feature_columns() %}
        {#- only a column the catalogue has counts as imputed (a median exists) #}
        {%- do imputed.append("case when first_rows." ~ column ~ " is null and medians." ~ column ~ "_median is not null then '" ~ column ~ "' end") %}
        {%- endfor %}
        {{ list_where(list_of(imputed), 'c', 'c is not null') }} as imputed_columns
    from first_rows
    cross join medians
),

keyed as (
    select
        *,
        {{ list_sorted(list_map(split_text("coalesce(artists, '')", ';'), 'a', normalise_name('a'))) }} as artist_keys,
        {{ normalise_name(strip_featuring('track_name')) }} as title_key
    from filled
),

final as (
    select
        keyed.track_id,
        keyed.track_name,
        keyed.artists,
        keyed.album_name,
        {{ list_first('genres.genres') }} as primary_genre,
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
        {{ list_size('keyed.imputed_columns') }} > 0 as is_imputed,
        keyed.imputed_columns,
        case
            when keyed.title_key = '' then 'id:' || keyed.track_id
            else {{ list_join('keyed.artist_keys', "';'") }} || '|' || keyed.title_key
        end as song_key,
        keyed.title_key,
        trim({{ list_join('keyed.artist_keys', "' '") }} || ' ' || keyed.title_key) as search_key,
        trim({{ list_join('keyed.artist_keys', "' '") }}) as artist_key,
        row_counts.n_source_rows,
        keyed.first_record_number,
        keyed.source_file,
        keyed.source_row
    from keyed
    left join genres using (track_id)
    inner join row_counts using (track_id)
)

select * from final
{%- endif %}

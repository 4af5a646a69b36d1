{#- One row per record of the input: every field typed with try_cast and checked; `reject_reason`
    says why a row cannot be used (null when it can). Columns the catalogue does not have stay null. -#}
{%- set int_columns = ['popularity', 'duration_ms', 'key', 'mode', 'time_signature'] -%}
{%- set double_columns = ['danceability', 'energy', 'loudness', 'speechiness', 'acousticness',
                          'instrumentalness', 'liveness', 'valence', 'tempo'] -%}
{#- physical ranges, inclusive: column -> (min, max); null = open -#}
{%- set ranges = {
    'popularity': (0, 100), 'duration_ms': (1, none), 'key': (-1, 11), 'mode': (0, 1),
    'time_signature': (0, 7), 'danceability': (0, 1), 'energy': (0, 1), 'loudness': (-100, 10),
    'speechiness': (0, 1), 'acousticness': (0, 1), 'instrumentalness': (0, 1), 'liveness': (0, 1),
    'valence': (0, 1), 'tempo': (0, 400)} -%}

{%- set checks = ["case when has_id_column and track_id_raw is null then 'missing track_id' end",
    "case when not has_id_column and (title_raw is null or artists_text is null) then 'missing track_name or artists (needed for the derived track_id)' end",
    "case when has_genre_column and " ~ list_size('genre_list') ~ " = 0 then 'missing track_genre' end",
    "case when explicit_raw is not null and explicit_typed is null then 'unparseable explicit' end"] -%}
{%- for column in int_columns + double_columns -%}
    {%- set lo, hi = ranges[column] -%}
    {%- do checks.append("case when " ~ column ~ "_raw is not null and " ~ column ~ "_typed is null then 'unparseable " ~ column ~ "' end") -%}
    {%- set bounds = ([column ~ '_typed < ' ~ lo] if lo is not none else []) + ([column ~ '_typed > ' ~ hi] if hi is not none else []) -%}
    {%- do checks.append("case when " ~ column ~ "_typed is not null and (" ~ bounds | join(' or ') ~ ") then 'out of range " ~ column ~ "' end") -%}
{%- endfor %}

{%- if built_by_spark() %}
-- depends_on: {{ ref('stg_catalogue__records') }}
{{ spark_built_table('record_number') }}
{%- else %}

with

records as (
    select * from {{ ref('stg_catalogue__records') }}
),

raw_values as (
    select
        *,
        nullif(trim(track_id), '') as track_id_raw,
        {{ name_list('artists') }} as artist_list,
        {{ name_list('genres') }} as genre_list,
        nullif(trim(track_name), '') as title_raw,
        {%- for column in int_columns + double_columns + ['explicit'] %}
        nullif(trim({{ column }}), '') as {{ column }}_raw{% if not loop.last %},{% endif %}
        {%- endfor %}
    from records
),

typed as (
    select
        *,
        nullif({{ list_join('artist_list', "';'") }}, '') as artists_text,
        {%- for column in int_columns %}
        -- "4.0" and "4e1" (float exports of an integer column) are read as 4 and 40; "4.5" is not an integer
        case when {{ parse_number(column ~ '_raw') }} = round({{ parse_number(column ~ '_raw') }})
             then try_cast({{ parse_number(column ~ '_raw') }} as bigint) end as {{ column }}_typed,
        {%- endfor %}
        {%- for column in double_columns %}
        -- a decimal comma ("0,52", as ";"-separated European exports write numbers) is read as 0.52
        coalesce({{ parse_number(column ~ '_raw') }},
                 case when {{ regex_full_match(column ~ '_raw', '-?[0-9]+,[0-9]+([eE][-+]?[0-9]+)?') }}
                      then {{ parse_number("replace(" ~ column ~ "_raw, ',', '.')") }} end)
            as {{ column }}_typed,
        {%- endfor %}
        case
            when lower(explicit_raw) in ('true', 't', '1', 'yes', 'y', '1.0') then true
            when lower(explicit_raw) in ('false', 'f', '0', 'no', 'n', '0.0') then false
        end as explicit_typed
    from raw_values
),

checked as (
    select
        *,
        case
            -- the reader could not split the record into fields: that is the only reason given
            when read_error is not null then {{ list_of(['read_error']) }}
            else {{ list_where(list_of(checks), 'reason', 'reason is not null') }}
        end as reasons
    from typed
),

final as (
    select
        record_number,
        source_file,
        source_row,
        source_line,
        case
            when has_id_column then track_id_raw
            -- no id column: a stable id from artists + title (lower-cased), 22 characters like Spotify's
            when title_raw is not null and artists_text is not null
                then 'wh' || left(md5(lower(artists_text) || chr(31) || lower(title_raw)), 20)
        end as track_id,
        artists_text as artists,
        nullif(trim(album_name), '') as album_name,
        title_raw as track_name,
        {{ list_first('genre_list') }} as track_genre,
        case when {{ list_size('genre_list') }} > 0 then genre_list end as genres,
        popularity_typed as popularity,
        duration_ms_typed as duration_ms,
        explicit_typed as explicit,
        danceability_typed as danceability,
        energy_typed as energy,
        key_typed as key,
        loudness_typed as loudness,
        mode_typed as mode,
        speechiness_typed as speechiness,
        acousticness_typed as acousticness,
        instrumentalness_typed as instrumentalness,
        liveness_typed as liveness,
        valence_typed as valence,
        tempo_typed as tempo,
        time_signature_typed as time_signature,
        nullif({{ list_join('reasons', "'; '") }}, '') as reject_reason,
        case
            when raw_record is not null then raw_record
            {%- set fields = ['track_id', 'track_name', 'artists', 'album_name', 'genres']
                             + int_columns + double_columns + ['explicit'] %}
            when {{ list_size('reasons') }} > 0 then {{ json_object_text(fields) }}
        end as raw_record
    from checked
)

select * from final
{%- endif %}

{#- The only model that reads the catalogue file. Every field is read as text, typed with try_cast,
    and checked; `reject_reason` says why a row cannot be used (null when it can). -#}
{%- set text_columns = ['track_id', 'artists', 'album_name', 'track_name', 'track_genre'] -%}
{%- set int_columns = ['popularity', 'duration_ms', 'key', 'mode', 'time_signature'] -%}
{%- set double_columns = ['danceability', 'energy', 'loudness', 'speechiness', 'acousticness',
                          'instrumentalness', 'liveness', 'valence', 'tempo'] -%}
{#- physical ranges, inclusive: column -> (min, max); null = open -#}
{%- set ranges = {
    'popularity': (0, 100), 'duration_ms': (1, none), 'key': (-1, 11), 'mode': (0, 1),
    'time_signature': (0, 7), 'danceability': (0, 1), 'energy': (0, 1), 'loudness': (-100, 10),
    'speechiness': (0, 1), 'acousticness': (0, 1), 'instrumentalness': (0, 1), 'liveness': (0, 1),
    'valence': (0, 1), 'tempo': (0, 400)} -%}

with

source as (
    select * from {{ source('catalogue', 'catalogue_lines') }}
),

lines as (
    -- file order is kept by the single CSV scan (insertion order is preserved)
    select row_number() over () as line_number, coalesce(line, '') as line from source
),

header as (
    select list_transform({{ csv_fields('line') }}, lambda f: lower({{ csv_value('f') }})) as names
    from lines
    where line_number = 1
),

split as (
    select
        lines.line_number,
        lines.line as raw_line,
        {{ csv_fields('lines.line') }} as fields,
        len(header.names) as expected_fields,
        header.names
    from lines
    cross join header
    where lines.line_number > 1
),

raw_values as (
    select
        line_number,
        raw_line,
        len(fields) as n_fields,
        expected_fields,
        {%- for column in text_columns + int_columns + double_columns + ['explicit'] %}
        {{ csv_value("fields[list_position(names, '" ~ (source_column_name(column) | lower) ~ "')]") }} as {{ column }}_raw,
        {%- endfor %}
        nullif(trim(raw_line), '') is null as is_blank_line
    from split
),

typed as (
    select
        *,
        {%- for column in text_columns %}
        {{ column }}_raw as {{ column }},
        {%- endfor %}
        {%- for column in int_columns %}
        try_cast({{ column }}_raw as bigint) as {{ column }},
        {%- endfor %}
        {%- for column in double_columns %}
        try_cast({{ column }}_raw as double) as {{ column }},
        {%- endfor %}
        case
            when lower(explicit_raw) in ('true', 't', '1', 'yes') then true
            when lower(explicit_raw) in ('false', 'f', '0', 'no') then false
        end as explicit
    from raw_values
),

checked as (
    select
        *,
        case
            when is_blank_line then ['blank line']
            -- fields cannot be trusted when the count is wrong: that is the only reason given
            when n_fields <> expected_fields
                then ['wrong column count: ' || n_fields || ' fields, expected ' || expected_fields]
            else list_filter([
            case when track_id is null then 'missing track_id' end,
            case when track_genre is null then 'missing track_genre' end,
            case when explicit_raw is not null and explicit is null then 'unparseable explicit' end,
            {%- for column in int_columns + double_columns %}
            case when {{ column }}_raw is not null and {{ column }} is null then 'unparseable {{ column }}' end,
            {%- set lo, hi = ranges[column] %}
            case when {{ column }} is not null and ({% if lo is not none %}{{ column }} < {{ lo }}{% endif %}{% if lo is not none and hi is not none %} or {% endif %}{% if hi is not none %}{{ column }} > {{ hi }}{% endif %})
                then 'out of range {{ column }}' end,
            {%- endfor %}
            null
        ], lambda reason: reason is not null)
        end as reasons
    from typed
),

final as (
    select
        line_number,
        track_id,
        artists,
        album_name,
        track_name,
        track_genre,
        popularity,
        duration_ms,
        explicit,
        danceability,
        energy,
        key,
        loudness,
        mode,
        speechiness,
        acousticness,
        instrumentalness,
        liveness,
        valence,
        tempo,
        time_signature,
        nullif(array_to_string(reasons, '; '), '') as reject_reason,
        raw_line,
        n_fields
    from checked
)

select * from final

{#- Reading the catalogue. The file is read one physical line at a time with every byte kept, so no
    value can abort the read and no line can vanish: a line with the wrong number of fields is
    quarantined with its raw text instead of being dropped or silently padded. -#}

{% macro catalogue_path() -%}
{#- keep in step with the source's external_location in models/staging/_catalogue__sources.yml -#}
{{ return(var('data_path', env_var('WAVEHOUSE_DATA', '../data/spotify_tracks_114k.csv.gz'))) }}
{%- endmacro %}

{% macro sql_string(value) -%}
'{{ value | replace("'", "''") }}'
{%- endmacro %}

{#- The raw lines of the file, in file order, with their 1-based line number. -#}
{% macro read_catalogue_lines(path) -%}
select
    row_number() over () as line_number,
    line
from read_csv(
    {{ sql_string(path) }},
    columns = {'line': 'VARCHAR'},
    header = false,
    delim = chr(31),
    quote = '',
    escape = '',
    auto_detect = false,
    strict_mode = false,
    max_line_size = 10000000
)
{%- endmacro %}

{#- Split one CSV line into its fields (RFC 4180 quoting), after removing CR and a UTF-8 BOM. -#}
{% macro csv_fields(line_expr) -%}
regexp_extract_all(
    ',' || regexp_replace(regexp_replace({{ line_expr }}, '\r$', ''), '^\x{FEFF}', ''),
    ',("(?:[^"]|"")*"|[^,"]*)',
    1
)
{%- endmacro %}

{#- Unquote one field and turn blanks into null. -#}
{% macro csv_value(field_expr) -%}
nullif(trim(
    case
        when starts_with({{ field_expr }}, '"') and ends_with({{ field_expr }}, '"') and length({{ field_expr }}) >= 2
            then replace({{ field_expr }}[2:-2], '""', '"')
        else {{ field_expr }}
    end
), '')
{%- endmacro %}

{#- The columns a catalogue must have, in our names. -#}
{% macro required_columns() -%}
{{ return(['track_id', 'artists', 'album_name', 'track_name', 'popularity', 'duration_ms', 'explicit',
           'danceability', 'energy', 'key', 'loudness', 'mode', 'speechiness', 'acousticness',
           'instrumentalness', 'liveness', 'valence', 'tempo', 'time_signature', 'track_genre']) }}
{%- endmacro %}

{% macro source_column_name(column) -%}
{{ return(var('column_map', {}).get(column, column)) }}
{%- endmacro %}

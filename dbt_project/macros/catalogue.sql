{#- Reading the catalogue with DuckDB's own readers: CSV (plain, .gz, .zst; delimiter and quote
    sniffed; quoted fields spanning lines kept whole), Parquet, or a folder / glob of either. Every
    value is read as text, so no value can abort the read; records the CSV reader cannot parse
    (wrong field count, invalid UTF-8, a stray quote) are kept, with their raw text, file and line,
    through DuckDB's rejects tables (store_rejects). Column names are matched to ours through the
    known layouts (catalogue_aliases) or the var column_map (`wavehouse build --columns`). -#}

{% macro catalogue_path() -%}
{{ return(var('data_path', env_var('WAVEHOUSE_DATA', '../data/spotify_tracks_114k.csv.gz'))) }}
{%- endmacro %}

{% macro sql_string(value) -%}
'{{ value | replace("'", "''") }}'
{%- endmacro %}

{#- Our columns, and for each the header names (compared case-insensitively and exactly) it is
    recognised by, in order of preference. These cover the Kaggle 114k layout, the Spotify 600k
    layout (id, name, artists as a list literal), seed 004's (name_song, name_artists, genres,
    *_songs) and seed 003's (capitalised names, Positiveness for valence, Artist(s), song). -#}
{% macro catalogue_aliases() -%}
{{ return({
    'track_id': ['track_id', 'id', 'id_songs', 'song_id', 'spotify_id'],
    'track_name': ['track_name', 'name', 'name_song', 'name_songs', 'song', 'song_name', 'title'],
    'artists': ['artists', 'name_artists', 'artist', 'artist(s)', 'artist_name', 'artist_names'],
    'album_name': ['album_name', 'album'],
    'genres': ['track_genre', 'genres', 'genre'],
    'popularity': ['popularity', 'popularity_songs', 'track_popularity'],
    'duration_ms': ['duration_ms', 'duration_ms_songs'],
    'explicit': ['explicit'],
    'danceability': ['danceability'],
    'energy': ['energy'],
    'key': ['key'],
    'loudness': ['loudness', 'loudness (db)'],
    'mode': ['mode'],
    'speechiness': ['speechiness'],
    'acousticness': ['acousticness'],
    'instrumentalness': ['instrumentalness'],
    'liveness': ['liveness'],
    'valence': ['valence', 'positiveness'],
    'tempo': ['tempo'],
    'time_signature': ['time_signature', 'time signature'],
}) }}
{%- endmacro %}

{#- Named layouts, recognised when all of their signature columns are present (for the build log). -#}
{% macro catalogue_layouts() -%}
{{ return([
    ('kaggle_114k', ['track_id', 'artists', 'album_name', 'track_name', 'track_genre']),
    ('spotify_600k', ['id', 'name', 'artists', 'id_artists', 'release_date']),
    ('seed_004_single_genre_artists', ['id_songs', 'name_song', 'name_artists', 'genres']),
    ('seed_003_capitalised', ['energy', 'danceability', 'positiveness']),
]) }}
{%- endmacro %}

{% macro required_columns() -%}
{{ return(['track_name', 'artists', 'danceability', 'energy', 'loudness', 'speechiness', 'acousticness',
           'instrumentalness', 'liveness', 'valence', 'tempo']) }}
{%- endmacro %}

{% macro catalogue_error(message) -%}
{{ exceptions.raise_compiler_error("wavehouse: " ~ message) }}
{%- endmacro %}

{#- The files behind the data path: a file, a folder (every CSV / Parquet file in it) or a glob.
    Returns {'files': [...], 'format': 'csv' | 'parquet'}. -#}
{% macro catalogue_files(path) -%}
{{ return(adapter.dispatch('catalogue_files', 'wavehouse')(path)) }}
{%- endmacro %}

{% macro default__catalogue_files(path) -%}
{%- set is_dir = run_query("select count(*) > 0 from glob(" ~ sql_string(path.rstrip('/') ~ '/*') ~ ")")
      .columns[0].values()[0]
      and run_query("select count(*) = 0 from glob(" ~ sql_string(path) ~ ") where file = " ~ sql_string(path)).columns[0].values()[0] -%}
{%- set pattern = (path.rstrip('/') ~ '/*') if is_dir else path -%}
{%- set found = run_query("select file from glob(" ~ sql_string(pattern) ~ ") order by file")
      .columns[0].values() | list -%}
{%- if not found -%}
    {{ catalogue_error("input not found: " ~ path ~ " (give a CSV or Parquet file, a folder of them, or a glob;"
                       ~ " set --data PATH or WAVEHOUSE_DATA)") }}
{%- endif -%}
{%- set parquet = [] -%}{%- set csv = [] -%}{%- set other = [] -%}
{%- for file in found -%}
    {%- set lower = file | lower -%}
    {%- if lower.endswith('.parquet') or lower.endswith('.pq') -%}{%- do parquet.append(file) -%}
    {%- elif not is_dir or modules.re.search('\\.(csv|tsv|txt)(\\.gz|\\.zst)?$', lower) -%}{%- do csv.append(file) -%}
    {%- else -%}{%- do other.append(file) -%}
    {%- endif -%}
{%- endfor -%}
{%- if parquet and csv -%}
    {{ catalogue_error(path ~ " mixes Parquet and CSV files (" ~ parquet[0] ~ ", " ~ csv[0]
                       ~ "); give one format at a time") }}
{%- endif -%}
{%- if not parquet and not csv -%}
    {{ catalogue_error("no CSV or Parquet files in " ~ path ~ " (found " ~ other[:3] | join(', ') ~ ")") }}
{%- endif -%}
{{ return({'files': parquet or csv, 'format': 'parquet' if parquet else 'csv'}) }}
{%- endmacro %}

{% macro sql_list(values) -%}
[{% for v in values %}{{ sql_string(v) }}{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{#- The reader over some of the files; for CSV with DuckDB's rejects tables (wh_reject_errors,
    wh_reject_scans). Every column as text; `filename` added. -#}
{% macro catalogue_reader(source, files=none, rejects=true) -%}
{%- set files = files or source['files'] -%}
{%- if source['format'] == 'parquet' -%}
read_parquet({{ sql_list(files) }}, filename = true, file_row_number = true)
{%- else -%}
read_csv({{ sql_list(files) }}, all_varchar = true, header = true, filename = true,
         encoding = {{ sql_string(var('encoding', 'utf-8')) }}, max_line_size = 10000000
         {%- if source.get('header_names') %}, auto_detect = false, delim = {{ sql_string(source['delim']) }}, quote = '"', escape = '"',
         columns = { {%- for name in source['header_names'] %}{{ sql_string(name) }}: 'VARCHAR'{% if not loop.last %}, {% endif %}{% endfor -%} }{% endif %}
         {%- if rejects %}, store_rejects = true, rejects_table = 'wh_reject_errors', rejects_scan = 'wh_reject_scans'{% endif %})
{%- endif -%}
{%- endmacro %}

{#- Everything about the input a model needs: files, format, header, and our column -> theirs.
    Raises one readable line when a required column is missing or the files disagree. -#}
{% macro catalogue_source() -%}
{%- set path = catalogue_path() -%}
{%- set source = catalogue_files(path) -%}
{%- set header = catalogue_header(source, source['files'][:1]) -%}
{%- if source['format'] == 'csv' -%}
    {%- for file in source['files'][1:] -%}
        {%- set other = catalogue_header(source, [file]) -%}
        {%- if (other['names'] | map('lower') | list) != (header['names'] | map('lower') | list) -%}
            {{ catalogue_error(file ~ " has other columns than " ~ source['files'][0] ~ " (" ~ other['names'] | join(', ')
                ~ " vs " ~ header['names'] | join(', ') ~ "): every part of a catalogue needs the same header") }}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- if source['format'] == 'csv' and modules.re.search('[\x00-\x08\x0b-\x1f]', header['names'] | join('')) -%}
    {{ catalogue_error(source['files'][0] ~ " does not look like a text CSV file (its header holds control characters). "
        ~ "Compressed? Name it .gz or .zst. Parquet? Name it .parquet. Another encoding? Try --encoding latin-1 or utf-16.") }}
{%- endif -%}
{%- set by_lower = {} -%}
{%- for name in header['names'] -%}{%- do by_lower.setdefault(name | lower | trim, name) -%}{%- endfor -%}
{%- set user_map = var('column_map', {}) or {} -%}
{%- set mapping = {} -%}{%- set bad_map = [] -%}
{%- set known = catalogue_aliases() -%}
{%- for ours, theirs in user_map.items() -%}
    {%- set ours = 'genres' if ours == 'track_genre' else ours -%}
    {%- if ours not in known -%}
        {{ catalogue_error("column_map/--columns names an unknown column " ~ ours ~ "; ours are: " ~ known.keys() | join(', ')) }}
    {%- elif (theirs | lower | trim) in by_lower -%}
        {%- do mapping.update({ours: by_lower[theirs | lower | trim]}) -%}
    {%- else -%}
        {%- do bad_map.append(ours ~ '=' ~ theirs) -%}
    {%- endif -%}
{%- endfor -%}
{%- if bad_map -%}
    {{ catalogue_error(path ~ ": --columns/column_map " ~ bad_map | join(', ') ~ " names columns the file does not have. Found: " ~ header['names'] | join(', ')) }}
{%- endif -%}
{%- set used = mapping.values() | list -%}
{%- for ours, aliases in known.items() if ours not in mapping -%}
    {%- for alias in aliases if ours not in mapping and alias in by_lower and by_lower[alias] not in used -%}
        {%- do mapping.update({ours: by_lower[alias]}) -%}{%- do used.append(by_lower[alias]) -%}
    {%- endfor -%}
{%- endfor -%}
{%- set missing = required_columns() | reject('in', mapping) | list -%}
{%- if missing -%}
    {%- set unused = header['names'] | reject('in', used) | list -%}
    {{ catalogue_error(path ~ " lacks required columns: " ~ missing | join(', ') ~ ". Found: " ~ header['names'] | join(', ')
        ~ ". If they are there under other names, map them: wavehouse build --columns "
        ~ missing | join('=<column>,') ~ "=<column> (dbt: --vars '{column_map: {"
        ~ missing[0] ~ ": <column>}}')" ~ (" (unmatched columns: " ~ unused | join(', ') ~ ")" if unused else "")) }}
{%- endif -%}
{%- set layout = namespace(name='custom') -%}
{%- for name, signature in catalogue_layouts() if layout.name == 'custom' -%}
    {%- if signature | reject('in', by_lower) | list | length == 0 -%}{%- set layout.name = name -%}{%- endif -%}
{%- endfor -%}
{{ return({'path': path, 'files': source['files'], 'format': source['format'], 'delim': source.get('delim'),
           'header_names': source.get('header_names'), 'columns': header['names'],
           'types': header['types'], 'mapping': mapping, 'layout': layout.name if not user_map else layout.name ~ '+column_map'}) }}
{%- endmacro %}

{#- One of the source's columns as text: lists (Parquet) as a list literal, like CSV exports write them. -#}
{% macro catalogue_text(source, ours) -%}
{%- set theirs = source['mapping'].get(ours) -%}
{%- if theirs is none -%}
cast(null as string)
{%- elif source['types'][theirs].endswith('[]') or source['types'][theirs].startswith('array<') -%}
'[' || {{ list_join(list_map(quote_column(theirs), 'v', "'\"' || replace(cast(v as string), '\"', " ~ text_literal('\\"') ~ ") || '\"'"), "', '") }} || ']'
{%- else -%}
cast({{ quote_column(theirs) }} as string)
{%- endif -%}
{%- endmacro %}

{#- A list of names from text: a list literal (['A', 'B'] or ["A"], Python/JSON style) or
    ";"-separated names (the Kaggle form); trimmed, blanks dropped. -#}
{% macro name_list(expr) -%}
{%- set quoted_item = ('\'(?:[^\'\\\\]|\\\\.)*\'|"(?:[^"\\\\]|\\\\.)*"') -%}
{%- set lit = text_literal -%}
{#- an item without its quotes, its escapes (\' \" \\) undone -#}
{%- set item = "trim(replace(replace(replace(substring(q, 2, length(q) - 2), " ~ lit("\\'") ~ ", " ~ lit("'") ~ "), "
      ~ lit('\\"') ~ ", " ~ lit('"') ~ "), " ~ lit('\\\\') ~ ", " ~ lit('\\') ~ "))" -%}
{{ list_where(
    'case
        -- a list literal has quoted items: a name such as "[Alexandros]" is a name, not a list
        when ' ~ regex_full_match('trim(' ~ expr ~ ')', '\\[\\s*([\'"].*[\'"])?\\s*\\]') ~ ' then '
            ~ list_map(regex_extract_all('trim(' ~ expr ~ ')', quoted_item), 'q', item) ~ '
        else ' ~ list_map(split_text('coalesce(' ~ expr ~ ", '')", ';'), 'n', 'trim(n)') ~ '
    end',
    'n', "n <> ''") }}
{%- endmacro %}

{#- Pre-hook of stg_catalogue__records: the single read of the input, into a temporary table on the
    model's connection (with, for CSV, fresh rejects tables beside it). -#}
{% macro read_catalogue() -%}
{{ return(adapter.dispatch('read_catalogue', 'wavehouse')()) }}
{%- endmacro %}

{% macro default__read_catalogue() -%}
{%- if execute -%}
{%- set source = catalogue_source() -%}
{%- do record_catalogue_source(source) -%}
{%- if var('spark_output', none) -%}{{ return('') }}{%- endif -%}
drop table if exists wh_reject_errors;
drop table if exists wh_reject_scans;
create or replace temporary table wh_catalogue_read as
select * from {{ catalogue_reader(source) }}
{%- endif -%}
{%- endmacro %}

{#- The body of stg_catalogue__records, one per engine (adapter.dispatch). -#}
{% macro catalogue_records(source, ours, reading) -%}
{{ return(adapter.dispatch('catalogue_records', 'wavehouse')(source, ours, reading)) }}
{%- endmacro %}

{#- The body of stg_catalogue__records on DuckDB: the temporary table wh_catalogue_read (the
    pre-hook read_catalogue), numbered, plus, for CSV, the records DuckDB's reader rejected. -#}
{% macro default__catalogue_records(source, ours, reading) -%}
with

parsed as (
    select
        row_number() over () as record_number,
        filename as source_file,
        {%- for column in ours %}
        {{ catalogue_text(source, column) if reading else 'null::varchar' }} as {{ column }},
        {%- endfor %}
        {%- if source['format'] == 'parquet' %}
        file_row_number + 1 as source_row
        {%- else %}
        null::bigint as source_row
        {%- endif %}
    from wh_catalogue_read
),

numbered as (
    select
        * exclude (source_row),
        {%- if source.get('files', []) | length > 1 %}
        coalesce(source_row, row_number() over (partition by source_file order by record_number)) as source_row,
        {%- else %}
        coalesce(source_row, record_number) as source_row,
        {%- endif %}
        null::bigint as source_line,
        null::varchar as read_error,
        null::varchar as raw_record,
        {{ 'track_id' in source.get('mapping', {}) }} as has_id_column,
        {{ 'genres' in source.get('mapping', {}) }} as has_genre_column
    from parsed
),

{%- if source['format'] == 'csv' %}

read_errors as (
    -- one row per rejected line: DuckDB reports a line missing several fields once per missing field
    select
        scans.file_path as source_file,
        errors.line as source_line,
        any_value(errors.csv_line order by errors.column_idx) as raw_record,
        min(case when errors.error_type::varchar in ('MISSING COLUMNS', 'TOO MANY COLUMNS')
                 then regexp_extract(errors.error_message, 'Found: (\d+)', 1)::int end) as n_fields,
        any_value(regexp_extract(errors.error_message, 'Expected Number of Columns: (\d+)', 1)) as n_expected,
        list(distinct errors.error_type::varchar order by errors.error_type::varchar) as error_types
    from wh_reject_errors as errors
    inner join wh_reject_scans as scans using (scan_id, file_id)
    group by all
),

described_errors as (
    select
        source_file,
        source_line,
        raw_record,
        array_to_string(list_transform(error_types, lambda t: case t
            when 'INVALID ENCODING' then 'invalid {{ var("encoding", "utf-8") | upper }}'
            when 'MISSING COLUMNS' then 'wrong column count: ' || n_fields || ' fields, expected ' || n_expected
            when 'TOO MANY COLUMNS' then 'wrong column count: ' || n_fields || ' fields, expected ' || n_expected
            when 'UNQUOTED VALUE' then 'stray quote (a quoted value must end at a delimiter)'
            when 'LINE SIZE OVER MAXIMUM' then 'line too long'
            else lower(t)
        end), '; ') as read_error
    from read_errors
),

rejected_records as (
    select
        (select count(*) from numbered) + row_number() over (order by source_file, source_line) as record_number,
        source_file,
        {%- for column in ours %}
        null::varchar as {{ column }},
        {%- endfor %}
        null::bigint as source_row,
        source_line,
        read_error,
        raw_record,
        {{ 'track_id' in source.get('mapping', {}) }} as has_id_column,
        {{ 'genres' in source.get('mapping', {}) }} as has_genre_column
    from described_errors
),

final as (
    select * from numbered
    union all by name
    select * from rejected_records
)
{%- else %}

final as (
    select * from numbered
)
{%- endif %}

select * from final
{%- endmacro %}

{#- Spark (`wavehouse build --engine spark`): the catalogue read with Spark's own CSV / Parquet
    sources. The path is handed to Spark as given (a file, a folder or a glob, local or on the
    cluster's file system); the format is the var data_format, else told by the name. -#}
{% macro spark__catalogue_files(path) -%}
{%- set lower = path | lower -%}
{%- set format = var('data_format', none) or ('parquet' if lower.endswith('.parquet') or lower.endswith('.pq') else 'csv') -%}
{{ return({'files': [path], 'format': format}) }}
{%- endmacro %}

{#- Column names (and types) from the header: for CSV the first line, split on the delimiter it
    holds most of; an unnamed column is named as DuckDB names it (column00). -#}
{% macro spark__catalogue_header(source, files) -%}
{%- if source['format'] == 'parquet' -%}
    {%- do run_query("create or replace temporary view wh_catalogue_header using parquet options (path " ~ text_literal(files[0]) ~ ")") -%}
    {%- set names = [] -%}{%- set types = {} -%}
    {%- for row in run_query("describe wh_catalogue_header").rows if row[0] and not row[0].startswith('#') -%}
        {%- do names.append(row[0]) -%}{%- do types.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{ return({'names': names, 'types': types}) }}
{%- endif -%}
{%- set lines = run_query("select value from text.`" ~ files[0] | replace('`', '``') ~ "` limit 1").columns[0].values() | list -%}
{%- set line = (lines[0] if lines else '').lstrip('\ufeff').rstrip('\r') -%}
{%- set best = namespace(delim=',', count=0) -%}
{%- for delim in [',', ';', '\t', '|'] if line.count(delim) > best.count -%}
    {%- set best.delim = delim -%}{%- set best.count = line.count(delim) -%}
{%- endfor -%}
{%- do source.update({'delim': best.delim}) -%}
{%- set names = [] -%}
{%- for name in line.split(best.delim) -%}
    {%- set name = name.strip() -%}
    {%- set name = name[1:-1].replace('""', '"') if name.startswith('"') and name.endswith('"') and name | length > 1 else name -%}
    {%- do names.append(name or 'column%02d' % loop.index0) -%}
{%- endfor -%}
{%- set types = {} -%}{%- for name in names -%}{%- do types.update({name: 'string'}) -%}{%- endfor -%}
{{ return({'names': names, 'types': types}) }}
{%- endmacro %}

{#- Pre-hook: the input as the temporary view wh_catalogue_read. CSV: every column as text under
    the header's names, quoted fields spanning lines kept whole (multiLine), and a record Spark
    cannot split into the header's fields kept whole in _corrupt_record (PERMISSIVE). -#}
{% macro spark__read_catalogue() -%}
{%- if execute -%}
{%- set source = catalogue_source() -%}
{%- do log("wavehouse: Spark reads " ~ source['format'] ~ " from " ~ source['path'] ~ ", layout " ~ source['layout'] ~ "; columns: "
          ~ source['mapping'].items() | map('join', '<-') | join(', '), info=true) -%}
{%- if source['format'] == 'parquet' -%}
create or replace temporary view wh_catalogue_read using parquet options (path {{ text_literal(source['path']) }})
{%- else -%}
create or replace temporary view wh_catalogue_read (
    {%- for name in source['columns'] %}{{ quote_column(name) }} string, {% endfor %}_corrupt_record string)
using csv options (path {{ text_literal(source['path']) }}, header 'true', enforceSchema 'true', sep {{ text_literal(source['delim']) }},
    quote '"', escape '"', multiLine 'true', mode 'PERMISSIVE', columnNameOfCorruptRecord '_corrupt_record',
    encoding {{ text_literal(var('encoding', 'utf-8')) }})
{%- endif -%}
{%- endif -%}
{%- endmacro %}

{#- Spark's CSV source does not refuse invalid bytes (it reads them as U+FFFD): the body below
    quarantines such records as the DuckDB reader does. -#}
{% macro spark__check_catalogue_encoding() -%}
select 1
{%- endmacro %}

{#- The file a row came from, as a path (Spark gives a URI) -#}
{% macro spark_source_file() -%}
url_decode(replace(regexp_replace(input_file_name(), '^file:(//)?', ''), '+', '%2B'))
{%- endmacro %}

{#- The body of stg_catalogue__records on Spark: the same columns, numbering and quarantine as the
    DuckDB body. Records are numbered in (file, position in file) order, the unreadable ones after
    the readable ones; source_line (unreadable records) counts the lines of the records before it. -#}
{% macro spark__catalogue_records(source, ours, reading) -%}
{%- set columns = source.get('columns', []) -%}
{%- set has_id = 'track_id' in source.get('mapping', {}) -%}
{%- set has_genre = 'genres' in source.get('mapping', {}) -%}
with

parsed as (
    select
        {%- for column in ours %}
        {{ catalogue_text(source, column) if reading else 'cast(null as string)' }} as {{ column }},
        {%- endfor %}
        {%- if source['format'] == 'csv' and reading %}
        regexp_replace(_corrupt_record, '[\r\n]+$', '') as corrupt_text,
        concat_ws({{ text_literal(source['delim']) }}, {% for name in columns %}{{ quote_column(name) }}{% if not loop.last %}, {% endif %}{% endfor %}) as joined_text,
        {%- else %}
        cast(null as string) as corrupt_text,
        cast(null as string) as joined_text,
        {%- endif %}
        {{ spark_source_file() }} as source_file,
        monotonically_increasing_id() as position
    from wh_catalogue_read
),

classified as (
    select
        *,
        case
            when corrupt_text is not null then
                case when n_fields <> {{ columns | length }}
                     then 'wrong column count: ' || n_fields || ' fields, expected {{ columns | length }}'
                     else 'unparseable record' end
            {%- if var('encoding', 'utf-8') | lower in ('utf-8', 'utf8') %}
            when instr(joined_text, '\ufffd') > 0 then 'invalid UTF-8'
            {%- endif %}
        end as read_error,
        -- lines the record spans: 1 + the line breaks inside it
        1 + length(coalesce(corrupt_text, joined_text, '')) - length(replace(coalesce(corrupt_text, joined_text, ''), '\n', '')) as n_lines
    from (
        select
            *,
            -- fields: delimiters outside quoted values, plus one
            length(regexp_replace(corrupt_text, '"([^"]|"")*"', ''))
                - length(replace(regexp_replace(corrupt_text, '"([^"]|"")*"', ''), {{ text_literal(source.get('delim') or ',') }}, '')) + 1 as n_fields
        from parsed
    )
),

numbered as (
    select
        *,
        row_number() over (partition by read_error is null order by source_file, position) as class_number,
        count(case when read_error is null then 1 end) over () as n_readable,
        row_number() over (partition by read_error is null, source_file order by position) as file_class_number,
        2 + coalesce(sum(n_lines) over (partition by source_file order by position rows between unbounded preceding and 1 preceding), 0) as first_line
    from classified
),

final as (
    select
        case when read_error is null then class_number else n_readable + class_number end as record_number,
        source_file,
        {%- for column in ours %}
        case when read_error is null then {{ column }} end as {{ column }},
        {%- endfor %}
        case when read_error is null then cast(file_class_number as bigint) end as source_row,
        case when read_error is not null then first_line end as source_line,
        read_error,
        case when read_error is not null then coalesce(corrupt_text, joined_text) end as raw_record,
        {{ has_id }} as has_id_column,
        {{ has_genre }} as has_genre_column
    from numbered
)

select * from final
{%- endmacro %}

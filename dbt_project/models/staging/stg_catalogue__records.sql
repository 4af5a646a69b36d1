{#- Every record of the input, as text under our column names, with where it came from. The pre-hook
    reads the files once with DuckDB's reader into a temporary table; for CSV, records the reader
    cannot parse land in DuckDB's rejects tables and are added here with their raw text, file, line
    and the reader's reason, so nothing read is lost. -#}
{{ config(pre_hook=["{{ read_catalogue() }}", "{{ check_catalogue_encoding() }}"]) }}
{#- the input is read when the model runs (not for `dbt docs generate`, which needs no input) -#}
{%- set reading = execute and flags.WHICH not in ('generate', 'serve') -%}
{%- set source = catalogue_source() if reading else {'format': 'csv'} -%}
{%- set ours = ['track_id', 'track_name', 'artists', 'album_name', 'genres', 'explicit'] + feature_columns() | reject('equalto', 'explicit') | list -%}

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

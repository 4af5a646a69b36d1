{#- The catalogue's header and encoding, as read_catalogue (catalogue.sql) needs them: the column
    names and types of its files, and a check that a CSV is mostly UTF-8; and the record of what
    was read (ml_stage_log, stage 'source'). -#}

{#- Column names and types of one file (or of all files, for Parquet), in file order. -#}
{% macro catalogue_header(source, files) -%}
{{ return(adapter.dispatch('catalogue_header', 'wavehouse')(source, files)) }}
{%- endmacro %}

{#- The first line of a text file, as it is. -#}
{% macro csv_first_line(file) -%}
{{ return(run_query("select line from read_csv(" ~ sql_string(file) ~ ", columns = {'line': 'VARCHAR'}, header = false, "
    ~ "delim = chr(31), quote = '', escape = '', auto_detect = false, strict_mode = false) limit 1").columns[0].values()[0] or '') }}
{%- endmacro %}

{% macro default__catalogue_header(source, files) -%}
{%- set described = run_query("describe select * from " ~ catalogue_reader(source, files, rejects=source['format'] == 'csv')) -%}
{%- set sniffed = described.rows | map(attribute=0) | reject('in', ['filename', 'file_row_number']) | list -%}
{%- set generated = namespace(all=true) -%}
{%- for name in sniffed if not modules.re.match('column[0-9]+$', name) -%}{%- set generated.all = false -%}{%- endfor -%}
{%- if source['format'] == 'csv' and not source.get('delim') and (sniffed | length <= 1 or generated.all) -%}
    {#- junk rows in the sniffer's sample: it found no delimiter (one column, the whole header line),
        or took the header line for data (names column00, column01, ...). Split the header line on
        its own delimiter and read with explicit options (every column as text); the junk rows go to
        the rejects as usual. The delimiter is looked for in the one sniffed name where there is
        one: an invalid UTF-8 first line cannot be read as a line. -#}
    {%- set line = none if sniffed | length <= 1 else csv_first_line(files[0]) -%}
    {%- for delim in [',', ';', '\t', '|'] if not source.get('delim') and delim in (line or sniffed[0] or '') -%}
        {%- do source.update({'delim': delim}) -%}
    {%- endfor -%}
    {%- if source.get('delim') -%}
        {%- set line = line if line is not none else csv_first_line(files[0]) -%}
        {%- set names = [] -%}
        {%- for name in line.lstrip('\ufeff').rstrip('\r').split(source['delim']) -%}
            {%- set name = name.strip() -%}
            {%- set name = name[1:-1].replace('""', '"') if name.startswith('"') and name.endswith('"') and name | length > 1 else name -%}
            {#- an unnamed column is named as DuckDB's sniffer names it -#}
            {%- do names.append(name or 'column%02d' % loop.index0) -%}
        {%- endfor -%}
        {%- do source.update({'header_names': names}) -%}
        {%- set described = run_query("describe select * from " ~ catalogue_reader(source, files)) -%}
    {%- endif -%}
{%- endif -%}
{%- set names = [] -%}{%- set types = {} -%}
{%- for row in described.rows -%}
    {%- if row[0] not in ('filename', 'file_row_number') -%}
        {%- do names.append(row[0]) -%}{%- do types.update({row[0]: row[1]}) -%}
    {%- endif -%}
{%- endfor -%}
{{ return({'names': names, 'types': types}) }}
{%- endmacro %}

{#- A line of invalid UTF-8 is quarantined; a file that is mostly not UTF-8 (more than
    max_invalid_encoding_share of its records, default 1%) fails the build at once. -#}
{% macro check_catalogue_encoding() -%}
{{ return(adapter.dispatch('check_catalogue_encoding', 'wavehouse')()) }}
{%- endmacro %}

{% macro default__check_catalogue_encoding() -%}
{%- if execute and not var('spark_output', none) -%}
{%- set source = catalogue_files(catalogue_path()) -%}
{%- set parsed = run_query("select count(*) from wh_catalogue_read").columns[0].values()[0] -%}
{%- set unreadable = run_query("select count(*) from wh_reject_errors").columns[0].values()[0] if source['format'] == 'csv' else 0 -%}
{%- if parsed + unreadable == 0 -%}
    {{ catalogue_error("input has a header but no data rows: " ~ catalogue_path()) }}
{%- endif -%}
{%- endif -%}
{%- if execute and not var('spark_output', none) and unreadable -%}
{%- set row = run_query("select scans.file_path, count(distinct errors.line), (select count(*) from wh_catalogue_read as r where r.filename = scans.file_path)
    from wh_reject_errors as errors inner join wh_reject_scans as scans using (scan_id, file_id)
    where errors.error_type::varchar like 'INVALID%' group by all order by 2 desc limit 1") -%}
{%- if row.rows | length > 0 -%}
    {%- set file, bad, good = row.rows[0] -%}
    {%- set share = var('max_invalid_encoding_share', 0.01) -%}
    {%- if bad > 10 and bad > share * (bad + good) -%}
        {{ catalogue_error(file ~ " is not " ~ var('encoding', 'utf-8') ~ ": " ~ bad ~ " of its " ~ (bad + good) ~ " records hold invalid bytes. "
            ~ "If it is Latin-1 / Windows-1252, build with --encoding latin-1, or convert it: iconv -f latin1 -t utf-8 '" ~ file ~ "' > converted.csv") }}
    {%- endif -%}
{%- endif -%}
{%- endif -%}
{%- endmacro %}

{#- Part of read_catalogue: what is read, for ml_runs.input (stage 'source' of ml_stage_log). -#}
{% macro record_catalogue_source(source) -%}
{%- set params = {'path': source['path'], 'format': source['format'], 'files': source['files'], 'layout': source['layout'],
                  'columns': source['mapping'], 'encoding': var('encoding', 'utf-8')} -%}
{%- do log("wavehouse: reading " ~ source['files'] | length ~ " " ~ source['format'] ~ " file(s) from " ~ source['path']
          ~ ", layout " ~ source['layout'] ~ "; columns: " ~ source['mapping'].items() | map('join', '<-') | join(', '), info=true) -%}
{%- do run_query("create table if not exists ml_stage_log (stage varchar, recorded_at timestamp, seconds double, params json, metrics json)") -%}
{%- do run_query("delete from ml_stage_log where stage = 'source'") -%}
{%- do run_query("insert into ml_stage_log values ('source', now(), 0, " ~ sql_string(tojson(params)) ~ "::json, '{}'::json)") -%}
{%- endmacro %}

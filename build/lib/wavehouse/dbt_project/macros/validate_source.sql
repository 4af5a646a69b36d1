{#- Runs before any model (on-run-start): fail early, with one clear message, when the input file is
    missing, empty, header-only, or lacks required columns. -#}
{% macro validate_source() %}
{% if execute and flags.WHICH in ('build', 'run', 'seed', 'test', 'compile') %}
    {% set path = catalogue_path() %}
    {% set found = run_query("select count(*) from glob(" ~ sql_string(path) ~ ")").columns[0].values()[0] %}
    {% if found == 0 %}
        {{ exceptions.raise_compiler_error("wavehouse: input file not found: " ~ path ~ " (set --data PATH or WAVEHOUSE_DATA)") }}
    {% endif %}
    {% set probe %}
        with lines as ({{ read_catalogue_lines(path) }})
        select
            (select count(*) from lines) as n_lines,
            (select count(*) from lines where line_number > 1 and nullif(trim(line), '') is not null) as n_data,
            (select list_transform({{ csv_fields('line') }}, lambda f: lower({{ csv_value('f') }})) from lines where line_number = 1) as header
    {% endset %}
    {% set row = run_query(probe).rows[0] %}
    {% if row[0] == 0 %}
        {{ exceptions.raise_compiler_error("wavehouse: input file is empty: " ~ path) }}
    {% endif %}
    {% set header = row[2] or [] %}
    {% set missing = [] %}
    {% for column in required_columns() %}
        {% if source_column_name(column) | lower not in header %}
            {% do missing.append(source_column_name(column)) %}
        {% endif %}
    {% endfor %}
    {% if missing %}
        {{ exceptions.raise_compiler_error("wavehouse: " ~ path ~ " lacks required columns: " ~ missing | join(', ')
            ~ ". Expected: " ~ required_columns() | join(', ') ~ ". Found: " ~ header | join(', ')
            ~ ". Map differently named columns with the dbt var column_map.") }}
    {% endif %}
    {% if row[1] == 0 %}
        {{ exceptions.raise_compiler_error("wavehouse: input file has a header but no data rows: " ~ path) }}
    {% endif %}
{% endif %}
{% endmacro %}

{#- Runs before any model (on-run-start): fail early, with one clear line, when the input is
    missing or empty. The header (required columns, parts that disagree) is checked by the first
    model, stg_catalogue__records, before it reads; a header-only file right after the read. -#}
{% macro validate_source() %}
{% if execute and target.type == 'duckdb' and flags.WHICH in ('build', 'run', 'seed', 'test', 'compile') %}
    {% for file in catalogue_files(catalogue_path())['files'] %}
        {% set size = run_query("select size from read_blob(" ~ sql_string(file) ~ ")").columns[0].values()[0] %}
        {% if size == 0 %}
            {{ catalogue_error("input file is empty: " ~ file) }}
        {% endif %}
    {% endfor %}
{% endif %}
{% endmacro %}

{#- A statement for the DuckDB warehouse only (a hook): nothing on another engine. -#}
{% macro duckdb_only(sql) -%}
{{ sql if target.type == 'duckdb' else '' }}
{%- endmacro %}

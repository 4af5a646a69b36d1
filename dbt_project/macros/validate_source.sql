{#- Runs before any model (on-run-start): fail early, with one clear line, when the input is
    missing, empty, header-only, lacks required columns, or its parts disagree. -#}
{% macro validate_source() %}
{% if execute and flags.WHICH in ('build', 'run', 'seed', 'test', 'compile') %}
    {% for file in catalogue_files(catalogue_path())['files'] %}
        {% set size = run_query("select size from read_blob(" ~ sql_string(file) ~ ")").columns[0].values()[0] %}
        {% if size == 0 %}
            {{ catalogue_error("input file is empty: " ~ file) }}
        {% endif %}
    {% endfor %}
    {% set source = catalogue_source() %}
    {% set probe = run_query("select count(*) from (select 1 from " ~ catalogue_reader(source) ~ " limit 1)").columns[0].values()[0] %}
    {% if probe == 0 and source['format'] == 'csv' %}
        {% set probe = run_query("select count(*) from wh_reject_errors").columns[0].values()[0] %}
    {% endif %}
    {% if probe == 0 %}
        {{ catalogue_error("input has a header but no data rows: " ~ source['path']) }}
    {% endif %}
    {% do log("wavehouse: reading " ~ source['files'] | length ~ " " ~ source['format'] ~ " file(s) from " ~ source['path']
              ~ ", layout " ~ source['layout'] ~ "; columns: "
              ~ source['mapping'].items() | map('join', '<-') | join(', '), info=true) %}
{% endif %}
{% endmacro %}

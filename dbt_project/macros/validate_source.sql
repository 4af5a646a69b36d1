{#- Runs before any model (on-run-start): fail early, with one clear line, when the input is
    missing, empty, lacks required columns, or its parts disagree (a header-only file is caught by
    the first model, right after the one read). Records what is read for ml_runs. -#}
{% macro validate_source() %}
{% if execute and flags.WHICH in ('build', 'run', 'seed', 'test', 'compile') %}
    {% for file in catalogue_files(catalogue_path())['files'] %}
        {% set size = run_query("select size from read_blob(" ~ sql_string(file) ~ ")").columns[0].values()[0] %}
        {% if size == 0 %}
            {{ catalogue_error("input file is empty: " ~ file) }}
        {% endif %}
    {% endfor %}
    {% set source = catalogue_source() %}
    {% do run_query("create table if not exists ml_stage_log (stage varchar, recorded_at timestamp, seconds double, params json, metrics json)") %}
    {% do record_catalogue_source(source) %}
    {% do log("wavehouse: reading " ~ source['files'] | length ~ " " ~ source['format'] ~ " file(s) from " ~ source['path']
              ~ ", layout " ~ source['layout'] ~ "; columns: "
              ~ source['mapping'].items() | map('join', '<-') | join(', '), info=true) %}
{% endif %}
{% endmacro %}

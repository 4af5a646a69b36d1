{#- Every record of the input, as text under our column names, with where it came from. The pre-hook
    reads the files once with the engine's reader (DuckDB's read_csv / read_parquet, or Spark's
    csv / parquet sources) into a temporary table; for CSV, records the reader cannot parse are
    kept with their raw text, file, line and the reader's reason, so nothing read is lost
    (macros/catalogue_records.sql: one body per engine). -#}
{{ config(pre_hook=["{{ read_catalogue() }}", "{{ check_catalogue_encoding() }}"]) }}
{#- the input is read when the model runs (not for `dbt docs generate`, which needs no input) -#}
{%- set reading = execute and flags.WHICH not in ('generate', 'serve') -%}
{%- set source = catalogue_source() if reading else {'format': 'csv'} -%}
{%- set ours = ['track_id', 'track_name', 'artists', 'album_name', 'genres', 'explicit'] + feature_columns() | reject('equalto', 'explicit') | list -%}

{%- if built_by_spark() %}
{{ spark_built_table('record_number') }}
{%- else %}
{{ catalogue_records(source, ours, reading) }}
{%- endif %}

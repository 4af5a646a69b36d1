{#- Incremental builds. dbt writes a fresh private build file every time (published by an atomic
    rename), so the previous warehouse reaches a build as a read-only ATTACH of the published file,
    named `previous`: `wavehouse build` sets $WAVEHOUSE_PREVIOUS to it (unless --full-refresh), a
    plain `dbt build` can pass --vars '{previous_warehouse: PATH}'. ml_build_plan decides from it
    whether this build is full or incremental; models ask build_mode(). -#}

{% macro previous_warehouse_path() -%}
{{ return(var('previous_warehouse', env_var('WAVEHOUSE_PREVIOUS', ''))) }}
{%- endmacro %}

{#- on-run-start: attach the previous warehouse read-only when there is one (a missing file is no
    error: the build is then full). Attached with --full-refresh too: a full build trains every
    model but keeps a tuned warehouse's config (ml_genre_head_tuning). -#}
{% macro attach_previous_warehouse() %}
{% set path = previous_warehouse_path() %}
{% if execute and target.type == 'duckdb' and path and flags.WHICH in ('build', 'run') %}
    {% set found = run_query("select count(*) from glob(" ~ sql_string(path) ~ ")").columns[0].values()[0] %}
    {% if found %}
        {% do run_query("attach if not exists " ~ sql_string(path) ~ " as previous (read_only)") %}
    {% endif %}
{% endif %}
{% endmacro %}

{#- Whether `previous` is attached and holds table `name` (false at parse time). -#}
{% macro previous_has(name) -%}
{%- if not execute -%}{{ return(false) }}{%- endif -%}
{%- set n = run_query("select count(*) from duckdb_tables() where database_name = 'previous' and schema_name = 'main' and table_name = " ~ sql_string(name)).columns[0].values()[0] -%}
{{ return(n > 0) }}
{%- endmacro %}

{#- 'full' or 'incremental', as ml_build_plan decided (models that call it declare
    `-- depends_on: ref('ml_build_plan')`). At parse time 'full'. -#}
{% macro build_mode() -%}
{%- if not execute -%}{{ return('full') }}{%- endif -%}
{%- set rows = run_query("select mode from " ~ ref('ml_build_plan')) -%}
{{ return(rows.columns[0].values()[0]) }}
{%- endmacro %}

{#- The columns whose change makes a track "changed" (everything the models read from a track). -#}
{% macro tracked_columns() -%}
{{ return(feature_columns() + ['primary_genre', 'song_key', 'artists', 'track_name']) }}
{%- endmacro %}

{#- The parameters the trained models depend on: when any differs from the previous build's, the
    build is full. (The searches' vars are not among them: they matter only to a build that tunes,
    which is full anyway.) -#}
{% macro model_parameters() -%}
{%- set names = ['seed', 'holdout_percent', 'validation_percent', 'latent_dim', 'ae_batch_size', 'ae_max_epochs',
                 'ae_patience', 'ae_learning_rate', 'aux_weight', 'feature_weights', 'genre_head', 'hybrid_audio_weight',
                 'use_tuned_config', 'pca_min_variance', 'k_min', 'k_max',
                 'k_sweep_sample', 'metric_sample', 'kmeans_n_init', 'sub_k', 'dbscan_min_samples',
                 'dbscan_sample', 'kdistance_curve_points', 'shap_fit_sample', 'shap_explain_sample',
                 'tsne_sample', 'tsne_max_iter', 'neighbours_k', 'neighbour_method', 'ivf_lists', 'ivf_probe', 'ivf_min_recall',
                 'recall_sample', 'eval_max_queries', 'engine', 'train_sample', 'column_map'] -%}
{%- set values = {} -%}
{%- for name in names -%}{%- do values.update({name: var(name, none)}) -%}{%- endfor -%}
{{ return(tojson(values, sort_keys=true)) }}
{%- endmacro %}

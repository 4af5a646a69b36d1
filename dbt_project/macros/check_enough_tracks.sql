{#- Post-hook of int_ml_inputs: a catalogue too small to cluster and list fails here, saying what
    it has and what it needs, instead of as a traceback from the first model that cannot fit (the
    k sweep needs more songs than k_max, the neighbour lists more than neighbours_k, the k-distance
    curve more than dbscan_min_samples). -#}
{% macro check_enough_tracks(relation) -%}
{%- if execute -%}
{%- set tracks, songs = run_query("select count(*), count(distinct song_id) from " ~ relation).rows[0] -%}
{%- set need = [var('k_max'), var('neighbours_k'), var('dbscan_min_samples')] | max + 1 -%}
{%- if songs < need -%}
    {{ exceptions.raise_compiler_error("wavehouse: the catalogue has " ~ tracks ~ " valid tracks (" ~ songs
        ~ " distinct songs), and clustering and neighbour lists need at least "
        ~ need ~ " songs (k_max " ~ var('k_max') ~ ", neighbours_k " ~ var('neighbours_k') ~ ", dbscan_min_samples "
        ~ var('dbscan_min_samples') ~ "). Add tracks, or lower those: wavehouse build --vars "
        ~ "'{k_max: 4, neighbours_k: 4, dbscan_min_samples: 3}'") }}
{%- endif -%}
{%- endif -%}
select 1
{%- endmacro %}

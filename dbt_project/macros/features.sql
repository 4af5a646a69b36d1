{#- The 15 features of seed 001, in the order used by every embedding and model. -#}
{% macro feature_columns() -%}
{{ return(['popularity', 'duration_ms', 'explicit', 'danceability', 'energy', 'key', 'loudness', 'mode',
           'speechiness', 'acousticness', 'instrumentalness', 'liveness', 'valence', 'tempo',
           'time_signature']) }}
{%- endmacro %}

{#- Normalise a name for matching: case, accents, punctuation, repeated spaces (any script kept). -#}
{#- The features this catalogue has (at least one value), in feature_columns() order, read from
    feature_scaling at run time; the models that call it depend on feature_scaling. At parse time,
    every feature. -#}
{% macro available_features() -%}
{%- set relation = ref('feature_scaling') -%}
{%- if execute -%}
    {%- set found = run_query("select feature from " ~ relation ~ " where is_available order by feature_position").columns[0].values() | list -%}
    {{ return(found) }}
{%- endif -%}
{{ return(feature_columns()) }}
{%- endmacro %}

{% macro normalise_name(expr) -%}
trim(regexp_replace(lower(strip_accents(coalesce({{ expr }}, ''))), '[^\p{L}\p{N}]+', ' ', 'g'))
{%- endmacro %}

{#- A title without "(feat. X)", "[with X]", " feat. X", " ft. X" parts. -#}
{% macro strip_featuring(expr) -%}
regexp_replace(
    regexp_replace({{ expr }}, '\s*[\(\[]\s*(feat\.?|ft\.?|featuring|with)\s[^\)\]]*[\)\]]', '', 'gi'),
    '\s+(feat\.?|ft\.?|featuring)\s.*$', '', 'i')
{%- endmacro %}

{#- The 15 features of seed 001, in the order used by every embedding and model. -#}
{% macro feature_columns() -%}
{{ return(['popularity', 'duration_ms', 'explicit', 'danceability', 'energy', 'key', 'loudness', 'mode',
           'speechiness', 'acousticness', 'instrumentalness', 'liveness', 'valence', 'tempo',
           'time_signature']) }}
{%- endmacro %}

{#- Normalise a name for matching: case, accents, punctuation, repeated spaces (any script kept). -#}
{% macro normalise_name(expr) -%}
trim(regexp_replace(lower(strip_accents(coalesce({{ expr }}, ''))), '[^\p{L}\p{N}]+', ' ', 'g'))
{%- endmacro %}

{#- A title without "(feat. X)", "[with X]", " feat. X", " ft. X" parts. -#}
{% macro strip_featuring(expr) -%}
regexp_replace(
    regexp_replace({{ expr }}, '\s*[\(\[]\s*(feat\.?|ft\.?|featuring|with)\s[^\)\]]*[\)\]]', '', 'gi'),
    '\s+(feat\.?|ft\.?|featuring)\s.*$', '', 'i')
{%- endmacro %}

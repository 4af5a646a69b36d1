{#- The 15 features of seed 001, in the order used by every embedding and model. -#}
{% macro feature_columns() -%}
{{ return(['popularity', 'duration_ms', 'explicit', 'danceability', 'energy', 'key', 'loudness', 'mode',
           'speechiness', 'acousticness', 'instrumentalness', 'liveness', 'valence', 'tempo',
           'time_signature']) }}
{%- endmacro %}

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

{#- Normalise a name for matching: case, accents, punctuation, repeated spaces (any script kept). -#}
{% macro normalise_name(expr) -%}
trim({{ regex_replace_all('lower(' ~ without_accents('coalesce(' ~ expr ~ ", '')") ~ ')', name_separators() ~ '+', ' ') }})
{%- endmacro %}

{#- The characters that separate words in a name: ASCII and Latin-1 punctuation, symbols and
    spaces, spacing accents, general punctuation, currency, arrows, maths, technical and box-drawing
    symbols, dingbats, punctuation of the Arabic, Hebrew, Armenian, Devanagari, Thai and Ethiopic
    scripts, CJK and full-width punctuation (the katakana middle dot too), private-use characters,
    variation selectors and emoji. Letters and digits of every script are kept (tests check this
    against Unicode's letter and number categories on every character of the bundled catalogue).
    Written as explicit ranges, not as `[^\p{L}\p{N}]`: RE2 compiles Unicode property classes in
    about 2 ms, which every search query would pay when it binds `wh_normalise`. -#}
{% macro name_separators() -%}
[\x00-\x2F\x3A-\x40\x5B-\x60\x7B-\xA9\xAB-\xB1\xB4\xB6-\xB8\xBB\xBF\xD7\xF7\x{02D8}-\x{02DD}\x{055A}-\x{055F}\x{0589}\x{05BE}\x{05C0}\x{05C3}\x{05C6}\x{05F3}\x{05F4}\x{060C}\x{061B}\x{061F}\x{066A}-\x{066D}\x{06D4}\x{0964}\x{0965}\x{0970}\x{0E4F}\x{0E5A}\x{0E5B}\x{1361}-\x{1368}\x{2000}-\x{206F}\x{20A0}-\x{20FF}\x{2116}\x{2117}\x{2120}\x{2122}\x{2190}-\x{245F}\x{2500}-\x{2775}\x{2794}-\x{2BFF}\x{2E00}-\x{2E2E}\x{2E30}-\x{2E7F}\x{3000}-\x{3004}\x{3008}-\x{3020}\x{3030}\x{303D}-\x{303F}\x{30FB}\x{E000}-\x{F8FF}\x{FE00}-\x{FE1F}\x{FE30}-\x{FE6F}\x{FEFF}\x{FF00}-\x{FF0F}\x{FF1A}-\x{FF20}\x{FF3B}-\x{FF40}\x{FF5B}-\x{FF65}\x{FFF0}-\x{FFFF}\x{1F000}-\x{1F0FF}\x{1F10D}-\x{1FAFF}]
{%- endmacro %}

{#- The artists of a ";"-separated artists text as a list (trimmed; empty text: ['']). -#}
{% macro artist_list(expr) -%}
list_transform(string_split(coalesce({{ expr }}, ''), ';'), lambda a: trim(a))
{%- endmacro %}

{#- True when two ";"-separated artists texts share an artist. -#}
{% macro shares_an_artist(a, b) -%}
list_has_any({{ artist_list(a) }}, {{ artist_list(b) }})
{%- endmacro %}

{#- A title without "(feat. X)", "[with X]", " feat. X", " ft. X" parts. -#}
{% macro strip_featuring(expr) -%}
{%- set parts = regex_replace_all(expr, '\\s*[\\(\\[]\\s*(feat\\.?|ft\\.?|featuring|with)\\s[^\\)\\]]*[\\)\\]]', '', case_insensitive=true) -%}
{#- anchored at the end, so replacing every match is replacing the one -#}
{{ regex_replace_all(parts, '\\s+(feat\\.?|ft\\.?|featuring)\\s.*$', '', case_insensitive=true) }}
{%- endmacro %}

{#- SQL that differs between DuckDB and Spark SQL, one macro each with a duckdb__ and a spark__
    body (adapter.dispatch), so that the ingest models (stg_catalogue__records, stg_spotify__tracks,
    int_tracks_rejected, int_tracks_deduped) are one set of models on both engines. Lists are
    1-based in these macros' arguments, as in DuckDB. -#}

{#- Text as a SQL string literal. Spark's parser reads backslash escapes in string literals, so
    there backslashes are doubled; DuckDB's literals are raw. -#}
{% macro text_literal(value) -%}{{ return(adapter.dispatch('text_literal', 'wavehouse')(value)) }}{%- endmacro %}
{% macro default__text_literal(value) -%}'{{ value | replace("'", "''") }}'{%- endmacro %}
{% macro spark__text_literal(value) -%}'{{ value | replace("\\", "\\\\") | replace("'", "\\'") }}'{%- endmacro %}

{#- A regular expression as a literal: the patterns we use mean the same in RE2 and Java regex. -#}
{% macro regex_literal(pattern) -%}{{ return(text_literal(pattern)) }}{%- endmacro %}

{#- expr matches the whole pattern -#}
{% macro regex_full_match(expr, pattern) -%}{{ return(adapter.dispatch('regex_full_match', 'wavehouse')(expr, pattern)) }}{%- endmacro %}
{% macro default__regex_full_match(expr, pattern) -%}regexp_full_match({{ expr }}, {{ regex_literal(pattern) }}){%- endmacro %}
{% macro spark__regex_full_match(expr, pattern) -%}({{ expr }} rlike {{ regex_literal('^(?:' ~ pattern ~ ')\\z') }}){%- endmacro %}

{#- every match replaced; case_insensitive for (?i) -#}
{% macro regex_replace_all(expr, pattern, replacement, case_insensitive=false) -%}
{{ return(adapter.dispatch('regex_replace_all', 'wavehouse')(expr, pattern, replacement, case_insensitive)) }}
{%- endmacro %}
{% macro default__regex_replace_all(expr, pattern, replacement, case_insensitive) -%}
regexp_replace({{ expr }}, {{ regex_literal(pattern) }}, {{ regex_literal(replacement) }}, '{{ "gi" if case_insensitive else "g" }}')
{%- endmacro %}
{% macro spark__regex_replace_all(expr, pattern, replacement, case_insensitive) -%}
regexp_replace({{ expr }}, {{ regex_literal(('(?i)' if case_insensitive else '') ~ pattern) }}, {{ regex_literal(replacement) }})
{%- endmacro %}

{#- every whole match, as a list -#}
{% macro regex_extract_all(expr, pattern) -%}{{ return(adapter.dispatch('regex_extract_all', 'wavehouse')(expr, pattern)) }}{%- endmacro %}
{% macro default__regex_extract_all(expr, pattern) -%}regexp_extract_all({{ expr }}, {{ regex_literal(pattern) }}){%- endmacro %}
{% macro spark__regex_extract_all(expr, pattern) -%}regexp_extract_all({{ expr }}, {{ regex_literal(pattern) }}, 0){%- endmacro %}

{#- a list literal of expressions -#}
{% macro list_of(items) -%}{{ return(adapter.dispatch('list_of', 'wavehouse')(items)) }}{%- endmacro %}
{% macro default__list_of(items) -%}[{{ items | join(', ') }}]{%- endmacro %}
{% macro spark__list_of(items) -%}array({{ items | join(', ') }}){%- endmacro %}

{#- the items of a list for which `condition` (over `name`) holds -#}
{% macro list_where(expr, name, condition) -%}{{ return(adapter.dispatch('list_where', 'wavehouse')(expr, name, condition)) }}{%- endmacro %}
{% macro default__list_where(expr, name, condition) -%}list_filter({{ expr }}, lambda {{ name }}: {{ condition }}){%- endmacro %}
{% macro spark__list_where(expr, name, condition) -%}filter({{ expr }}, {{ name }} -> {{ condition }}){%- endmacro %}

{#- `value` (over `name`) for each item of a list -#}
{% macro list_map(expr, name, value) -%}{{ return(adapter.dispatch('list_map', 'wavehouse')(expr, name, value)) }}{%- endmacro %}
{% macro default__list_map(expr, name, value) -%}list_transform({{ expr }}, lambda {{ name }}: {{ value }}){%- endmacro %}
{% macro spark__list_map(expr, name, value) -%}transform({{ expr }}, {{ name }} -> {{ value }}){%- endmacro %}

{% macro list_size(expr) -%}{{ return(adapter.dispatch('list_size', 'wavehouse')(expr)) }}{%- endmacro %}
{% macro default__list_size(expr) -%}len({{ expr }}){%- endmacro %}
{% macro spark__list_size(expr) -%}size({{ expr }}){%- endmacro %}

{#- the first item (null for an empty list) -#}
{% macro list_first(expr) -%}{{ return(adapter.dispatch('list_first', 'wavehouse')(expr)) }}{%- endmacro %}
{% macro default__list_first(expr) -%}{{ expr }}[1]{%- endmacro %}
{% macro spark__list_first(expr) -%}try_element_at({{ expr }}, 1){%- endmacro %}

{% macro list_sorted(expr) -%}{{ return(adapter.dispatch('list_sorted', 'wavehouse')(expr)) }}{%- endmacro %}
{% macro default__list_sorted(expr) -%}list_sort({{ expr }}){%- endmacro %}
{% macro spark__list_sorted(expr) -%}array_sort({{ expr }}){%- endmacro %}

{#- the items joined by a separator (nulls skipped) -#}
{% macro list_join(expr, separator) -%}{{ return(adapter.dispatch('list_join', 'wavehouse')(expr, separator)) }}{%- endmacro %}
{% macro default__list_join(expr, separator) -%}array_to_string({{ expr }}, {{ separator }}){%- endmacro %}
{% macro spark__list_join(expr, separator) -%}array_join({{ expr }}, {{ separator }}){%- endmacro %}

{#- text split on a literal one-character separator; empty parts kept -#}
{% macro split_text(expr, separator) -%}{{ return(adapter.dispatch('split_text', 'wavehouse')(expr, separator)) }}{%- endmacro %}
{% macro default__split_text(expr, separator) -%}string_split({{ expr }}, '{{ separator }}'){%- endmacro %}
{% macro spark__split_text(expr, separator) -%}split({{ expr }}, {{ regex_literal('\\Q' ~ separator ~ '\\E') }}, -1){%- endmacro %}

{#- aggregate: the values of a group as a list, in the order of `order_by` (a list of expressions) -#}
{% macro ordered_list(value, order_by) -%}{{ return(adapter.dispatch('ordered_list', 'wavehouse')(value, order_by)) }}{%- endmacro %}
{% macro default__ordered_list(value, order_by) -%}list({{ value }} order by {{ order_by | join(', ') }}){%- endmacro %}
{% macro spark__ordered_list(value, order_by) -%}
transform(array_sort(collect_list(struct({% for e in order_by %}{{ e }} as o{{ loop.index }}, {% endfor %}{{ value }} as v))), x -> x.v)
{%- endmacro %}

{#- One row per item of a list column: `columns` of the relation, plus `item_name` and its 1-based
    `position_name`. Rows whose list is null or empty give none. -#}
{% macro exploded(relation, list_column, columns, item_name, position_name) -%}
{{ return(adapter.dispatch('exploded', 'wavehouse')(relation, list_column, columns, item_name, position_name)) }}
{%- endmacro %}
{% macro default__exploded(relation, list_column, columns, item_name, position_name) -%}
select {{ columns | join(', ') }}, unnest({{ list_column }}) as {{ item_name }}, generate_subscripts({{ list_column }}, 1) as {{ position_name }}
from {{ relation }}
where {{ list_column }} is not null
{%- endmacro %}
{% macro spark__exploded(relation, list_column, columns, item_name, position_name) -%}
select {{ columns | join(', ') }}, exploded.{{ item_name }}, exploded.position0 + 1 as {{ position_name }}
from {{ relation }}
lateral view posexplode({{ list_column }}) exploded as position0, {{ item_name }}
where {{ list_column }} is not null
{%- endmacro %}

{#- A JSON object text of columns ({"name": value}, in order), nulls kept as null. -#}
{% macro json_object_text(columns) -%}{{ return(adapter.dispatch('json_object_text', 'wavehouse')(columns)) }}{%- endmacro %}
{% macro default__json_object_text(columns) -%}
to_json({ {%- for name in columns %}'{{ name }}': {{ name }}{% if not loop.last %}, {% endif %}{% endfor -%} })::varchar
{%- endmacro %}
{% macro spark__json_object_text(columns) -%}
to_json(named_struct({%- for name in columns %}'{{ name }}', {{ name }}{% if not loop.last %}, {% endif %}{% endfor -%}), map('ignoreNullFields', 'false'))
{%- endmacro %}

{#- Text with accents removed, as DuckDB's strip_accents does it (é -> e, combining marks dropped).
    Spark SQL has no such function: there it is a translate() over the table in
    macros/accents.sql, generated from DuckDB's strip_accents for every code point
    (tests/test_engines.py checks that it is complete). -#}
{% macro without_accents(expr) -%}{{ return(adapter.dispatch('without_accents', 'wavehouse')(expr)) }}{%- endmacro %}
{% macro default__without_accents(expr) -%}strip_accents({{ expr }}){%- endmacro %}
{% macro spark__without_accents(expr) -%}
{%- set table = accent_table() -%}
translate({{ expr }}, '{{ table[0] }}', '{{ table[1] }}')
{%- endmacro %}

{#- A number from text: decimal notation only ("0.5", "-3", "1e-3", ".5"), anything else null.
    The same rule on both engines (their casts disagree on "0x10", "1_000", "inf", "1.0d"). -#}
{% macro parse_number(expr) -%}
case when {{ regex_full_match(expr, '[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?') }} then cast({{ expr }} as double) end
{%- endmacro %}

{#- A column name as a quoted identifier. -#}
{% macro quote_column(name) -%}{{ return(adapter.dispatch('quote_column', 'wavehouse')(name)) }}{%- endmacro %}
{% macro default__quote_column(name) -%}"{{ name | replace('"', '""') }}"{%- endmacro %}
{% macro spark__quote_column(name) -%}`{{ name | replace('`', '``') }}`{%- endmacro %}

{#- True in the DuckDB build of `wavehouse build --engine spark`: the ingest models' tables were
    built by Spark as Parquet under the var spark_output, and are read from there. -#}
{% macro built_by_spark() -%}
{{ return(target.type == 'duckdb' and var('spark_output', none) is not none) }}
{%- endmacro %}

{#- The Spark-built table of this model, read from its Parquet files (into a DuckDB table, so that
    the published warehouse does not depend on them), in `order_by` order. -#}
{% macro spark_built_table(order_by) -%}
select * from read_parquet({{ sql_string(var('spark_output') ~ '/' ~ this.identifier ~ '/*.parquet') }})
order by {{ order_by }}
{%- endmacro %}

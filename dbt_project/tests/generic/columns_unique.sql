{#- Each of `columns` unique on its own (nulls aside): the column-level unique tests of a model, as
    one query (one dbt node instead of one per column). A failing row names the column and the value.
    Plain SQL that DuckDB and Spark both read (the ingest models' tests run on Spark with --engine spark). -#}
{% test columns_unique(model, columns) %}
{% for c in columns %}
select '{{ c }}' as column_name, cast({{ c }} as string) as value, count(*) as n
from {{ model }}
where {{ c }} is not null
group by {{ c }}
having count(*) > 1
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% endtest %}

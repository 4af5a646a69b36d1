{#- No null in any of `columns`: the column-level not_null tests of a model, as one query (one dbt
    node instead of one per column: every build runs its tests). A failing row says which columns
    are null. -#}
{% test columns_not_null(model, columns) %}
select
    {% for c in columns %}{{ c }} is null as {{ c }}_is_null{% if not loop.last %}, {% endif %}{% endfor %}
from {{ model }}
where {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

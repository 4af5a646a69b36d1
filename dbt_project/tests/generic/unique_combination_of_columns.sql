{#- Fails on every combination of combination_of_columns that occurs more than once (NULLs compare
    equal): the uniqueness test of a composite primary key. Vendored in the shape of dbt_utils'
    test of the same name (no hub packages: dbt must work offline). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

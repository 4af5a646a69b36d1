{#- Fails unless the model has exactly one row. -#}
{% test dbt_expect_one_row(model) %}
select n from (select count(*) as n from {{ model }}) where n <> 1
{% endtest %}

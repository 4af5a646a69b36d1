{#- rpt_evaluation_by_embedding compares the embeddings on the same held-out queries: within each
    query group, every embedding's row counts the same queries. -#}
select query_group, count(distinct n_queries) as different_counts
from {{ ref('rpt_evaluation_by_embedding') }}
group by query_group
having count(distinct n_queries) > 1

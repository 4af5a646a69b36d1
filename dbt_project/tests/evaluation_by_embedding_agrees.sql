{#- The default embedding's row of rpt_evaluation_by_embedding reports the same held-out genre hit
    rate as rpt_evaluation (two computations of one metric on the same lists), whenever it covers
    every held-out track. (With eval_max_queries set, it is computed on that sample of them.) -#}
select by_embedding.genre_hit_rate_at_10_heldout, evaluation.value
from {{ ref('rpt_evaluation_by_embedding') }} as by_embedding
cross join {{ ref('rpt_evaluation') }} as evaluation
where by_embedding.is_default and by_embedding.query_group = 'all'
  and by_embedding.n_queries = (select count(*) from {{ ref('dim_tracks') }} where is_holdout)
  and evaluation.metric = 'genre_hit_rate_at_10_heldout'
  and abs(by_embedding.genre_hit_rate_at_10_heldout - evaluation.value) > 1e-9

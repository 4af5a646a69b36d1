{#- Every cluster of the default method has its row in dim_clusters (none lost to a join, e.g. a
    catalogue without genres). Returns the missing cluster ids. -#}
select distinct cluster_id
from {{ ref('ml_track_clusters') }}
where method = '{{ var("default_cluster_method") }}'
  and cluster_id not in (select cluster_id from {{ ref('dim_clusters') }})

{#- The results table seed 000 reported (method, silhouette, DBI), for every method of this build.
    Only what this build computed: figures published elsewhere are compared in bench/ and the README.
    Internal indices are computed on the
    same fixed stratified sample for every method; DBSCAN noise counts as one cluster, as in seed 000. -#}
{{ config(materialized='table') }}
-- depends_on: {{ ref('ml_track_clusters') }}
with

stages as (
    select * from ml_stage_log
    where stage in ('kmeans_features', 'kmeans_pca', 'kmeans_embedding', 'dbscan_pca')
),

final as (
    select
        stages.stage as method,
        split_part(stages.stage, '_', 2) as space,
        (stages.metrics ->> 'n_clusters')::int as n_clusters,
        (stages.metrics ->> 'silhouette')::double as silhouette,
        (stages.metrics ->> 'davies_bouldin')::double as davies_bouldin,
        (stages.metrics ->> 'calinski_harabasz')::double as calinski_harabasz,
        (stages.metrics ->> 'noise_share')::double as noise_share,
        stages.method_is_default as is_default
    from (select *, stage = '{{ var("default_cluster_method") }}' as method_is_default from stages) as stages
    order by method
)

select * from final

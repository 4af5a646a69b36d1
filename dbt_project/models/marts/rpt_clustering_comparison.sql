{#- The results table seed 000 reported (method, silhouette, DBI), for every method here, with the
    figures seed 000 published where a method is comparable. Internal indices are computed on the
    same fixed stratified sample for every method; DBSCAN noise counts as one cluster, as in seed 000. -#}
-- depends_on: {{ ref('ml_track_clusters') }}
with

stages as (
    select * from ml_stage_log
    where stage in ('kmeans_features', 'kmeans_pca', 'kmeans_embedding', 'dbscan_pca')
),

seed_000 as (
    select * from (values
        ('kmeans_pca', 0.139, 1.601, 'KMeans k=9 on 8 PCA components of SMOTE-balanced data'),
        ('dbscan_pca', 0.284, 1.470, 'DBSCAN eps=1.5, min_samples=11 on PCA')
    ) as t(method, silhouette, davies_bouldin, setting)
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
        stages.method_is_default as is_default,
        seed_000.silhouette as seed_000_silhouette,
        seed_000.davies_bouldin as seed_000_davies_bouldin,
        seed_000.setting as seed_000_setting
    from (select *, stage = '{{ var("default_cluster_method") }}' as method_is_default from stages) as stages
    left join seed_000 on seed_000.method = stages.stage
    order by method
)

select * from final

{{ config(materialized="table") }}
{#- Every pair of clusters: cosine similarity of their embedding centroids and Euclidean distance of
    their z-score profiles (the heatmap data of seed 002). -#}
with

clusters as (
    select * from {{ ref('dim_clusters') }}
),

final as (
    select
        a.cluster_id as cluster_a,
        b.cluster_id as cluster_b,
        a.cluster_name as cluster_a_name,
        b.cluster_name as cluster_b_name,
        array_cosine_similarity(a.centroid, b.centroid) as centroid_similarity,
        sqrt(
            {%- for f in available_features() %}
            power(a.z_{{ f }} - b.z_{{ f }}, 2){% if not loop.last %} +{% endif %}
            {%- endfor %}
        ) as profile_distance
    from clusters as a
    cross join clusters as b
    order by cluster_a, cluster_b
)

select * from final

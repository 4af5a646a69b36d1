{#- Per cluster of the default method: size, mean raw features, mean z-scores (the profile) and
    the centroid in the embedding clusters are computed in (is_cluster_space). -#}
with

tracks as (
    select * from {{ ref('int_tracks_deduped') }}
),

scaled as (
    select * from {{ ref('int_track_features_scaled') }}
),

clusters as (
    select * from {{ ref('ml_track_clusters') }}
    where method = '{{ var("default_cluster_method") }}'
),

embedded as (
    select clusters.cluster_id, embeddings.embedding
    from {{ ref('ml_track_embeddings') }} as embeddings
    inner join clusters using (track_id)
    where embeddings.is_cluster_space
),

centroids as (
    {{ vector_mean_by('embedded', 'cluster_id', 'embedding') }}
),

profiles as (
    select
        clusters.cluster_id,
        count(*) as n_tracks,
        {%- for f in feature_columns() %}
        avg(tracks.{{ f }}::double) as mean_{{ f }},
        avg(scaled.z_{{ f }}) as z_{{ f }}{{ ',' if not loop.last }}
        {%- endfor %}
    from clusters
    inner join tracks using (track_id)
    inner join scaled using (track_id)
    group by clusters.cluster_id
),

final as (
    select profiles.*, centroids.centroid
    from profiles
    inner join centroids using (cluster_id)
)

select * from final

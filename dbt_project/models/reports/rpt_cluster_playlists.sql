{{ config(materialized="table") }}
{#- Playlists: the tracks nearest each cluster's centroid (level = cluster) and each sub-cluster's
    centroid (level = sub_cluster) in the cluster space (ml_track_embeddings.is_cluster_space), one track per song, playlist_size tracks each (seed 002). -#}
with

tracks as (
    select * from {{ ref('dim_tracks') }}
),

embedded as (
    select tracks.track_id, tracks.song_key, tracks.cluster_id, tracks.sub_cluster_id, tracks.popularity,
           embeddings.embedding::float[{{ var('latent_dim') }}] as embedding
    from {{ ref('ml_track_embeddings') }} as embeddings
    inner join tracks using (track_id)
    where embeddings.is_cluster_space
),

cluster_centroids as (
    -- computed once, in int_cluster_profiles
    select cluster_id, centroid from {{ ref('int_cluster_profiles') }}
),

sub_centroids as (
    {{ vector_mean_by('embedded', 'cluster_id, sub_cluster_id', 'embedding') }}
),

scored as (
    select 'cluster' as level, e.cluster_id, null::integer as sub_cluster_id, e.track_id, e.song_key, e.popularity,
           array_cosine_similarity(e.embedding, c.centroid) as centroid_similarity
    from embedded as e
    inner join cluster_centroids as c using (cluster_id)
    union all
    select 'sub_cluster', e.cluster_id, e.sub_cluster_id, e.track_id, e.song_key, e.popularity,
           array_cosine_similarity(e.embedding, s.centroid)
    from embedded as e
    inner join sub_centroids as s using (cluster_id, sub_cluster_id)
),

one_per_song as (
    select *
    from scored
    qualify row_number() over (partition by level, cluster_id, sub_cluster_id, song_key
                               order by centroid_similarity desc, popularity desc, track_id) = 1
),

final as (
    select
        level,
        cluster_id,
        sub_cluster_id,
        row_number() over (partition by level, cluster_id, sub_cluster_id
                           order by centroid_similarity desc, track_id) as position,
        track_id,
        centroid_similarity
    from one_per_song
    qualify position <= {{ var('playlist_size') }}
    order by level, cluster_id, sub_cluster_id, position
)

select * from final

{{ config(pre_hook="{{ create_recommendation_macros() }}") }}
{#- the macros' feature lists come from feature_scaling -#}
{%- do ref('feature_scaling') -%}
{#- the macros read these: built before the pre-hook creates them -#}
{%- do ref('fct_recommendation_candidates') -%}
{%- do ref('dim_feature_scale') -%}
{%- do ref('dim_search_words') -%}
{%- do ref('dim_search_vocabulary') -%}
{#- Top-k recommendations of every track, with names, genres, cluster names and why: the features
    where seed and recommendation agree most and differ most, shared genres, same cluster.
    Filter on seed_track_id. Its pre-hook creates the recommendation macros (recommend,
    recommend_by_vector, recommend_per_cluster, recommendation_why, search_tracks). -#}
with

neighbours as (
    select * from {{ ref('fct_track_neighbours') }}
),

tracks as (
    select * from {{ ref('dim_tracks') }}
),

clusters as (
    select cluster_id, cluster_name from {{ ref('dim_clusters') }}
),

scaled as (
    select track_id, features from {{ ref('int_track_features_scaled') }}
),

final as (
    select
        neighbours.track_id as seed_track_id,
        seed.track_name as seed_track_name,
        seed.artists as seed_artists,
        neighbours.neighbour_rank,
        rec.track_id,
        rec.track_name,
        rec.artists,
        rec.primary_genre,
        rec.genres,
        neighbours.similarity,
        neighbours.same_cluster,
        clusters.cluster_name,
        rec.mood,
        rec.popularity,
        rec.explicit,
        list_intersect(seed.genres, rec.genres) as shared_genres,
        wh_feature_agreement(seed_features.features, rec_features.features).agree as agree_most,
        wh_feature_agreement(seed_features.features, rec_features.features).differ as differ_most
    from neighbours
    inner join tracks as seed on seed.track_id = neighbours.track_id
    inner join tracks as rec on rec.track_id = neighbours.neighbour_track_id
    inner join scaled as seed_features on seed_features.track_id = seed.track_id
    inner join scaled as rec_features on rec_features.track_id = rec.track_id
    left join clusters on clusters.cluster_id = rec.cluster_id
)

select * from final

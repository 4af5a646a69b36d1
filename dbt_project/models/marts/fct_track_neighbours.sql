{#- The neighbour table recommendations join to: for every track its top-K most similar tracks in
    the default embedding (never itself, never another id of the same song). -#}
with

neighbours as (
    select * from {{ ref('ml_track_neighbours') }}
    where is_default
),

tracks as (
    select track_id, cluster_id from {{ ref('dim_tracks') }}
),

final as (
    select
        neighbours.track_id,
        neighbours.neighbour_rank,
        neighbours.neighbour_track_id,
        neighbours.similarity,
        seed.cluster_id = other.cluster_id as same_cluster
    from neighbours
    inner join tracks as seed on seed.track_id = neighbours.track_id
    inner join tracks as other on other.track_id = neighbours.neighbour_track_id
    order by neighbours.track_id, neighbours.neighbour_rank
)

select * from final

{#- The neighbour lists with every column the recommendation macros filter and show, one row per
    (seed, neighbour), sorted by seed: `recommend()` reads one seed's rows from this
    table (no join at query time), which keeps a look-up in the low milliseconds. The ART index on
    seed_track_id makes `where seed_track_id = ?` an index scan (a row group holds 122,880 rows:
    without it, one seed's 20 rows cost a scan of a whole row group). -#}
{{ config(post_hook="create index if not exists fct_recommendation_candidates_seed on {{ this }} (seed_track_id)") }}
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

final as (
    select
        neighbours.track_id as seed_track_id,
        neighbours.neighbour_rank,
        neighbours.similarity,
        tracks.track_id,
        tracks.track_name,
        tracks.artists,
        tracks.primary_genre,
        tracks.genres,
        tracks.song_key,
        tracks.explicit,
        tracks.popularity,
        tracks.mood,
        tracks.cluster_id,
        clusters.cluster_name
    from neighbours
    inner join tracks on tracks.track_id = neighbours.neighbour_track_id
    left join clusters using (cluster_id)
    order by neighbours.track_id, neighbours.neighbour_rank
)

select * from final

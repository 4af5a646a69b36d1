{{ config(materialized="table") }}
{#- Each embedding's neighbour lists side by side, on the same queries: the held-out songs (their
    genres never reached the genre head), top 10, the same song excluded as in every list. Beside
    accuracy (genre hit rate) it reports what a listener notices: how often the list repeats the
    seed's artist, how much of the catalogue the lists reach, how varied one list is, and whether
    the lists lean to popular tracks. -#}
with

neighbours as (
    select * from {{ ref('ml_track_neighbours') }}
    where neighbour_rank <= 10 and embedding_kind in (select distinct embedding_kind from {{ ref('ml_track_embeddings') }})
),

embeddings as (
    select * from {{ ref('ml_track_embeddings') }}
),

tracks as (
    select * from {{ ref('dim_tracks') }}
),

catalogue as (
    select count(*) as n_tracks, avg(popularity) as mean_popularity from tracks
),

-- held-out queries only: every embedding has lists for them (the unsupervised one only for them)
lists as (
    select
        neighbours.embedding_kind,
        neighbours.is_default,
        neighbours.track_id,
        neighbours.neighbour_rank,
        neighbours.neighbour_track_id,
        q.primary_genre = n.primary_genre as genre_hit,
        {{ shares_an_artist('q.artists', 'n.artists') }} as same_artist,
        n.popularity
    from neighbours
    inner join tracks as q on q.track_id = neighbours.track_id
    inner join tracks as n on n.track_id = neighbours.neighbour_track_id
    where q.is_holdout
),

-- intra-list diversity: 1 - the mean cosine similarity of the list's tracks to each other, in the
-- list's own embedding space
list_pairs as (
    select a.embedding_kind, a.track_id,
           1 - avg(array_cosine_similarity(ea.embedding, eb.embedding)) as diversity
    from lists as a
    inner join lists as b
        on b.embedding_kind = a.embedding_kind and b.track_id = a.track_id and b.neighbour_rank > a.neighbour_rank
    inner join embeddings as ea on ea.embedding_kind = a.embedding_kind and ea.track_id = a.neighbour_track_id
    inner join embeddings as eb on eb.embedding_kind = b.embedding_kind and eb.track_id = b.neighbour_track_id
    group by all
),

per_query as (
    select embedding_kind, any_value(is_default) as is_default, track_id,
           avg(genre_hit::int) as hit_rate, avg(same_artist::int) as own_artist_share, avg(popularity) as mean_popularity
    from lists
    group by embedding_kind, track_id
),

final as (
    select
        per_query.embedding_kind,
        any_value(per_query.is_default) as is_default,
        count(*) as n_queries,
        avg(per_query.hit_rate) as genre_hit_rate_at_10_heldout,
        avg(per_query.own_artist_share) as own_artist_share_at_10,
        (select count(distinct l.neighbour_track_id) from lists as l where l.embedding_kind = per_query.embedding_kind)
            / any_value(catalogue.n_tracks) as catalogue_coverage_at_10,
        (select avg(p.diversity) from list_pairs as p where p.embedding_kind = per_query.embedding_kind) as intra_list_diversity_at_10,
        avg(per_query.mean_popularity) as mean_popularity_recommended,
        any_value(catalogue.mean_popularity) as mean_popularity_catalogue,
        avg(per_query.mean_popularity) / nullif(any_value(catalogue.mean_popularity), 0) as popularity_lift
    from per_query
    cross join catalogue
    group by per_query.embedding_kind
    order by is_default desc, per_query.embedding_kind
)

select * from final

{{ config(materialized="table") }}
{#- Each embedding's neighbour lists side by side, on the same queries: the held-out songs (their
    genres never reached the genre head), top 10, the same song excluded as in every list. Beside
    accuracy (genre hit rate) it reports what a listener notices: how often the list repeats the
    seed's artist, how much of the catalogue the lists reach, how varied one list is, and whether
    the lists lean to popular tracks. Each embedding is reported for all held-out queries
    (query_group 'all'), and apart for those whose artists have other labelled tracks
    ('artist_evidence': the hybrid embedding can use them) and those whose artists have none
    ('audio_only': the hybrid embedding is their audio embedding). The queries are those of the
    cluster-space evaluation lists (eval_max_queries caps them at a fixed sample of held-out tracks;
    0, the default, is every held-out track), so every embedding is compared on the same queries;
    a catalogue without genres has no such lists, and every held-out track is a query. -#}
with

neighbours as (
    select * from {{ ref('ml_track_neighbours') }}
    where neighbour_rank <= 10
      and embedding_kind in (select distinct embedding_kind from {{ ref('ml_track_embeddings') }})
),

embeddings as (
    select * from {{ ref('ml_track_embeddings') }}
),

tracks as (
    select * from {{ ref('dim_tracks') }}
),

-- the held-out tracks that have cluster-space (genre_aware) evaluation lists: every one of them,
-- or eval_max_queries' sample (at 1M tracks, 20,000 of 167,000)
evaluation_queries as (
    select distinct track_id from neighbours where embedding_kind = 'genre_aware'
),

evidence as (
    select track_id from {{ ref('int_artist_genre_evidence') }} where n_labelled > 0
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
        case
            when q.track_id in (select track_id from evidence) then 'artist_evidence' else 'audio_only'
        end as query_group,
        q.primary_genre = n.primary_genre as genre_hit,
        {{ shares_an_artist('q.artists', 'n.artists') }} as same_artist,
        n.popularity
    from neighbours
    inner join tracks as q on q.track_id = neighbours.track_id
    inner join tracks as n on n.track_id = neighbours.neighbour_track_id
    where q.is_holdout
      and (q.track_id in (select track_id from evaluation_queries)
           or not exists (select 1 from evaluation_queries))
),

-- intra-list diversity: 1 - the mean cosine similarity of the list's tracks to each other, in the
-- list's own embedding space
list_pairs as (
    select a.embedding_kind, a.track_id,
           1 - avg(list_cosine_similarity(ea.embedding, eb.embedding)) as diversity
    from lists as a
    inner join lists as b
        on b.embedding_kind = a.embedding_kind and b.track_id = a.track_id and b.neighbour_rank > a.neighbour_rank
    inner join embeddings as ea on ea.embedding_kind = a.embedding_kind and ea.track_id = a.neighbour_track_id
    inner join embeddings as eb on eb.embedding_kind = b.embedding_kind and eb.track_id = b.neighbour_track_id
    group by all
),

per_query as (
    select lists.embedding_kind, any_value(lists.is_default) as is_default, lists.track_id,
           any_value(lists.query_group) as query_group,
           avg(lists.genre_hit::int) as hit_rate, avg(lists.same_artist::int) as own_artist_share,
           avg(lists.popularity) as mean_popularity, any_value(list_pairs.diversity) as diversity
    from lists
    left join list_pairs using (embedding_kind, track_id)
    group by lists.embedding_kind, lists.track_id
),

-- the share of the catalogue the group's lists reach
coverage as (
    select embedding_kind, coalesce(query_group, 'all') as query_group, count(distinct neighbour_track_id) as n_reached
    from lists
    group by grouping sets ((embedding_kind), (embedding_kind, query_group))
),

by_group as (
    select embedding_kind, coalesce(query_group, 'all') as query_group, any_value(is_default) as is_default,
           count(*) as n_queries, avg(hit_rate) as hit_rate, avg(own_artist_share) as own_artist_share,
           avg(diversity) as diversity, avg(mean_popularity) as mean_popularity
    from per_query
    group by grouping sets ((embedding_kind), (embedding_kind, query_group))
),

final as (
    select
        by_group.embedding_kind,
        by_group.query_group,
        by_group.is_default,
        by_group.n_queries,
        by_group.hit_rate as genre_hit_rate_at_10_heldout,
        by_group.own_artist_share as own_artist_share_at_10,
        coverage.n_reached / catalogue.n_tracks as catalogue_coverage_at_10,
        by_group.diversity as intra_list_diversity_at_10,
        by_group.mean_popularity as mean_popularity_recommended,
        catalogue.mean_popularity as mean_popularity_catalogue,
        by_group.mean_popularity / nullif(catalogue.mean_popularity, 0) as popularity_lift
    from by_group
    inner join coverage using (embedding_kind, query_group)
    cross join catalogue
    order by by_group.is_default desc, by_group.embedding_kind,
             case by_group.query_group when 'all' then 0 when 'artist_evidence' then 1 else 2 end
)

select * from final

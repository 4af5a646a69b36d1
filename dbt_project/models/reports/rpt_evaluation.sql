{{ config(materialized="table") }}
{#- How good the recommendations are, as plain SQL over the neighbour lists. Genre hit rate@10 =
    mean over queries of the share of their 10 nearest neighbours with the query's primary genre. -#}
with

neighbours as (
    select * from {{ ref('ml_track_neighbours') }}
    where neighbour_rank <= 10
),

tracks as (
    select * from {{ ref('dim_tracks') }}
),

-- every embedding's lists: what the per-query hit rates need
pairs as (
    select
        neighbours.embedding_kind,
        neighbours.is_default,
        q.is_holdout,
        neighbours.track_id,
        q.primary_genre = n.primary_genre as genre_hit
    from neighbours
    inner join tracks as q on q.track_id = neighbours.track_id
    inner join tracks as n on n.track_id = neighbours.neighbour_track_id
),

-- the default embedding's lists only: the song, artist and coverage checks are about them (their
-- windows and artist lists were computed for every embedding before)
default_pairs as (
    select
        q.song_key = n.song_key as same_song,
        count(*) over (partition by neighbours.track_id, n.song_key) > 1
            and row_number() over (partition by neighbours.track_id, n.song_key
                                   order by neighbours.neighbour_rank) > 1 as repeats_song,
        {{ shares_an_artist('q.artists', 'n.artists') }} as same_artist,
        neighbours.neighbour_track_id
    from neighbours
    inner join tracks as q on q.track_id = neighbours.track_id
    inner join tracks as n on n.track_id = neighbours.neighbour_track_id
    where neighbours.is_default
),

per_query as (
    select embedding_kind, is_default, is_holdout, track_id, avg(genre_hit::int) as hit_rate
    from pairs
    group by all
),

runs as (
    select * from {{ ref('ml_runs') }}
),

has_genres as (
    select count(primary_genre) > 0 as has_genres from tracks
),

metrics as (
    select 'genre_hit_rate_at_10_heldout' as metric, avg(hit_rate) as value,
           'default embedding (ml_track_embeddings.is_default); held-out songs as queries (never seen by the '
           || 'genre head); all tracks as candidates; same song excluded' as protocol
    from per_query where is_default and is_holdout
    union all
    select 'genre_hit_rate_at_10_all', avg(hit_rate),
           'default embedding; every track as query (training tracks included, so optimistic)'
    from per_query where is_default
    union all
    select 'genre_hit_rate_at_10_unsupervised', avg(hit_rate),
           'unsupervised autoencoder embedding; held-out songs as queries; same song excluded'
    from per_query where embedding_kind = 'autoencoder' and not is_default and is_holdout
    union all
    select 'genre_hit_rate_at_10_seed_protocol', avg(hit_rate),
           'seed 001 protocol: first track of each name, neighbours among those, primary genre, every query '
           || '(audio embedding: sound alone, as the seed)'
    from per_query where embedding_kind = 'seed_protocol'
    union all
    select 'same_song_rate_at_10', avg(same_song::int),
           'share of top-10 recommendations that are another id of the seed song (must be 0)'
    from default_pairs
    union all
    select 'duplicate_song_rate_at_10', avg(repeats_song::int),
           'share of top-10 recommendations that repeat a song already higher in the same list (must be 0)'
    from default_pairs
    union all
    select 'own_artist_share_at_10', avg(same_artist::int),
           'share of top-10 recommendations sharing an artist with the seed'
    from default_pairs
    union all
    select 'catalogue_coverage_at_10', count(distinct neighbour_track_id) / (select count(*) from tracks),
           'share of tracks that appear in some track''s top-10'
    from default_pairs
    union all
    select 'genre_head_accuracy_heldout', genre_head_accuracy_holdout,
           'top-1 accuracy of the genre_aware autoencoder''s genre head on held-out tracks'
    from runs
    union all
    select 'audio_head_accuracy_heldout', audio_head_accuracy_holdout,
           'top-1 accuracy on held-out tracks of the genre head whose probabilities are the audio embedding'
    from runs
    union all
    select 'ivf_recall_at_10', ivf_recall_at_10,
           'neighbour_method ivf: recall@10 against exact on a sample of queries'
    from runs where ivf_recall_at_10 is not null
),

final as (
    select
        metric,
        value::double as value,
        protocol,
        case when value is null and (metric like 'genre%') and not has_genres.has_genres
             then 'the catalogue has no genres: genre metrics cannot be computed '
                  || '(recommendations use the unsupervised autoencoder embedding)'
        end as null_reason
    from metrics
    cross join has_genres
)

select * from final

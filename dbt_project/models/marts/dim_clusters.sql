{#- Clusters as a product: one row per cluster of the default method, with size, share, profile,
    a distinct automatic name (what sets it apart + its leading genres), top genres and artists,
    and genre purity. -#}
with

profiles as (
    select * from {{ ref('int_cluster_profiles') }}
),

names as (
    select * from {{ ref('int_cluster_names') }}
),

tracks as (
    select * from {{ ref('dim_tracks') }}
),

genre_counts as (
    select cluster_id, primary_genre as genre, count(*) as n
    from tracks
    where primary_genre is not null
    group by all
),

top_genres as (
    select
        genre_counts.cluster_id,
        list({ 'genre': genre, 'share': round(n / profiles.n_tracks, 4) } order by n desc, genre)[1:5] as top_genres,
        max(n) / any_value(profiles.n_tracks) as genre_purity,
        arg_max(genre, n) as top_genre,
        array_to_string(list(genre order by n desc, genre)[1:2], ', ') as leading_genres
    from genre_counts
    inner join profiles using (cluster_id)
    group by genre_counts.cluster_id
),

artist_counts as (
    select cluster_id, trim(artist) as artist, count(*) as n
    from tracks, unnest(string_split(coalesce(tracks.artists, ''), ';')) as a (artist)
    where trim(artist) <> ''
    group by all
),

top_artists as (
    select
        artist_counts.cluster_id,
        list({ 'artist': artist, 'share': round(n / profiles.n_tracks, 4) } order by n desc, artist)[1:5] as top_artists
    from artist_counts
    inner join profiles using (cluster_id)
    group by artist_counts.cluster_id
),

sub_clusters as (
    select cluster_id, count(distinct sub_cluster_id) as n_sub_clusters
    from tracks
    group by cluster_id
),

named as (
    -- what sets the cluster apart, then its two leading genres; the id is added only if two
    -- clusters would otherwise share a name
    select
        names.cluster_id,
        names.traits || coalesce(' · ' || top_genres.leading_genres, '') as base_name
    from names
    left join top_genres using (cluster_id)
),

final as (
    select
        profiles.cluster_id,
        '{{ var("default_cluster_method") }}' as method,
        names.cluster_label,
        case when count(*) over (partition by named.base_name) > 1
             then named.base_name || ' #' || profiles.cluster_id
             else named.base_name end as cluster_name,
        names.traits,
        names.distinguishing_features,
        profiles.n_tracks,
        profiles.n_tracks / sum(profiles.n_tracks) over () as share,
        top_genres.genre_purity,
        top_genres.top_genre,
        top_genres.top_genres,
        top_artists.top_artists,
        sub_clusters.n_sub_clusters,
        {%- for f in feature_columns() %}
        profiles.mean_{{ f }},
        {%- endfor %}
        {%- for f in feature_columns() %}
        profiles.z_{{ f }},
        {%- endfor %}
        profiles.centroid
    from profiles
    inner join names using (cluster_id)
    inner join named using (cluster_id)
    left join top_genres using (cluster_id)
    left join top_artists using (cluster_id)
    inner join sub_clusters using (cluster_id)
    order by profiles.cluster_id
)

select * from final

{#- Recommendation SQL for people, BI tools and the CLI, created in the warehouse as DuckDB macros
    (so `select * from recommend(['<track_id>'])` works in any SQL client reading the warehouse).
    Created by a pre-hook of rpt_recommendations (which uses wh_feature_agreement), after everything they read is built. -#}

{% macro feature_names_sql() -%}
[{% for f in available_features() %}'{{ f }}'{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{% macro continuous_feature_positions() -%}
{%- set discrete = ['explicit', 'key', 'mode', 'time_signature'] -%}
{%- set available = available_features() -%}
[{% for f in available if f not in discrete %}{{ available.index(f) + 1 }}{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{#- shared filter parameters of the recommendation macros; embedding: null = the default
    (ml_track_embeddings.is_default), or 'hybrid' | 'audio' | 'autoencoder' ('unsupervised') -#}
{% macro recommend_filter_params() -%}
exclude_seed_artists := false, max_per_artist := null, explicit := null,
min_popularity := 0, max_popularity := 100, mood := null, same_cluster := false, embedding := null
{%- endmacro %}

{#- the embedding_kind an `embedding` argument names ('unsupervised' is the autoencoder) -#}
{% macro embedding_kind_of(expr) -%}
case when {{ expr }} = 'unsupervised' then 'autoencoder' else {{ expr }} end
{%- endmacro %}

{#- candidates (track_id, n_seeds, similarity and the track's columns of fct_recommendation_candidates)
    -> filtered, capped per artist, ranked, top k -#}
{% macro recommend_finish(candidates) -%}
seed_rows as (
    select * from dim_tracks where list_contains(seed_ids, track_id)
),
seed_artists as (
    select list(distinct trim(a)) as artists
    from seed_rows, unnest(string_split(coalesce(seed_rows.artists, ''), ';')) as t(a)
),
filtered as (
    select *
    from {{ candidates }} as d
    where d.song_key not in (select song_key from seed_rows)
      and (explicit is null or d.explicit = explicit)
      and d.popularity between min_popularity and max_popularity
      and (mood is null or d.mood = mood)
      and (not same_cluster or d.cluster_id in (select cluster_id from seed_rows))
      and (not exclude_seed_artists or not list_has_any(d.artist_list, (select artists from seed_artists)))
),
one_per_song as (
    -- several seeds can reach several ids of one song: keep its best-ranked id
    select * from filtered
    qualify row_number() over (partition by song_key order by n_seeds desc, similarity desc, track_id) = 1
),
capped as (
    select *, row_number() over (partition by artists order by n_seeds desc, similarity desc, track_id) as artist_rank
    from one_per_song
)
select
    row_number() over (order by n_seeds desc, similarity desc, track_id) as rank,
    capped.track_id, capped.track_name, capped.artists, capped.primary_genre, capped.genres,
    capped.n_seeds, capped.similarity, capped.cluster_id, capped.cluster_name, capped.mood,
    capped.popularity, capped.explicit
from capped
where max_per_artist is null or artist_rank <= max_per_artist
order by rank
limit k
{%- endmacro %}

{% macro create_recommendation_macros() %}
{{ create_search_macros() }}
{{ create_sound_macros() }}


-- the continuous features (z-scores) where two tracks agree most / differ most, 3 each; the
-- discrete ones (explicit, key, mode, time_signature) would "agree" trivially and are left out.
-- A plain expression (no subquery), so that every DuckDB client from 1.5 on can bind it.
create or replace macro wh_feature_agreement(a, b) as {
    'agree': list_transform(
        list_grade_up(list_transform({{ continuous_feature_positions() }}, lambda i: abs(a[i] - b[i])))[1:3],
        lambda j: {{ feature_names_sql() }}[{{ continuous_feature_positions() }}[j]]),
    'differ': list_transform(
        list_reverse(list_grade_up(list_transform({{ continuous_feature_positions() }}, lambda i: abs(a[i] - b[i]))))[1:3],
        lambda j: {{ feature_names_sql() }}[{{ continuous_feature_positions() }}[j]])
};

-- top-k by the neighbour table for one or several seeds: candidates ranked by how many seeds
-- reach them, then by mean similarity
create or replace macro recommend(seed_ids, k := 10, {{ recommend_filter_params() }}) as table
with
candidates as (
    -- the default embedding: the seeds' lists are an index scan of fct_recommendation_candidates
    -- (a constant list of seeds, no join at query time); the artists as a list from the text
    -- (cheaper than reading a list column)
    -- (columns are qualified: an unqualified `mood`, `explicit` or `embedding` is the parameter)
    select c.track_id, count(*) as n_seeds, avg(c.similarity) as similarity,
           any_value(c.track_name) as track_name, any_value(c.artists) as artists,
           {{ artist_list('any_value(c.artists)') }} as artist_list,
           any_value(c.primary_genre) as primary_genre, any_value(c.genres) as genres, any_value(c.song_key) as song_key,
           any_value(c.explicit) as explicit, any_value(c.popularity) as popularity, any_value(c.mood) as mood,
           any_value(c.cluster_id) as cluster_id, any_value(c.cluster_name) as cluster_name
    from fct_recommendation_candidates as c
    where embedding is null and list_contains(seed_ids, c.seed_track_id)
    group by c.track_id
    union all
    -- a named embedding: its lists in ml_track_neighbours
    select d.track_id, count(*), avg(n.similarity), any_value(d.track_name), any_value(d.artists),
           {{ artist_list('any_value(d.artists)') }},
           any_value(d.primary_genre), any_value(d.genres), any_value(d.song_key), any_value(d.explicit),
           any_value(d.popularity), any_value(d.mood), any_value(d.cluster_id), any_value(c.cluster_name)
    from ml_track_neighbours as n
    inner join dim_tracks as d on d.track_id = n.neighbour_track_id
    left join dim_clusters as c on c.cluster_id = d.cluster_id
    where embedding is not null and n.embedding_kind = {{ embedding_kind_of('embedding') }}
      and n.embedding_kind in ('hybrid', 'audio', 'autoencoder') and list_contains(seed_ids, n.track_id)
    group by d.track_id
),
{{ recommend_finish('candidates') }};

-- the vector path: cosine to the mean embedding of the seeds, over every track (any seeds, any
-- filters, tracks added later)
create or replace macro recommend_by_vector(seed_ids, k := 10, {{ recommend_filter_params() }}) as table
with
chosen as (
    select * from ml_track_embeddings
    where (embedding is null and is_default) or embedding_kind = {{ embedding_kind_of('embedding') }}
),
-- (columns named `embedding` are qualified: unqualified, the name is the macro's parameter)
seed_vectors as (
    select chosen.embedding as vector from chosen where chosen.track_id in (select unnest(seed_ids))
),
query as (
    select list(v order by pos)::float[] as v
    from (
        select pos, avg(seed_vectors.vector[pos]) as v
        from seed_vectors, range(1, len(seed_vectors.vector) + 1) as t(pos)
        group by pos
    )
),
candidates as (
    select d.track_id, d.track_name, d.artists,
           {{ artist_list('d.artists') }} as artist_list,
           d.primary_genre, d.genres, d.song_key, d.explicit, d.popularity, d.mood, d.cluster_id, c.cluster_name,
           1 as n_seeds, list_cosine_similarity(e.embedding, q.v) as similarity
    from chosen as e
    inner join dim_tracks as d using (track_id)
    left join dim_clusters as c using (cluster_id)
    cross join query as q
),
{{ recommend_finish('candidates') }};

-- seed 000's scheme: the n_same nearest in the seed's cluster plus the n_other nearest from each
-- other cluster (cosine in the embedding)
create or replace macro recommend_per_cluster(seed_id, n_same := 11, n_other := 3) as table
with
seed as (
    select d.song_key, d.cluster_id, e.embedding
    from dim_tracks as d
    inner join ml_track_embeddings as e using (track_id)
    where d.track_id = seed_id and e.is_default
),
scored as (
    select d.track_id, d.track_name, d.artists, d.primary_genre, d.cluster_id, d.song_key,
           d.cluster_id = seed.cluster_id as same_cluster,
           list_cosine_similarity(e.embedding, seed.embedding) as similarity
    from dim_tracks as d
    inner join ml_track_embeddings as e using (track_id)
    cross join seed
    where e.is_default and d.song_key <> seed.song_key
),
one_per_song as (
    select * from scored
    qualify row_number() over (partition by song_key order by similarity desc, track_id) = 1
),
ranked as (
    select *, row_number() over (partition by cluster_id order by similarity desc, track_id) as rank_in_cluster
    from one_per_song
)
select ranked.track_id, ranked.track_name, ranked.artists, ranked.primary_genre, ranked.cluster_id,
       clusters.cluster_name, ranked.same_cluster, ranked.rank_in_cluster, ranked.similarity
from ranked
left join dim_clusters as clusters using (cluster_id)
where (same_cluster and rank_in_cluster <= n_same) or (not same_cluster and rank_in_cluster <= n_other)
order by not same_cluster, cluster_id, rank_in_cluster;

-- why a track is recommended for a seed
create or replace macro recommendation_why(seed_id, rec_id) as table
select
    s.track_id as seed_track_id,
    r.track_id,
    wh_feature_agreement(fs.features, fr.features).agree as agree_most,
    wh_feature_agreement(fs.features, fr.features).differ as differ_most,
    list_intersect(s.genres, r.genres) as shared_genres,
    s.cluster_id = r.cluster_id as same_cluster,
    s.mood = r.mood as same_mood
from dim_tracks as s, dim_tracks as r, int_track_features_scaled as fs, int_track_features_scaled as fr
where s.track_id = seed_id and r.track_id = rec_id and fs.track_id = s.track_id and fr.track_id = r.track_id;

-- a path from song a to song b through the default embedding: `steps` points evenly spaced on the
-- line between their embeddings (a and b are the ends), and for each inner point the `per_step`
-- tracks nearest it (never another release of a or b). `wavehouse path` and the API take, step by
-- step, the nearest candidate whose song is not used yet.
create or replace macro song_path_candidates(a_id, b_id, steps := 12, per_step := 8) as table
with
ends as (
    select a.embedding as va, b.embedding as vb, da.song_key as song_a, db.song_key as song_b
    from ml_track_embeddings as a, ml_track_embeddings as b, dim_tracks as da, dim_tracks as db
    where a.is_default and b.is_default and a.track_id = a_id and b.track_id = b_id
      and da.track_id = a_id and db.track_id = b_id
),
points as (
    select i as step, i / (steps - 1) as t,
           list_transform(list_zip(va, vb), lambda wh_pair: (1 - i / (steps - 1)) * wh_pair[1] + i / (steps - 1) * wh_pair[2])::float[] as point
    from ends, range(1, steps - 1) as r(i)
),
-- materialized: the ranking below then sorts (step, track, similarity) only; inlined, the window
-- carried every track's embedding and the point through its sort (10x slower at 114k tracks)
scored as materialized (
    select p.step, p.t, e.track_id, list_cosine_similarity(e.embedding, p.point) as similarity_to_line
    from points as p, ml_track_embeddings as e, dim_tracks as d, ends
    where e.is_default and d.track_id = e.track_id and d.song_key not in (ends.song_a, ends.song_b)
),
best as (
    select * from scored
    qualify row_number() over (partition by step order by similarity_to_line desc, track_id) <= per_step
)
select step, t, track_id, similarity_to_line from best order by step, similarity_to_line desc, track_id;

{{ create_playlist_macros() }}
{% endmacro %}

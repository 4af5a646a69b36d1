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

{#- shared filter parameters of the recommendation macros -#}
{% macro recommend_filter_params() -%}
exclude_seed_artists := false, max_per_artist := null, explicit := null,
min_popularity := 0, max_popularity := 100, mood := null, same_cluster := false
{%- endmacro %}

{#- candidates (track_id, n_seeds, similarity and the track's columns of fct_recommendation_candidates)
    -> filtered, capped per artist, ranked, top k -#}
{% macro recommend_finish(candidates) -%}
seed_rows as (
    select * from dim_tracks where track_id in (select unnest(seed_ids))
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
-- the text normalisation used for song_key, for searching
create or replace macro wh_normalise(s) as {{ normalise_name(strip_featuring('s')) }};

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
    -- one seed: its list, a range read of a table sorted by seed (no join at query time)
    select track_id, count(*) as n_seeds, avg(similarity) as similarity,
           any_value(track_name) as track_name, any_value(artists) as artists, any_value(artist_list) as artist_list,
           any_value(primary_genre) as primary_genre, any_value(genres) as genres, any_value(song_key) as song_key,
           any_value(explicit) as explicit, any_value(popularity) as popularity, any_value(mood) as mood,
           any_value(cluster_id) as cluster_id, any_value(cluster_name) as cluster_name
    from fct_recommendation_candidates
    where seed_track_id in (select unnest(seed_ids))
    group by track_id
),
{{ recommend_finish('candidates') }};

-- the vector path: cosine to the mean embedding of the seeds, over every track (any seeds, any
-- filters, tracks added later)
create or replace macro recommend_by_vector(seed_ids, k := 10, {{ recommend_filter_params() }}) as table
with
seed_vectors as (
    select embedding from ml_track_embeddings
    where is_default and track_id in (select unnest(seed_ids))
),
query as (
    select list(v order by pos)::float[{{ var('latent_dim') }}] as v
    from (
        select pos, avg(embedding[pos]) as v
        from seed_vectors, range(1, {{ var('latent_dim') }} + 1) as t(pos)
        group by pos
    )
),
candidates as (
    select d.track_id, d.track_name, d.artists,
           list_transform(string_split(coalesce(d.artists, ''), ';'), lambda a: trim(a)) as artist_list,
           d.primary_genre, d.genres, d.song_key, d.explicit, d.popularity, d.mood, d.cluster_id, c.cluster_name,
           1 as n_seeds, array_cosine_similarity(e.embedding, q.v) as similarity
    from ml_track_embeddings as e
    inner join dim_tracks as d using (track_id)
    left join dim_clusters as c using (cluster_id)
    cross join query as q
    where e.is_default
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
           array_cosine_similarity(e.embedding, seed.embedding) as similarity
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
    select a.embedding::float[] as va, b.embedding::float[] as vb, da.song_key as song_a, db.song_key as song_b
    from ml_track_embeddings as a, ml_track_embeddings as b, dim_tracks as da, dim_tracks as db
    where a.is_default and b.is_default and a.track_id = a_id and b.track_id = b_id
      and da.track_id = a_id and db.track_id = b_id
),
points as (
    select i as step, i / (steps - 1) as t,
           list_transform(list_zip(va, vb), lambda wh_pair: (1 - i / (steps - 1)) * wh_pair[1] + i / (steps - 1) * wh_pair[2])::float[{{ var('latent_dim') }}] as point
    from ends, range(1, steps - 1) as r(i)
),
scored as (
    select p.step, p.t, e.track_id, array_cosine_similarity(e.embedding, p.point) as similarity_to_line
    from points as p, ml_track_embeddings as e, dim_tracks as d, ends
    where e.is_default and d.track_id = e.track_id and d.song_key not in (ends.song_a, ends.song_b)
    qualify row_number() over (partition by p.step order by similarity_to_line desc, e.track_id) <= per_step
)
select step, t, track_id, similarity_to_line from scored order by step, similarity_to_line desc, track_id;

-- how well one word matches a list of words: 1 if it is one of them, 0.6 if it is close to one
-- (a typo or a longer form: same first letter, Jaro-Winkler >= 0.9, words of 4+ letters), else 0. (Its lambda variable
-- has a name no caller uses: a macro's lambda can capture a caller's variable of the same name.)
create or replace macro wh_word_match(w, words) as
    case when list_contains(words, w) then 1.0
         when length(w) >= 4 and list_max(list_transform(list_filter(words, lambda wh_other_word: wh_other_word[1] = w[1]),
                                                      lambda wh_other_word: jaro_winkler_similarity(wh_other_word, w))) >= 0.9 then 0.6
         else 0.0 end;

-- search what people type: "title", "title artist", "Artist - Title", "Title by Artist", or a
-- Spotify id, URI (spotify:track:...) or link. Score (0..1) = 0.5 x the share of the typed words
-- found in the title or the artists + 0.35 x the share of the title's words typed + 0.15 x the
-- share of the artists' words typed (a close word counts 0.6), ties going to the more popular track.
-- Case, accents, "feat." parts and punctuation do not matter. One row (the best id) per song.
create or replace macro search_tracks(q, k := 10) as table
with
needle as (
    select
        list_filter(list_distinct(string_split(wh_normalise(q), ' ')), lambda w: w <> '') as words,
        -- "by" joins title and artist ("Shape of You by Ed Sheeran"): it need not be found
        list_filter(list_distinct(string_split(wh_normalise(q), ' ')), lambda w: w <> '' and w <> 'by') as typed,
        regexp_extract(trim(q), '^(?:spotify:track:|https?://open\.spotify\.com/(?:intl-[a-z_-]+/)?track/)?([A-Za-z0-9]{22})(?:[/?].*)?$', 1) as spotify_id
),
-- the query's words against the vocabulary: each vocabulary word that equals a typed word or is
-- close to one (same first letter, Jaro-Winkler >= 0.9, with wh_word_match's length rule in each
-- direction); only the occurrences of those words are read, so only tracks that can score are scored
needle_words as (
    select unnest(words) as w from needle
),
pairs as (
    select v.word, n.w, v.occurrences,
           case when v.word = n.w then 1.0
                when length(n.w) >= 4 and jaro_winkler_similarity(v.word, n.w) >= 0.9 then 0.6 else 0.0 end as typed_value,
           case when v.word = n.w then 1.0
                when v.n_chars >= 4 and jaro_winkler_similarity(n.w, v.word) >= 0.9 then 0.6 else 0.0 end as word_value
    from dim_search_vocabulary as v
    inner join needle_words as n on v.first_letter = n.w[1]
    where v.word = n.w
       or (length(n.w) >= 4 and jaro_winkler_similarity(v.word, n.w) >= 0.9)
       or (v.n_chars >= 4 and jaro_winkler_similarity(n.w, v.word) >= 0.9)
),
occurrences as (
    select p.word, p.w, p.typed_value, p.word_value, o.occurrence.track_id as track_id,
           o.occurrence.field as field, o.occurrence.position as position
    from pairs as p, unnest(p.occurrences) as o(occurrence)
),
-- share of the typed words ("by" excepted) found in the title or the artists (a close word 0.6)
typed_found as (
    select track_id, sum(best) as found
    from (select track_id, w, max(typed_value) as best from occurrences
          where w in (select unnest(typed) from needle) group by all)
    group by track_id
),
-- per field, the words of the track that match a word of the query (a close word 0.6)
words_found as (
    select track_id,
           sum(best) filter (where field = 'title') as title_found,
           sum(best) filter (where field = 'artist') as artist_found
    from (select track_id, field, position, max(word_value) as best from occurrences group by all)
    group by track_id
),
scored as (
    select d.track_id, d.track_name, d.artists, d.primary_genre, d.popularity, d.song_key,
        case when d.track_id = needle.spotify_id then 1.0 else
            0.5 * coalesce(t.found, 0) / greatest(len(needle.typed), 1)
            + 0.35 * coalesce(f.title_found, 0) / len(string_split(d.title_key, ' '))
            + 0.15 * coalesce(f.artist_found, 0) / len(string_split(d.artist_key, ' '))
        end as score
    from dim_tracks as d
    cross join needle
    left join typed_found as t using (track_id)
    left join words_found as f using (track_id)
    where ((needle.spotify_id = '' and len(needle.typed) > 0)
           and d.track_id in (select track_id from words_found))
       or d.track_id = needle.spotify_id
),
best_per_song as (
    select * from scored
    qualify row_number() over (partition by song_key order by score desc, popularity desc, track_id) = 1
)
select track_id, track_name, artists, primary_genre, popularity, round(score, 3) as score
from best_per_song
where score >= 0.35
order by score desc, popularity desc, track_id
limit k;
{% endmacro %}

-- The search macros readers use (what people type -> tracks): wh_normalise, wh_word_match,
-- search_terms, search_tracks. Created first by create_recommendation_macros (recommend.sql).
{% macro create_search_macros() %}
-- the text normalisation used for song_key, for searching
create or replace macro wh_normalise(s) as {{ normalise_name(strip_featuring('s')) }};

-- how well one word matches a list of words: 1 if it is one of them, 0.6 if it is close to one
-- (a typo or a longer form: same first letter, Jaro-Winkler >= 0.9, words of 4+ letters), else 0. (Its lambda variable
-- has a name no caller uses: a macro's lambda can capture a caller's variable of the same name.)
create or replace macro wh_word_match(w, words) as
    case when list_contains(words, w) then 1.0
         when length(w) >= 4 and list_max(list_transform(list_filter(words, lambda wh_other_word: wh_other_word[1] = w[1]),
                                                      lambda wh_other_word: jaro_winkler_similarity(wh_other_word, w))) >= 0.9 then 0.6
         else 0.0 end;

-- what search_tracks reads of a query: its distinct normalised words (the first 126), the words
-- that must be found (all but "by", which joins title and artist: "Shape of You by Ed Sheeran"),
-- and the Spotify id when the query is an id, URI or link ('' otherwise)
create or replace macro search_terms(q) as table
select
    list_filter(list_distinct(string_split(text, ' ')), lambda w: w <> '')[1:126] as words,
    list_filter(list_filter(list_distinct(string_split(text, ' ')), lambda w: w <> '')[1:126], lambda w: w <> 'by') as typed,
    spotify_id
from (select wh_normalise(q) as text,
             regexp_extract(trim(q), '^(?:spotify:track:|https?://open\.spotify\.com/(?:intl-[a-z_-]+/)?track/)?([A-Za-z0-9]{22})(?:[/?].*)?$', 1) as spotify_id);

-- search what people type: "title", "title artist", "Artist - Title", "Title by Artist", or a
-- Spotify id, URI (spotify:track:...) or link. Score (0..1) = 0.5 x the share of the typed words
-- found in the title or the artists + 0.35 x the share of the title's words typed + 0.15 x the
-- share of the artists' words typed (a close word counts 0.6), ties going to the more popular track.
-- Case, accents, "feat." parts and punctuation do not matter; a query's first 126 distinct words
-- count. One row (the best id) per song. It reads the search index (dim_search_vocabulary,
-- dim_search_words): only the occurrences of the words a query matches are scored.
create or replace macro search_tracks(q, k := 10) as table
with
needle as materialized (select * from search_terms(q)),
needle_words as (
    select w, length(w) as n_chars, list_position(typed, w) as typed_position
    from (select unnest(words) as w, typed from needle where spotify_id = '' and len(typed) > 0)
),
-- the vocabulary words equal to a query word or close to one: same first letter, Jaro-Winkler
-- >= 0.9 (which needs lengths within a factor of 2), and one of the two of 4+ letters
pairs as (
    select word_id, typed_position,
           case when word = w then 1.0 when w_chars >= 4 and jw >= 0.9 then 0.6 else 0.0 end as typed_value,
           case when word = w then 1.0 when word_chars >= 4 and jw >= 0.9 then 0.6 else 0.0 end as word_value
    from (select v.word_id, v.word, v.n_chars as word_chars, n.w, n.n_chars as w_chars, n.typed_position,
                 jaro_winkler_similarity(v.word, n.w) as jw
          from dim_search_vocabulary as v
          inner join needle_words as n
             on v.first_letter = n.w[1] and v.n_chars * 2 >= n.n_chars and v.n_chars <= 2 * n.n_chars)
    where word = w or (jw >= 0.9 and (w_chars >= 4 or word_chars >= 4))
),
-- per matched word: its value as a word of a title or of artists (the best over the query's
-- words), and the typed words it matches exactly or closely, as bit masks of their positions
matched as (
    select word_id, max(word_value) as word_value,
           coalesce(bit_or(1::hugeint << (typed_position - 1)) filter (where typed_value = 1.0), 0) as exact_typed,
           coalesce(bit_or(1::hugeint << (typed_position - 1)) filter (where typed_value = 0.6), 0) as close_typed
    from pairs
    group by word_id
),
-- one pass over the matched words' occurrences: per track, the typed words found (exactly: 1, only
-- closely: 0.6) and the matched words of its title and of its artists
found as (
    select o.track_number, any_value(o.song_number) as song_number, any_value(o.popularity) as popularity,
           bit_or(m.exact_typed) as exact_typed, bit_or(m.close_typed) as close_typed,
           sum(m.word_value) filter (where o.in_title) as title_found,
           coalesce(any_value(o.field_words) filter (where o.in_title), 1) as title_words,
           sum(m.word_value) filter (where not o.in_title) as artist_found,
           coalesce(any_value(o.field_words) filter (where not o.in_title), 1) as artist_words
    from dim_search_words as o
    inner join matched as m using (word_id)
    group by o.track_number
),
scored as (
    select f.track_number, f.song_number::varchar as song, f.popularity,
           0.5 * (bit_count(f.exact_typed) + 0.6 * bit_count(f.close_typed & ~f.exact_typed)) / greatest(len(needle.typed), 1)
           + 0.35 * coalesce(f.title_found, 0) / f.title_words
           + 0.15 * coalesce(f.artist_found, 0) / f.artist_words as score
    from found as f, needle
    union all
    -- a Spotify id, URI or link: that track
    select d.track_number, 'id:' || d.track_id as song, d.popularity, 1.0 as score
    from dim_tracks as d, needle
    where d.track_id = needle.spotify_id
),
-- the best track of each song, then the top k; scores equal to 9 places (sums of the same
-- shares in another order) count as ties, which go to the more popular track
best as (
    select *, round(score, 9) as rank_score from scored
    where score >= 0.35
    -- track_number follows track_id: the same tie-break as by id
    qualify row_number() over (partition by song order by rank_score desc, popularity desc, track_number) = 1
    order by rank_score desc, popularity desc, track_number
    limit k
)
select d.track_id, d.track_name, d.artists, d.primary_genre, d.popularity, round(best.score, 3) as score
from best
inner join dim_tracks as d using (track_number)
order by best.rank_score desc, best.popularity desc, best.track_number;
{% endmacro %}

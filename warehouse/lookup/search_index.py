"""The server's search: `search_tracks` (dbt_project/macros/recommend.sql) answered from the same
search index (dim_search_vocabulary, dim_search_words) held in memory as arrays.

Why a second implementation: the macro is at DuckDB's floor for a query of its size (planning
alone is 6-7 ms, and some 30 operators cost 0.1-2 ms each however few rows they see), so a search
takes 15-20 ms in SQL and a server on 2 cores cannot reach 16 clients with it. Here the query's
words come from `Normaliser` (wh_normalise, the normalisation search_terms applies, done in Python
with a per-character table that DuckDB itself computed), close words from rapidfuzz's Jaro-Winkler
(the same algorithm as DuckDB's; where a value lands within 1e-9 of the 0.9 cut-off it is
recomputed with DuckDB's rounding, see `winkler`), and the scoring is the
macro's, step by step, on numpy arrays of the matched words' occurrences. The results equal the
macro's (tests/test_web.py compares them on hundreds of queries); a query the arrays cannot hold (a
Spotify id, more than 64 words) goes to the macro. The CLI and SQL users keep the macro.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pyarrow as pa
from rapidfuzz.distance import Jaro, JaroWinkler
from rapidfuzz.process import extract

from .db import Rows
from .resolve import search as sql_search

CLOSE = 0.9  # the macro's Jaro-Winkler cut-off
UNSURE = 1e-9  # rapidfuzz's value this close to CLOSE is recomputed as DuckDB computes it
# pairs whose Jaro-Winkler differs in the last bit between one rounding of the Winkler step and two
WINKLER_PROBES = [
    ("1280", "180lx"),
    ("adicto", "adiyogx"),
    ("1986zig", "1985"),
    ("acorazados", "adoradox"),
    ("abram", "abraxax"),
]
MAX_TYPED = 64  # typed-word masks are uint64 here (the macro's hold 126)
MAYBE_ID = re.compile(r"[A-Za-z0-9]{22}")  # what every Spotify id, URI and link holds
RESULT_COLUMNS = ["track_id", "track_name", "artists", "primary_genre", "popularity", "score"]
MATCH_CACHE = 50_000  # typed words whose vocabulary matches are kept (per published file)

# strip_featuring (dbt_project/macros/features.sql) in Python's re: RE2's \s is [\t\n\f\r ] and its
# $ (without multi-line) is the end of the text, Python's \Z
FEATURING_PART = re.compile(r"[\t\n\f\r ]*[(\[][\t\n\f\r ]*(feat\.?|ft\.?|featuring|with)[\t\n\f\r ][^)\]]*[)\]]", re.I)
FEATURING_TAIL = re.compile(r"[\t\n\f\r ]+(feat\.?|ft\.?|featuring)[\t\n\f\r ].*\Z", re.I)
# characters Python's case-insensitive match folds to an ASCII letter and RE2 may not (İ ı ſ K),
# and NUL: a text holding one is normalised by DuckDB
NOT_HERE = frozenset("\u0130\u0131\u017f\u212a\x00")


def winkler(a: str, b: str, fused: bool) -> float:
    """Jaro-Winkler as DuckDB computes it: the Jaro similarity (rapidfuzz's equals DuckDB's), then,
    above 0.7, sim + prefix x 0.1 x (1 - sim) with a common prefix of at most 4 characters. DuckDB's
    binary may fuse that multiply-add (one rounding; x86-64 wheels do), rapidfuzz's does not (two),
    and the two differ in the last bit for about 0.2% of pairs: enough to flip a value of exactly
    0.9 across the cut-off."""
    sim = Jaro.similarity(a, b)
    if sim <= 0.7:
        return sim
    prefix = 0
    for x, y in zip(a[:4], b[:4]):
        if x != y:
            break
        prefix += 1
    step = prefix * 0.1
    return float(Fraction(step) * Fraction(1.0 - sim) + Fraction(sim)) if fused else sim + step * (1.0 - sim)


def duckdb_rounding(con) -> bool | None:
    """Whether this DuckDB rounds the Winkler step once (True) or twice (False), from the probe
    pairs; None if neither matches (then DuckDB itself settles the unsure values)."""
    a, b = (list(t) for t in zip(*WINKLER_PROBES))
    duck = [
        r[0]
        for r in con.execute(
            "select jaro_winkler_similarity(a, b) from (select unnest(?::varchar[]) as a, unnest(?::varchar[]) as b)",
            [a, b],
        ).fetchall()
    ]
    return next((fused for fused in (True, False) if [winkler(x, y, fused) for x, y in WINKLER_PROBES] == duck), None)


class Normaliser:
    """wh_normalise(text) without a query: strip_featuring's two regular expressions, then one
    character table (each character -> lower(strip_accents(c)), or a space for a separator) and
    the spaces collapsed and trimmed. Every character of the table is DuckDB's own answer, asked
    by wh_normalise('a' || c || 'b') (code points below U+3000 at start, any other the first time
    a text holds it); equal to the macro on the catalogue's names and on generated text (tested)."""

    def __init__(self, con):
        self.table: dict[int, str] = {}
        self.learn(con, [chr(cp) for cp in range(1, 0x3000) if not 0xD800 <= cp <= 0xDFFF])

    def learn(self, con, chars: list[str]) -> None:
        rows = con.execute(
            "select c, wh_normalise('a' || c || 'b') from unnest(?::varchar[]) as t(c)", [chars]
        ).fetchall()
        for c, out in rows:
            if len(out) < 2 or out[0] != "a" or out[-1] != "b":
                raise ValueError(f"wh_normalise('a' || {c!r} || 'b') = {out!r}: not one character's mapping")
            self.table[ord(c)] = out[1:-1]

    def __call__(self, con, text: str) -> str:
        if not NOT_HERE.isdisjoint(text):
            return con.execute("select wh_normalise(?)", [text]).fetchall()[0][0]
        text = FEATURING_TAIL.sub("", FEATURING_PART.sub("", text))
        unknown = [c for c in set(text) if ord(c) not in self.table]
        if unknown:
            self.learn(con, unknown)
        return " ".join(w for w in text.translate(self.table).split(" ") if w)


def sql_round(x: np.ndarray, places: int) -> np.ndarray:
    """DuckDB's round() of a DOUBLE: x times 10^places in extended precision (so 0.3525, whose
    double is just below the half, rounds down, as DuckDB does), halves away from zero. numpy's
    and Python's round differ (halves to even, and numpy's multiplies in double precision)."""
    scale = np.longdouble(10) ** places
    v = np.abs(np.asarray(x, dtype=np.longdouble)) * scale
    whole = np.floor(v)
    return (np.sign(x) * ((whole + (v - whole >= 0.5)) / scale)).astype(np.float64)


class SearchIndex:
    """One published file's word index as arrays: the vocabulary by first letter and length, each
    word's occurrences (track and song numbers, popularity, title or artists, the field's word
    count) in word order, and the columns of dim_tracks a result shows."""

    def __init__(self, con):
        self.normalise = Normaliser(con)
        self.fused = duckdb_rounding(con)
        self.cache: dict[str, list[tuple[int, float]]] = {}
        vocab = con.sql("select word, n_chars from dim_search_vocabulary order by word_id").fetchnumpy()
        self.words = [str(w) for w in vocab["word"]]
        self.n_chars = np.asarray(vocab["n_chars"], dtype=np.int64)
        # per first letter, the vocabulary rows (word_id - 1) sorted by length, with their words:
        # the rows a typed word is compared with (lengths within a factor of 2) are one slice
        self.by_letter: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}
        first = np.array([w[0] for w in self.words])
        for letter in np.unique(first):
            rows = np.flatnonzero(first == letter)
            rows = rows[np.argsort(self.n_chars[rows], kind="stable")]
            self.by_letter[str(letter)] = (rows, self.n_chars[rows], [self.words[r] for r in rows])
        occ = con.sql("""select word_id, track_number, song_number, popularity, in_title, field_words
                             from dim_search_words order by word_id, track_number""").fetchnumpy()
        word = np.asarray(occ["word_id"], dtype=np.int64) - 1
        self.starts = np.searchsorted(word, np.arange(len(self.words) + 1))
        self.track = np.asarray(occ["track_number"], dtype=np.int32)
        self.song = np.asarray(occ["song_number"], dtype=np.int32)
        pop = occ["popularity"]
        # DuckDB sorts NULL last in `popularity desc`: as -1 here
        self.popularity = np.where(np.ma.getmaskarray(pop), -1, np.ma.getdata(pop)).astype(np.int32)
        self.in_title = np.asarray(occ["in_title"], dtype=bool)
        self.field_words = np.asarray(occ["field_words"], dtype=np.int32)
        self.tracks = con.sql("""select track_number, track_id, track_name, artists, primary_genre, popularity
                                     from dim_tracks order by track_number""").to_arrow_table()
        self.track_numbers = self.tracks.column("track_number").to_numpy()

    def _matches(self, con, w: str) -> list[tuple[int, float]]:
        """Vocabulary rows equal or close to typed word w with their Jaro-Winkler similarity, as
        the macro's `pairs` join: same first letter, lengths within a factor of 2. Kept per word
        (a pure function of the word and this file; people type the same words again)."""
        found = self.cache.get(w)
        if found is None:
            if len(self.cache) >= MATCH_CACHE:
                self.cache.clear()
            found = self.cache[w] = self._compare(con, w)
        return found

    def _compare(self, con, w: str) -> list[tuple[int, float]]:
        if w[0] not in self.by_letter:
            return []
        rows, chars, words = self.by_letter[w[0]]
        lo, hi = np.searchsorted(chars, [(len(w) + 1) // 2, 2 * len(w) + 1])
        found = [
            (int(rows[lo + i]), 1.0 if words[lo + i] == w else score)
            for _, score, i in extract(
                w, words[lo:hi], scorer=JaroWinkler.similarity, score_cutoff=CLOSE - UNSURE, limit=None
            )
        ]
        unsure = [i for i, (_, jw) in enumerate(found) if abs(jw - CLOSE) <= UNSURE]
        if unsure and self.fused is None:
            settled = con.execute(
                "select jaro_winkler_similarity(unnest(?::varchar[]), ?)",
                [[self.words[found[i][0]] for i in unsure], w],
            ).fetchall()
        else:
            settled = [(winkler(self.words[found[i][0]], w, self.fused),) for i in unsure]
        for i, (jw,) in zip(unsure, settled):
            found[i] = (found[i][0], jw)
        return [(row, jw) for row, jw in found if jw >= CLOSE]

    def in_memory(self, text: str) -> bool:
        """False for the texts search() hands to the macro (a possible Spotify id; more than
        MAX_TYPED words, which a text of at most twice as many characters cannot hold)."""
        return not MAYBE_ID.search(text) and len(text) < 2 * MAX_TYPED

    def search(self, con, text: str, k: int = 10) -> Rows:
        # the macro's search_terms: its words are wh_normalise's split on spaces, distinct (their
        # order only numbers the bits of the masks); a query that may hold a Spotify id goes to the
        # macro, which reads ids, URIs and links
        if MAYBE_ID.search(text):
            return sql_search(con, text, k)
        normalised = self.normalise(con, text)
        words = [w for w in dict.fromkeys(normalised.split(" ")) if w]
        typed = [w for w in words if w != "by"]
        if len(typed) > MAX_TYPED:
            return sql_search(con, text, k)
        if not typed:
            return RESULT_COLUMNS, []
        position = {w: i for i, w in enumerate(typed)}
        # the macro's `matched`: per vocabulary word, its best value and the typed words it matches
        value: dict[int, float] = {}
        exact: dict[int, int] = {}
        close: dict[int, int] = {}
        for row, w, jw in [(row, word, jw) for word in words for row, jw in self._matches(con, word)]:
            same = self.words[row] == w
            if not (same or (jw >= CLOSE and (len(w) >= 4 or self.n_chars[row] >= 4))):
                continue
            typed_value = 1.0 if same else 0.6 if len(w) >= 4 and jw >= CLOSE else 0.0
            word_value = 1.0 if same else 0.6 if self.n_chars[row] >= 4 and jw >= CLOSE else 0.0
            value[row] = max(value.get(row, 0.0), word_value)
            bit = 1 << position[w] if w in position else 0  # "by" is not a typed word
            if typed_value == 1.0:
                exact[row] = exact.get(row, 0) | bit
            elif typed_value == 0.6:
                close[row] = close.get(row, 0) | bit
        if not value:
            return RESULT_COLUMNS, []
        rows = np.fromiter(value, dtype=np.int64)
        # every occurrence of the matched words (their runs in word order), and which word it is
        lengths = self.starts[rows + 1] - self.starts[rows]
        per_occ = np.repeat(np.arange(len(rows)), lengths)
        occ = self.starts[rows][per_occ] + np.arange(len(per_occ)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        # values in tenths: the macro's are DECIMAL(2,1), summed exactly, cast to DOUBLE when divided
        occ_value = np.array([round(value[r] * 10) for r in rows], dtype=np.int64)[per_occ]
        occ_exact = np.array([exact.get(r, 0) for r in rows], dtype=np.uint64)[per_occ]
        occ_close = np.array([close.get(r, 0) for r in rows], dtype=np.uint64)[per_occ]
        # the macro's `found`: one group per track
        order = np.argsort(self.track[occ], kind="stable")
        occ, occ_value, occ_exact, occ_close = occ[order], occ_value[order], occ_exact[order], occ_close[order]
        track = self.track[occ]
        starts = np.flatnonzero(np.r_[True, track[1:] != track[:-1]])
        title = self.in_title[occ]
        found_exact = np.bitwise_or.reduceat(occ_exact, starts)
        found_close = np.bitwise_or.reduceat(occ_close, starts)
        title_found = np.add.reduceat(np.where(title, occ_value, 0), starts)
        artist_found = np.add.reduceat(np.where(title, 0, occ_value), starts)
        title_words = np.maximum.reduceat(np.where(title, self.field_words[occ], 0.0), starts)
        artist_words = np.maximum.reduceat(np.where(title, 0.0, self.field_words[occ]), starts)
        n_exact = np.bitwise_count(found_exact).astype(np.int64)
        n_close = np.bitwise_count(found_close & ~found_exact).astype(np.int64)
        # the macro's arithmetic exactly: 0.5 x (exact + 0.6 x close) is a DECIMAL of scale 2 and
        # 0.35 / 0.15 x found one of scale 3, each cast to DOUBLE (integer / 10^scale) and divided
        score = (
            (5 * (10 * n_exact + 6 * n_close)) / 100.0 / max(len(typed), 1)
            + (35 * title_found) / 1000.0 / np.where(title_words == 0, 1, title_words)
            + (15 * artist_found) / 1000.0 / np.where(artist_words == 0, 1, artist_words)
        )
        tracks, songs, popularity = track[starts], self.song[occ][starts], self.popularity[occ][starts]
        keep = score >= 0.35
        tracks, songs, popularity, score = tracks[keep], songs[keep], popularity[keep], score[keep]
        if not keep.any():
            return RESULT_COLUMNS, []
        rank_score = sql_round(score, 9)
        # the macro's `best`: the best track of each song, then the top k
        order = np.lexsort((tracks, -popularity, -rank_score, songs))
        first = order[np.r_[True, songs[order][1:] != songs[order][:-1]]]
        top = first[np.lexsort((tracks[first], -popularity[first], -rank_score[first]))][:k]
        picked = self.tracks.take(pa.array(np.searchsorted(self.track_numbers, tracks[top])))
        body = list(
            zip(*(picked.column(c).to_pylist() for c in RESULT_COLUMNS[:-1]), sql_round(score[top], 3).tolist())
        )
        return RESULT_COLUMNS, body

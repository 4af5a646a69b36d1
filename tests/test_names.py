"""The word separators of normalise_name (song_key, title_key, artist_key, the search index and
every search query): explicit code point ranges that must agree with Unicode's letter and number
categories, written out because RE2 compiles `\\p{L}` classes in ~2 ms per query."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "spotify_tracks_114k.csv.gz"


def separator_class() -> str:
    text = (ROOT / "dbt_project" / "macros" / "features.sql").read_text()
    return re.search(r"macro name_separators\(\) -%\}\n(\[.*\])\n", text).group(1)


def code_points(cls: str) -> list[int]:
    """Every code point of a class written as \\xHH and \\x{HHHH} items and ranges."""
    points = []
    for m in re.finditer(r"\\x(\{[0-9A-Fa-f]+\}|[0-9A-Fa-f]{2})(?:-\\x(\{[0-9A-Fa-f]+\}|[0-9A-Fa-f]{2}))?", cls[1:-1]):
        first = int(m.group(1).strip("{}"), 16)
        last = int((m.group(2) or m.group(1)).strip("{}"), 16)
        assert first <= last, m.group(0)
        points.extend(range(first, last + 1))
    return points


def is_word_character(c: str) -> bool:
    return unicodedata.category(c)[0] in "LN"


def test_separators_hold_no_letter_or_digit():
    cls = separator_class()
    points = code_points(cls)
    assert len(points) > 1000 and chr(0x20) in map(chr, points) and ord("a") not in points
    word_characters = [hex(p) for p in points if is_word_character(chr(p))]
    assert word_characters == []


def test_separators_split_every_catalogue_character_as_unicode_does():
    """Every character of the bundled catalogue's titles and artists (after lower and
    strip_accents, as normalise_name sees them) is a separator exactly when Unicode says it is
    neither a letter nor a number."""
    con = duckdb.connect()
    chars = [
        c
        for (c,) in con.execute(
            """
        select distinct unnest(string_split(lower(strip_accents(coalesce(track_name, '') || coalesce(artists, ''))), ''))
        from read_csv(?, all_varchar = true)""",
            [str(BUNDLED)],
        ).fetchall()
        if c
    ]
    assert len(chars) > 1000  # Latin, CJK, Cyrillic, Arabic, ... are all in there
    pattern = "^" + separator_class() + "$"
    got = dict(con.execute("select c, regexp_matches(c, ?) from unnest(?) as t(c)", [pattern, chars]).fetchall())
    wrong = [(hex(ord(c)), unicodedata.name(c, "?")) for c in chars if got[c] == is_word_character(c)]
    assert wrong == []


def test_normalise_keeps_any_script_and_drops_punctuation(built_home):
    from wavehouse.paths import published_db

    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    cases = {
        "Ça va (feat. Ünï) - Remix!": "ca va remix",
        "レディ・メイ": "レティ メイ",  # strip_accents drops the dakuten too
        "Varg²™": "varg²",
        "Low of Solipsism Ⅱ": "low of solipsism ⅱ",
        "  AC/DC — “Back in Black” 🎸 ": "ac dc back in black",
        "Пётр Ильич Чайковский": "петр ильич чаиковскии",
    }
    for raw, expected in cases.items():
        assert con.execute("select wh_normalise(?)", [raw]).fetchone()[0] == expected, raw
    con.close()

"""What a listening file is, told by its fields (never by its name): Spotify's extended streaming
history, Spotify's account-data history, a ListenBrainz export, or a plain CSV of listens.

Contract: `recognise(path)` reads one file whole (it must parse: a truncated download is an error
naming the file and where it stops) and returns a `Recognised` (format, the user name the export
records, if any) or None when the file is valid but not a listening history (a playlist, the
library, payments: the caller skips it with a note).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import WavehouseError

# the format names, as the staging folder's sub-folders and fct_listens.source_format
EXTENDED, ACCOUNT, LISTENBRAINZ, CSV = "spotify_extended", "spotify_account", "listenbrainz", "csv"

# a plain CSV's columns: ours -> the header names (case-insensitive) it is recognised by
CSV_COLUMNS = {
    "track": [
        "spotify_track_uri",
        "track_uri",
        "spotify_uri",
        "uri",
        "spotify_url",
        "track_url",
        "spotify_id",
        "track_id",
        "id",
        "url",
        "link",
    ],
    "artist": ["artist", "artist_name", "artistname", "artists", "master_metadata_album_artist_name"],
    "title": ["title", "track", "track_name", "trackname", "song", "name", "master_metadata_track_name"],
    "played_at": ["played_at", "ts", "timestamp", "time", "date", "endtime", "listened_at", "datetime"],
    "listener": ["listener", "listener_name", "user", "username", "user_name"],
    "ms_played": ["ms_played", "msplayed"],
}


@dataclass
class Recognised:
    format: str
    user_name: str | None = None
    csv_columns: dict[str, int] = field(default_factory=dict)  # CSV: ours -> column position


def _records(path: Path) -> list:
    """The file's JSON records: an array, or JSON lines (ListenBrainz)."""
    text = path.read_text(encoding="utf-8-sig", errors="strict")
    stripped = text.lstrip()
    if not stripped:
        raise WavehouseError(f"{path}: the file is empty")
    if stripped[0] in "[{":
        try:
            data = json.loads(text)
            return data if isinstance(data, list) else [data]
        except json.JSONDecodeError as error:
            if stripped[0] == "[":
                raise WavehouseError(
                    f"{path}: not valid JSON at line {error.lineno}, column {error.colno} ({error.msg}); "
                    "was the download cut short? Download the export again."
                ) from None
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise WavehouseError(
                    f"{path}: line {number} is not a JSON record ({error.msg}); was the download cut short?"
                ) from None
    return records


def _json_format(records: list) -> Recognised | None:
    first = next((r for r in records if isinstance(r, dict)), None)
    if first is None:
        return None
    if "ms_played" in first and "ts" in first:
        return Recognised(EXTENDED, first.get("username") or None)
    if "endTime" in first and "msPlayed" in first:
        # account data: music files have trackName/artistName; podcast files episodeName/podcastName
        return Recognised(ACCOUNT) if "trackName" in first else None
    if "listened_at" in first and "track_metadata" in first:
        return Recognised(LISTENBRAINZ, first.get("user_name") or None)
    return None


def csv_columns(header: list[str]) -> dict[str, int]:
    """A CSV header's positions of our columns (first alias that matches, case-insensitively)."""
    names = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in header]
    found = {}
    for ours, aliases in CSV_COLUMNS.items():
        position = next((names.index(a) for a in aliases if a in names), None)
        if position is not None:
            found[ours] = position
    return found


def _csv_format(path: Path) -> Recognised | None:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except UnicodeDecodeError as error:
        raise WavehouseError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    columns = csv_columns(header)
    if "track" in columns or {"artist", "title"} <= columns.keys():
        return Recognised(CSV, csv_columns=columns)
    return None


def recognise(path: Path) -> Recognised | None:
    """The format of one file (see the module's contract)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_format(path)
    if suffix not in (".json", ".jsonl", ".ndjson"):
        return None
    try:
        return _json_format(_records(path))
    except UnicodeDecodeError as error:
        raise WavehouseError(f"{path}: not UTF-8 text (byte {error.start})") from None

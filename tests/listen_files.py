"""Synthetic listening histories in each real export format, built from the fixture catalogue's ids
and names (python -m tests.listen_files OUT). SYNTHETIC: each listener's taste is a few genres of
the catalogue (their tracks, favourites replayed), never our embeddings, so no figure measured on
these files is a quality claim.

make_histories(out) writes one folder per person under out/ and returns what it wrote (the truth
the tests check the warehouse against):
- alex/my_spotify_data.zip: Spotify's extended history (two files that overlap: the same streams
  in both), with the private fields a real export has (ip_addr, platform, conn_country), podcasts,
  and the download's other files (Userdata.json, Playlist1.json, a PDF);
- sam.zip: Spotify account data (StreamingHistory_music_*.json, no ids: matched by name) beside a
  podcast history and YourLibrary.json;
- kim/listens.jsonl: a ListenBrainz export (half with a Spotify id);
- lee/plays.csv: a plain CSV (artist, title, time; some rows with a track URI instead).
Each person also plays tracks that are not in the catalogue, short plays (skips) and, where the
catalogue has them, tracks with non-Latin names.
"""

from __future__ import annotations

import csv
import json
import random
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers import FIXTURE_CSV

GENRES = {
    "alex": ["detroit-techno", "idm", "chill", "groove"],
    "sam": ["honky-tonk", "sad", "spanish", "forro"],
    "kim": ["mandopop", "cantopop", "sad", "chill"],
    "lee": ["idm", "forro", "honky-tonk", "groove"],
}
STREAMS = 360
START = datetime(2022, 1, 1, tzinfo=UTC)


def catalogue() -> list[dict]:
    """The fixture's valid rows (id of 22 characters, a title and artists)."""
    with open(FIXTURE_CSV, encoding="utf-8", errors="replace", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r for r in rows if len(r.get("track_id") or "") == 22 and r.get("track_name") and r.get("artists")]


def _streams(name: str, tracks: list[dict], rng: random.Random) -> list[dict]:
    pool = [t for t in tracks if t["track_genre"] in GENRES[name]]
    rng.shuffle(pool)
    played: list[dict] = []
    out, when = [], START
    for i in range(STREAMS):
        when += timedelta(hours=rng.uniform(1, 40))
        roll = rng.random()
        if roll < 0.04:
            out.append({"kind": "podcast", "when": when})
            continue
        if roll < 0.09:
            out.append({"kind": "unknown", "when": when, "artist": f"Nobody {i}", "title": f"Not A Real Song {i}"})
            continue
        fresh = [t for t in pool if t not in played]
        track = rng.choice(played[:25]) if played and (rng.random() < 0.55 or not fresh) else fresh[0]
        if track not in played:
            played.append(track)
        duration = int(float(track["duration_ms"] or 200000))
        ms = rng.randint(2000, 20000) if rng.random() < 0.1 else int(duration * rng.uniform(0.6, 1.0))
        out.append({"kind": "track", "when": when, "track": track, "ms": ms})
    return out


def _first_artist(track: dict) -> str:
    return track["artists"].split(";")[0]


def _extended(stream: dict) -> dict:
    base = {
        "ts": stream["when"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "username": "alex.k",
        "platform": "Android OS",
        "ip_addr": "192.0.2.44",
        "conn_country": "SE",
        "shuffle": False,
        "skipped": None,
        "offline": False,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "incognito_mode": False,
    }
    if stream["kind"] == "podcast":
        return {
            **base,
            "ms_played": 1800000,
            "master_metadata_track_name": None,
            "spotify_track_uri": None,
            "episode_name": "Episode",
            "episode_show_name": "A Show",
            "spotify_episode_uri": "spotify:episode:x1",
        }
    if stream["kind"] == "unknown":
        return {
            **base,
            "ms_played": 180000,
            "master_metadata_track_name": stream["title"],
            "master_metadata_album_artist_name": stream["artist"],
            "master_metadata_album_album_name": "None",
            "spotify_track_uri": "spotify:track:" + "Z" * 22,
        }
    t = stream["track"]
    return {
        **base,
        "ms_played": stream["ms"],
        "master_metadata_track_name": t["track_name"],
        "master_metadata_album_artist_name": _first_artist(t),
        "master_metadata_album_album_name": t["album_name"],
        "spotify_track_uri": "spotify:track:" + t["track_id"],
        "episode_name": None,
        "spotify_episode_uri": None,
    }


def _account(stream: dict) -> dict | None:
    when = stream["when"].strftime("%Y-%m-%d %H:%M")
    if stream["kind"] == "podcast":
        return None  # account data keeps podcasts in their own file
    if stream["kind"] == "unknown":
        return {"endTime": when, "artistName": stream["artist"], "trackName": stream["title"], "msPlayed": 180000}
    t = stream["track"]
    return {"endTime": when, "artistName": _first_artist(t), "trackName": t["track_name"], "msPlayed": stream["ms"]}


def _listenbrainz(stream: dict, i: int) -> dict:
    epoch = int(stream["when"].timestamp())
    if stream["kind"] == "podcast":
        meta = {"artist_name": "", "track_name": "", "additional_info": {}}
    elif stream["kind"] == "unknown":
        meta = {"artist_name": stream["artist"], "track_name": stream["title"], "additional_info": {}}
    else:
        t = stream["track"]
        extra = {"spotify_id": "https://open.spotify.com/track/" + t["track_id"]} if i % 2 else {}
        meta = {
            "artist_name": _first_artist(t),
            "track_name": t["track_name"],
            "release_name": t["album_name"],
            "additional_info": {**extra, "duration_ms": int(float(t["duration_ms"] or 0))},
        }
    return {"listened_at": epoch, "user_name": "kim_lb", "track_metadata": meta}


def make_histories(out: Path, seed: int = 0) -> dict:
    """Write the four people's exports under out/ (see the module docstring); returns, per person,
    the streams written (records, counting both copies of an overlap), podcasts, streams of
    tracks not in the catalogue, and duplicates (records that repeat another)."""
    rng = random.Random(seed)
    tracks = catalogue()
    out.mkdir(parents=True, exist_ok=True)
    truth = {}
    streams = {name: _streams(name, tracks, rng) for name in GENRES}

    alex = [_extended(s) for s in streams["alex"]]
    first, second = alex[: len(alex) // 2 + 30], alex[len(alex) // 2 :]  # 30 streams in both files
    (out / "alex").mkdir(exist_ok=True)
    with zipfile.ZipFile(out / "alex" / "my_spotify_data.zip", "w") as z:
        folder = "Spotify Extended Streaming History/"
        z.writestr(folder + "Streaming_History_Audio_2022-2023_0.json", json.dumps(first))
        z.writestr(folder + "Streaming_History_Audio_2023_1.json", json.dumps(second))
        z.writestr(folder + "ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF-1.4")
        z.writestr("Spotify Account Data/Userdata.json", json.dumps({"username": "alex.k", "email": "a@example.com"}))
        z.writestr("Spotify Account Data/Playlist1.json", json.dumps({"playlists": []}))
    truth["alex"] = _counts(streams["alex"], len(first) + len(second), duplicates=30)

    sam = [r for r in (_account(s) for s in streams["sam"]) if r is not None]
    with zipfile.ZipFile(out / "sam.zip", "w") as z:
        z.writestr("Spotify Account Data/StreamingHistory_music_0.json", json.dumps(sam[:200], ensure_ascii=False))
        z.writestr("Spotify Account Data/StreamingHistory_music_1.json", json.dumps(sam[200:], ensure_ascii=False))
        z.writestr(
            "Spotify Account Data/StreamingHistory_podcast_0.json",
            json.dumps([{"endTime": "2022-02-01 10:00", "podcastName": "P", "episodeName": "E", "msPlayed": 1}]),
        )
        z.writestr("Spotify Account Data/YourLibrary.json", json.dumps({"tracks": []}))
    truth["sam"] = _counts([s for s in streams["sam"] if s["kind"] != "podcast"], len(sam), duplicates=0)

    (out / "kim").mkdir(exist_ok=True)
    lines = [json.dumps(_listenbrainz(s, i), ensure_ascii=False) for i, s in enumerate(streams["kim"])]
    (out / "kim" / "listens.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    truth["kim"] = _counts(streams["kim"], len(lines), duplicates=0)

    (out / "lee").mkdir(exist_ok=True)
    lee = [s for s in streams["lee"] if s["kind"] != "podcast"]
    with open(out / "lee" / "plays.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Artist", "Title", "Played At", "Spotify URI"])
        for i, s in enumerate(lee):
            when = s["when"].strftime("%Y-%m-%d %H:%M:%S")
            if s["kind"] == "unknown":
                writer.writerow([s["artist"], s["title"], when, ""])
            elif i % 3 == 0:
                writer.writerow(["", "", when, "spotify:track:" + s["track"]["track_id"]])
            else:
                writer.writerow([_first_artist(s["track"]), s["track"]["track_name"], when, ""])
    truth["lee"] = _counts(lee, len(lee), duplicates=0)
    return truth


def _counts(streams: list[dict], records: int, duplicates: int) -> dict:
    return {
        "records": records,
        "duplicates": duplicates,
        "podcasts": sum(s["kind"] == "podcast" for s in streams),
        "unknown": sum(s["kind"] == "unknown" for s in streams),
        "tracks": sum(s["kind"] == "track" for s in streams),
    }


if __name__ == "__main__":
    print(json.dumps(make_histories(Path(sys.argv[1] if len(sys.argv) > 1 else "listening_history")), indent=1))

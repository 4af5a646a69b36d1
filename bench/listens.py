"""Listening histories at the size of a decade of one person, measured on this machine.

Builds the bundled catalogue (or copies the warehouse given by --home), writes a synthetic Spotify
extended history of N streams (default 100,000) drawn from the catalogue's tracks (plus podcasts
and unknown tracks, in a zip of files of 16,000 streams as Spotify splits them), builds it in with
`wavehouse build --listens`, and measures:
- staging (unzip, recognise, copy) and the listening models that read and match (stg_listens__streams, int_listens_streams,
  int_listens_matched, fct_listens, fct_listens_unmatched, dim_listeners): goal <= 60 s;
- the whole build with listens, and the models that compute taste and evaluation;
- recommend_for warm latency in SQL (goal p50 <= 50 ms) and through the server's API
  (GET /api/listeners/me/recommend in-process through FastAPI's TestClient, which adds its own
  few ms: goal p50 <= 10 ms), 200 calls each after 20 to warm up.
Prints JSON and writes bench/results/listens_latest.json.

    python bench/listens.py
    python bench/listens.py --home ~/.local/share/wavehouse --streams 100000
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write  # noqa: E402
from run import DATA, build_stages, log, machine, timed  # noqa: E402

READ_AND_MATCH = [
    "stg_listens__streams",
    "int_listens_streams",
    "int_listens_matched",
    "fct_listens",
    "fct_listens_unmatched",
    "dim_listeners",
]


def history(db: Path, streams: int, out: Path, seed: int = 0) -> Path:
    """A zip of Spotify extended-history files: a listener with a few favourite genres."""
    rng = random.Random(seed)
    con = duckdb.connect(str(db), read_only=True)
    tracks = con.execute(
        """select track_id, track_name, split_part(artists, ';', 1), album_name, duration_ms, primary_genre
           from dim_tracks order by track_id"""
    ).fetchall()
    con.close()
    genres = sorted({t[5] for t in tracks})
    liked = set(rng.sample(genres, 6))
    pool = [t for t in tracks if t[5] in liked]
    when = datetime(2015, 1, 1, tzinfo=UTC)
    records = []
    for i in range(streams):
        when += timedelta(seconds=rng.randint(60, 6000))
        base = {"ts": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "username": "me", "platform": "x", "ip_addr": "192.0.2.1"}
        roll = rng.random()
        if roll < 0.03:
            records.append(
                {**base, "ms_played": 600000, "episode_name": "E", "spotify_episode_uri": "spotify:episode:x"}
            )
        elif roll < 0.08:
            records.append(
                {
                    **base,
                    "ms_played": 200000,
                    "master_metadata_track_name": f"Unknown {i}",
                    "master_metadata_album_artist_name": "Nobody",
                    "spotify_track_uri": None,
                }
            )
        else:
            t = rng.choice(pool[: 300 + i // 50])
            ms = rng.randint(1000, 29000) if rng.random() < 0.15 else int(t[4] or 200000)
            records.append(
                {
                    **base,
                    "ms_played": ms,
                    "master_metadata_track_name": t[1],
                    "master_metadata_album_artist_name": t[2],
                    "master_metadata_album_album_name": t[3],
                    "spotify_track_uri": f"spotify:track:{t[0]}",
                    "skipped": ms < 30000,
                }
            )
    path = out / "my_spotify_data.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part, start in enumerate(range(0, streams, 16000)):
            name = f"Spotify Extended Streaming History/Streaming_History_Audio_{part}.json"
            z.writestr(name, json.dumps(records[start : start + 16000]))
    return path


def latencies(call, n: int = 200, warm: int = 20) -> dict:
    for _ in range(warm):
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(0.95 * n) - 1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=None, help="a built home to copy (default: build one)")
    parser.add_argument("--streams", type=int, default=100000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wavehouse_listens_"))
    home = work / "home"
    if args.home:
        shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("build"))
    else:
        log("building the bundled catalogue")
        timed([sys.executable, "-m", "wavehouse.cli.main", "build", "--data", str(DATA)], {"WAVEHOUSE_HOME": str(home)})
    db = home / "wavehouse.duckdb"
    zipped = history(db, args.streams, work)
    log(f"{args.streams:,} streams written to {zipped}; building them in")
    cmd = [sys.executable, "-m", "wavehouse.cli.main", "build", "--data", str(DATA), "--listens", str(zipped)]
    result = timed(cmd, {"WAVEHOUSE_HOME": str(home)})
    if result["exit_code"] != 0:
        raise SystemExit(result["output"][-3000:])
    stages = build_stages(home)
    models = stages["models_seconds"]
    # the build prints "[ m:ss] listens: ..." once the files are staged (unzipped, recognised, copied)
    staged_line = next(line for line in result["output"].splitlines() if "] listens: " in line)
    minutes, seconds = staged_line.split("]")[0].strip("[ ").split(":")
    staging = int(minutes) * 60 + int(seconds)
    con = duckdb.connect(str(db), read_only=True)
    counts = con.execute(
        "select streams_read, streams_matched, streams_unmatched, duplicates_merged, match_rate from dim_listeners"
    ).fetchone()
    mode = con.execute("select mode, reason from ml_build_plan").fetchone()
    sql = latencies(lambda: con.execute("select * from recommend_for('me', k := 10)").fetchall())
    con.close()
    from fastapi.testclient import TestClient

    from wavehouse.web.app import create_app

    with TestClient(create_app(db)) as client:  # the app's start-up runs, as under `wavehouse serve`
        api = latencies(lambda: client.get("/api/listeners/me/recommend?k=10").raise_for_status())
    read_and_match = round(sum(models.get(m, 0) for m in READ_AND_MATCH), 2)
    write(
        "listens",
        {
            "machine": machine(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "streams": args.streams,
            "build_seconds": result["seconds"],
            "build_peak_rss_mb": result["peak_rss_mb"],
            "staging_seconds": staging,
            "read_and_match_models_seconds": read_and_match,
            "listening_models_seconds": {m: s for m, s in models.items() if "listen" in m},
            "mode": mode,
            "streams_read_matched_unmatched_duplicates_rate": counts,
            "recommend_for_sql": sql,
            "recommend_for_api": api,
        },
    )


if __name__ == "__main__":
    main()

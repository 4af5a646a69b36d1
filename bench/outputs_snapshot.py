"""Every CLI command's and API endpoint's output on one built warehouse, to show that a refactor
changed none of them: record before, compare after (byte for byte).

    python bench/outputs_snapshot.py record  --home H --out before.json
    python bench/outputs_snapshot.py compare --home H --against before.json

It runs the installed `wavehouse` console script (a subprocess per command, stdout, stderr and
exit code) and `wavehouse serve` on a free local port (status, content type and body per request),
so it exercises whatever code the install points at. The seeds are read from the warehouse (the
most popular track, a tie-prone title), so any build of the same file gives the same requests.
Exits 1 and prints the first differing lines when `compare` finds a difference."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb


def seeds(home: Path) -> dict[str, str]:
    """Stable request inputs taken from the warehouse itself."""
    con = duckdb.connect(str(home / "wavehouse.duckdb"), read_only=True)
    try:
        top, name, artist = con.execute(
            "select track_id, track_name, artists from dim_tracks order by popularity desc, track_id limit 1"
        ).fetchone()
        other = con.execute(
            "select track_id from dim_tracks order by popularity desc, track_id limit 1 offset 50"
        ).fetchone()[0]
        mood = con.execute(
            "select mood from dim_tracks where mood is not null group by 1 order by count(*) desc, 1 limit 1"
        ).fetchone()[0]
    finally:
        con.close()
    return {"top": top, "other": other, "title": name, "typed": f"{artist.split(';')[0]} - {name}", "mood": mood}


def cli_cases(s: dict[str, str]) -> list[list[str]]:
    return [
        ["--help"],
        ["recommend", "--help"],
        ["build", "--help"],
        ["search", s["title"]],
        ["search", s["typed"], "--format", "json"],
        ["search", "zzqx no such song"],
        ["recommend", s["top"]],
        ["recommend", s["typed"], "--explain"],
        ["recommend", s["top"], s["other"], "-k", "15", "--format", "json"],
        ["recommend", s["top"], "--exclude-artist", "--max-per-artist", "1", "--no-explicit", "--format", "csv"],
        ["recommend", s["top"], "--mood", s["mood"], "--min-popularity", "10"],
        ["recommend", s["top"], "--same-cluster"],
        ["recommend", s["top"], "--per-cluster"],
        ["recommend", s["top"], "--diverse", "--format", "json"],
        ["recommend", s["top"], "--embedding", "audio"],
        ["recommend", s["top"], "--embedding", "unsupervised"],
        ["recommend", "spotify:track:" + s["top"]],
        ["recommend", "nope-not-a-track"],
        ["recommend", s["top"], "--per-cluster", "--same-cluster"],
        ["path", s["top"], s["other"], "--steps", "6"],
        ["path", s["top"], s["other"], "--format", "json"],
        ["playlist", "1"],
        ["playlist", "1", "--format", "m3u"],
        ["playlist", "--mood", s["mood"], "--format", "uris"],
        ["playlist", "1", "--sub", "0", "-n", "5", "--format", "csv"],
        ["playlist", "no such cluster"],
        ["clusters"],
        ["clusters", "--method", "dbscan_pca", "--format", "json"],
        ["clusters", "--method", "kmeans_pca"],
        ["cluster", "1"],
        ["cluster", "1", "--format", "json"],
        ["cluster", "999"],
        ["evaluate"],
        ["evaluate", "--format", "json"],
        ["evaluate", "--by-embedding"],
        ["rejects"],
        ["rejects", "--format", "json"],
        ["tracks", "--limit", "5"],
        ["tracks", "--rejected", "--limit", "3"],
        ["sql", "select count(*) as n, count(distinct cluster_id) as clusters from dim_tracks"],
        ["sql", "select * from recommend(?, 5)"],
        ["sql", "drop table dim_tracks"],
    ]


def api_cases(s: dict[str, str]) -> list[str]:
    q = urllib.parse.quote
    return [
        f"/api/search?q={q(s['title'])}",
        f"/api/search?q={q(s['typed'])}&k=3",
        "/api/search?q=",
        f"/api/tracks/{s['top']}",
        "/api/tracks/nope",
        f"/api/recommend?seed={s['top']}",
        f"/api/recommend?seed={s['top']}&k=5&explain=true",
        f"/api/recommend?seed={s['top']}&seed={s['other']}&k=7",
        f"/api/recommend?seed={q(s['typed'])}&exclude_artist=true&max_per_artist=1&explicit=false",
        f"/api/recommend?seed={s['top']}&mood={q(s['mood'])}&min_popularity=10&same_cluster=true",
        f"/api/recommend?seed={s['top']}&diverse=true",
        f"/api/recommend?seed={s['top']}&per_cluster=true",
        f"/api/recommend?seed={s['top']}&embedding=audio",
        f"/api/recommend?seed={s['top']}&embedding=unsupervised",
        f"/api/recommend?seed={s['top']}&k=9999",
        "/api/recommend?seed=nope",
        f"/api/path?a={s['top']}&b={s['other']}&steps=5",
        "/api/clusters",
        "/api/clusters?method=dbscan_pca",
        "/api/clusters/1",
        "/api/clusters/999",
        "/api/clusters/1/playlist?n=5",
        "/api/clusters/1/playlist?n=5&format=m3u",
        "/api/clusters/1/playlist?format=uris",
        f"/api/moods/{q(s['mood'])}/playlist?n=5",
        "/api/evaluation",
        "/api/map?limit=20",
        "/api/map?map=tsne&limit=5&offset=3",
        "/openapi.json",
        "/",
        f"/track/{s['top']}",
        f"/track/{s['top']}?embedding=audio",
        "/track/nope",
        "/clusters",
        "/cluster/1",
        "/cluster/999",
        "/docs",
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return {
                "status": response.status,
                "type": response.headers.get("content-type"),
                "body": response.read().decode("utf-8"),
            }
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "type": exc.headers.get("content-type"), "body": exc.read().decode("utf-8")}


def snapshot(home: Path) -> dict[str, dict]:
    """Every case's output, keyed by the command line or the request path."""
    exe = Path(sys.executable).with_name("wavehouse")
    env = {**os.environ, "WAVEHOUSE_HOME": str(home), "COLUMNS": "120", "NO_COLOR": "1"}
    s = seeds(home)
    out: dict[str, dict] = {}
    for args in cli_cases(s):
        done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=300)
        out["wavehouse " + " ".join(args)] = {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
        print(f"cli {done.returncode} {' '.join(args)[:90]}", file=sys.stderr)
    port = free_port()
    server = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                fetch(base + "/api/evaluation")
                break
            except OSError:
                time.sleep(0.5)
        for path in api_cases(s):
            out["GET " + path] = fetch(base + path)
            print(f"api {out['GET ' + path]['status']} {path[:90]}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def compare(before: dict, after: dict) -> int:
    """Print each case whose output differs (a unified diff of its first lines); the count."""
    differing = 0
    for case in sorted(set(before) | set(after)):
        a, b = before.get(case), after.get(case)
        if a == b:
            continue
        differing += 1
        print(f"DIFFERS: {case}")
        old = json.dumps(a, indent=1, ensure_ascii=False).splitlines()
        new = json.dumps(b, indent=1, ensure_ascii=False).splitlines()
        print("\n".join(list(difflib.unified_diff(old, new, lineterm="", n=1))[:30]))
    print(f"{len(before)} cases before, {len(after)} after, {differing} differing")
    return differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["record", "compare"])
    parser.add_argument("--home", type=Path, required=True, help="a folder holding a published wavehouse.duckdb")
    parser.add_argument("--out", type=Path, help="record: where to write the snapshot (JSON)")
    parser.add_argument("--against", type=Path, help="compare: the snapshot recorded before")
    args = parser.parse_args()
    result = snapshot(args.home)
    if args.mode == "record":
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        print(f"wrote {len(result)} cases to {args.out}")
    else:
        sys.exit(1 if compare(json.loads(args.against.read_text(encoding="utf-8")), result) else 0)


if __name__ == "__main__":
    main()

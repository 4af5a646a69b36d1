"""A bounded load test of `wavehouse serve`, against 127.0.0.1 only.

A copy of a published warehouse is served by `wavehouse serve` in its own process. Then:
  1. warm single requests: one client, `--single` sequential requests each of recommend and search;
  2. idle load: `--clients` concurrent clients sending `--requests` requests of one kind (recommend,
     then search: the goals are per kind), then `--requests` mixed half and half (seeds and search
     texts drawn from the catalogue with a fixed seed);
  3. the same load while `wavehouse build` rebuilds and publishes into the served folder: requests
     go on in rounds of `--requests` until the publish has happened and one round after it
     (bounded by the build), so every request during the swap is counted.
It prints p50/p99 latency, throughput and failed requests per phase as JSON (and writes
bench/results/serve_<time>.json), plus in-process SQL timings of the same look-ups on one warm
connection for SQL users. It stops by itself.

    python bench/serve_load.py --workers 2             # the published warehouse, rebuilt from the bundled file
                                                       # (incremental: the same catalogue) and republished
    # a rebuild from another catalogue, asking during it only for tracks both warehouses hold:
    WAVEHOUSE_HOME=/tmp/fx wavehouse build --data tests/fixtures/tracks_fixture.csv
    python bench/serve_load.py --data tests/fixtures/tracks_fixture.csv --rebuilt /tmp/fx/wavehouse.duckdb
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import duckdb
import httpx

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"[serve_load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(latencies: list[float], failures: int, seconds: float) -> dict:
    ms = [x * 1000 for x in latencies]
    return {
        "requests": len(ms) + failures,
        "failed": failures,
        "seconds": round(seconds, 2),
        "throughput_rps": round((len(ms) + failures) / seconds, 1) if seconds else None,
        "p50_ms": round(percentile(ms, 0.5), 2) if ms else None,
        "p99_ms": round(percentile(ms, 0.99), 2) if ms else None,
    }


def workload(db: Path, n: int, seed: int = 0, within: Path | None = None) -> tuple[list[str], list[str]]:
    """Seed ids and search texts from the warehouse (only tracks also in `within`'s, when given: the
    load during a rebuild asks only for what both the old and the new warehouse hold)."""
    con = duckdb.connect(str(db), read_only=True)
    tracks = "dim_tracks"
    if within is not None:
        con.execute("attach ? as other (read_only)", [str(within)])
        tracks = "(select * from dim_tracks where track_id in (select track_id from other.dim_tracks))"
    ids = [r[0] for r in con.execute(f"select track_id from {tracks} order by hash(track_id) limit ?", [n]).fetchall()]
    titles = [
        r[0]
        for r in con.execute(
            f"""select track_name || ' ' || split_part(artists, ';', 1) from {tracks}
                                            where track_name is not null order by hash(track_id || 's') limit ?""",
            [n],
        ).fetchall()
    ]
    con.close()
    rng = random.Random(seed)
    rng.shuffle(ids)
    rng.shuffle(titles)
    return ids, titles


def urls(kind: str, ids: list[str], titles: list[str], n: int) -> list[str]:
    out = []
    for i in range(n):
        if kind == "recommend" or (kind == "mixed" and i % 2 == 0):
            out.append(f"/api/recommend?seed={ids[i % len(ids)]}&k=10")
        else:
            out.append("/api/search?k=10&q=" + quote(titles[i % len(titles)], safe=""))
    return out


def run_load(base: str, paths: list[str], clients: int) -> tuple[dict[str, list[float]], int, float]:
    """Send paths with `clients` concurrent clients; latencies per kind, failures, seconds."""
    latencies: dict[str, list[float]] = {"recommend": [], "search": []}
    failures = [0]
    lock = threading.Lock()
    queue = list(reversed(paths))

    address = urlsplit(base)

    def worker():
        # the standard library's client, one keep-alive connection per client: it costs the shared
        # cores a third of httpx's CPU per request (0.11 ms against 0.37 ms, measured here)
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        while True:
            with lock:
                if not queue:
                    conn.close()
                    return
                path = queue.pop()
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies["recommend" if "/recommend" in path else "search"].append(elapsed)
                else:
                    failures[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, failures[0], time.perf_counter() - started


def phase(base: str, paths: list[str], clients: int) -> dict:
    latencies, failures, seconds = run_load(base, paths, clients)
    both = latencies["recommend"] + latencies["search"]
    return {
        "all": summary(both, failures, seconds),
        "recommend": summary(latencies["recommend"], 0, seconds),
        "search": summary(latencies["search"], 0, seconds),
    }


def server_rss_mb(pid: int) -> dict:
    """Resident memory of the server process and each of its worker processes, MB (Linux /proc)."""

    def rss(p: int) -> float:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    children = [
        int(c) for c in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]
    return {"main": rss(pid), "workers": [mb for mb in map(rss, children) if mb > 50]}  # not the spawn helper


def sql_timings(db: Path, ids: list[str], titles: list[str], n: int = 100) -> dict:
    """The same look-ups as SQL on one warm connection (what a SQL user or BI tool pays)."""
    con = duckdb.connect(str(db), read_only=True)
    out = {}
    for name, sql, args in [
        ("recommend([id])", "select * from recommend([?], k := 10)", lambda i: [ids[i]]),
        ("search_tracks(text)", "select * from search_tracks(?, k := 10)", lambda i: [titles[i]]),
        ("recommend_by_vector([id])", "select * from recommend_by_vector([?], k := 10)", lambda i: [ids[i]]),
        (
            "neighbour table look-up",
            "select * from fct_track_neighbours where track_id = ? order by neighbour_rank limit 10",
            lambda i: [ids[i]],
        ),
    ]:
        con.execute(sql, args(0)).fetchall()
        times = []
        for i in range(n):
            started = time.perf_counter()
            con.execute(sql, args(i % len(ids))).fetchall()
            times.append(time.perf_counter() - started)
        out[name] = {
            "p50_ms": round(statistics.median(times) * 1000, 2),
            "p99_ms": round(percentile(times, 0.99) * 1000, 2),
        }
    con.close()
    return out


def main() -> None:
    from wavehouse.paths import default_data, published_db

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None, help="published warehouse to copy (default: wavehouse info's)")
    parser.add_argument(
        "--data", type=Path, default=None, help="catalogue the rebuild reads (default: the bundled one)"
    )
    parser.add_argument(
        "--rebuilt",
        type=Path,
        default=None,
        help="a warehouse built from --data: the load during the rebuild asks only for tracks in both",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests per load phase (and per round during the rebuild)"
    )
    parser.add_argument("--single", type=int, default=200, help="sequential warm requests of each kind")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the phase during a rebuild")
    parser.add_argument("--workers", type=int, default=1, help="wavehouse serve --workers")
    args = parser.parse_args()

    source = args.db or published_db()
    work = Path(tempfile.mkdtemp(prefix="wavehouse_serve_"))
    shutil.copy(source, work / "wavehouse.duckdb")
    ids, titles = workload(source, 5000)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "WAVEHOUSE_HOME": str(work)}
    wavehouse = str(Path(sys.executable).with_name("wavehouse"))
    server = subprocess.Popen(
        [wavehouse, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    out = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "warehouse": str(source),
        "clients": args.clients,
        "requests_per_phase": args.requests,
        "cores": os.cpu_count(),
        "workers": args.workers,
    }
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/api/evaluation", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        log("warm single requests")
        run_load(base, urls("mixed", ids, titles, 100), 1)  # warm-up
        out["single"] = {
            kind: phase(base, urls(kind, ids, titles, args.single), 1)[kind] for kind in ("recommend", "search")
        }
        log(f"idle load: {args.requests} requests per phase, {args.clients} clients")
        out["idle_by_kind"] = {
            kind: phase(base, urls(kind, ids[::-1], titles[::-1], args.requests), args.clients)[kind]
            for kind in ("recommend", "search")
        }
        out["idle"] = phase(base, urls("mixed", ids[1::2], titles[1::2], args.requests), args.clients)
        out["server_rss_mb"] = server_rss_mb(server.pid)
        if args.no_rebuild:
            out["sql_one_warm_connection"] = sql_timings(work / "wavehouse.duckdb", ids, titles)
            return finish(out, work, server)
        log("load during a rebuild + publish")
        out["sql_one_warm_connection"] = sql_timings(work / "wavehouse.duckdb", ids, titles)
        ids, titles = workload(source, 5000, within=args.rebuilt) if args.rebuilt else (ids, titles)
        before = os.stat(work / "wavehouse.duckdb").st_ino
        build = subprocess.Popen(
            [wavehouse, "build", "--data", str(args.data or default_data())],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        rounds = []
        while True:  # rounds until the publish (or the build's end), then one more
            rounds.append(phase(base, urls("mixed", ids, titles, args.requests), args.clients))
            published_seen = os.stat(work / "wavehouse.duckdb").st_ino != before
            if published_seen or build.poll() is not None:
                break
        rounds.append(phase(base, urls("mixed", ids[::-1], titles, args.requests), args.clients))
        build.wait()
        out["during_rebuild_data"] = str(args.data or default_data())
        con = duckdb.connect(str(work / "wavehouse.duckdb"), read_only=True)
        mode, tracks = con.execute(
            "select (select build_mode from ml_runs order by started_at desc limit 1), "
            "(select count(*) from dim_tracks)"
        ).fetchall()[0]
        con.close()
        out["during_rebuild_build"] = {"mode": mode, "tracks": tracks}
        out["during_rebuild"] = {
            "build_exit_code": build.returncode,
            "published_during_load": published_seen,
            "rounds": len(rounds),
            "requests": sum(r["all"]["requests"] for r in rounds),
            "failed": sum(r["all"]["failed"] for r in rounds),
            "p99_ms_worst_round": max(r["all"]["p99_ms"] or 0 for r in rounds),
            "rounds_detail": rounds,
        }
    except BaseException:
        finish(None, work, server)
        raise
    finish(out, work, server)


def finish(out: dict | None, work: Path, server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
    if out is None:
        return
    sys.path.insert(0, str(ROOT / "bench"))
    import results

    results.write("serve", out)


if __name__ == "__main__":
    main()

"""A new user's first build against the seed projects' pipeline, in one run on this machine.

Runs the peer (bench/peer_seed_pipeline.py: the seed projects' pipeline, after
../shared/bench/seed_baseline.py) and a fresh default `wavehouse build` (an empty WAVEHOUSE_HOME,
so a full build: every model trained) on the same catalogue, `--rounds` times, alternating which
runs first;
prints both wall times and their ratio (goal: wavehouse <= 2x the peer), wavehouse's seconds per
stage (ml_runs.stage_seconds, dbt's per-model times and its tests) and the quality the goal is
held to (rpt_evaluation_by_embedding, query group `all`), and writes
bench/results/first_build_latest.json.

    python bench/first_build.py                 # the bundled catalogue, one round (about 6 minutes)
    python bench/first_build.py --rounds 2       # the second round builds first, then runs the peer
    python bench/first_build.py --keep /tmp/wh  # and keep the warehouse (bench/readme_figures.py --db)
    python bench/first_build.py --vars '{tune: true}'   # a first build that also tunes
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DATA, RESULTS, ROOT, log, machine, timed, wavehouse_build  # noqa: E402

QUALITY_SQL = """
select embedding_kind, genre_hit_rate_at_10_heldout, own_artist_share_at_10
from rpt_evaluation_by_embedding where query_group = 'all' order by embedding_kind
"""
# "no song twice": the seed's own song, or one song twice, in a top-10 list (rpt_evaluation)
SONGS_SQL = """
select metric, value from rpt_evaluation where metric in ('same_song_rate_at_10', 'duplicate_song_rate_at_10')
"""


def peer(data: Path) -> dict:
    result = timed([sys.executable, str(ROOT / "bench" / "peer_seed_pipeline.py"), str(data)])
    if result["exit_code"] != 0:
        raise SystemExit("the peer failed:\n" + result["output"][-3000:])
    out = json.loads(result["output"].strip().splitlines()[-1])
    return {
        "seconds": result["seconds"],
        "peak_rss_mb": result["peak_rss_mb"],
        "stages": out["seconds"],
        "genre_hit_rate_at_10": out["genre_hit_rate_at_10"],
    }


def ours(data: Path, dbt_vars: str | None, keep: Path | None = None) -> dict:
    """A full build into a fresh home (`keep`: this folder, emptied first and kept, e.g. for
    bench/readme_figures.py; else a temporary one)."""
    import shutil

    with tempfile.TemporaryDirectory(prefix="wavehouse-first-build-") as scratch:
        home = keep or Path(scratch)
        shutil.rmtree(home, ignore_errors=True)
        result = wavehouse_build(data, Path(home), dbt_vars)
        con = duckdb.connect(str(Path(home) / "wavehouse.duckdb"), read_only=True)
        try:
            quality = {
                kind: {"genre_hit_at_10": round(hit, 4), "own_artist_at_10": round(own, 4)}
                for kind, hit, own in con.execute(QUALITY_SQL).fetchall()
            }
            songs = dict(con.execute(SONGS_SQL).fetchall())
            stage_seconds, config_source = con.execute("select stage_seconds, config_source from ml_runs").fetchone()
        finally:
            con.close()
    return {
        "seconds": result["seconds"],
        "peak_rss_mb": result["peak_rss_mb"],
        "tracks": result["tracks"],
        "ml_stage_seconds": json.loads(stage_seconds),
        "sql_model_seconds": {name: s for name, s in result["models_seconds"].items() if not name.startswith("ml_")},
        "dbt_tests_seconds": result["tests_seconds"],
        "quality": quality,
        "songs_twice": songs,
        "config_source": config_source,
    }


def table(report: dict) -> str:
    """Markdown: the pair and ratio per round, then the last round's stages over a second."""
    lines = ["| round | seed pipeline s | wavehouse s | ratio |", "|---|---|---|---|"]
    for i, r in enumerate(report["rounds"], 1):
        lines.append(f"| {i} | {r['peer']['seconds']} | {r['wavehouse']['seconds']} | **{r['ratio']}x** |")
    last = report["rounds"][-1]["wavehouse"]
    stages = sorted(last["ml_stage_seconds"].items(), key=lambda kv: -kv[1])
    lines += ["", "| wavehouse stage | s |", "|---|---|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in stages if seconds >= 1]
    sql = sum(last["sql_model_seconds"].values())
    lines += [
        f"| SQL models (all {len(last['sql_model_seconds'])}) | {sql:.1f} |",
        f"| dbt tests | {last['dbt_tests_seconds']:.1f} |",
    ]
    lines += ["", "| embedding (held-out queries: all) | genre hit@10 | own artist@10 |", "|---|---|---|"]
    lines += [f"| {k} | {q['genre_hit_at_10']} | {q['own_artist_at_10']} |" for k, q in last["quality"].items()]
    lines += ["", "songs twice: " + ", ".join(f"{k} {v}" for k, v in last["songs_twice"].items())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rounds", type=int, default=1, help="peer + wavehouse pairs, alternating")
    parser.add_argument("--vars", dest="dbt_vars", default=None, help="dbt vars for wavehouse build")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="build into this folder (emptied first) and keep it, e.g. for bench/readme_figures.py --db",
    )
    args = parser.parse_args()
    report = {
        "machine": machine(),
        "data": str(args.data),
        "vars": args.dbt_vars,
        "run_started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "rounds": [],
    }
    for i in range(args.rounds):
        # alternating which runs first, so neither always meets the machine warmer (its speed drifts
        # under sustained load)
        if i % 2 == 0:
            log(f"round {i + 1}: the seed pipeline, then wavehouse build (fresh home: a full build)")
            theirs = peer(args.data)
            mine = ours(args.data, args.dbt_vars, args.keep)
        else:
            log(f"round {i + 1}: wavehouse build (fresh home: a full build), then the seed pipeline")
            mine = ours(args.data, args.dbt_vars, args.keep)
            theirs = peer(args.data)
        ratio = round(mine["seconds"] / theirs["seconds"], 3)
        report["rounds"].append({"peer": theirs, "wavehouse": mine, "ratio": ratio})
        log(f"round {i + 1}: seed pipeline {theirs['seconds']} s, wavehouse {mine['seconds']} s: {ratio}x")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "first_build_latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


if __name__ == "__main__":
    main()

"""Ingest stage, before and after the move to DuckDB's readers, measured in one run.

The staging + quarantine stage (the models that read the input, type it and quarantine rejects) is
run with `dbt run` by two dbt projects on the same input, alternately, `--repeat` times each:
"before" is the project of a git revision that read the file one physical line at a time with a
hand-written CSV splitter (default: b3f2a20, the last landing before issue 12), checked out into
a temporary worktree; "after" is this checkout (read_csv with sniffing and store_rejects).
Seconds are the sum of the stage's node times from dbt's run_results.json (hooks included),
median over repeats. Inputs: the bundled 114k file, and 1M synthetic rows (bench/synth.py).

    python bench/ingest.py                  # 114k and 1M rows
    python bench/ingest.py --sizes 114000   # the real file only

Prints JSON and writes bench/results/ingest_<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "spotify_tracks_114k.csv.gz"
BEFORE_MODELS = ["stg_spotify__tracks", "int_tracks_rejected"]
AFTER_MODELS = ["stg_catalogue__records", "stg_spotify__tracks", "int_tracks_rejected"]


def log(message: str) -> None:
    print(f"[ingest {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def stage_seconds(project: Path, models: list[str], data: Path, home: Path) -> dict:
    """dbt run of the stage's models; their summed node times, and the counts they produced."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "build").mkdir(exist_ok=True)
    (home / "build" / "wavehouse.duckdb").unlink(missing_ok=True)
    target = home / "target"
    env = {
        **os.environ,
        "WAVEHOUSE_HOME": str(home),
        "WAVEHOUSE_DATA": str(data),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    started = time.perf_counter()
    subprocess.run(
        [
            dbt,
            "run",
            "--select",
            *models,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
            "--log-path",
            str(home / "logs"),
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    results = json.loads((target / "run_results.json").read_text())["results"]
    import duckdb

    con = duckdb.connect(str(home / "build" / "wavehouse.duckdb"), read_only=True)
    rows, rejected = con.execute("select count(*), count(reject_reason) from stg_spotify__tracks").fetchone()
    con.close()
    return {
        "stage_s": round(sum(r["execution_time"] for r in results), 3),
        "dbt_wall_s": round(wall, 3),
        "nodes": {r["unique_id"].split(".")[-1]: round(r["execution_time"], 3) for r in results},
        "records": rows,
        "rejected": rejected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[114000, 1000000])
    parser.add_argument("--before", default="b3f2a20", help="git revision of the line-splitting reader")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="wavehouse_ingest_"))
    before_tree = work / "before"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_tree), args.before],
        check=True,
        capture_output=True,
    )
    out = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "before_revision": args.before,
        "after_revision": subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "repeat": args.repeat,
        "sizes": {},
    }
    try:
        for size in args.sizes:
            if size == 114000:
                data = DATA
            else:
                sys.path.insert(0, str(ROOT / "bench"))
                from synth import synthesise

                data = work / f"synth_{size}.csv"
                log(f"synthesising {size:,} rows")
                synthesise(str(DATA), size, str(data))
            runs = {"before": [], "after": []}
            for i in range(args.repeat):
                for name, project, models in [
                    ("before", before_tree / "dbt_project", BEFORE_MODELS),
                    ("after", ROOT / "dbt_project", AFTER_MODELS),
                ]:
                    result = stage_seconds(project, models, data, work / f"home_{name}_{size}")
                    log(
                        f"{size:,} rows, {name} #{i + 1}: {result['stage_s']} s ({result['records']:,} records, "
                        f"{result['rejected']} rejected)"
                    )
                    runs[name].append(result)
            summary = {
                name: {
                    "stage_s_median": statistics.median(r["stage_s"] for r in rs),
                    "stage_s_runs": [r["stage_s"] for r in rs],
                    "nodes_last": rs[-1]["nodes"],
                    "records": rs[-1]["records"],
                    "rejected": rs[-1]["rejected"],
                }
                for name, rs in runs.items()
            }
            summary["after_over_before"] = round(
                summary["after"]["stage_s_median"] / summary["before"]["stage_s_median"], 3
            )
            out["sizes"][str(size)] = summary
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)], capture_output=True)
    sys.path.insert(0, str(ROOT / "bench"))
    import results

    results.write("ingest", out)


if __name__ == "__main__":
    main()

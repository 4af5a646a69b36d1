"""Full against incremental builds, measured in one run on this machine.

A catalogue of N tracks (the real 114k file, or bench/synth.py's N-row scale-up of it) is built in
full without 1% of its rows (every 100th row: the tracks a label adds in a week), then built again
with all of them: an incremental build, which reuses the first build's trained models and updates
its neighbour lists; then once more with nothing changed (it should find the warehouse up to date).
Prints (and writes to bench/results/incremental_<rows>_latest.json) the builds' seconds, peak RSS and
per-stage seconds and peak-RSS deltas, the tracks added / changed / deleted, and the ratio
incremental / full; then checks the incremental build's lists of the default embedding
against the exact top-k of its own vectors on a sample of queries.

    python bench/incremental.py                       # the real 114k catalogue, exact neighbours
    python bench/incremental.py --rows 1000000 --vars '{neighbour_method: ivf, eval_max_queries: 20000}'
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DATA, RESULTS, log, machine, timed, wavehouse_build  # noqa: E402


def split_catalogue(source: Path, folder: Path, every: int = 100) -> tuple[Path, Path]:
    """(all rows, all rows but every `every`-th) as two CSV files, rows in their order."""
    opener = gzip.open if source.suffix == ".gz" else open
    everything, before = folder / "all.csv", folder / "before.csv"
    with (
        opener(source, "rt", newline="", encoding="utf-8") as f,
        open(everything, "w", newline="", encoding="utf-8") as a,
        open(before, "w", newline="", encoding="utf-8") as b,
    ):
        reader, wa, wb = csv.reader(f), csv.writer(a), csv.writer(b)
        header = next(reader)
        wa.writerow(header)
        wb.writerow(header)
        for i, row in enumerate(reader):
            wa.writerow(row)
            if i % every != every - 1:
                wb.writerow(row)
    return everything, before


def rss_deltas(stages: dict) -> dict:
    """Each ML stage's rise of the process's peak RSS (ru_maxrss is a running maximum), in MB. A
    stage an incremental build reused (0 s: its log entry, peak included, is the full build's)
    raised nothing."""
    out, peak = {}, 0.0
    for name, stage in stages.items():
        if not stage.get("seconds"):
            out[name] = 0.0
            continue
        now = stage.get("peak_rss_mb") or peak
        out[name] = round(max(0.0, now - peak), 1)
        peak = max(peak, now)
    return out


def check_exact(db: Path, queries: int = 2000, seed: int = 0) -> dict:
    """The default embedding's lists of a sample of tracks against their exact top-k."""
    from wavehouse.ml import matrix
    from wavehouse.models_py.neighbours import exact_topk_distinct, recall_at

    con = duckdb.connect(str(db), read_only=True)
    ids = con.sql("select track_id from int_ml_inputs order by track_id").to_arrow_table().column(0).to_pylist()
    songs = con.execute("select song_id from int_ml_inputs order by track_id").fetchnumpy()["song_id"]
    E = matrix(
        con.sql("select embedding from ml_track_embeddings where is_default order by track_id").to_arrow_table(),
        "embedding",
    )
    k = con.execute("select max(neighbour_rank) from ml_track_neighbours where is_default").fetchall()[0][0]
    sample = np.sort(np.random.default_rng(seed).choice(len(ids), min(queries, len(ids)), replace=False))
    row = {t: i for i, t in enumerate(ids)}
    wanted = [ids[i] for i in sample]
    lists = con.execute(
        """select track_id, neighbour_rank, neighbour_track_id, similarity from ml_track_neighbours
                           where is_default and track_id in (select unnest(?::varchar[]))""",
        [wanted],
    ).fetchall()
    con.close()
    at = {t: j for j, t in enumerate(wanted)}
    idx = np.full((len(sample), k), -1)
    sim = np.zeros((len(sample), k), np.float32)
    for track, rank, neighbour, similarity in lists:
        idx[at[track], rank - 1], sim[at[track], rank - 1] = row[neighbour], similarity
    exact_idx, exact_sim = exact_topk_distinct(E, k, songs, queries=sample)
    return {
        "queries": len(sample),
        "recall_at_10_vs_exact": recall_at(idx, exact_idx, 10, sim, exact_sim),
        "max_similarity_difference": float(np.abs(sim - exact_sim).max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rows", type=int, default=114000, help="catalogue rows: 114000 = the real file, else synthetic"
    )
    parser.add_argument("--vars", dest="dbt_vars", default=None, help="dbt vars for both builds")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wavehouse_incremental_"))
    source = DATA
    if args.rows != 114000:
        from synth import synthesise

        source = work / f"synth_{args.rows}.csv"
        log(f"synthesising {args.rows:,} rows")
        synthesise(str(DATA), args.rows, str(source))
    everything, before = split_catalogue(source, work)
    home = work / "home"
    report = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "rows": args.rows,
        "vars": args.dbt_vars,
    }
    for name, data in (("full", before), ("incremental", everything)):
        log(f"{name} build")
        result = wavehouse_build(data, home, args.dbt_vars)
        con = duckdb.connect(str(home / "wavehouse.duckdb"), read_only=True)
        plan = con.execute(
            "select mode, reason, tracks_added, tracks_changed, tracks_deleted from ml_build_plan"
        ).fetchall()[0]
        lists = dict(
            con.execute("""select stage, metrics from ml_stage_log where stage like 'neighbours%'
                                    and stage <> 'neighbours_evaluation'""").fetchall()
        )
        con.close()
        result.update(
            mode=plan[0],
            reason=plan[1],
            tracks_added=plan[2],
            tracks_changed=plan[3],
            tracks_deleted=plan[4],
            ml_stage_rss_delta_mb=rss_deltas(result["ml_stages"]),
            neighbour_lists={
                s: {k: v for k, v in json.loads(m).items() if k.startswith(("lists_", "fresh", "ivf_"))}
                for s, m in lists.items()
            },
        )
        report[name] = result
    report["incremental_over_full"] = round(report["incremental"]["seconds"] / report["full"]["seconds"], 4)
    log("the same build again (nothing changed)")
    again = timed(
        [
            sys.executable,
            "-m",
            "wavehouse.cli.main",
            "build",
            "--data",
            str(everything),
            *(["--vars", args.dbt_vars] if args.dbt_vars else []),
        ],
        {"WAVEHOUSE_HOME": str(home)},
    )
    if again["exit_code"] != 0 or "up to date" not in again["output"]:
        raise SystemExit("the unchanged build did not find the warehouse up to date:\n" + again["output"][-3000:])
    report["unchanged"] = {"seconds": again["seconds"], "peak_rss_mb": again["peak_rss_mb"]}
    log("checking the incremental lists against exact top-k")
    report["incremental_lists_check"] = check_exact(home / "wavehouse.duckdb")
    text = json.dumps(report, indent=2, default=str)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"incremental_{args.rows}_{time.strftime('%Y%m%d_%H%M%S')}.json").write_text(text)
    (RESULTS / f"incremental_{args.rows}_latest.json").write_text(text)
    print(text)
    summary = {k: report[k]["seconds"] for k in ("full", "incremental")}
    log(
        f"full {summary['full']} s, incremental {summary['incremental']} s, "
        f"ratio {report['incremental_over_full']}; nothing changed {report['unchanged']['seconds']} s; "
        f"peak RSS full {report['full']['peak_rss_mb']} MB"
    )


if __name__ == "__main__":
    main()

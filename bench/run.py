"""wavehouse benchmark: prints one JSON document and writes it to bench/results/.

Measured in one run, on this machine:
  * the seed pipeline (bench/peer_seed_pipeline.py) and `wavehouse build` on the same full catalogue,
    stage by stage, with ratios;
  * the neighbour kernels on the built default and cluster-space embeddings: exact (faiss flat
    index + same-song masking, as the build runs it) against the floor 2*N*N*d / (measured sgemm
    GFLOP/s), our IVF at several probes and faiss HNSW, with recall@10 against exact;
  * a cold CLI look-up against `python -c "import duckdb"` (medians);
  * builds on synthetic catalogues of 300k and 1M tracks (IVF neighbours): seconds and peak RSS per stage.

    pip install -e '.[bench]'          # pandas, for the seed pipeline
    python bench/run.py                # everything (about half an hour on 2 cores)
    python bench/run.py --sizes 114000 # skip the large synthetic builds
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "spotify_tracks_114k.csv.gz"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(cmd: list[str], env: dict | None = None) -> dict:
    """Run a command; wall seconds, peak RSS (MB) of the process tree's largest member, exit code, output."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "exit_code": os.waitstatus_to_exitcode(status),
        "output": text,
    }


def machine() -> dict:
    import torch

    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "commit": commit(),
        "duckdb_memory_limit": os.environ.get("WAVEHOUSE_DUCKDB_MEMORY", "3GB (default)"),
    }


def commit() -> str:
    """The checkout's commit (with '+' when it has uncommitted changes), or '' outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + ("+" if dirty else "")


def sgemm_gflops() -> float:
    import torch

    a, b = torch.randn(4096, 4096), torch.randn(4096, 4096)
    a @ b
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        a @ b
        runs.append(time.perf_counter() - started)
    return 2 * 4096**3 / min(runs) / 1e9


def build_stages(home: Path) -> dict:
    """Seconds per stage: dbt's per-model times for SQL (and its tests' in all), ml_stage_log for
    the Python stages."""
    results = json.loads((home / "build" / "target" / "run_results.json").read_text())
    models = {
        r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
        for r in results["results"]
        if r["unique_id"].startswith("model.")
    }
    # dbt's data and unit tests, which `dbt build` runs between the models (one thread: they add up)
    tests = round(
        sum(r["execution_time"] for r in results["results"] if r["unique_id"].startswith(("test.", "unit_test."))), 2
    )
    con = duckdb.connect(str(home / "wavehouse.duckdb"), read_only=True)
    stages = {
        s: {"seconds": sec, "peak_rss_mb": json.loads(m).get("peak_rss_mb")}
        for s, sec, m in con.execute(
            "select stage, seconds, metrics from ml_stage_log where stage <> 'environment'"
        ).fetchall()
    }
    evaluation = dict(con.execute("select metric, value from rpt_evaluation").fetchall())
    run = con.execute("select chosen_k_embedding, neighbour_method, ivf_recall_at_10 from ml_runs").fetchone()
    tracks = con.execute("select count(*) from dim_tracks").fetchone()[0]
    con.close()
    return {
        "tracks": tracks,
        "models_seconds": models,
        "tests_seconds": tests,
        "ml_stages": stages,
        "evaluation": evaluation,
        "chosen_k_embedding": run[0],
        "neighbour_method": run[1],
        "ivf_recall_at_10": run[2],
    }


def wavehouse_build(data: Path, home: Path, dbt_vars: str | None = None) -> dict:
    cmd = [sys.executable, "-m", "wavehouse.cli.main", "build", "--data", str(data)]
    if dbt_vars:
        cmd += ["--vars", dbt_vars]
    result = timed(cmd, {"WAVEHOUSE_HOME": str(home)})
    if result["exit_code"] != 0:
        raise SystemExit("wavehouse build failed:\n" + result["output"][-3000:])
    return {"seconds": result["seconds"], "peak_rss_mb": result["peak_rss_mb"], **build_stages(home)}


PROBES = (4, 8, 16)
SQL_PREP = [
    "stg_catalogue__records",
    "stg_spotify__tracks",
    "int_tracks_deduped",
    "feature_scaling",
    "int_track_features_scaled",
    "int_ml_inputs",
]


def compare_with_peer(peer: dict, ours: dict) -> dict:
    m, s = ours["models_seconds"], ours["ml_stages"]
    mine = {
        "load_clean_scale": round(sum(m.get(x, 0) for x in SQL_PREP), 2),
        "autoencoder": s["autoencoder"]["seconds"],
        "kmeans_at_chosen_k": s["kmeans_embedding"]["seconds"],
        "all_pairs_neighbours": s["neighbours"]["seconds"],
        "genre_evaluation": m.get("rpt_evaluation", 0),
    }
    theirs = {
        "load_clean_scale": peer["seconds"]["prep"],
        "autoencoder": peer["seconds"]["autoencoder"],
        "kmeans_at_chosen_k": peer["seconds"]["kmeans"],
        "all_pairs_neighbours": peer["seconds"]["knn_all"],
        "genre_evaluation": peer["seconds"]["eval"],
    }
    shared_ours, shared_peer = sum(mine.values()), sum(theirs.values())
    return {
        "stages_wavehouse": mine,
        "stages_peer": theirs,
        "shared_stages_seconds": {
            "wavehouse": round(shared_ours, 2),
            "peer": round(shared_peer, 2),
            "ratio": round(shared_ours / shared_peer, 3),
            "goal": "<= 0.5",
        },
        "whole_build_vs_peer_total": {
            "wavehouse": ours["seconds"],
            "peer": peer["total_s"],
            "ratio": round(ours["seconds"] / peer["total_s"], 3),
            "goal": "<= 2",
        },
        "genre_hit_rate_at_10": {
            "peer": peer["genre_hit_rate_at_10"],
            "wavehouse_seed_protocol": ours["evaluation"].get("genre_hit_rate_at_10_seed_protocol"),
            "wavehouse_heldout": ours["evaluation"].get("genre_hit_rate_at_10_heldout"),
        },
    }


EXACT_RUNS = 3


def neighbours_vs_floor(home: Path) -> dict:
    """The neighbour stage's kernels on the built embeddings: exact top-10 (BoundedExact, as the
    build runs it, and a faiss flat index of every pair; the best of three interleaved runs) against
    the floor 2*N*N*d / sgemm (the best of three 4096^3 products), the build's IVF
    (ListScan, distinct-song lists, as neighbour_method ivf runs it) at several probes,
    and faiss HNSW, with recall@10 against exact; for the default embedding (the recommendation
    lists) and the cluster space (the evaluation lists)."""
    import faiss

    from wavehouse.models_py.neighbours import (
        BoundedExact,
        exact_topk_distinct,
        flat_topk,
        ivf_index,
        normalise_rows,
        recall_at,
    )

    con = duckdb.connect(str(home / "wavehouse.duckdb"), read_only=True)
    kinds = [
        r[0]
        for r in con.execute("""select embedding_kind from ml_track_embeddings
                                          where is_default or is_cluster_space group by all order by all""").fetchall()
    ]
    songs = con.execute("select song_id from int_ml_inputs order by track_id").fetchnumpy()["song_id"]
    gflops = sgemm_gflops()
    out = {"sgemm_gflops": round(gflops, 1), "k": 10}
    for kind in kinds:
        rows = con.execute(
            "select embedding from ml_track_embeddings where embedding_kind = ? order by track_id", [kind]
        ).fetchnumpy()
        E = np.stack(rows["embedding"]).astype(np.float32)
        n, d = E.shape
        k = 10
        res = {"n": n, "d": d, "gemm_floor_seconds": round(2 * n * n * d / (gflops * 1e9), 2)}
        runs, flat_runs = [], []
        for _ in range(EXACT_RUNS):  # the best of three, as the floor's sgemm is (this VM is noisy), interleaved
            started = time.perf_counter()
            bounded = BoundedExact(E)  # exact_topk(E, k) on a catalogue this size
            exact_idx, exact_sim = bounded.search(np.arange(n), k)
            runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            flat_idx, flat_sim = flat_topk(E, k)
            flat_runs.append(time.perf_counter() - started)
        res["wavehouse_exact_seconds"] = round(min(runs), 2)
        res["wavehouse_exact_runs_seconds"] = [round(r, 2) for r in runs]
        res["exact_vs_floor"] = round(res["wavehouse_exact_seconds"] / res["gemm_floor_seconds"], 2)
        res["bounded_pairs_share"] = round(bounded.pairs_compared / n / n, 4)
        res["faiss_flat_seconds"] = round(min(flat_runs), 2)
        res["faiss_flat_runs_seconds"] = [round(r, 2) for r in flat_runs]
        res["faiss_flat_vs_floor"] = round(res["faiss_flat_seconds"] / res["gemm_floor_seconds"], 2)
        res["faiss_flat_recall_vs_wavehouse_exact"] = round(recall_at(flat_idx, exact_idx, k, flat_sim, exact_sim), 6)
        # the build's lists: one id per song (exact_topk_distinct) against the IVF's
        started = time.perf_counter()
        distinct_idx, distinct_sim = exact_topk_distinct(E, k, songs)
        res["exact_distinct_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        index = ivf_index(E, songs)
        index_seconds = time.perf_counter() - started
        for probe in PROBES:
            started = time.perf_counter()
            idx, sim = index.search(np.arange(n), k, probe)
            res[f"scan_ivf{probe}"] = {
                "seconds_with_index": round(time.perf_counter() - started + index_seconds, 2),
                "recall_at_10": round(recall_at(idx, distinct_idx, k, sim, distinct_sim), 4),
                "lists": int(index.nlist),
            }
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        En = normalise_rows(E)
        started = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.add(En)
        hnsw.hnsw.efSearch = 64
        approx_sim, approx = hnsw.search(En, k + 1)
        res["faiss_hnsw_seconds"] = round(time.perf_counter() - started, 2)
        approx_sim = np.array([s[row != i][:k] for i, (row, s) in enumerate(zip(approx, approx_sim))])
        approx = np.array([row[row != i][:k] for i, row in enumerate(approx)])
        res["faiss_hnsw_recall_at_10"] = round(recall_at(approx, exact_idx, k, approx_sim, exact_sim), 4)
        out[kind] = res
    con.close()
    return out


def cold_lookup(home: Path, runs: int = 7) -> dict:
    con = duckdb.connect(str(home / "wavehouse.duckdb"), read_only=True)
    track = con.execute("select track_id from dim_tracks order by popularity desc, track_id limit 1").fetchone()[0]
    con.close()
    wavehouse = Path(sys.executable).with_name("wavehouse")

    def median(cmd):
        times = [timed(cmd, {"WAVEHOUSE_HOME": str(home)})["seconds"] for _ in range(runs)]
        return statistics.median(times)

    base = median([sys.executable, "-c", "import duckdb"])
    look = median([str(wavehouse), "recommend", track, "-k", "10"])
    return {
        "import_duckdb_s": base,
        "wavehouse_recommend_s": look,
        "ratio": round(look / base, 2),
        "goal": "<= 2",
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        default="114000,300000,1000000",
        help="catalogue sizes; 114000 = the real file, others synthetic (IVF neighbours)",
    )
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument(
        "--neighbours-only",
        action="store_true",
        help="only the neighbour kernels, on the published warehouse (wavehouse info's); "
        "writes bench/results/neighbours_latest.json, which the README's table prefers",
    )
    args = parser.parse_args()
    if args.neighbours_only:
        from wavehouse.paths import published_db

        report = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "warehouse": str(published_db())}
        log("neighbours against the GEMM floor, IVF and HNSW")
        report["neighbours"] = neighbours_vs_floor(published_db().parent)
        text = json.dumps(report, indent=2)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"neighbours_{time.strftime('%Y%m%d_%H%M%S')}.json").write_text(text)
        (RESULTS / "neighbours_latest.json").write_text(text)
        print(text)
        return
    work = Path(tempfile.mkdtemp(prefix="wavehouse_bench_"))
    report: dict = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench_{time.strftime('%Y%m%d_%H%M%S')}.json"

    def save() -> str:
        text = json.dumps(report, indent=2, default=str)
        path.write_text(text)
        (RESULTS / "latest.json").write_text(text)
        return text

    if not args.skip_peer:
        log("peer: seed pipeline on the full catalogue")
        peer_run = timed([sys.executable, str(ROOT / "bench" / "peer_seed_pipeline.py"), str(DATA)])
        peer = json.loads(peer_run["output"].strip().splitlines()[-1])
        peer["peak_rss_mb"] = peer_run["peak_rss_mb"]
        report["peer_seed_pipeline"] = peer
    log("wavehouse build on the full catalogue")
    home = work / "real"
    ours = wavehouse_build(DATA, home)
    report["wavehouse_build_114k"] = ours
    if "peer_seed_pipeline" in report:
        report["vs_peer"] = compare_with_peer(report["peer_seed_pipeline"], ours)
    save()
    log("neighbours against the GEMM floor, IVF and HNSW")
    report["neighbours"] = neighbours_vs_floor(home)
    log("cold look-up")
    report["cold_lookup"] = cold_lookup(home)
    save()

    report["scale"] = {}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        if size == 114000:
            log("scale: real catalogue with IVF neighbours")
            data = DATA
        else:
            from synth import synthesise

            data = work / f"synth_{size}.csv"
            log(f"scale: synthesising {size:,} tracks")
            synthesise(str(DATA), size, str(data))
        log(f"scale: building {size:,} rows (ivf)")
        run = wavehouse_build(data, work / f"scale_{size}", "{neighbour_method: ivf, eval_max_queries: 20000}")
        report["scale"][str(size)] = {
            k: run[k]
            for k in ("seconds", "peak_rss_mb", "tracks", "ml_stages", "ivf_recall_at_10", "chosen_k_embedding")
        }
        report["scale"][str(size)]["sql_seconds"] = round(sum(run["models_seconds"].get(x, 0) for x in SQL_PREP), 2)
        save()
    report["quadratic_stages"] = {
        "neighbours (exact)": "2*N*N*d flops: quadratic; IVF compares about probes/lists of the pairs (lists ~ 2*sqrt(N))",
        "neighbours_evaluation": "queries * N: quadratic with every query; capped by eval_max_queries",
        "others": "linear in N (KMeans, autoencoder epochs, SQL) or on fixed samples (k sweep, silhouette, DBSCAN fit, t-SNE, SHAP)",
    }
    print(save())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()

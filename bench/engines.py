"""The two engines side by side, measured in one run on this machine, and an extrapolation.

For each catalogue size, `wavehouse build` (DuckDB) and `wavehouse build --engine spark --master
local[2]`, each from nothing with the same vars: wall seconds, peak RSS of the whole process tree
(for Spark: the build, its JVM and the JVM's Python workers, summed; sampled every 0.25 s), and
seconds per stage (dbt's per-model times, ml_stage_log's ML stages, the Spark ingest run's own
run_results). A size below the real file's 114,000 rows takes every k-th row of it (the file is
ordered by genre); a larger one is bench/synth.py's scale-up.

Then, from the two largest sizes, a per-stage model: each stage's time grows as N^a (a fitted from
the two sizes, clamped to [0, 2]); a stage that runs on Spark is divided among the executors' cores
(ideal scaling from the 2 local cores measured here: an upper bound on the speed-up); a stage that
trains on a bounded sample (train_sample, or search_sample for the two searches) stops growing
at that sample; the evaluation lists (at most train_sample exact queries) grow linearly past
it; everything else runs on the driver and grows as measured. Printed for 10M and 100M tracks on N
executors as an estimate (docs/scaling.md shows it): what it says is which stages are left on one
machine.

    python bench/engines.py                                   # 28,500 and 114,000 rows of the real file
    python bench/engines.py --rows 114000 1000000 --vars '{neighbour_method: ivf, eval_max_queries: 20000, search_sample: 50000}'

With `neighbour_method: ivf` in --vars, the DuckDB build searches with its IVF (ListScan) on this machine
and the Spark build with spark_ivf (its IVF search on the executors): each engine's own
approximate search, each with its recall measured.
    python bench/engines.py --refit bench/results/engines_latest.json   # the model again, no builds
    python bench/engines.py --rows 114000 1000000 --vars '...' --resume bench/results/engines_partial.json
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DATA, RESULTS, build_stages, log, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL_ROWS = 114_000
# stages that run on Spark with --engine spark (the rest run on the build machine, the driver)
ON_SPARK = {"ingest", "embed_on_spark", "assign_on_spark", "neighbours", "neighbours_audio", "neighbours_autoencoder"}
# stages on a bounded sample, by the dbt var that bounds it: training on the driver with --engine
# spark (train_sample), the two searches (search_sample, either engine)
BOUNDED = {
    **dict.fromkeys(
        ["autoencoder", "genre_aware", "genre_head", "map_lda", "kmeans_features", "kmeans_pca", "kmeans_embedding"],
        "train_sample",
    ),
    "genre_head_search": "search_sample",
    "hybrid_mix_search": "search_sample",
}
# exact lists of at most train_sample queries (--engine spark) against the whole catalogue
CAPPED_QUERIES = {"neighbours_evaluation": "train_sample"}
INGEST = ["stg_catalogue__records", "stg_spotify__tracks", "int_tracks_rejected", "int_tracks_deduped"]


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 2**20


def timed_tree(cmd: list[str], env: dict) -> dict:
    """Run a command; wall seconds, the peak of its process tree's summed RSS, exit code, output tail."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}, text=True)
        peak = [0.0]

        def sample():
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss_mb(proc.pid))
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - started
        sampler.join()
        out.seek(0)
        text = out.read()
    return {
        "seconds": round(seconds, 2),
        "peak_tree_rss_mb": round(peak[0], 1),
        "exit_code": code,
        "output": text[-3000:],
    }


def catalogue(rows: int, folder: Path) -> Path:
    """The real file, every k-th row of it, or bench/synth.py's scale-up to `rows`."""
    if rows == REAL_ROWS:
        return DATA
    out = folder / f"tracks_{rows}.csv"
    if rows > REAL_ROWS:
        subprocess.run([sys.executable, str(ROOT / "bench" / "synth.py"), str(DATA), str(rows), str(out)], check=True)
        return out
    every = REAL_ROWS // rows
    with gzip.open(DATA, "rt", newline="", encoding="utf-8") as f, open(out, "w", newline="", encoding="utf-8") as w:
        reader, writer = csv.reader(f), csv.writer(w)
        writer.writerow(next(reader))
        for i, row in enumerate(reader):
            if i % every == 0:
                writer.writerow(row)
    return out


def stages_of(home: Path, engine: str) -> tuple[dict[str, float], dict]:
    """Seconds per stage: ingest (the four ingest models, on Spark for the Spark engine), each ML
    stage, the other SQL models together."""
    built = build_stages(home)
    models = built["models_seconds"]
    python_models = {p.stem for p in (ROOT / "dbt_project" / "models" / "ml").glob("*.py")}
    if engine == "spark":
        results = json.loads((home / "build" / "spark" / "run_results.json").read_text())
        ingest = sum(r["execution_time"] for r in results["results"] if r["unique_id"].split(".")[-1] in INGEST)
        # the DuckDB build's copies of Spark's ingest tables count as ingest too
        ingest += sum(models.get(m, 0) for m in INGEST)
    else:
        ingest = sum(models.get(m, 0) for m in INGEST)
    out = {"ingest": round(ingest, 2)}
    out.update({name: stage["seconds"] for name, stage in built["ml_stages"].items()})
    out["sql_models"] = round(sum(t for m, t in models.items() if m not in python_models and m not in INGEST), 2)
    return out, built


def engine_vars(dbt_vars: str | None, engine: str) -> str | None:
    """The vars an engine's build gets: `neighbour_method: ivf` (ListScan's IVF on the build machine)
    becomes spark_ivf (the IVF search run on Spark) for the Spark engine, so each engine runs its
    own approximate search; everything else as given."""
    import yaml

    given = yaml.safe_load(dbt_vars or "{}") or {}
    if engine != "spark" or given.get("neighbour_method") != "ivf":
        return dbt_vars
    return json.dumps({**given, "neighbour_method": "spark_ivf"})


def build(data: Path, home: Path, engine: str, dbt_vars: str | None) -> dict:
    cmd = [sys.executable, "-m", "wavehouse.cli.main", "build", "--data", str(data)]
    dbt_vars = engine_vars(dbt_vars, engine)
    if engine == "spark":
        cmd += ["--engine", "spark", "--master", "local[2]"]
    if dbt_vars:
        cmd += ["--vars", dbt_vars]
    log(f"{engine}: {' '.join(cmd[3:])}")
    result = timed_tree(cmd, {"WAVEHOUSE_HOME": str(home)})
    if result["exit_code"] != 0:
        raise SystemExit(f"{engine} build failed:\n" + result["output"])
    stages, built = stages_of(home, engine)
    log(f"{engine}: {built['tracks']} tracks in {result['seconds']} s, peak tree RSS {result['peak_tree_rss_mb']} MB")
    return {
        "seconds": result["seconds"],
        "peak_tree_rss_mb": result["peak_tree_rss_mb"],
        "tracks": built["tracks"],
        "neighbour_method": built["neighbour_method"],
        "ivf_recall_at_10": built["ivf_recall_at_10"],
        "stages_seconds": stages,
        "other_seconds": round(result["seconds"] - sum(stages.values()), 2),
    }


def sample_caps(dbt_vars: str | None) -> dict[str, int]:
    """The sample sizes a run's vars set (YAML), each var at its default unless set."""
    import yaml

    given = yaml.safe_load(dbt_vars or "{}") or {}
    defaults = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    return {var: int(given.get(var, defaults[var])) for var in ("train_sample", "search_sample")}


def extrapolate(
    small: dict,
    large: dict,
    sizes=(10_000_000, 100_000_000),
    executors=(8, 32),
    cores_per_executor: int = 4,
    caps: dict[str, int] | None = None,
    local_cores: int = 2,
) -> dict:
    """The Spark engine's stages at `sizes` tracks on each count of executors (see the module's
    docstring); caps: sample_caps() of the run's vars."""
    caps = caps or sample_caps(None)
    n1, n2 = small["tracks"], large["tracks"]
    stages = {}
    for name, t2 in large["stages_seconds"].items():
        t1 = small["stages_seconds"].get(name)
        a = min(2.0, max(0.0, math.log(t2 / t1) / math.log(n2 / n1))) if t1 and t2 and t1 > 0 and t2 > 0 else 1.0
        where = (
            "spark"
            if name in ON_SPARK
            else "driver, bounded sample"
            if name in BOUNDED
            else "driver, capped queries"
            if name in CAPPED_QUERIES
            else "driver"
        )
        stages[name] = {"where": where, "seconds": {str(n1): t1, str(n2): t2}, "exponent": round(a, 2)}
    estimates = {}
    for n in sizes:
        for e in executors:
            speedup = e * cores_per_executor / local_cores
            total, on_driver = 0.0, 0.0
            for name, s in stages.items():
                t2 = large["stages_seconds"][name]
                cap = caps.get(BOUNDED.get(name) or CAPPED_QUERIES.get(name), n)
                grown = min(n, max(cap, n2))
                t = t2 * (grown / n2) ** s["exponent"]
                if s["where"] == "driver, capped queries":
                    t *= n / grown  # past the cap the queries stay, the catalogue grows
                if s["where"] == "spark":
                    t /= speedup
                else:
                    on_driver += t
                total += t
            estimates[f"{n}_tracks_{e}_executors"] = {
                "hours": round(total / 3600, 2),
                "driver_share": round(on_driver / total, 3),
            }
    per_track = (large["peak_tree_rss_mb"] - small["peak_tree_rss_mb"]) / (n2 - n1) * 1024
    memory = {
        "kb_per_track": round(per_track, 2),
        **{
            f"gb_at_{label}": round((large["peak_tree_rss_mb"] + per_track / 1024 * (n - n2)) / 1024, 1)
            for label, n in (("10m", 10_000_000), ("100m", 100_000_000))
        },
    }
    return {
        "driver_memory": memory,
        "model": f"t(N) = t({n2}) x (N / {n2})^a per stage, a from {n1} and {n2} tracks; Spark stages / "
        f"(executors x {cores_per_executor} cores / {local_cores} local cores); bounded-sample stages stop "
        f"growing at their sample ({', '.join(f'{v} {c}' for v, c in caps.items())}), "
        f"capped-query stages grow linearly past it; an estimate, not a measurement",
        "stages": stages,
        "estimates": estimates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[28_500, REAL_ROWS])
    parser.add_argument("--vars", default=None, help="dbt vars for both engines' builds (YAML)")
    parser.add_argument(
        "--refit",
        type=Path,
        default=None,
        help="no builds: recompute the extrapolation of a saved run (its JSON file) in place",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        help="a run's partial results (bench/results/engines_partial.json, written after each "
        "build): the sizes it finished are kept, the others built",
    )
    args = parser.parse_args()
    if args.refit:
        out = json.loads(args.refit.read_text())
        runs = [side["spark"] for _, side in sorted(out["sizes"].items(), key=lambda item: int(item[0]))]
        out["extrapolation"] = extrapolate(runs[-2], runs[-1], caps=sample_caps(out["vars"]))
        args.refit.write_text(json.dumps(out, indent=2) + "\n")
        print(json.dumps(out["extrapolation"], indent=1))
        return
    out = {"machine": machine(), "vars": args.vars, "sizes": {}}
    if args.resume:
        out = json.loads(args.resume.read_text())
        if out["vars"] != args.vars:
            raise SystemExit(f"{args.resume} was run with vars {out['vars']!r}, not {args.vars!r}")
        out.setdefault("resumed", []).append(machine())
        log(f"resuming {args.resume}: sizes {', '.join(out['sizes'])} kept")
    partial = RESULTS / "engines_partial.json"
    with tempfile.TemporaryDirectory(prefix="wavehouse_engines_") as tmp:
        work = Path(tmp)
        for rows in sorted(args.rows):
            if str(rows) in out["sizes"]:
                continue
            data = catalogue(rows, work)
            side = {engine: build(data, work / f"{engine}_{rows}", engine, args.vars) for engine in ("duckdb", "spark")}
            side["spark_over_duckdb"] = {
                "seconds": round(side["spark"]["seconds"] / side["duckdb"]["seconds"], 3),
                "peak_tree_rss": round(side["spark"]["peak_tree_rss_mb"] / side["duckdb"]["peak_tree_rss_mb"], 3),
            }
            out["sizes"][str(rows)] = side
            print(json.dumps({str(rows): side}, indent=1), flush=True)
            partial.write_text(json.dumps(out, indent=2) + "\n")  # a later size failing loses nothing
    runs = [out["sizes"][str(r)]["spark"] for r in sorted(args.rows)]
    if len(runs) >= 2:
        out["extrapolation"] = extrapolate(runs[-2], runs[-1], caps=sample_caps(args.vars))
        print(json.dumps(out["extrapolation"], indent=1))
    import results

    results.write("engines", out)
    partial.unlink(missing_ok=True)
    log("wrote bench/results/engines_latest.json")


if __name__ == "__main__":
    main()

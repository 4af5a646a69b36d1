"""The ML stages that `wavehouse build --engine spark` runs as Spark jobs, calling the same
models_py functions as the DuckDB build.

Scoring (`embed_on_spark`, `assign_on_spark`): the networks and KMeans are trained on the driver
on a bounded sample (var train_sample); the trained weights, centroids and DBSCAN core
samples are broadcast, and executors embed every track and assign its clusters a batch of rows at
a time (mapInArrow: models_py.genre_head.score_networks, models_py.cluster.assign_stored, as an
incremental build assigns its new tracks).

Neighbours (`ivf_topk_distinct_on_spark`): the driver fits the IVF list centroids on a bounded
sample (models_py.neighbours.ivf_centroids) and broadcasts them; executors assign every track to
its list and its `n_probe` nearest lists (mapInArrow, nearest_lists); a list's probe set is the
union of its members' nearest lists; each track's vector is sent to every
list that probes its own, and each list's members are searched among those candidates
(groupBy(list).applyInArrow, one_list_topk: exact within the probed lists, one id per song). No
executor holds more than the lists one list probes.

Rows are exchanged as Parquet in a folder that the driver and every executor see at the same file
path (var spark_output; on a cluster a shared mount such as NFS: the driver writes and reads it
with pyarrow)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def spark_session(master: str):
    """The build's SparkSession (the one dbt-spark's session mode started for the ingest models,
    if it is still up); Python workers run this interpreter, where wavehouse is installed."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("wavehouse")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def vectors_of(column: pa.ChunkedArray | pa.Array, dtype=np.float32) -> np.ndarray:
    """A list<float> or list<double> column (all lists of one length) as an (n, d) matrix."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    n = len(column)
    # a writable copy: Arrow's buffers are read-only, and torch warns on read-only arrays
    values = np.array(column.flatten().to_numpy(zero_copy_only=False), dtype=dtype)
    return values.reshape(n, -1) if n else values.reshape(0, 0)


def list_array(matrix: np.ndarray) -> pa.ListArray:
    """An (n, d) matrix as a list column of its own type, one list of d values per row."""
    from wavehouse.ml import variable_vectors

    return variable_vectors(matrix, dtype=None)


def map_rows_on_spark(spark, block: np.ndarray, fn, shared, folder: Path) -> np.ndarray:
    """fn(shared, rows) -> an (m, w) array, applied on Spark's executors to the rows of `block`
    (mapInArrow, a batch of rows at a time), with `shared` (the fitted models) broadcast once.
    Returns the (n, w) results in block's row order, as float64. The rows go out and come back
    as Parquet in `folder` (see the module's docstring), in about two files per core."""
    n = len(block)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "rows").mkdir(parents=True)
    block = np.ascontiguousarray(block)
    files = max(1, min(n, 2 * spark.sparkContext.defaultParallelism, -(-n // 10_000)))
    bounds = np.linspace(0, n, files + 1).astype(np.int64)
    for part, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        pq.write_table(
            pa.table({"row": pa.array(np.arange(lo, hi, dtype=np.int64)), "vector": list_array(block[lo:hi])}),
            folder / "rows" / f"part-{part:05d}.parquet",
        )
    state = spark.sparkContext.broadcast(shared)
    dtype = block.dtype

    def apply(batches):
        for batch in batches:
            rows = vectors_of(batch.column("vector"), dtype)
            out = np.asarray(fn(state.value, rows), dtype=np.float64).reshape(len(rows), -1)
            yield pa.RecordBatch.from_arrays([batch.column("row"), list_array(out)], names=["row", "out"])

    (
        spark.read.parquet(str(folder / "rows"))
        .mapInArrow(apply, "row long, out array<double>")
        .write.mode("overwrite")
        .parquet(str(folder / "out"))
    )
    found = pq.read_table(folder / "out").sort_by("row")
    if not np.array_equal(found.column("row").to_numpy(), np.arange(n)):
        raise RuntimeError(f"the Spark job in {folder} returned {found.num_rows} rows for {n}")
    return vectors_of(found.column("out"), np.float64)


def _score_block(n_weighted: int, head_output: str | None, states: dict, rows: np.ndarray) -> np.ndarray:
    from wavehouse.models_py.genre_head import score_networks

    return np.hstack(list(score_networks(states, rows[:, :n_weighted], rows[:, n_weighted:], head_output).values()))


def embed_on_spark(
    spark, states: dict, X: np.ndarray, features: np.ndarray, head_output: str | None, folder: Path
) -> dict[str, np.ndarray]:
    """models_py.genre_head.score_networks of every track, on Spark: the trained networks
    broadcast, X (weighted features, for the encoders) and the features (for the genre head)
    sent together. Returns {kind: (n, width) float32}, kinds in score_networks' order."""
    from functools import partial

    from wavehouse.models_py.genre_head import score_networks

    widths = {kind: v.shape[1] for kind, v in score_networks(states, X[:1], features[:1], head_output).items()}
    out = map_rows_on_spark(
        spark,
        np.hstack([X, features]).astype(np.float32),
        partial(_score_block, X.shape[1], head_output),
        states,
        folder,
    )
    ends = np.cumsum(list(widths.values()))
    return {kind: out[:, end - width : end].astype(np.float32) for (kind, width), end in zip(widths.items(), ends)}


def _assign_block(columns: dict, eps: float, models: dict, rows: np.ndarray) -> np.ndarray:
    from wavehouse.models_py.cluster import assign_stored

    return np.hstack(
        [np.column_stack(assign_stored(models[method], rows[:, lo:hi], eps)) for method, (lo, hi) in columns.items()]
    )


def assign_on_spark(
    spark, models: dict, methods: dict[str, str], spaces: dict[str, np.ndarray], eps: float, folder: Path
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """models_py.cluster.assign_stored of every track for every method ({method: its space}), on
    Spark: the fitted centroids and DBSCAN core samples broadcast, the spaces sent together.
    Returns {method: (cluster labels, sub-cluster labels)}, int32, in `methods` order."""
    from functools import partial

    names = list(spaces)
    ends = dict(zip(names, np.cumsum([spaces[name].shape[1] for name in names]).tolist()))
    columns = {method: (ends[space] - spaces[space].shape[1], ends[space]) for method, space in methods.items()}
    out = map_rows_on_spark(
        spark, np.hstack([spaces[name] for name in names]), partial(_assign_block, columns, eps), models, folder
    )
    return {
        method: (out[:, 2 * i].astype(np.int32), out[:, 2 * i + 1].astype(np.int32)) for i, method in enumerate(methods)
    }


def ivf_topk_distinct_on_spark(
    spark,
    E: np.ndarray,
    k: int,
    groups: np.ndarray,
    n_lists: int,
    n_probe: int,
    seed: int,
    folder: Path,
    partitions: int = 0,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Top-k lists of every row of E, one row per group and never its own, searched on Spark list
    by list (see the module's docstring). Returns (indices (n, k), similarities (n, k), facts:
    lists, candidate rows sent, partitions)."""
    from pyspark.sql import functions as F

    from wavehouse.models_py.neighbours import ivf_centroids, nearest_lists, normalise_rows, one_list_topk

    n = len(E)
    En = normalise_rows(E)
    C = ivf_centroids(En, n_lists, seed)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "row": pa.array(np.arange(n, dtype=np.int64)),
                "grp": pa.array(np.asarray(groups, dtype=np.int64)),
                "vector": list_array(En),
            }
        ),
        folder / "vectors.parquet",
        row_group_size=65_536,
    )
    centroids = spark.sparkContext.broadcast(C)
    probe = max(1, min(n_probe, len(C)))

    def assign(batches):
        for batch in batches:
            near = nearest_lists(vectors_of(batch.column("vector")), centroids.value, probe)
            yield pa.RecordBatch.from_arrays(
                [
                    batch.column("row"),
                    batch.column("grp"),
                    batch.column("vector"),
                    pa.array(near[:, 0]),
                    list_array(near),
                ],
                names=["row", "grp", "vector", "list", "probes"],
            )

    parts = partitions or max(2 * spark.sparkContext.defaultParallelism, len(C) // 16)
    spark.conf.set("spark.sql.shuffle.partitions", str(parts))
    assigned_path = str(folder / "assigned")
    (
        spark.read.parquet(str(folder / "vectors.parquet"))
        .mapInArrow(assign, "row long, grp long, vector array<float>, list long, probes array<long>")
        .write.mode("overwrite")
        .parquet(assigned_path)
    )
    assigned = spark.read.parquet(assigned_path)
    probed = (
        assigned.select(F.col("list").alias("query_list"), F.explode("probes").alias("list"))
        .union(assigned.select(F.col("list").alias("query_list"), F.col("list")))
        .distinct()
    )
    candidates = probed.join(assigned.select("row", "grp", "vector", "list"), "list")

    def search(table: pa.Table) -> pa.Table:
        import faiss

        faiss.omp_set_num_threads(1)  # one core per task: Spark runs a task per core
        query_list = int(table.column("query_list")[0].as_py())
        rows, idx, sim = one_list_topk(
            vectors_of(table.column("vector")),
            table.column("row").to_numpy(),
            table.column("grp").to_numpy(),
            table.column("list").to_numpy(),
            query_list,
            k,
        )
        width = idx.shape[1]
        return pa.table(
            {
                "row": pa.array(np.repeat(rows, width)),
                "rank": pa.array(np.tile(np.arange(width, dtype=np.int32), len(rows))),
                "neighbour": pa.array(idx.reshape(-1)),
                "similarity": pa.array(sim.reshape(-1).astype(np.float32)),
            }
        )

    lists_path = str(folder / "lists")
    (
        candidates.groupBy("query_list")
        .applyInArrow(search, "row long, rank int, neighbour long, similarity float")
        .write.mode("overwrite")
        .parquet(lists_path)
    )
    found = pq.read_table(lists_path).sort_by([("row", "ascending"), ("rank", "ascending")])
    idx = found.column("neighbour").to_numpy().reshape(n, k)
    sim = found.column("similarity").to_numpy().reshape(n, k)
    # how much was sent and compared, from the small tables (one row per list, per probed pair)
    sizes = dict(assigned.groupBy("list").count().collect())
    sent = compared = 0
    for query_list, lists in probed.groupBy("query_list").agg(F.collect_list("list")).collect():
        width = sum(sizes[probed_list] for probed_list in lists)
        sent += width
        compared += sizes[query_list] * width
    return (
        idx,
        sim,
        {
            "ivf_lists": len(C),
            "spark_partitions": parts,
            "spark_rows_sent": int(sent),
            "ivf_pairs_share": compared / float(n * n),
        },
    )

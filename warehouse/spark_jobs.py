"""The ML stages that `wavehouse build --engine spark` runs as Spark jobs, calling the same
models_py functions as the DuckDB build.

Neighbours (`ivf_topk_distinct_on_spark`): the driver fits the IVF list centroids on a bounded
sample (models_py.neighbours.ivf_centroids) and broadcasts them; executors assign every track to
its list and its `n_probe` nearest lists (mapInArrow, nearest_lists); a list's probe set is the
union of its members' (as in models_py.neighbours.ivf_topk); each track's vector is sent to every
list that probes its own, and each list's members are searched among those candidates
(groupBy(list).applyInArrow, one_list_topk: exact within the probed lists, one id per song). No
executor holds more than the lists one list probes; the catalogue is exchanged as Parquet in a
folder that the driver and every executor see at the same file path (var spark_output; on a
cluster a shared mount such as NFS: the driver writes and reads it with pyarrow)."""

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

    return (SparkSession.builder.master(master).appName("wavehouse")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            .getOrCreate())


def vectors_of(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A list<float> column (all lists of one length) as an (n, d) float32 matrix."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    n = len(column)
    # a writable copy: Arrow's buffers are read-only, and torch warns on read-only arrays
    values = np.array(column.flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
    return values.reshape(n, -1) if n else values.reshape(0, 0)


def ivf_topk_distinct_on_spark(spark, E: np.ndarray, k: int, groups: np.ndarray, n_lists: int, n_probe: int,
                               seed: int, folder: Path, partitions: int = 0) -> tuple[np.ndarray, np.ndarray, dict]:
    """Top-k lists of every row of E, one row per group and never its own, searched on Spark list
    by list (see the module's docstring). Returns (indices (n, k), similarities (n, k), facts:
    lists, candidate rows sent, partitions)."""
    from pyspark.sql import functions as F

    from wavehouse.models_py.neighbours import ivf_centroids, nearest_lists, normalise_rows, one_list_topk

    n, d = E.shape
    En = normalise_rows(E)
    C = ivf_centroids(En, n_lists, seed)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pq.write_table(pa.table({
        "row": pa.array(np.arange(n, dtype=np.int64)),
        "grp": pa.array(np.asarray(groups, dtype=np.int64)),
        "vector": pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32) * d), pa.array(En.reshape(-1))),
    }), folder / "vectors.parquet", row_group_size=65_536)
    centroids = spark.sparkContext.broadcast(C)
    probe = max(1, min(n_probe, len(C)))

    def assign(batches):
        for batch in batches:
            near = nearest_lists(vectors_of(batch.column("vector")), centroids.value, probe)
            yield pa.RecordBatch.from_arrays(
                [batch.column("row"), batch.column("grp"), batch.column("vector"), pa.array(near[:, 0]),
                 pa.ListArray.from_arrays(pa.array(np.arange(len(near) + 1, dtype=np.int32) * probe), pa.array(near.reshape(-1)))],
                names=["row", "grp", "vector", "list", "probes"])

    parts = partitions or max(2 * spark.sparkContext.defaultParallelism, len(C) // 16)
    spark.conf.set("spark.sql.shuffle.partitions", str(parts))
    assigned_path = str(folder / "assigned")
    (spark.read.parquet(str(folder / "vectors.parquet"))
     .mapInArrow(assign, "row long, grp long, vector array<float>, list long, probes array<long>")
     .write.mode("overwrite").parquet(assigned_path))
    assigned = spark.read.parquet(assigned_path)
    probed = (assigned.select(F.col("list").alias("query_list"), F.explode("probes").alias("list"))
              .union(assigned.select(F.col("list").alias("query_list"), F.col("list"))).distinct())
    candidates = probed.join(assigned.select("row", "grp", "vector", "list"), "list")

    def search(table: pa.Table) -> pa.Table:
        import faiss

        faiss.omp_set_num_threads(1)      # one core per task: Spark runs a task per core
        query_list = int(table.column("query_list")[0].as_py())
        rows, idx, sim = one_list_topk(vectors_of(table.column("vector")), table.column("row").to_numpy(),
                                       table.column("grp").to_numpy(), table.column("list").to_numpy(), query_list, k)
        width = idx.shape[1]
        return pa.table({"row": pa.array(np.repeat(rows, width)),
                         "rank": pa.array(np.tile(np.arange(width, dtype=np.int32), len(rows))),
                         "neighbour": pa.array(idx.reshape(-1)),
                         "similarity": pa.array(sim.reshape(-1).astype(np.float32))})

    lists_path = str(folder / "lists")
    (candidates.groupBy("query_list")
     .applyInArrow(search, "row long, rank int, neighbour long, similarity float")
     .write.mode("overwrite").parquet(lists_path))
    found = pq.read_table(lists_path).sort_by([("row", "ascending"), ("rank", "ascending")])
    idx = found.column("neighbour").to_numpy().reshape(n, k)
    sim = found.column("similarity").to_numpy().reshape(n, k)
    # how much was sent and compared, from the small tables (one row per list, per probed pair)
    sizes = dict(assigned.groupBy("list").count().collect())
    sent = compared = 0
    for query_list, lists in probed.groupBy("query_list").agg(F.collect_list("list")).collect():
        width = sum(sizes[l] for l in lists)
        sent += width
        compared += sizes[query_list] * width
    return idx, sim, {"ivf_lists": len(C), "spark_partitions": parts, "spark_rows_sent": int(sent),
                      "ivf_pairs_share": compared / float(n * n)}

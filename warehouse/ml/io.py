"""Glue between the thin dbt Python models and models_py: Arrow in and out, config, stage log.

Every ML stage appends one row to `ml_stage_log` (created by the on-run-start hook) with its seconds,
parameters and metrics; the SQL model `ml_runs` folds those rows into one row per build.
"""

from __future__ import annotations

import ast
import json
import math
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

# The 15 features in feature_columns() order (dbt_project/macros/features.sql); a catalogue's
# vectors hold the available ones (feature_scaling.is_available) in this order.


def log(message: str) -> None:
    """A line in dbt's own log (console and logs/dbt.log)."""
    from dbt.adapters.events.logging import AdapterLogger

    AdapterLogger("wavehouse").info(message)


def progress_of(stage: str):
    """A progress callback (done, total, detail='') for a stage that knows its size; the build's
    console (progress.BuildProgress) draws it as a bar."""

    def report(done: int, total: int, detail: str = "") -> None:
        log(f"progress {stage} {int(done)}/{int(total)} {detail}".rstrip())

    return report


def table(relation) -> pa.Table:
    """A dbt ref (a DuckDB relation) as an Arrow table."""
    return relation.to_arrow_table()


def matrix(tbl: pa.Table, column: str) -> np.ndarray:
    """A FLOAT[N] column, or a FLOAT[] column whose lists all have one length, as an (n, N)
    float32 array."""
    col = tbl.column(column).combine_chunks()
    if pa.types.is_fixed_size_list(col.type):
        width = col.type.list_size
    else:
        lengths = np.unique(pa.compute.list_value_length(col).to_numpy(zero_copy_only=False))
        if len(lengths) > 1:
            raise ValueError(f"{column}: vectors of different lengths {lengths.tolist()}")
        width = int(lengths[0]) if len(lengths) else 0
        flat = pa.compute.list_flatten(col)
        return flat.to_numpy(zero_copy_only=False).reshape(-1, width).astype(np.float32, copy=False)
    return col.values.to_numpy(zero_copy_only=False).reshape(-1, width).astype(np.float32, copy=False)


def vectors(values: np.ndarray) -> pa.FixedSizeListArray:
    """(n, N) floats as an Arrow FixedSizeList (lands in DuckDB as FLOAT[N])."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])


def variable_vectors(values: np.ndarray, dtype=np.float32) -> pa.ListArray:
    """(n, N) values as an Arrow list array (floats land in DuckDB as FLOAT[], so kinds of
    different widths share a column); dtype=None keeps the values' own type."""
    values = np.ascontiguousarray(values, dtype=dtype)
    n, width = values.shape
    offsets = pa.array(np.arange(0, (n + 1) * width, width, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(values.reshape(-1)))


def config(**values: Any) -> dict[str, Any]:
    """Parameters of a Python model, passed as `name=(dbt.config.get("name"), type)`. dbt fills a
    Python model's config only with keys it finds as literal dbt.config.get("...") calls in the model
    file, so each model spells them out; the defaults live in one place, the vars of dbt_project.yml.
    A `Path` parameter arrives as the real path's text (symlinks resolved)."""
    out = {}
    for name, (raw, kind) in values.items():
        if raw is None or raw == "":
            raise ValueError(f"config {name!r} is not set: give the model `{name}` in its YAML config")
        if kind is bool:
            out[name] = str(raw).lower() in ("true", "1", "yes")
        elif kind is Path:
            # a folder under WAVEHOUSE_HOME, which dbt knows by an alias (dbt_home): the real path
            out[name] = os.path.realpath(raw)
        elif kind in (list, dict):
            # a var rendered into YAML arrives as its Python repr ([{'smote': True}]): a literal
            out[name] = raw if isinstance(raw, kind) else ast.literal_eval(str(raw))
        else:
            out[name] = kind(raw)
    return out


def clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def record_stage(session, stage: str, seconds: float, params: dict | None = None, metrics: dict | None = None) -> None:
    session.execute("delete from ml_stage_log where stage = ?", [stage])
    session.execute(
        "insert into ml_stage_log (stage, recorded_at, seconds, params, metrics) values (?, now(), ?, ?, ?)",
        [stage, round(seconds, 3), json.dumps(clean(params or {})), json.dumps(clean(metrics or {}))],
    )


def add_to_stage(session, stage: str, seconds: float, metrics: dict) -> None:
    """More metrics (and their seconds) for a stage already recorded."""
    session.execute(
        "update ml_stage_log set seconds = seconds + ?, metrics = json_merge_patch(metrics, ?::json) where stage = ?",
        [round(seconds, 3), json.dumps(clean(metrics)), stage],
    )


@contextmanager
def stage(session, name: str, params: dict | None = None) -> Iterator[dict]:
    """Time a stage; the caller fills the yielded dict with metrics."""
    metrics: dict = {}
    started = time.perf_counter()
    log(f"{name}: started")
    yield metrics
    seconds = time.perf_counter() - started
    metrics["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    record_stage(session, name, seconds, params, metrics)
    log(f"{name}: done in {seconds:.1f}s")


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    names = [
        "duckdb",
        "dbt-core",
        "dbt-duckdb",
        "numpy",
        "pyarrow",
        "scikit-learn",
        "imbalanced-learn",
        "torch",
        "shap",
        "openTSNE",
        "faiss-cpu",
    ]
    return {name: version(name) for name in names}


def clustering_spaces(inputs_rel, pca_rel, embeddings_rel) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """The inputs (track_id order) and the three spaces KMeans runs in, rows aligned with them:
    scaled features, PCA, and the cluster-space embedding (genre_aware, or autoencoder without genres). (The models pass their refs in:
    dbt finds a Python model's dependencies only in the model file itself.)"""
    inputs = table(inputs_rel.order("track_id"))
    pca = table(pca_rel.order("track_id"))
    emb = table(embeddings_rel.filter("is_cluster_space").order("track_id"))
    for other in (pca, emb):
        if not other.column("track_id").equals(inputs.column("track_id")):
            raise ValueError("ML inputs are not aligned by track_id")
    return inputs, {
        "features": matrix(inputs, "features"),
        "pca": matrix(pca, "pca"),
        "embedding": matrix(emb, "embedding"),
    }


def genre_labels(inputs: pa.Table) -> np.ndarray | None:
    """Integer genre per row (-1 where a track has none), or None when the catalogue has no genres."""
    column = inputs.column("genre_id")
    if column.null_count == len(column):
        return None
    return np.asarray(column.fill_null(-1).to_numpy(), dtype=np.int64)


def available_features(scaling_rel) -> list[str]:
    """The features in the `features` vectors, in their order (feature_scaling.is_available)."""
    rows = table(scaling_rel.filter("is_available").order("feature_position").select("feature"))
    return rows.column("feature").to_pylist()


def sample_rows(inputs: pa.Table, size: int, seed: int) -> np.ndarray:
    """A fixed sample stratified by the training split's genres (uniform when the catalogue has no
    genres). Held-out tracks are one group of their own, so their labels never decide which tracks
    a model is fitted on."""
    from wavehouse.models_py.sampling import stratified_sample

    labels = genre_labels(inputs)
    if labels is None:
        return stratified_sample(np.zeros(inputs.num_rows, np.int64), size, seed)
    holdout = inputs.column("is_holdout").to_numpy(zero_copy_only=False)
    return stratified_sample(np.where(holdout, -2, labels), size, seed)


# --- incremental builds: the build plan, the previous warehouse (attached as `previous`), stored models

"""What an incremental build reuses from the published warehouse (attached as `previous`): the build
plan, the previous tables' rows of unchanged tracks, the trained models (ml_models), the stages'
metrics, and the neighbour lists to update."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from .io import clean, matrix, table


# The 15 features in feature_columns() order (dbt_project/macros/features.sql); a catalogue's
# vectors hold the available ones (feature_scaling.is_available) in this order.
def build_plan(plan_rel) -> dict[str, Any]:
    """ml_build_plan's one row: mode ('full' | 'incremental'), reason, counts, run_id."""
    return table(plan_rel).to_pylist()[0]


def is_incremental(plan_rel) -> bool:
    return build_plan(plan_rel)["mode"] == "incremental"


def previous(session, name: str) -> pa.Table:
    """A table of the previous (published) warehouse (`name`: one of our model names, never input)."""
    if not name.isidentifier():
        raise ValueError(f"not a table name: {name!r}")
    return session.sql(f"select * from previous.main.{name}").to_arrow_table()


def rows_in(ids: pa.Array, other_ids: pa.Array) -> np.ndarray:
    """For each id, its row in other_ids (-1 where absent)."""
    found = pa.compute.index_in(ids, value_set=other_ids)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def to_compute(changes_rel, ids: pa.Array) -> np.ndarray:
    """Whether each track (ids, this build's) is new or changed since the previous build
    (int_track_changes): the rows an incremental build computes; the others are reused."""
    changes = table(changes_rel.filter("change in ('added', 'changed')").select("track_id"))
    return rows_in(ids, changes.column("track_id").combine_chunks()) >= 0


def reused_from_previous(previous_table: pa.Table, ids: pa.Array, compute: np.ndarray) -> pa.Table:
    """The previous build's rows of the tracks that are not recomputed, in `ids` order."""
    keep = ids.filter(pa.array(~compute))
    at = rows_in(keep, previous_table.column("track_id").combine_chunks())
    if (at < 0).any():
        raise ValueError("the previous warehouse lacks rows of unchanged tracks; run wavehouse build --full-refresh")
    return previous_table.take(pa.array(at))


def with_previous_rows(session, name: str, computed: pa.Table, ids: pa.Array, compute: np.ndarray):
    """The rows an incremental build computed (`computed`) and the previous build's rows of `name`
    for every track it did not (`compute` false, tracks in `ids` order), as one DuckDB temporary
    table; the previous rows are copied inside DuckDB (at 1M tracks the embeddings are about 1 GB,
    which went through Python twice before)."""
    if not name.isidentifier():
        raise ValueError(f"not a table name: {name!r}")
    temp = f"wh_{name}"
    session.register("wh_kept_ids", pa.table({"track_id": ids.filter(pa.array(~np.asarray(compute, dtype=bool)))}))
    session.register("wh_computed_rows", computed)
    try:
        missing = session.execute(f"""select count(*) from wh_kept_ids as k
                                       anti join previous.main.{name} as p on p.track_id = k.track_id""").fetchone()[0]
        if missing:
            raise ValueError(
                "the previous warehouse lacks rows of unchanged tracks; run wavehouse build --full-refresh"
            )
        session.execute(f"create or replace temp table {temp} as select * from previous.main.{name} limit 0")
        session.execute(f"insert into {temp} by name select * from wh_computed_rows")
        session.execute(f"""insert into {temp} select p.* from previous.main.{name} as p
                            semi join wh_kept_ids as k on k.track_id = p.track_id""")
    finally:
        session.unregister("wh_kept_ids")
        session.unregister("wh_computed_rows")
    return session.table(temp)


def training_hash(*arrays: np.ndarray) -> str:
    """A hash of a model's training data (what it was fitted on)."""
    import hashlib

    digest = hashlib.sha256()
    for a in arrays:
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()[:32]


def save_model(
    session,
    name: str,
    arrays: dict[str, np.ndarray],
    params: dict,
    run_id: str,
    training_rows: int = 0,
    data_hash: str = "",
) -> None:
    """Store a trained model (its arrays as .npz bytes, its parameters as JSON) in ml_model_store."""
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
    session.execute("delete from ml_model_store where model = ?", [name])
    session.execute(
        "insert into ml_model_store values (?, ?, ?, ?, ?, ?, now())",
        [name, buffer.getvalue(), json.dumps(clean(params)), int(training_rows), data_hash, run_id],
    )


def load_model(session, name: str) -> tuple[dict[str, np.ndarray], dict]:
    """A model stored by the previous build (previous.ml_models), and store it again in this one."""
    import io

    rows = session.execute("select artefact, params from previous.main.ml_models where model = ?", [name]).fetchall()
    if not rows:
        raise ValueError(
            f"wavehouse: the published warehouse has no stored model {name!r}; run `wavehouse build --full-refresh`"
        )
    session.execute("delete from ml_model_store where model = ?", [name])
    session.execute(
        "insert into ml_model_store select model, artefact, params, training_rows, training_hash, "
        "trained_run_id, trained_at from previous.main.ml_models where model = ?",
        [name],
    )
    with np.load(io.BytesIO(rows[0][0]), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return arrays, json.loads(rows[0][1])


def reuse_stages(session, names: list[str]) -> None:
    """The previous build's ml_stage_log rows of stages an incremental build does not rerun (their
    models are reused): kept with their parameters and metrics, 0 seconds, metrics.reused = true."""
    for name in names:
        session.execute("delete from ml_stage_log where stage = ?", [name])
        session.execute(
            """insert into ml_stage_log
                           select stage, now(), 0, params, json_merge_patch(metrics, '{"reused": true}')
                           from previous.main.ml_stage_log where stage = ?""",
            [name],
        )


def previous_stage_metric(session, stage: str, metric: str):
    """One metric of a stage of the previous build's ml_stage_log (None when it has none)."""
    rows = session.execute(
        "select metrics ->> ? from previous.main.ml_stage_log where stage = ?", [metric, stage]
    ).fetchall()
    return rows[0][0] if rows else None


def previous_has(session, name: str) -> bool:
    """Whether the previous (published) warehouse has the table `name`."""
    return (
        session.execute(
            """select count(*) from duckdb_tables()
                              where database_name = 'previous' and schema_name = 'main' and table_name = ?""",
            [name],
        ).fetchall()[0][0]
        > 0
    )


LIST_TABLES = ("ml_track_neighbours", "ml_recall_lists")


def previous_neighbour_lists(
    session, kind: str, ids: pa.Array, gone: np.ndarray, k: int, table: str = "ml_track_neighbours"
) -> tuple[np.ndarray, np.ndarray]:
    """The previous build's neighbour lists of one embedding kind (in `table`, one of LIST_TABLES)
    as rows of this build: (n, k) neighbour rows and similarities, a -1 for a neighbour that is gone
    (deleted, or `gone`: its vector changed) and a row of -1 for a track that had no list. Joined
    in DuckDB, so the previous table's ids are never loaded into Python."""
    if table not in LIST_TABLES:
        raise ValueError(f"not a table of neighbour lists: {table!r}")
    rows = pa.table(
        {
            "track_id": ids,
            "row_number": pa.array(np.arange(len(ids), dtype=np.int32)),
            "is_gone": pa.array(np.asarray(gone, dtype=bool)),
        }
    )
    idx = np.full((len(ids), k), -1, dtype=np.int64)
    sim = np.full((len(ids), k), -np.inf, dtype=np.float32)
    session.register("wh_build_rows", rows)
    try:  # in batches: at 1M tracks the whole result (20M rows) held about 1 GB more at once
        found = session.sql(
            f"""
            select q.row_number as query_row, (p.neighbour_rank - 1)::integer as at,
                   case when c.row_number is null or c.is_gone then -1 else c.row_number end as neighbour_row,
                   p.similarity::float as similarity
            from previous.main.{table} as p
            inner join wh_build_rows as q on q.track_id = p.track_id
            left join wh_build_rows as c on c.track_id = p.neighbour_track_id
            where p.embedding_kind = ? and p.neighbour_rank <= ?
        """,
            params=[kind, k],
        ).to_arrow_reader(1 << 20)  # a relation's reader streams (an execute's copies)
        for batch in found:
            q, r = batch.column(0).to_numpy(), batch.column(1).to_numpy()
            idx[q, r] = batch.column(2).to_numpy()
            sim[q, r] = batch.column(3).to_numpy()
    finally:
        session.unregister("wh_build_rows")
    return idx, sim


def store_recall_lists(
    session, kind: str, ids: pa.Array, queries: np.ndarray, idx: np.ndarray, sim: np.ndarray
) -> None:
    """The exact lists of the recall sample of one embedding kind (queries: rows of ids; idx, sim:
    their lists, padded with -1) into ml_recall_store, which the model ml_recall_lists publishes."""
    keep = idx >= 0
    rows = np.broadcast_to(np.asarray(queries, dtype=np.int64)[:, None], idx.shape)[keep]
    ranks = np.broadcast_to(np.arange(1, idx.shape[1] + 1, dtype=np.int32), idx.shape)[keep]
    part = pa.table(
        {
            "embedding_kind": pa.array([kind] * len(rows), pa.string()),
            "track_id": ids.take(pa.array(rows)),
            "neighbour_rank": pa.array(ranks),
            "neighbour_track_id": ids.take(pa.array(idx[keep])),
            "similarity": pa.array(sim[keep], pa.float32()),
        }
    )
    session.execute("delete from ml_recall_store where embedding_kind = ?", [kind])
    session.register("wh_recall_part", part)
    try:
        session.execute("insert into ml_recall_store by name select * from wh_recall_part")
    finally:
        session.unregister("wh_recall_part")


def previous_first_of_each_name(session) -> pa.Array:
    """The previous build's seed-protocol set (ml_track_neighbours): the track ids of the first
    track, by id, of each name."""
    from wavehouse.models_py.sampling import first_of_each_name

    before = session.sql("""select track_id, coalesce(track_name, '') as track_name
                            from previous.main.int_tracks_deduped order by track_id""").to_arrow_table()
    first = first_of_each_name(before.column("track_name").to_numpy(zero_copy_only=False))
    return before.column("track_id").combine_chunks().take(pa.array(first))


def moved_rows(session, changes_rel, kind: str, ids: pa.Array, E: np.ndarray) -> np.ndarray:
    """The rows whose place in the neighbour lists of one embedding kind may differ from the
    previous build's: new tracks, and changed tracks whose song or vector (compared exactly with the
    previous build's) differs. A track changed in a column this embedding does not read (e.g. its
    primary genre, for the audio embedding) keeps its lists and its place in others'."""
    changes = table(changes_rel.filter("change in ('added', 'changed')").select("track_id, change, is_song_changed"))
    at = rows_in(changes.column("track_id").combine_chunks(), ids)
    added = changes.column("change").to_numpy(zero_copy_only=False) == "added"
    song_changed = changes.column("is_song_changed").to_numpy(zero_copy_only=False)
    moved = np.zeros(len(ids), dtype=bool)
    moved[at[added | song_changed]] = True
    changed = at[~added & ~song_changed]
    if len(changed):
        before = session.sql(
            """select track_id, embedding from previous.main.ml_track_embeddings
                                where embedding_kind = ? and track_id in (select unnest(?::varchar[]))""",
            params=[kind, ids.take(pa.array(changed)).to_pylist()],
        ).to_arrow_table()
        same = np.zeros(len(ids), dtype=bool)
        if before.num_rows:
            rows = rows_in(before.column("track_id").combine_chunks(), ids)
            old = matrix(before, "embedding")
            if old.shape[1] == E.shape[1]:
                same[rows] = (old == E[rows]).all(axis=1)
        moved[changed] = ~same[changed]
    return moved

"""Neighbour lists for ml_track_neighbours: which method makes an embedding's lists, and where they go.

Contracts:
- `NeighbourLists.search(kind, stage_name, E, m)` returns (idx, sim), each (N, k), the top-k
  neighbours of every track by cosine, no song twice and never the track's own song: an
  incremental build updates the previous build's lists (models_py.neighbours.update_lists: exact
  merge, lists that lost a neighbour searched again; by the IVF at the full build's probes when
  `neighbour_method` is ivf); otherwise `exact` (default), `ivf` (an IVF, ListScan, probes tuned to
  `ivf_min_recall` on the recall sample, centroids stored as the model `ivf_<kind>`) or `spark_ivf`
  (`--engine spark`). Approximate lists record `ivf_recall_at_10` against the exact lists of the
  recall sample, which are stored in ml_recall_lists.
- `NeighbourLists.evaluation(G, sound, sound_moved, track_names, holdout, m)` writes the lists that
  only serve evaluation: the cluster space's (genre_aware) top-10 of held-out queries, and seed
  001's protocol (first track of each name, neighbours among those, no song exclusion).
- `write` puts lists into the temporary table `wh_neighbour_lists` as soon as they are made, so
  the process holds one embedding's lists at a time.
"""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..models_py.neighbours import (
    exact_topk,
    exact_topk_distinct,
    ivf_centroids,
    ivf_sample,
    ivf_searcher,
    ivf_topk_tuned,
    normalise_rows,
    recall_at,
    update_lists,
)
from ..models_py.sampling import first_of_each_name, keyed_sample
from . import io, reuse

METHODS = ("exact", "ivf", "spark_ivf")
PART_ROWS = 65_536  # lists per insert: one embedding's rows as Arrow strings held ~1 GB at 1M tracks


class NeighbourLists:
    """One build's neighbour lists. `p` is the model's config (ml.config), `ids` the tracks' ids in
    the order of every matrix, `songs` their song numbers, `changes` int_track_changes."""

    def __init__(self, session, p, ids, songs, incremental, changes, run_id):
        if p["neighbour_method"] not in METHODS:
            raise ValueError(f"neighbour_method must be exact, ivf or spark_ivf, not {p['neighbour_method']!r}")
        self.session, self.p, self.ids, self.songs = session, p, ids, songs
        self.incremental, self.changes, self.run_id = incremental, changes, run_id
        self.memory = p["neighbour_memory_mb"]
        # --engine spark: the evaluation lists run on the driver, so 0 (every query) means at most
        # train_sample queries there (all of them below it, as on DuckDB)
        self.cap = p["eval_max_queries"] or (p["train_sample"] if p["engine"] == "spark" else 0)
        approximate = p["neighbour_method"] != "exact"
        self.keys = ids.to_pylist() if self.cap or approximate else None  # samples are keyed by track id
        # keyed by track id, the recall sample keeps its members as the catalogue grows, so an
        # incremental build updates its exact lists instead of searching them again
        self.recall_rows = (
            keyed_sample(self.keys, np.arange(len(ids)), p["recall_sample"], p["seed"]) if approximate else None
        )
        session.execute("""create or replace temp table wh_neighbour_lists (track_id varchar,
                           embedding_kind varchar, is_default boolean, neighbour_rank integer,
                           neighbour_track_id varchar, similarity float)""")

    def write(self, kind, query_rows, idx, sim, is_default=False):
        """Append the lists of `query_rows` (row numbers) to wh_neighbour_lists."""
        k = idx.shape[1]
        for start in range(0, len(query_rows), PART_ROWS):
            part_rows = slice(start, start + PART_ROWS)
            rows = np.asarray(query_rows)[part_rows]
            n = len(rows) * k
            part = pa.table(
                {
                    "track_id": self.ids.take(pa.array(np.repeat(rows, k))),
                    "embedding_kind": pa.repeat(pa.scalar(kind), n),
                    "is_default": pa.repeat(pa.scalar(is_default), n),
                    "neighbour_rank": pa.array(np.tile(np.arange(1, k + 1, dtype=np.int32), len(rows))),
                    "neighbour_track_id": self.ids.take(pa.array(idx[part_rows].reshape(-1))),
                    "similarity": pa.array(sim[part_rows].reshape(-1), pa.float32()),
                }
            )
            self.session.register("wh_neighbour_part", part)
            self.session.execute("insert into wh_neighbour_lists select * from wh_neighbour_part")
            self.session.unregister("wh_neighbour_part")

    def _exact_sample(self, E, kind, m, moved=None):
        """The exact lists of the recall sample (stored in ml_recall_lists): an incremental build's
        are the previous build's, updated as every list is; otherwise searched."""
        k, session = self.p["neighbours_k"], self.session
        if self.incremental and reuse.previous_has(session, "ml_recall_lists"):
            old_idx, old_sim = reuse.previous_neighbour_lists(
                session, kind, self.ids, moved, k, table="ml_recall_lists"
            )
            idx, sim, counts = update_lists(
                E, k, self.songs, old_idx, old_sim, moved, self.memory, queries=self.recall_rows
            )
            m.update({f"recall_{name}": n for name, n in counts.items() if name != "fresh_rows"})
        else:
            idx, sim = exact_topk_distinct(E, k, self.songs, self.memory, queries=self.recall_rows)
        reuse.store_recall_lists(session, kind, self.ids, self.recall_rows, idx, sim)
        return idx, sim

    def _recall(self, E, idx, sim, kind, m, moved=None):
        """Recall@10 of approximate lists against the exact ones of the recall sample's queries."""
        exact_idx, exact_sim = self._exact_sample(E, kind, m, moved)
        rows = self.recall_rows
        return recall_at(idx[rows], exact_idx, 10, sim[rows], exact_sim)

    def moved(self, kind, E):
        """Rows whose vector or song moved since the previous build (None in a full build)."""
        return reuse.moved_rows(self.session, self.changes, kind, self.ids, E) if self.incremental else None

    def search(self, kind, stage_name, E, m, moved=None):
        """Every track's top-k in embedding E (module docstring); facts go to the stage log `m`."""
        p, k = self.p, self.p["neighbours_k"]
        if self.incremental:
            return self._update(kind, stage_name, E, m, moved)
        if p["neighbour_method"] == "exact":
            return exact_topk_distinct(E, k, self.songs, self.memory, progress=io.progress_of(stage_name))
        if p["neighbour_method"] == "spark_ivf":
            from ..spark.jobs import ivf_topk_distinct_on_spark, spark_session

            idx, sim, facts = ivf_topk_distinct_on_spark(
                spark_session(p["spark_master"]),
                E,
                k,
                self.songs,
                p["ivf_lists"],
                p["ivf_probe"],
                p["seed"],
                Path(p["spark_output"]) / f"neighbours_{kind}",
            )
            m.update(facts)
            m.update(ivf_recall_at_10=self._recall(E, idx, sim, kind, m))
            return idx, sim
        # the IVF (ListScan), probing as many lists as reach ivf_min_recall on the recall sample; its
        # centroids are stored, so an incremental build searches and merges on the same lists
        centroids = ivf_centroids(normalise_rows(E), p["ivf_lists"], p["seed"])
        fitted_on = ivf_sample(len(E), p["ivf_lists"], p["seed"])[1]
        reuse.save_model(
            self.session,
            f"ivf_{kind}",
            {"centroids": centroids},
            {"embedding_kind": kind, "ivf_lists": len(centroids), "seed": p["seed"]},
            self.run_id,
            len(fitted_on),
            reuse.training_hash(E[fitted_on]),
        )
        idx, sim, facts = ivf_topk_tuned(
            E,
            k,
            self.songs,
            self.recall_rows,
            p["ivf_lists"],
            p["ivf_probe"],
            p["ivf_min_recall"],
            p["seed"],
            self.memory,
            centroids,
            exact=self._exact_sample(E, kind, m),
        )
        m.update(facts)
        return idx, sim

    def _update(self, kind, stage_name, E, m, moved):
        """An incremental build's lists: the previous build's, updated (module docstring)."""
        p, session = self.p, self.session
        old_idx, old_sim = reuse.previous_neighbour_lists(session, kind, self.ids, moved, p["neighbours_k"])
        search = None
        if p["neighbour_method"] == "ivf":  # lists searched again: by the IVF, at the full build's probes
            probe = int(reuse.previous_stage_metric(session, stage_name, "ivf_probe_used") or p["ivf_probe"])
            try:  # on the full build's centroids
                centroids = reuse.load_model(session, f"ivf_{kind}")[0]["centroids"]
            except ValueError:  # a warehouse from before they were stored: fitted anew
                centroids = None
            search = ivf_searcher(E, p["ivf_lists"], p["seed"], probe, centroids)
            m.update(ivf_probe_used=probe)
        idx, sim, counts = update_lists(
            E, p["neighbours_k"], self.songs, old_idx, old_sim, moved, self.memory, search=search
        )
        m.update(counts)
        del old_idx, old_sim
        if search:  # the IVF index is let go before the exact lists of the recall sample
            search = None
            m.update(ivf_recall_at_10=self._recall(E, idx, sim, kind, m, moved))
        return idx, sim

    def _capped(self, rows):
        # 0 = every query; else a fixed sample keyed by track id, which keeps its members when the
        # catalogue grows, so an incremental build can reuse their lists
        return keyed_sample(self.keys, rows, self.cap, self.p["seed"]) if self.cap else rows

    def _exact_or_updated(self, kind, X, k, songs, queries, fresh, query_ids, m):
        """Exact top-k of `queries` in X; in an incremental build, the previous lists updated."""
        if not self.incremental:
            return None
        old_idx, old_sim = reuse.previous_neighbour_lists(self.session, kind, query_ids, fresh, k)
        idx, sim, counts = update_lists(X, k, songs, old_idx, old_sim, fresh, self.memory, queries=queries)
        m.update({f"{kind}_{name}": n for name, n in counts.items()})
        return idx, sim

    def evaluation(self, G, sound, sound_moved, track_names, holdout, m):
        """The evaluation-only lists (module docstring): G is the cluster space, `sound` the
        embedding of sound alone, `track_names` every track's name (None allowed)."""
        # the cluster space is not offered for recommendations: its lists exist for the held-out
        # queries only, to compare it in rpt_evaluation_by_embedding
        queries = self._capped(holdout)
        fresh = self.moved("genre_aware", G)
        lists = self._exact_or_updated("genre_aware", G, 10, self.songs, queries, fresh, self.ids, m)
        if lists is None:
            lists = exact_topk_distinct(
                G, 10, self.songs, self.memory, queries=queries, progress=io.progress_of("neighbours_evaluation")
            )
        self.write("genre_aware", queries, *lists)
        # seed 001: first track of each name, neighbours among those only, no song exclusion
        first = first_of_each_name(pc.fill_null(track_names, "").to_numpy(zero_copy_only=False))
        queries = self._capped(first)
        S, at, k = sound[first], np.searchsorted(first, queries), min(10, len(first) - 1)
        fresh = first_ids = None
        if self.incremental:  # a track new to the set (new, or now its name's first) is fresh
            first_ids = self.ids.take(pa.array(first))
            was_first = pc.is_in(first_ids, value_set=reuse.previous_first_of_each_name(self.session))
            fresh = sound_moved[first] | ~was_first.to_numpy(zero_copy_only=False)
        lists = self._exact_or_updated("seed_protocol", S, k, np.arange(len(first)), at, fresh, first_ids, m)
        if lists is None:
            lists = exact_topk(S, 10, None, self.memory, queries=at)
        idx, sim = lists
        self.write("seed_protocol", queries, first[idx], sim)
        m.update(seed_protocol_tracks=len(first), heldout_queries=len(holdout))

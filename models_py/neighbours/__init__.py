"""Top-k cosine neighbours of every row, exact or through a cluster index (IVF), with bounded
memory. Exact: BoundedExact (k-means lists whose cones rule out most pairs, a GEMM per list) on
catalogues of 20,000 rows or more, else a faiss flat inner-product index (BLAS GEMM + heap
selection), each query asking for k plus its group's size. IVF: an inverted-file index over
k-means lists (ListScan: the queries that probe a list scored against it by one matrix product),
each query probing its nearest lists; on Spark, each list's queries searched exactly among the
lists they probe (one_list_topk).

Rows of the same group as the query (the query itself and other releases of the same song) are
never returned: they are dropped from wider lists, which are refilled (distinct_lists).

    core         normalised rows, order, groups, k-means lists, recall
    exact        exact_topk: BoundedExact or a faiss flat index
    bounded      BoundedExact
    distinct     one row per song, refilled
    scan         ListScan: an IVF searched by matrix products, a group's copies reduced to its best
    ivf          the IVF tuned to a recall; one list's share on Spark
    incremental  lists kept exact as tracks come and go"""

from .bounded import (
    ANGLE_SLACK,
    BOUND_SLACK,
    BOUNDED_MAX_WIDTH,
    BOUNDED_MIN_CANDIDATES,
    BOUNDED_MIN_ROWS,
    BOUNDS_PER_CHUNK,
    BoundedExact,
    use_bounded,
)
from .core import (
    first_of_each_group,
    group_sizes_of,
    ivf_centroids,
    ivf_sample,
    nearest_lists,
    normalise_rows,
    recall_at,
)
from .distinct import DISTINCT_CHUNK_ROWS, EXACT_FIRST_WIDTH_FACTOR, distinct_lists, exact_topk_distinct
from .exact import FLAT_BLAS_TILES, FLAT_QUERY_BLOCK, exact_topk, flat_topk
from .incremental import merge_lists, topk_above, topk_among, update_lists
from .ivf import IVFSearch, ivf_index, ivf_searcher, ivf_topk_tuned, one_list_topk
from .scan import ListScan

__all__ = [
    "ANGLE_SLACK",
    "BOUND_SLACK",
    "BOUNDED_MAX_WIDTH",
    "BOUNDED_MIN_CANDIDATES",
    "BOUNDED_MIN_ROWS",
    "BOUNDS_PER_CHUNK",
    "BoundedExact",
    "DISTINCT_CHUNK_ROWS",
    "EXACT_FIRST_WIDTH_FACTOR",
    "FLAT_BLAS_TILES",
    "FLAT_QUERY_BLOCK",
    "IVFSearch",
    "ListScan",
    "distinct_lists",
    "exact_topk",
    "exact_topk_distinct",
    "first_of_each_group",
    "flat_topk",
    "group_sizes_of",
    "ivf_centroids",
    "ivf_sample",
    "ivf_index",
    "ivf_searcher",
    "ivf_topk_tuned",
    "merge_lists",
    "nearest_lists",
    "normalise_rows",
    "one_list_topk",
    "recall_at",
    "topk_above",
    "topk_among",
    "update_lists",
    "use_bounded",
]

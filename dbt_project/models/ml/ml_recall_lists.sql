{#- The exact neighbour lists of the recall sample, against which an IVF build (neighbour_method
    ivf) measured the recall@10 of its lists: written by ml_track_neighbours into ml_recall_store.
    An incremental build updates the previous build's (the same exact merge as every list) instead
    of searching the sample again. Empty with exact neighbours. -#}
-- depends_on: {{ ref('ml_track_neighbours') }}
with

final as (
    select
        embedding_kind,
        track_id,
        neighbour_rank,
        neighbour_track_id,
        similarity
    from ml_recall_store
    order by embedding_kind, track_id, neighbour_rank
)

select * from final

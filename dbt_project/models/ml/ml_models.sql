{#- The trained models of the build (or, after an incremental build, the full build's models it
    reused): each network's weights, the PCA and LDA projections, the KMeans centroids and
    sub-centroids and the DBSCAN core samples, as .npz bytes (numpy.load(io.BytesIO(artefact))),
    with their parameters, the rows they were fitted on and a hash of those rows. Written by the
    Python models into ml_model_store; what an incremental build starts from. -#}
-- depends_on: {{ ref('ml_track_embeddings') }}
-- depends_on: {{ ref('ml_track_pca') }}
-- depends_on: {{ ref('ml_track_clusters') }}
-- depends_on: {{ ref('ml_track_maps') }}
-- depends_on: {{ ref('ml_track_neighbours') }}
with

final as (
    select
        model,
        params,
        training_rows,
        training_hash,
        trained_run_id,
        trained_at,
        octet_length(artefact) as artefact_bytes,
        artefact
    from ml_model_store
    order by model
)

select * from final

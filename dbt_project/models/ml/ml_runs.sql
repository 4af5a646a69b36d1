{#- One row per build: what ran, with which parameters and library versions, what it scored and how
    long each stage took. Folded from ml_stage_log, which every ML stage appends to. -#}
-- depends_on: {{ ref('ml_track_embeddings') }}
-- depends_on: {{ ref('ml_track_pca') }}
-- depends_on: {{ ref('ml_k_selection') }}
-- depends_on: {{ ref('ml_dbscan_kdistance') }}
-- depends_on: {{ ref('ml_track_clusters') }}
-- depends_on: {{ ref('ml_cluster_feature_importance') }}
-- depends_on: {{ ref('ml_track_maps') }}
-- depends_on: {{ ref('ml_track_neighbours') }}
with

stages as (
    select * from ml_stage_log
    where stage not in ('environment', 'source')
),

final as (
    select
        '{{ invocation_id }}' as run_id,
        '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'::timestamp as started_at,
        -- full (every model trained) or incremental (the previous build's models reused), and the
        -- track counts that decided it (ml_build_plan)
        (select mode from {{ ref('ml_build_plan') }}) as build_mode,
        (select reason from {{ ref('ml_build_plan') }}) as build_reason,
        (select tracks_added from {{ ref('ml_build_plan') }}) as tracks_added,
        (select tracks_changed from {{ ref('ml_build_plan') }}) as tracks_changed,
        (select tracks_deleted from {{ ref('ml_build_plan') }}) as tracks_deleted,
        (select metrics -> 'versions' from ml_stage_log where stage = 'environment') as library_versions,
        -- what was read: path, format, files, recognised layout, our column <- theirs, encoding
        (select params from ml_stage_log where stage = 'source') as input,
        (select metrics -> 'features' from ml_stage_log where stage = 'environment') as features_used,
        (select (metrics ->> 'has_genres')::boolean from ml_stage_log where stage = 'environment') as has_genres,
        json_group_object(stage, params) as parameters,
        json_group_object(stage, metrics) as metrics,
        json_group_object(stage, seconds) as stage_seconds,
        sum(seconds) as ml_seconds,
        -- the headline numbers as columns, for BI tools
        max(case when stage = 'autoencoder' then (metrics ->> 'recon_mse_mean')::double end)
            as autoencoder_recon_mse_mean,
        max(case when stage = 'autoencoder' then (metrics ->> 'recon_mse_max')::double end)
            as autoencoder_recon_mse_max,
        max(case when stage = 'autoencoder' then (metrics ->> 'epochs')::int end) as autoencoder_epochs,
        max(case when stage = 'genre_aware' then (metrics ->> 'recon_mse_mean')::double end)
            as genre_aware_recon_mse_mean,
        max(case when stage = 'genre_aware' then (metrics ->> 'epochs')::int end) as genre_aware_epochs,
        max(case when stage = 'genre_aware' then (metrics ->> 'aux_accuracy_holdout')::double end)
            as genre_head_accuracy_holdout,
        max(case when stage = 'genre_head' then (metrics ->> 'accuracy_holdout')::double end)
            as audio_head_accuracy_holdout,
        max(case when stage = 'genre_head_search' then (metrics ->> 'chosen_validation_hit_at_10')::double end)
            as audio_head_validation_hit_at_10,
        -- the config the audio and hybrid embeddings were trained with, and where it came from
        -- (ml_genre_head_tuning: the defaults of dbt_project.yml, or a tuning run)
        max(case when stage = 'model_config' then (params ->> 'source') end) as config_source,
        max(case when stage = 'model_config' then (params ->> 'tuning_run_id') end) as config_tuning_run_id,
        max(case when stage = 'model_config' then (params -> 'genre_head') end) as genre_head_config,
        max(case when stage = 'model_config' then (params ->> 'hybrid_audio_weight')::double end)
            as hybrid_audio_weight,
        max(case when stage = 'pca' then (metrics ->> 'n_components')::int end) as pca_components,
        max(case when stage = 'pca' then (metrics ->> 'variance_kept')::double end) as pca_variance_kept,
        max(case when stage = 'k_selection' then (metrics ->> 'chosen_k_features')::int end) as chosen_k_features,
        max(case when stage = 'k_selection' then (metrics ->> 'chosen_k_pca')::int end) as chosen_k_pca,
        max(case when stage = 'k_selection' then (metrics ->> 'chosen_k_embedding')::int end) as chosen_k_embedding,
        max(case when stage = 'dbscan_kdistance' then (metrics ->> 'eps')::double end) as dbscan_eps,
        max(case when stage = 'dbscan_pca' then (metrics ->> 'noise_share')::double end) as dbscan_noise_share,
        max(case when stage = 'neighbours' then (params ->> 'neighbour_method') end) as neighbour_method,
        max(case when stage = 'neighbours' then seconds end) as neighbour_seconds,
        max(case when stage = 'neighbours' then (metrics ->> 'ivf_recall_at_10')::double end) as ivf_recall_at_10
    from stages
)

select * from final

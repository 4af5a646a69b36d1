{#- The automatic label of each cluster from its z-score profile (rules in macros/clusters.sql). -#}
with

profiles as (
    select * from {{ ref('int_cluster_profiles') }}
),

final as (
    select
        cluster_id,
        {{ cluster_label('') }} as cluster_label
    from profiles
)

select * from final

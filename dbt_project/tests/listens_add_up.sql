{{ config(enabled=var('listens') is not none) }}
-- every stream read is matched, unmatched or a merged duplicate, per listener (dim_listeners)
select * from {{ ref('dim_listeners') }}
where streams_read <> streams_matched + streams_unmatched + duplicates_merged

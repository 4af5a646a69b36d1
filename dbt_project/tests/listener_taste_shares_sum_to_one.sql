{{ config(enabled=var('listens') is not none) }}
select listener_id, split, sum(share) as total
from {{ ref('ml_listener_taste') }}
group by listener_id, split
having abs(sum(share) - 1) > 1e-6

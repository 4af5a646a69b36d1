{#- Each listener's list with recommend_for's default knobs, ranks 1..100: what `wavehouse for-you`
    and the API read when no knob is changed (one index read instead of ranking the candidates at
    every request); the same rows as recommend_for(name, k := 100) (a test checks it). -#}
with

candidates as (
    select * from {{ ref('fct_listener_candidates') }} where split = 'all'
),

{{ listener_ranking('candidates', '100', '0.5', 'null', 'null', '0', '100', 'null') }}

select r.listener_id, r.listener_name, {{ listener_list_columns('r') }}
from ranked as r
where r.rank <= 100
order by r.listener_name, r.rank

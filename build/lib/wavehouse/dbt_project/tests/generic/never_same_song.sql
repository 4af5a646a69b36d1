{#- Fails on neighbour rows whose neighbour is the seed itself or another id of the seed's song. -#}
{% test never_same_song(model) %}
select n.*
from {{ model }} as n
inner join {{ ref('dim_tracks') }} as a on a.track_id = n.track_id
inner join {{ ref('dim_tracks') }} as b on b.track_id = n.neighbour_track_id
where n.track_id = n.neighbour_track_id or a.song_key = b.song_key
{% endtest %}

{#- Fails on lists (rows sharing the list_columns) holding two tracks of the same song (the
    song_key of track_column in dim_tracks): every top-k list and playlist names each song once. -#}
{% test one_row_per_song(model, list_columns=['track_id'], track_column='neighbour_track_id') %}
select {% for column in list_columns %}l.{{ column }}, {% endfor %}t.song_key, count(*) as copies
from {{ model }} as l
inner join {{ ref('dim_tracks') }} as t on t.track_id = l.{{ track_column }}
group by all
having count(*) > 1
{% endtest %}

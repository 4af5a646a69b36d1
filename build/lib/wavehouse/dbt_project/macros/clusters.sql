{#- The automatic name of a cluster from its z-score profile (mean z of each feature over the
    cluster's tracks). Rules, first match wins:
      speechiness > 1.0                                   -> Rap / Spoken
      instrumentalness > 0.8                              -> Instrumental / Focus
      acousticness > 0.7 and energy < -0.5                -> Chill / Acoustic
      danceability > 0.4 and energy > 0 and valence > 0.2 -> Party / Energetic
      energy > 0.5 and loudness > 0.3                     -> Loud / Intense
      valence < -0.5                                      -> Dark / Melancholic
      liveness > 1.0                                      -> Live / Raw
      popularity > 0.5                                    -> Popular / Mainstream
      otherwise                                           -> Balanced / Mixed -#}
{% macro cluster_label(p) -%}
case
    when {{ p }}z_speechiness > 1.0 then 'Rap / Spoken'
    when {{ p }}z_instrumentalness > 0.8 then 'Instrumental / Focus'
    when {{ p }}z_acousticness > 0.7 and {{ p }}z_energy < -0.5 then 'Chill / Acoustic'
    when {{ p }}z_danceability > 0.4 and {{ p }}z_energy > 0 and {{ p }}z_valence > 0.2 then 'Party / Energetic'
    when {{ p }}z_energy > 0.5 and {{ p }}z_loudness > 0.3 then 'Loud / Intense'
    when {{ p }}z_valence < -0.5 then 'Dark / Melancholic'
    when {{ p }}z_liveness > 1.0 then 'Live / Raw'
    when {{ p }}z_popularity > 0.5 then 'Popular / Mainstream'
    else 'Balanced / Mixed'
end
{%- endmacro %}

{#- Mean of a FLOAT[N] column per group, as FLOAT[N] (N = var latent_dim). -#}
{% macro vector_mean_by(relation, group_columns, vector_column) -%}
select {{ group_columns }}, list(v order by pos)::float[{{ var('latent_dim') }}] as centroid
from (
    select {{ group_columns }}, pos, avg({{ vector_column }}[pos]) as v
    from {{ relation }}, range(1, {{ var('latent_dim') }} + 1) as t(pos)
    group by all
)
group by all
{%- endmacro %}

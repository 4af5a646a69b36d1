{#- What sets each cluster apart, from its z-score profile: `traits`, the words for its (up to)
    three largest feature deviations of at least 0.3 standard deviations ("Quiet, Instrumental,
    Calm"), or "Middle-of-the-road" when no feature deviates that much; the three largest
    deviations as data; and the rule-based mood family (rules in macros/clusters.sql). dim_clusters
    adds the top genres to make the name. -#}
{%- set trait_words = [
    ('popularity', 'Popular', 'Niche'), ('duration_ms', 'Long', 'Short'), ('explicit', 'Explicit', 'Clean'),
    ('danceability', 'Danceable', 'Free-rhythm'), ('energy', 'Energetic', 'Calm'), ('loudness', 'Loud', 'Quiet'),
    ('speechiness', 'Spoken', 'Sung'), ('acousticness', 'Acoustic', 'Electric'),
    ('instrumentalness', 'Instrumental', 'Vocal'), ('liveness', 'Live', 'Studio'), ('valence', 'Bright', 'Dark'),
    ('tempo', 'Fast', 'Slow')
] %}

with

profiles as (
    select * from {{ ref('int_cluster_profiles') }}
),

deviations as (
    -- each feature's mean z-score, with its word for above / below the catalogue mean
    {%- for feature, high, low in trait_words %}
    select
        cluster_id, '{{ feature }}' as feature, z_{{ feature }} as z,
        '{{ high }}' as high_word, '{{ low }}' as low_word
    from profiles
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

ranked as (
    select
        cluster_id,
        feature,
        z,
        case when z > 0 then high_word else low_word end as word,
        row_number() over (partition by cluster_id order by abs(z) desc, feature) as deviation_rank
    from deviations
    where z is not null
),

traits as (
    select
        cluster_id,
        coalesce(
            string_agg(word, ', ' order by deviation_rank) filter (where deviation_rank <= 3 and abs(z) >= 0.3),
            'Middle-of-the-road'
        ) as traits,
        list({ 'feature': feature, 'z': round(z, 2) } order by deviation_rank)[1:3] as distinguishing_features
    from ranked
    group by cluster_id
),

final as (
    select
        profiles.cluster_id,
        {{ cluster_label('profiles.') }} as cluster_label,
        coalesce(traits.traits, 'Middle-of-the-road') as traits,
        traits.distinguishing_features
    from profiles
    left join traits using (cluster_id)
)

select * from final

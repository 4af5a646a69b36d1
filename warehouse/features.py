"""The catalogue's features (audio and metadata), in the order the models and the report use them;
the SQL layer's list is dbt_project.yml's var `features`."""

FEATURES = [
    "popularity",
    "duration_ms",
    "explicit",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
]

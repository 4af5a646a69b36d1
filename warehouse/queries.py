"""Named, parameterised SQL the CLI runs. User input only ever reaches DuckDB as parameters."""

REJECTED_ROWS = """
select source_file, source_row, source_line, reject_reason, track_id, track_name, raw_record
from int_tracks_rejected
order by record_number
limit ?
"""

TRACKS = """
select track_id, track_name, artists, primary_genre, popularity
from dim_tracks
order by popularity desc, track_id
limit ?
"""

TUNING = """
select search, candidate_id, width, depth, epochs, lr, smote, output, audio_weight,
       validation_hit_at_10, validation_own_artist_share, is_chosen, source, tuned_at
from ml_genre_head_tuning
order by search, validation_hit_at_10 desc nulls last, candidate_id
limit ?
"""

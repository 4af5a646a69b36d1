"""Named, parameterised SQL the CLI runs. User input only ever reaches DuckDB as parameters."""

REJECTED_ROWS = """
select line_number, reject_reason, track_id, track_name, raw_line
from int_tracks_rejected
order by line_number
limit ?
"""

TRACKS = """
select track_id, track_name, artists, primary_genre, popularity
from dim_tracks
order by popularity desc, track_id
limit ?
"""

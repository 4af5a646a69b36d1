"""The build's console: one line per stage, bars for stages that know their size."""

from __future__ import annotations

import io

from wavehouse.build.progress import BuildProgress, bar, clock


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_bar_and_clock():
    assert bar(5, 10, width=10) == "[#####-----]  50%"
    assert bar(10, 10, width=4) == "[####] 100%"
    assert clock(0) == "0:00" and clock(75) == "1:15" and clock(3725) == "1:02:05"


def test_stage_lines_tests_and_quiet_percentages_off_a_terminal():
    out, now = io.StringIO(), Clock()
    p = BuildProgress(out, tty=False, now=now)
    now.t = 3
    p.message("genre_head: started")  # not shown: its end is
    for epoch in range(1, 41):
        now.t = 3 + epoch
        p.message(f"progress genre_head {epoch}/40 epoch {epoch}/40")
    p.message("genre_head: done in 40.2s")
    p.node("stg_spotify__tracks", "model", "success", 1.25)
    p.node("not_null_dim_tracks_track_id", "test", "pass", 0.1)
    p.node("unique_dim_tracks_track_id", "test", "fail", 0.1)
    p.message("epoch 3: validation loss 0.5")  # detail: dbt.log only
    lines = out.getvalue().splitlines()
    bars = [line for line in lines if "[#" in line or "[-" in line]
    # 40 epochs over 40 s: at most one line per 15 s, and the last one
    assert 2 <= len(bars) <= 4 and bars[-1].endswith("100% epoch 40/40")
    assert any(line.endswith("genre_head                      40.2 s") for line in lines)
    assert "stg_spotify__tracks" in lines[-2] and lines[-2].endswith("1.2 s")
    assert lines[-1].endswith("test unique_dim_tracks_track_id: fail")
    assert all(line.startswith("[") for line in lines) and "validation loss" not in out.getvalue()
    assert p.finished() == "1 dbt tests passed, 1 failed"


def test_a_terminal_redraws_one_line():
    out, now = io.StringIO(), Clock()
    p = BuildProgress(out, tty=True, now=now)
    for k in range(1, 4):
        p.message(f"progress k_selection {k}/3 k={k}")
    p.message("k_selection: done in 1.0s")
    text = out.getvalue()
    assert text.count("\r\033[K") == 4 and text.count("\n") == 1  # three redraws, then the stage's line
    assert text.endswith("k_selection                      1.0 s\n")

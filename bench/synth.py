"""Scale the real catalogue up to N rows for load measurements (as ../shared/bench/synth.py does).

Rows are resampled from the real file; numeric audio features get small Gaussian jitter (clipped
to their valid ranges) and every row gets a fresh track_id, except that a share of rows (dup-rate)
reuse another row's id, as tracks listed under several genres do in the real file.

    python bench/synth.py data/spotify_tracks_114k.csv.gz 1000000 /tmp/tracks_1m.csv [--dup-rate 0.2]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd


def synthesise(src: str, n: int, out: str, dup_rate: float = 0.2, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    df = pd.read_csv(src)
    df = df.drop(columns=[c for c in df.columns if c.startswith("Unnamed")])
    s = df.iloc[rng.integers(0, len(df), n)].reset_index(drop=True)
    for c in ["danceability", "energy", "speechiness", "acousticness", "instrumentalness", "liveness", "valence"]:
        s[c] = np.clip(s[c] + rng.normal(0, 0.03, n), 0, 1).round(4)
    s["loudness"] = np.clip(s["loudness"] + rng.normal(0, 0.8, n), -60, 5).round(3)
    s["tempo"] = np.clip(s["tempo"] + rng.normal(0, 3, n), 0, 250).round(3)
    s["popularity"] = np.clip(s["popularity"] + rng.integers(-5, 6, n), 0, 100)
    s["duration_ms"] = np.clip(s["duration_ms"] + rng.integers(-5000, 5000, n), 1000, None)
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    codes = alphabet[rng.integers(0, 62, (n, 22))]
    ids = codes.view("<U22").reshape(n) if codes.dtype == "<U1" else np.array(["".join(r) for r in codes])
    dup = rng.random(n) < dup_rate
    ids = ids.astype(object)
    ids[dup] = ids[rng.integers(0, n, n)[dup]]
    s["track_id"] = ids
    s.insert(0, "", np.arange(n))
    s.to_csv(out, index=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src")
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--dup-rate", type=float, default=0.2)
    args = parser.parse_args()
    synthesise(args.src, args.n, args.out, args.dup_rate)
    print(f"wrote {args.n} rows to {args.out}")

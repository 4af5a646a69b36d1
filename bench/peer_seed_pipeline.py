"""The peer: the seed projects' pipeline done the way their notebooks do it (after
../shared/bench/seed_baseline.py), so wavehouse can be measured against it in the same run.

pandas load -> dedupe by track_name (seed 001) -> explicit 0/1, median fill -> StandardScaler on 15
features -> autoencoder 15-32-128-32-15 (dropout 5%, Adam, batch 32, early stopping patience 5;
seed 001) -> KMeans on the embedding (seed 000/003) -> sklearn NearestNeighbors(cosine, brute)
top-10 for every track (seed 001) -> genre hit rate@10, silhouette (sampled), Davies-Bouldin.
Prints one JSON line of stage timings and metrics.

    python bench/peer_seed_pipeline.py DATA.csv[.gz] [--epochs-max 50] [--k 10]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import davies_bouldin_score, silhouette_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

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


def run(path: str, epochs_max: int = 50, k_clusters: int = 10) -> dict:
    torch.manual_seed(0)
    np.random.seed(0)
    seconds: dict[str, float] = {}
    started = last = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        seconds[name] = round(now - last, 3)
        last = now

    df = pd.read_csv(path)
    df = df.drop_duplicates(subset="track_name").reset_index(drop=True)
    df["explicit"] = df["explicit"].astype(str).str.lower().isin(["true", "1"]).astype(int)
    for c in FEATURES:
        df[c] = pd.to_numeric(df[c], errors="coerce")
        df[c] = df[c].fillna(df[c].median())
    X = StandardScaler().fit_transform(df[FEATURES].values).astype(np.float32)
    lap("prep")

    enc = torch.nn.Sequential(
        torch.nn.Linear(15, 32), torch.nn.ReLU(), torch.nn.Dropout(0.05), torch.nn.Linear(32, 128)
    )
    dec = torch.nn.Sequential(torch.nn.Linear(128, 32), torch.nn.ReLU(), torch.nn.Linear(32, 15))
    model = torch.nn.Sequential(enc, dec)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt = torch.from_numpy(X)
    n = len(Xt)
    perm = torch.randperm(n)
    nval = n // 10
    val, tr = Xt[perm[:nval]], Xt[perm[nval:]]
    best, bad, epochs = 1e9, 0, 0
    for ep in range(epochs_max):
        model.train()
        idx = torch.randperm(len(tr))
        for i in range(0, len(tr), 32):
            b = tr[idx[i : i + 32]]
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(b), b)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            v = torch.nn.functional.mse_loss(model(val), val).item()
        epochs = ep + 1
        if v < best - 1e-5:
            best, bad = v, 0
        else:
            bad += 1
            if bad >= 5:
                break
    with torch.no_grad():
        E = enc(Xt).numpy()
        recon = torch.nn.functional.mse_loss(model(Xt), Xt).item()
    lap("autoencoder")

    labels = KMeans(n_clusters=k_clusters, n_init=10, random_state=0).fit_predict(E)
    lap("kmeans")
    rs = np.random.default_rng(0).choice(n, min(n, 10000), replace=False)
    sil = float(silhouette_score(E[rs], labels[rs]))
    dbi = float(davies_bouldin_score(E, labels))
    lap("cluster_metrics")

    nn = NearestNeighbors(n_neighbors=11, metric="cosine", algorithm="brute").fit(E)
    _, ind = nn.kneighbors(E)
    lap("knn_all")
    g = df["track_genre"].to_numpy(dtype=object)
    hit = float((g[ind[:, 1:]] == g[:, None]).mean())
    lap("eval")
    return {
        "rows_after_dedupe": n,
        "epochs": epochs,
        "recon_mse": round(recon, 4),
        "silhouette": round(sil, 4),
        "davies_bouldin": round(dbi, 4),
        "genre_hit_rate_at_10": round(hit, 4),
        "seconds": seconds,
        "total_s": round(time.perf_counter() - started, 3),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--epochs-max", type=int, default=50)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(run(args.path, args.epochs_max, args.k)))

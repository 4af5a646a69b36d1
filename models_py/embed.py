"""Autoencoder embeddings (torch): the seed 001 design, optionally with a genre-classification head.

Encoder 15 -> 32 (ReLU, 5% dropout) -> N (linear); decoder N -> 32 (ReLU) -> 15; Adam; MSE;
early stopping with patience on a validation split. The genre-aware variant adds a linear head
N -> n_genres trained with cross-entropy on a fixed training split of tracks, balanced by SMOTE.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class EmbeddingResult:
    embeddings: np.ndarray  # (n, latent_dim) float32, row order of the input
    epochs: int
    recon_mse_mean: float  # mean over tracks of the per-track reconstruction MSE
    recon_mse_max: float
    best_val_loss: float
    seconds: float
    aux_accuracy_holdout: float | None = None  # genre top-1 accuracy of the head on held-out tracks
    logits: np.ndarray | None = None  # (n, n_classes) genre-head outputs (supervised only)
    n_train_rows: int = 0
    n_synthetic_rows: int = 0
    history: list[float] = field(default_factory=list)
    encoder_state: dict[str, np.ndarray] = field(default_factory=dict)  # for encode()


def _set_threads(threads: int | None) -> None:
    import torch

    torch.set_num_threads(max(1, threads or os.cpu_count() or 1))


def _network(n_features: int, latent_dim: int, hidden: int, dropout: float, n_classes: int):
    import torch.nn as nn

    encoder = nn.Sequential(
        nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, latent_dim)
    )
    decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, n_features))
    head = CosineHead(latent_dim, n_classes) if n_classes else None
    return encoder, decoder, head


def _cosine_head_class():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class CosineHead(nn.Module):
        """Genre logits as scaled cosines between the embedding and one learned prototype per genre,
        so that the training shapes exactly the geometry the recommender uses (cosine)."""

        def __init__(self, latent_dim: int, n_classes: int, scale: float = 16.0):
            super().__init__()
            self.prototypes = nn.Parameter(torch.randn(n_classes, latent_dim) * 0.1)
            self.scale = scale

        def forward(self, z):
            return self.scale * F.normalize(z, dim=1) @ F.normalize(self.prototypes, dim=1).T

    return CosineHead


def CosineHead(latent_dim: int, n_classes: int, scale: float = 16.0):
    return _cosine_head_class()(latent_dim, n_classes, scale)


def train_autoencoder(
    X: np.ndarray,
    *,
    latent_dim: int = 16,
    hidden: int = 32,
    dropout: float = 0.05,
    batch_size: int = 512,
    max_epochs: int = 100,
    patience: int = 5,
    lr: float = 3e-3,
    val_fraction: float = 0.1,
    seed: int = 0,
    labels: np.ndarray | None = None,
    train_mask: np.ndarray | None = None,
    aux_weight: float = 1.0,
    smote: bool = True,
    threads: int | None = None,
    log: Callable[[str], None] | None = None,
    progress: Callable[..., None] | None = None,
) -> EmbeddingResult:
    """Train on X (n, d) float32 z-scores; return the encoder's embedding of every row of X.

    With `labels` (integer class per row) the genre head is trained on rows where `train_mask` is
    true (SMOTE-balanced when `smote`), and its accuracy reported on the other rows.
    `progress(done, total, detail)` is called after each epoch (total: max_epochs; training stops
    early when the validation loss has not improved for `patience` epochs).
    """
    import torch
    import torch.nn.functional as F

    started = time.perf_counter()
    _set_threads(threads)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(X, dtype=np.float32)
    n, d = X.shape
    supervised = labels is not None
    train_rows = np.flatnonzero(train_mask) if (supervised and train_mask is not None) else np.arange(n)
    shuffled = rng.permutation(train_rows)
    n_val = max(1, int(len(shuffled) * val_fraction))
    val_rows, fit_rows = np.sort(shuffled[:n_val]), np.sort(shuffled[n_val:])

    X_fit = X[fit_rows]
    y_fit = labels[fit_rows] if supervised else None
    n_synthetic = 0
    if supervised and smote:
        from .balance import smote_balance

        X_fit, y_fit, synthetic = smote_balance(X_fit, y_fit, seed=seed)
        n_synthetic = int(synthetic.sum())
    n_classes = int(labels.max()) + 1 if supervised else 0
    encoder, decoder, head = _network(d, latent_dim, hidden, dropout, n_classes)
    modules = [m for m in (encoder, decoder, head) if m is not None]
    params = [p for m in modules for p in m.parameters()]
    optimiser = torch.optim.Adam(params, lr=lr)

    Xf = torch.from_numpy(X_fit)
    yf = torch.from_numpy(y_fit.astype(np.int64)) if supervised else None
    Xv = torch.from_numpy(X[val_rows])
    yv = torch.from_numpy(labels[val_rows].astype(np.int64)) if supervised else None

    def loss_of(xb, yb):
        z = encoder(xb)
        loss = F.mse_loss(decoder(z), xb)
        if supervised:
            loss = loss + aux_weight * F.cross_entropy(head(z), yb)
        return loss

    best, best_state, bad, epochs, history = float("inf"), None, 0, 0, []
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(max_epochs):
        for m in modules:
            m.train()
        order = torch.randperm(len(Xf), generator=generator)
        for start in range(0, len(Xf), batch_size):
            idx = order[start : start + batch_size]
            optimiser.zero_grad()
            loss = loss_of(Xf[idx], yf[idx] if supervised else None)
            loss.backward()
            optimiser.step()
        for m in modules:
            m.eval()
        with torch.no_grad():
            val_loss = float(loss_of(Xv, yv))
        history.append(val_loss)
        epochs = epoch + 1
        if log:
            log(f"epoch {epochs}: validation loss {val_loss:.5f}")
        if progress:
            progress(epochs, max_epochs, f"epoch {epochs}, validation loss {val_loss:.4f}")
        if val_loss < best - 1e-5:
            best, bad = val_loss, 0
            best_state = [{k: v.clone() for k, v in m.state_dict().items()} for m in modules]
        else:
            bad += 1
            if bad >= patience:
                break
    for m, state in zip(modules, best_state or []):
        m.load_state_dict(state)
        m.eval()

    with torch.no_grad():
        Xt = torch.from_numpy(X)
        Z = encoder(Xt)
        per_row = ((decoder(Z) - Xt) ** 2).mean(dim=1).numpy()
        accuracy = None
        logits = head(Z).numpy() if supervised else None
        if supervised and train_mask is not None and (~train_mask).any():
            held = torch.from_numpy(np.flatnonzero(~train_mask))
            predicted = head(Z[held]).argmax(dim=1).numpy()
            accuracy = float((predicted == labels[~train_mask]).mean())
    return EmbeddingResult(
        embeddings=Z.numpy().astype(np.float32),
        epochs=epochs,
        recon_mse_mean=float(per_row.mean()),
        recon_mse_max=float(per_row.max()),
        best_val_loss=best,
        seconds=time.perf_counter() - started,
        aux_accuracy_holdout=accuracy,
        logits=logits,
        n_train_rows=len(fit_rows),
        n_synthetic_rows=n_synthetic,
        history=history,
        encoder_state={k: v.numpy().copy() for k, v in encoder.state_dict().items()},
    )


def encode(state: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """The trained encoder (train_autoencoder's encoder_state) applied to new rows X (scaled and
    weighted as in training): Linear, ReLU, (dropout: off at inference), Linear."""
    X = np.asarray(X, dtype=np.float32)
    hidden = np.maximum(X @ state["0.weight"].T + state["0.bias"], 0)
    return (hidden @ state["3.weight"].T + state["3.bias"]).astype(np.float32)

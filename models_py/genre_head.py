"""The audio-only genre embedding: an MLP that predicts a track's genre from its audio features,
whose output (a probability per genre) is the embedding. Two tracks are near when the model
hears them as the same mix of genres.

Network: d -> width (ReLU, dropout) x depth -> n_genres; AdamW; one-cycle learning rate (or a
constant one); cross-entropy, optionally on a SMOTE-balanced training set. A fixed number of
epochs (no early stopping): epochs are a field of the config, which the search can vary.

The embedding is one of: `probabilities` (softmax), `sqrt_probabilities` (their square roots: the
cosine of two such vectors is the Bhattacharyya coefficient of the two distributions), `logits`,
or `hidden` (the last hidden layer).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

OUTPUTS = ("probabilities", "sqrt_probabilities", "logits", "hidden")


@dataclass(frozen=True)
class HeadConfig:
    width: int = 256
    depth: int = 2
    epochs: int = 40
    lr: float = 3e-3
    schedule: str = "one_cycle"  # or "constant"
    smote: bool = False
    output: str = "probabilities"
    dropout: float = 0.1
    weight_decay: float = 1e-4
    batch_size: int = 512


@dataclass
class HeadResult:
    embeddings: np.ndarray  # (n, dims) float32: the chosen output for every row of X
    probabilities: np.ndarray  # (n, n_classes) float32 softmax
    accuracy: float | None  # top-1 on the rows outside train_mask (None if there are none)
    logits: np.ndarray | None  # (n, n_classes) float32 (with all_outputs)
    hidden: np.ndarray | None  # (n, width) float32: the last hidden layer (with all_outputs)
    n_train_rows: int
    n_synthetic_rows: int
    seconds: float
    state: dict | None = None  # the network's weights, for head_outputs()


def embedding_of(logits: np.ndarray, hidden: np.ndarray, output: str) -> np.ndarray:
    """The embedding a config asks for, from the network's logits and last hidden layer."""
    if output == "logits":
        return logits.astype(np.float32)
    if output == "hidden":
        return hidden.astype(np.float32)
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    if output == "probabilities":
        return p.astype(np.float32)
    if output == "sqrt_probabilities":
        return np.sqrt(p).astype(np.float32)
    raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, not {output!r}")


INFERENCE_BLOCK = 65_536  # rows per forward pass when embedding (bounds the hidden activations)


def numpy_dropout(p: float, rng: np.random.Generator):
    """A dropout layer (inverted: kept units scaled by 1 / (1 - p)) whose masks are 16-bit draws of
    numpy's PCG64 `rng`, so p is exact to 1/65,536. Same function as torch.nn.Dropout; torch's CPU
    dropout draws its mask from a single-threaded generator, which took as long as the layer's
    GEMM (a 512-wide genre head trained in 2.99 s per epoch with it, 2.17 s with this, 2.03 s with
    no dropout). No parameters: a network's state_dict is the same as with nn.Dropout."""
    import torch
    import torch.nn as nn

    class NumpyDropout(nn.Module):
        def forward(self, h):
            if not self.training or p == 0:
                return h
            bits = np.frombuffer(rng.bytes(h.numel() * 2), dtype=np.uint16).reshape(h.shape)
            keep = (bits >= int(round(p * 65536))).astype(np.float32) * np.float32(1.0 / (1.0 - p))
            return h * torch.from_numpy(keep)

    return NumpyDropout()


def train_genre_head(
    X: np.ndarray,
    labels: np.ndarray,
    train_mask: np.ndarray,
    config: HeadConfig,
    seed: int = 0,
    threads: int | None = None,
    log=None,
    all_outputs: bool = False,
    progress=None,
) -> HeadResult:
    """Train on the rows of X where train_mask is true (labels >= 0 there), return every row's
    embedding and probabilities, and the top-1 accuracy on the other labelled rows; with
    all_outputs also the logits and last hidden layer (from which embedding_of gives any output).
    `progress(done, total, detail)` is called after each epoch."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from .embed import _set_threads

    if config.output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, not {config.output!r}")
    started = time.perf_counter()
    _set_threads(threads)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    X = np.require(X, np.float32, ["C", "W"])  # torch wants a writable array
    labels = np.asarray(labels, dtype=np.int64)
    train_mask = np.asarray(train_mask, dtype=bool) & (labels >= 0)
    n_classes = int(labels.max()) + 1
    X_fit, y_fit = X[train_mask], labels[train_mask]
    n_synthetic = 0
    if config.smote:
        from .balance import smote_balance

        X_fit, y_fit, synthetic = smote_balance(X_fit, y_fit, seed=seed)
        n_synthetic = int(synthetic.sum())

    layers, width_in = [], X.shape[1]
    masks = np.random.default_rng(seed)
    for _ in range(config.depth):
        layers += [nn.Linear(width_in, config.width), nn.ReLU(), numpy_dropout(config.dropout, masks)]
        width_in = config.width
    body = nn.Sequential(*layers)
    out = nn.Linear(width_in, n_classes)
    params = list(body.parameters()) + list(out.parameters())
    # fused: one kernel for the whole update (the per-tensor loop took 12% of an epoch of a 512-wide head)
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay, fused=True)
    steps_per_epoch = -(-len(X_fit) // config.batch_size)
    scheduler = None
    if config.schedule == "one_cycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=config.lr, epochs=config.epochs, steps_per_epoch=steps_per_epoch
        )
    elif config.schedule != "constant":
        raise ValueError(f"schedule must be one_cycle or constant, not {config.schedule!r}")

    Xf, yf = torch.from_numpy(X_fit), torch.from_numpy(y_fit)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(config.epochs):
        body.train()
        out.train()
        order = torch.randperm(len(Xf), generator=generator)
        total = 0.0
        for start in range(0, len(Xf), config.batch_size):
            idx = order[start : start + config.batch_size]
            optimiser.zero_grad()
            loss = F.cross_entropy(out(body(Xf[idx])), yf[idx])
            loss.backward()
            optimiser.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(idx)
        if log:
            log(f"genre head epoch {epoch + 1}/{config.epochs}: training loss {total / len(Xf):.4f}")
        if progress:
            progress(epoch + 1, config.epochs, f"epoch {epoch + 1}/{config.epochs}, loss {total / len(Xf):.3f}")
    body.eval()
    out.eval()
    parts: dict[str, list[np.ndarray]] = {"embeddings": [], "probabilities": [], "logits": [], "hidden": []}
    with torch.no_grad():
        for start in range(0, len(X), INFERENCE_BLOCK):
            h = body(torch.from_numpy(X[start : start + INFERENCE_BLOCK]))
            z = out(h).numpy()
            h = h.numpy()
            parts["embeddings"].append(embedding_of(z, h, config.output))
            parts["probabilities"].append(embedding_of(z, h, "probabilities"))
            if all_outputs:
                parts["logits"].append(z.astype(np.float32))
                parts["hidden"].append(h.astype(np.float32))
    joined = {name: np.concatenate(blocks) if blocks else None for name, blocks in parts.items()}
    probabilities = joined["probabilities"]
    others = ~train_mask & (labels >= 0)
    accuracy = float((probabilities[others].argmax(axis=1) == labels[others]).mean()) if others.any() else None
    return HeadResult(
        embeddings=joined["embeddings"],
        probabilities=probabilities,
        accuracy=accuracy,
        logits=joined["logits"],
        hidden=joined["hidden"],
        n_train_rows=int(train_mask.sum()),
        n_synthetic_rows=n_synthetic,
        seconds=time.perf_counter() - started,
        state={
            **{f"body.{k}": v.numpy().copy() for k, v in body.state_dict().items()},
            **{f"out.{k}": v.numpy().copy() for k, v in out.state_dict().items()},
        },
    )


def head_outputs(state: dict[str, np.ndarray], X: np.ndarray, output: str) -> tuple[np.ndarray, np.ndarray]:
    """A trained genre head (train_genre_head's state) applied to new rows X: (the embedding its
    config's output gives, the genre probabilities)."""
    h = np.asarray(X, dtype=np.float32)
    layer = 0
    while f"body.{layer}.weight" in state:  # Linear, ReLU, Dropout per hidden layer
        h = np.maximum(h @ state[f"body.{layer}.weight"].T + state[f"body.{layer}.bias"], 0).astype(np.float32)
        layer += 3
    logits = (h @ state["out.weight"].T + state["out.bias"]).astype(np.float32)
    return embedding_of(logits, h, output), embedding_of(logits, h, "probabilities")


def score_networks(
    states: dict[str, dict[str, np.ndarray]],
    X: np.ndarray,
    features: np.ndarray,
    head_output: str | None = None,
    block_rows: int = 65_536,
) -> dict[str, np.ndarray]:
    """Every stored network applied to new rows: `autoencoder` and `genre_aware` (encoders, on X:
    the features as weighted for training), and `genre_head` (on the unweighted features) giving
    `audio` (its config's output) and `probabilities`. How an incremental build and the Spark
    engine embed tracks without training."""
    from .embed import encode

    if len(X) > block_rows:  # in blocks: the hidden layers of a whole catalogue take GBs
        blocks = [
            score_networks(states, X[i : i + block_rows], features[i : i + block_rows], head_output, block_rows)
            for i in range(0, len(X), block_rows)
        ]
        return {kind: np.concatenate([b[kind] for b in blocks]) for kind in blocks[0]}
    out = {kind: encode(states[kind], X) for kind in ("autoencoder", "genre_aware") if kind in states}
    if "genre_head" in states:
        out["audio"], out["probabilities"] = head_outputs(states["genre_head"], features, head_output)
    return out


def artist_evidence_matrix(n_rows: int, n_classes: int, rows: np.ndarray, genre_ids: list, counts: list) -> np.ndarray:
    """Dense (n_rows, n_classes) genre distributions from sparse lists (int_artist_genre_evidence):
    row rows[i] gets counts[i] at genre_ids[i], normalised to sum 1; rows without evidence stay 0."""
    E = np.zeros((n_rows, n_classes), dtype=np.float32)
    if len(rows):
        lengths = np.fromiter((len(g) for g in genre_ids), dtype=np.int64, count=len(rows))
        r = np.repeat(np.asarray(rows, dtype=np.int64), lengths)
        g = np.concatenate([np.asarray(x, dtype=np.int64) for x in genre_ids])
        c = np.concatenate([np.asarray(x, dtype=np.float32) for x in counts])
        np.add.at(E, (r, g), c)
    totals = E.sum(axis=1, keepdims=True)
    return np.divide(E, totals, out=E, where=totals > 0)


def hybrid_embedding(
    audio_probabilities: np.ndarray, artist_distribution: np.ndarray, audio_weight: float
) -> np.ndarray:
    """audio_weight x the head's genre probabilities + (1 - audio_weight) x the artists' genre
    distribution; a row without artist evidence (all zeros) is its audio probabilities alone (up to
    scale, which cosine ignores)."""
    if not 0 < audio_weight <= 1:
        raise ValueError(f"audio_weight must be in (0, 1], not {audio_weight}")
    return (audio_weight * audio_probabilities + (1 - audio_weight) * artist_distribution).astype(np.float32)

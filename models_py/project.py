"""Projections: PCA (variance kept), LDA 2-D (genre-supervised), t-SNE 2-D on a sample."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PcaResult:
    coords: np.ndarray  # (n, n_components) float32
    n_components: int
    explained_variance_ratio: list[float]
    variance_kept: float
    mean: np.ndarray | None = None  # (d,): coords = (X - mean) @ components.T (project())
    components: np.ndarray | None = None  # (n_components, d)


def pca_for_variance(X: np.ndarray, min_variance: float = 0.8, seed: int = 0) -> PcaResult:
    """PCA keeping the fewest components whose explained variance reaches `min_variance`."""
    from sklearn.decomposition import PCA

    full = PCA(random_state=seed).fit(X)
    ratios = full.explained_variance_ratio_
    n = int(np.searchsorted(np.cumsum(ratios), min_variance - 1e-12) + 1)
    n = min(n, X.shape[1])
    coords = full.transform(X)[:, :n].astype(np.float32)
    return PcaResult(
        coords,
        n,
        [float(r) for r in ratios[:n]],
        float(ratios[:n].sum()),
        full.mean_.astype(np.float32),
        full.components_[:n].astype(np.float32),
    )


def project(X: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """A fitted linear projection (PCA's components, or LDA's 2-D scalings as rows) applied to rows X."""
    return ((np.asarray(X, dtype=np.float64) - mean) @ np.asarray(components, dtype=np.float64).T).astype(np.float32)


def lda_fit_2d(X_fit: np.ndarray, y_fit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D linear discriminant map fitted on (X_fit, y_fit), e.g. the SMOTE-balanced training
    split, as (mean, components) for project(): the same as scikit-learn's transform."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    model = LinearDiscriminantAnalysis(n_components=2).fit(X_fit, y_fit)
    return model.xbar_, model.scalings_[:, :2].T


def lda_2d(X_fit: np.ndarray, y_fit: np.ndarray, X_all: np.ndarray) -> np.ndarray:
    """The 2-D linear discriminant map of lda_fit_2d applied to every row of X_all."""
    return project(X_all, *lda_fit_2d(X_fit, y_fit))


EARLY_EXAGGERATION_ITER = 250
BH_MAX_ROWS = 5_000  # Barnes-Hut gradients below this many rows, FFT interpolation from it
PROGRESS_EVERY = 125  # iterations between progress reports (each costs openTSNE an evaluation of KL)


def tsne_2d(X: np.ndarray, seed: int = 0, perplexity: float = 30.0, max_iter: int = 500, progress=None) -> np.ndarray:
    """t-SNE of the rows given (pass a sample) by openTSNE: perplexity-based affinities on
    approximate nearest neighbours (Annoy, seeded), PCA initialisation, then 250 early-exaggeration
    iterations (factor 12) and max_iter - 250 more, as scikit-learn's max_iter counts them.
    Gradients by Barnes-Hut under BH_MAX_ROWS rows, by FFT interpolation (Linderman et al. 2019)
    from there. Deterministic for a seed (tested). `progress(done, total, detail)` every
    PROGRESS_EVERY iterations. Measurements behind the choices: docs/build_time.md."""
    from openTSNE import TSNEEmbedding, affinity, initialization

    perplexity = min(perplexity, max(2.0, (len(X) - 1) / 3))
    X = np.ascontiguousarray(X, dtype=np.float64)
    affinities = affinity.PerplexityBasedNN(X, perplexity=perplexity, method="annoy", n_jobs=-1, random_state=seed)
    method = "bh" if len(X) < BH_MAX_ROWS else "fft"
    embedding = TSNEEmbedding(
        initialization.pca(X, random_state=seed),
        affinities,
        negative_gradient_method=method,
        n_jobs=-1,
        random_state=seed,
    )
    early = min(EARLY_EXAGGERATION_ITER, max_iter)
    done = [0]

    def report(*_):
        done[0] = min(done[0] + PROGRESS_EVERY, max_iter)
        progress(done[0], max_iter, f"iteration {done[0]}/{max_iter}")

    callbacks = dict(callbacks=report, callbacks_every_iters=PROGRESS_EVERY) if progress else {}
    embedding = embedding.optimize(n_iter=early, exaggeration=12, momentum=0.5, **callbacks)
    if max_iter > early:
        embedding = embedding.optimize(n_iter=max_iter - early, momentum=0.8, **callbacks)
    if progress and done[0] < max_iter:
        done[0] = max_iter - PROGRESS_EVERY
        report()
    return np.asarray(embedding, dtype=np.float32)


PLACE_BLOCK = 65_536  # queries per faiss search: bounds the (block, k) arrays at any catalogue size


def place_by_neighbours(reference: np.ndarray, reference_xy: np.ndarray, X: np.ndarray, k: int = 10) -> np.ndarray:
    """2-D positions for the rows of X on a map of `reference` (positions reference_xy): each row at
    the mean position of its k most cosine-similar reference rows, weighted by similarity (floored
    at 0; how openTSNE's transform initialises a new point). A row equal to a reference row lands
    next to it. Exact (faiss flat inner product on unit rows); float32 (len(X), 2)."""
    import faiss

    from .neighbours import normalise_rows

    k = min(k, len(reference))
    index = faiss.IndexFlatIP(reference.shape[1])
    index.add(normalise_rows(reference))
    out = np.empty((len(X), 2), dtype=np.float32)
    for start in range(0, len(X), PLACE_BLOCK):
        sim, idx = index.search(normalise_rows(X[start : start + PLACE_BLOCK]), k)
        weight = np.maximum(sim, 0) + 1e-6
        out[start : start + PLACE_BLOCK] = (reference_xy[idx] * weight[..., None]).sum(1) / weight.sum(1, keepdims=True)
    return out

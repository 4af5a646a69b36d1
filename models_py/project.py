"""Projections: PCA (variance kept), LDA 2-D (genre-supervised), t-SNE 2-D on a sample."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PcaResult:
    coords: np.ndarray              # (n, n_components) float32
    n_components: int
    explained_variance_ratio: list[float]
    variance_kept: float
    mean: np.ndarray | None = None         # (d,): coords = (X - mean) @ components.T (project())
    components: np.ndarray | None = None   # (n_components, d)


def pca_for_variance(X: np.ndarray, min_variance: float = 0.8, seed: int = 0) -> PcaResult:
    """PCA keeping the fewest components whose explained variance reaches `min_variance`."""
    from sklearn.decomposition import PCA

    full = PCA(random_state=seed).fit(X)
    ratios = full.explained_variance_ratio_
    n = int(np.searchsorted(np.cumsum(ratios), min_variance - 1e-12) + 1)
    n = min(n, X.shape[1])
    coords = full.transform(X)[:, :n].astype(np.float32)
    return PcaResult(coords, n, [float(r) for r in ratios[:n]], float(ratios[:n].sum()),
                     full.mean_.astype(np.float32), full.components_[:n].astype(np.float32))


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


def tsne_2d(X: np.ndarray, seed: int = 0, perplexity: float = 30.0, max_iter: int = 500) -> np.ndarray:
    """t-SNE (Barnes-Hut, PCA initialisation) of the rows given; pass a sample."""
    from sklearn.manifold import TSNE

    perplexity = min(perplexity, max(2.0, (len(X) - 1) / 3))
    model = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max_iter)
    return model.fit_transform(X).astype(np.float32)

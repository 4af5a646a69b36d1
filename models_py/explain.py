"""Which features make a cluster: mean |SHAP| per cluster and feature, from a surrogate tree model
that predicts the cluster from the original features (seed 000 used a 32-minute permutation
explainer on KMeans itself; a tree surrogate with TreeExplainer takes seconds)."""

from __future__ import annotations

import numpy as np


def cluster_shap_importance(
    X: np.ndarray,
    labels: np.ndarray,
    fit_rows: np.ndarray,
    explain_rows: np.ndarray,
    seed: int = 0,
    n_trees: int = 50,
    max_depth: int = 8,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Returns (clusters, importance (n_clusters, n_features) of mean |SHAP| over explained rows of
    that cluster, surrogate accuracy on the explained rows)."""
    import shap
    from sklearn.ensemble import RandomForestClassifier

    surrogate = RandomForestClassifier(n_estimators=n_trees, max_depth=max_depth, random_state=seed, n_jobs=-1)
    surrogate.fit(X[fit_rows], labels[fit_rows])
    values = shap.TreeExplainer(surrogate).shap_values(X[explain_rows], check_additivity=False)
    values = np.asarray(values)
    # shap returns (rows, features, classes) for multi-class models in recent versions
    if values.ndim == 3 and values.shape[0] == len(explain_rows):
        values = np.transpose(values, (2, 0, 1))
    clusters = surrogate.classes_
    lab = labels[explain_rows]
    importance = np.zeros((len(clusters), X.shape[1]))
    for i, c in enumerate(clusters):
        mine = lab == c
        if mine.any():
            importance[i] = np.abs(values[i][mine]).mean(axis=0)
    accuracy = float((surrogate.predict(X[explain_rows]) == lab).mean())
    return clusters, importance, accuracy

"""KMeans model selection: k = k_min..k_max in three spaces (scaled features, PCA, embedding) with
inertia (elbow), silhouette, Davies-Bouldin and Calinski-Harabasz; the chosen k per space marked."""

import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from wavehouse import ml

    if ml.is_incremental(dbt.ref("ml_build_plan")):  # fitted on the full build's tracks: kept
        ml.reuse_stages(session, ["k_selection"])
        return ml.previous(session, "ml_k_selection")
    from wavehouse.models_py.cluster import choose_k, sweep_k

    p = ml.config(
        k_min=(dbt.config.get("k_min"), int),
        k_max=(dbt.config.get("k_max"), int),
        k_sweep_sample=(dbt.config.get("k_sweep_sample"), int),
        metric_sample=(dbt.config.get("metric_sample"), int),
        kmeans_n_init=(dbt.config.get("kmeans_n_init"), int),
        seed=(dbt.config.get("seed"), int),
    )
    inputs, spaces = ml.clustering_spaces(
        dbt.ref("int_ml_inputs"), dbt.ref("ml_track_pca"), dbt.ref("ml_track_embeddings")
    )
    sweep_rows = ml.sample_rows(inputs, p["k_sweep_sample"], p["seed"])
    metric_rows = ml.sample_rows(inputs.take(pa.array(sweep_rows)), p["metric_sample"], p["seed"])
    ks = list(range(p["k_min"], p["k_max"] + 1))
    columns = {
        name: []
        for name in [
            "space",
            "k",
            "inertia",
            "silhouette",
            "davies_bouldin",
            "calinski_harabasz",
            "seconds",
            "is_chosen",
            "choice_reason",
        ]
    }
    report = ml.progress_of("k_selection")
    with ml.stage(session, "k_selection", p) as m:
        for i, (space, X) in enumerate(spaces.items()):
            ml.log(f"k sweep in {space} space ({len(sweep_rows)} rows, k={ks[0]}..{ks[-1]})")
            scores = sweep_k(
                X[sweep_rows],
                ks,
                metric_rows,
                seed=p["seed"],
                n_init=p["kmeans_n_init"],
                log=ml.log,
                progress=lambda done, total, detail, i=i, space=space: report(
                    i * total + done, len(spaces) * total, f"{space} {detail}"
                ),
            )
            chosen, reason = choose_k(scores)
            m[f"chosen_k_{space}"] = chosen
            for s in scores:
                for key, value in [
                    ("space", space),
                    ("k", s.k),
                    ("inertia", s.inertia),
                    ("silhouette", s.silhouette),
                    ("davies_bouldin", s.davies_bouldin),
                    ("calinski_harabasz", s.calinski_harabasz),
                    ("seconds", s.seconds),
                    ("is_chosen", s.k == chosen),
                    ("choice_reason", reason if s.k == chosen else None),
                ]:
                    columns[key].append(value)
    return pa.table(columns)

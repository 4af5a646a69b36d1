"""The report's sections, each an HTML fragment with its plots (PNG data URIs) read from the
warehouse's tables: overview, k selection, DBSCAN's k-distance, maps, clusters, SHAP, evaluation,
example recommendations."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable

from ..features import FEATURES
from ..lookup.db import query

MAP_POINTS = 20000  # points drawn per 2-D map (a fixed sample of tracks)


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _table(columns, rows, digits: int = 4) -> str:
    def cell(v):
        if isinstance(v, float):
            return f"{v:.{digits}g}"
        if isinstance(v, (list, tuple)):
            return ", ".join(cell(x) for x in v)
        return "" if v is None else str(v)

    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(src: str, alt: str) -> str:
    return f'<figure><img src="{src}" alt="{html.escape(alt)}"><figcaption>{html.escape(alt)}</figcaption></figure>'


def section_overview(con) -> str:
    _, ((tracks, rejected, merged, read),) = query(
        con,
        """
        select (select count(*) from dim_tracks), (select count(*) from int_tracks_rejected),
               (select sum(n_source_rows - 1) from dim_tracks), (select count(*) from stg_spotify__tracks)""",
    )
    reasons = query(
        con,
        """select reason, count(*) as rows from (select unnest(string_split(reject_reason, '; ')) as reason
                             from int_tracks_rejected) group by 1 order by 2 desc""",
    )
    run = query(
        con,
        """select run_id, started_at, neighbour_method, pca_components, chosen_k_features, chosen_k_pca,
                               chosen_k_embedding, round(dbscan_eps, 3) as dbscan_eps, round(ml_seconds, 1) as ml_seconds,
                               parameters -> 'genre_aware' as embedding_parameters from ml_runs""",
    )
    cards = "".join(
        f'<div class="card"><b>{v:,}</b><span>{label}</span></div>'
        for label, v in [
            ("rows read", read),
            ("tracks kept", tracks),
            ("rows rejected", rejected),
            ("duplicate rows merged", merged),
        ]
    )
    return (
        f"<h2>Overview</h2><div class='cards'>{cards}</div><h3>Rejected rows by reason</h3>{_table(*reasons)}"
        f"<h3>This build</h3>{_table(*run)}"
    )


def section_k_selection(con) -> str:
    import matplotlib.pyplot as plt

    _, rows = query(
        con,
        "select space, k, inertia, silhouette, davies_bouldin, calinski_harabasz, is_chosen from ml_k_selection order by space, k",
    )
    fig, axes = plt.subplots(1, 4, figsize=(18, 3.8))
    for metric_i, (title, ax) in enumerate(
        zip(["inertia (elbow)", "silhouette", "Davies-Bouldin", "Calinski-Harabasz"], axes)
    ):
        for space in sorted({r[0] for r in rows}):
            pts = [r for r in rows if r[0] == space]
            (line,) = ax.plot([r[1] for r in pts], [r[2 + metric_i] for r in pts], marker=".", label=space)
            chosen = [r for r in pts if r[6]]
            if chosen:
                ax.plot(chosen[0][1], chosen[0][2 + metric_i], "o", ms=11, mfc="none", mec=line.get_color(), mew=2)
        ax.set_title(title)
        ax.set_xlabel("k")
    axes[0].legend()
    return (
        "<h2>Choosing k</h2><p>Circles mark the chosen k per space (elbow, checked against silhouette and DBI).</p>"
        + _img(_png(fig), "KMeans model selection")
    )


def section_kdistance(con) -> str:
    import matplotlib.pyplot as plt

    _, rows = query(con, "select point_rank, k_distance, eps, min_samples from ml_dbscan_kdistance order by point_rank")
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot([r[0] for r in rows], [r[1] for r in rows])
    ax.axhline(rows[0][2], color="crimson", ls="--", label=f"eps = {rows[0][2]:.3f}")
    ax.set_xlabel("points, sorted")
    ax.set_ylabel(f"distance to neighbour {rows[0][3] - 1}")
    ax.legend()
    return "<h2>DBSCAN: k-distance curve</h2>" + _img(_png(fig), "k-distance curve with the chosen eps")


def section_maps(con) -> str:
    import matplotlib.pyplot as plt

    _, names = query(con, "select cluster_id, cluster_name from dim_clusters order by cluster_id")
    _, top = query(con, "select primary_genre from dim_tracks group by 1 order by count(*) desc, 1 limit 8")
    top_genres = [g for (g,) in top]
    figures = []
    for map_name in ("pca", "lda", "tsne"):
        _, pts = query(
            con,
            """select m.x, m.y, t.cluster_id, t.primary_genre from ml_track_maps as m
                               inner join dim_tracks as t using (track_id)
                               where m.map = ? order by hash(m.track_id) limit ?""",
            [map_name, MAP_POINTS],
        )
        if not pts:
            continue
        fig, (a, b) = plt.subplots(1, 2, figsize=(14, 5.5))
        cmap = plt.get_cmap("tab20")
        for cid, cname in names:
            sel = [p for p in pts if p[2] == cid]
            a.scatter([p[0] for p in sel], [p[1] for p in sel], s=2, color=cmap(cid % 20), label=cname)
        a.set_title(f"{map_name.upper()} by cluster")
        a.legend(markerscale=6, fontsize=7, loc="best")
        rest = [p for p in pts if p[3] not in top_genres]
        b.scatter([p[0] for p in rest], [p[1] for p in rest], s=1, color="#dddddd", label="other genres")
        for i, g in enumerate(top_genres):
            sel = [p for p in pts if p[3] == g]
            b.scatter([p[0] for p in sel], [p[1] for p in sel], s=3, color=plt.get_cmap("tab10")(i), label=g)
        b.set_title(f"{map_name.upper()} by genre (the 8 largest)")
        b.legend(markerscale=5, fontsize=7, loc="best")
        figures.append(_img(_png(fig), f"{map_name.upper()} map of the catalogue"))
    return "<h2>Maps of the catalogue</h2>" + "".join(figures)


def section_clusters(con) -> str:
    import matplotlib.pyplot as plt
    import numpy as np

    columns, rows = query(
        con,
        "select cluster_id, cluster_name, n_tracks, "
        + ", ".join(f"z_{f}" for f in FEATURES)
        + " from dim_clusters order by cluster_id",
    )
    labels = [r[1] for r in rows]
    z = np.array([r[3:] for r in rows], dtype=float)
    fig, ax = plt.subplots(figsize=(14, 0.5 * len(rows) + 2))
    im = ax.imshow(z, cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
    ax.set_xticks(range(len(FEATURES)), FEATURES, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            ax.text(j, i, f"{z[i, j]:.1f}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, label="mean z-score")
    profile = _img(_png(fig), "Cluster profiles (z-scores) with their automatic names")
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(rows) + 1.5))
    ax.barh(labels, [r[2] for r in rows], color="#4c72b0")
    ax.invert_yaxis()
    ax.set_xlabel("tracks")
    sizes = _img(_png(fig), "Cluster sizes")
    _, sim = query(con, "select cluster_a, cluster_b, centroid_similarity from rpt_cluster_similarity order by 1, 2")
    n = len(rows)
    m = np.zeros((n, n))
    index = {r[0]: i for i, r in enumerate(rows)}
    for a, b, s in sim:
        m[index[a], index[b]] = s
    fig, ax = plt.subplots(figsize=(0.6 * n + 4, 0.6 * n + 3))
    im = ax.imshow(m, cmap="viridis", vmin=-1, vmax=1)
    ax.set_xticks(range(n), [str(r[0]) for r in rows])
    ax.set_yticks(range(n), labels)
    fig.colorbar(im, ax=ax, label="cosine similarity of centroids")
    similarity = _img(_png(fig), "Cluster similarity (embedding centroids)")
    table = query(
        con,
        """select cluster_id, cluster_name, n_tracks, round(share, 3) as share, round(genre_purity, 3) as purity,
                                 list_transform(top_genres[1:3], lambda g: g.genre || ' ' || round(100 * g.share, 1) || '%') as top_genres,
                                 list_transform(top_artists[1:3], lambda a: a.artist) as top_artists
                          from dim_clusters order by cluster_id""",
    )
    return "<h2>Clusters</h2>" + _table(*table) + profile + sizes + similarity


def section_shap(con) -> str:
    import matplotlib.pyplot as plt
    import numpy as np

    _, glob = query(
        con,
        "select feature, mean_abs_shap from ml_cluster_feature_importance where scope = 'global' order by mean_abs_shap",
    )
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.barh([g[0] for g in glob], [g[1] for g in glob], color="#dd8452")
    ax.set_xlabel("mean |SHAP| (surrogate model predicting the cluster)")
    overall = _img(_png(fig), "Global feature importance (SHAP)")
    _, rows = query(
        con,
        """select i.cluster_id, c.cluster_name, i.feature, i.mean_abs_shap
                            from ml_cluster_feature_importance as i inner join dim_clusters as c using (cluster_id)
                            where i.scope = 'cluster' order by 1""",
    )
    clusters = sorted({(r[0], r[1]) for r in rows})
    m = np.zeros((len(clusters), len(FEATURES)))
    for r in rows:
        m[clusters.index((r[0], r[1])), FEATURES.index(r[2])] = r[3]
    fig, ax = plt.subplots(figsize=(14, 0.5 * len(clusters) + 2))
    im = ax.imshow(m, cmap="Oranges", aspect="auto")
    ax.set_xticks(range(len(FEATURES)), FEATURES, rotation=45, ha="right")
    ax.set_yticks(range(len(clusters)), [c[1] for c in clusters])
    fig.colorbar(im, ax=ax, label="mean |SHAP|")
    return "<h2>What drives each cluster (SHAP)</h2>" + overall + _img(_png(fig), "SHAP importance per cluster")


def section_evaluation(con) -> str:
    evaluation = query(con, "select metric, round(value, 4) as value, protocol from rpt_evaluation order by metric")
    comparison = query(
        con,
        """select method, n_clusters, round(silhouette, 3) as silhouette, round(davies_bouldin, 3) as dbi,
                                      round(calinski_harabasz, 1) as ch, round(noise_share, 4) as noise_share
                               from rpt_clustering_comparison""",
    )
    return (
        "<h2>Evaluation</h2>"
        + _table(*evaluation)
        + "<h3>Clustering comparison (seed 000's table)</h3>"
        + _table(*comparison)
    )


def section_example(con) -> str:
    _, seed = query(
        con,
        "select track_id, track_name, artists from dim_tracks where popularity = (select max(popularity) from dim_tracks) order by track_id limit 1",
    )
    track_id, name, artists = seed[0]
    example = query(
        con,
        """select neighbour_rank as rank, track_name, artists, primary_genre, round(similarity, 3) as similarity,
                                   cluster_name, agree_most, differ_most, shared_genres
                            from rpt_recommendations where seed_track_id = ? order by neighbour_rank limit 10""",
        [track_id],
    )
    return (
        f"<h2>Example: tracks like “{html.escape(name or '')}” by {html.escape(artists or '')}</h2>"
        "<p>agree_most / differ_most: the features (z-scores) where the two tracks are closest / farthest.</p>"
        + _table(*example)
    )


SECTIONS: list[tuple[str, Callable]] = [
    ("overview", section_overview),
    ("k selection", section_k_selection),
    ("k-distance", section_kdistance),
    ("2-D maps", section_maps),
    ("clusters", section_clusters),
    ("SHAP", section_shap),
    ("evaluation", section_evaluation),
    ("example recommendations", section_example),
]

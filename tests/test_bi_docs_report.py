"""BI access (Parquet marts, older DuckDB; SQLAlchemy during a build: test_concurrency), dbt docs, and the
HTML report (also opened in headless Chromium when it is installed)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.helpers import docs_text
from wavehouse.build import dbt_args, run_dbt
from wavehouse.paths import PACKAGE_ROOT, build_db, published_db
from wavehouse.report import SECTIONS, render_report


def test_marts_are_exported_as_parquet(built_home):
    marts = built_home / "marts"
    names = sorted(p.stem for p in marts.glob("*.parquet"))
    for expected in (
        "dim_tracks",
        "dim_clusters",
        "fct_track_neighbours",
        "rpt_evaluation",
        "rpt_cluster_playlists",
        "ml_runs",
    ):
        assert expected in names
    assert "fct_recommendation_candidates" not in names  # the look-ups' copy of three exported marts
    assert not list(marts.glob(".*.tmp"))
    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    for name in ("dim_tracks", "fct_track_neighbours"):
        in_db = con.execute(f"select count(*) from {name}").fetchone()[0]
        in_parquet = con.execute("select count(*) from read_parquet(?)", [str(marts / f"{name}.parquet")]).fetchone()[0]
        assert in_db == in_parquet > 0
    con.close()


def test_published_file_opens_with_duckdb_1_5(built_home):
    """CI creates a venv with duckdb 1.5 and sets WAVEHOUSE_OLD_DUCKDB_PYTHON (see .ci/run)."""
    python = os.environ.get("WAVEHOUSE_OLD_DUCKDB_PYTHON")
    if not python:
        pytest.skip("set WAVEHOUSE_OLD_DUCKDB_PYTHON to a python with duckdb 1.5 installed (.ci/run does)")
    code = (
        "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__, con.execute('select count(*) from dim_tracks').fetchone()[0])"
    )
    out = subprocess.run(
        [python, "-c", code, str(published_db(built_home))], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    version, count = out.stdout.split()
    assert version.startswith("1.5") and int(count) > 2000


def test_dbt_docs_generate_and_every_model_documented(built_home, tmp_path):
    home = tmp_path / "docs_home"
    build_db(home).parent.mkdir(parents=True)
    shutil.copy(published_db(built_home), build_db(home))
    run_dbt(dbt_args(["docs", "generate"], home), home, Path(os.devnull))
    target = home / "build" / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert (target / "index.html").is_file()
    problems = []
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        name = node["name"]
        if not node["description"].strip():
            problems.append(f"{name}: no description")
        actual = catalog["nodes"].get(node["unique_id"], {}).get("columns", {})
        documented = {c.lower() for c, meta in node["columns"].items() if meta.get("description", "").strip()}
        missing = sorted(c for c in actual if c.lower() not in documented)
        if missing:
            problems.append(f"{name}: undocumented columns {missing}")
        if re.match(r"^(dim|fct)_", name) and not node["config"].get("contract", {}).get("enforced"):
            problems.append(f"{name}: mart without an enforced contract")
    assert not problems, "\n".join(problems)
    assert {e["name"] for e in manifest["exposures"].values()} >= {"wavehouse_cli", "wavehouse_report", "bi_marts"}


@pytest.fixture(scope="module")
def report_file(built_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    messages = []
    render_report(published_db(built_home), out, progress=messages.append)
    assert len(messages) == len(SECTIONS)
    return out


def test_report_is_self_contained_with_every_section(report_file):
    page = report_file.read_text(encoding="utf-8")
    for name, _ in SECTIONS:
        assert f"id='{name.replace(' ', '-')}'" in page
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) >= 10 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "http://" not in page and "https://" not in page.replace("https://open.spotify.com", "")
    for heading in ("Choosing k", "k-distance", "PCA", "LDA", "TSNE", "Clusters", "SHAP", "Evaluation", "Example"):
        assert heading in page


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (CI installs Debian's chromium)")
def test_report_in_headless_chromium(report_file, tmp_path):
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            report_file.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    images = re.search(r'data-images="(\d+)"', dom.stdout)
    loaded = re.search(r'data-images-loaded="(\d+)"', dom.stdout)
    assert images and loaded, dom.stderr[-2000:]
    assert int(images.group(1)) >= 10 and loaded.group(1) == images.group(1)
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--window-size=1300,3000",
            f"--screenshot={shot}",
            report_file.as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.std() > 0.05  # not a blank page


def test_readme_figures_are_rendered_from_a_build(built_home):
    """bench/readme_figures.py fills every figures block of the README and docs/ from a warehouse
    (here the fixture's) and the benchmark JSON; the pages' own blocks come from the bundled catalogue."""
    spec = importlib.util.spec_from_file_location("readme_figures", PACKAGE_ROOT / "bench" / "readme_figures.py")
    readme_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_figures)

    readme = docs_text()
    rendered = readme_figures.render(
        published_db(built_home), PACKAGE_ROOT / "bench" / "results" / "latest.json", readme, "test"
    )
    con = duckdb.connect(str(published_db(built_home)), read_only=True)
    kept = con.execute("select count(*) from dim_tracks").fetchone()[0]
    names = [r[0] for r in con.execute("select cluster_name from dim_clusters").fetchall()]
    con.close()
    assert f"{kept:,} tracks kept" in rendered and all(name in rendered for name in names)
    for block in ("provenance", "build", "quality", "clusters", "bench"):
        body = rendered.split(f"<!-- figures:{block} -->\n")[1].split(f"\n<!-- /figures:{block} -->")[0]
        assert body.strip(), block
    assert "<!-- figures:" in readme and "commit `" in readme.split("<!-- /figures:provenance -->")[0]

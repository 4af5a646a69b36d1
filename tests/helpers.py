"""What tests call (conftest.py holds the fixtures): the fixture files, the quick dbt vars, copying a
built home, building only the ingest models, and readers running while a build publishes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CSV = FIXTURES / "tracks_fixture.csv"
ROOT = Path(__file__).resolve().parent.parent


def doc_pages() -> list[Path]:
    """The README and the docs pages: where every example a user can type lives."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def docs_text() -> str:
    """The README and the docs pages, as one text."""
    return "\n".join(page.read_text(encoding="utf-8") for page in doc_pages())


# dbt vars for builds whose subject is not the models (reading a layout, a format, an encoding,
# incremental bookkeeping): the same stages on smaller samples and a smaller genre head, so each
# such build is quicker
QUICK = {
    "k_max": 6,
    "tsne_sample": 300,
    "tsne_max_iter": 250,
    "shap_fit_sample": 500,
    "shap_explain_sample": 100,
    "genre_head": {"width": 64, "depth": 1, "epochs": 5},
}


def quick_vars(**more) -> str:
    """QUICK plus `more`, as the JSON text `--vars` / build(dbt_vars=) take."""
    return json.dumps({**QUICK, **more})


QUICK_VARS = quick_vars()


def copy_home(source: Path, target: Path) -> Path:
    """A copy of a built home's published warehouse (not its build folder), to build on."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("build"))
    return target


def ingest(data: Path, home: Path) -> Path:
    """Only the ingest models (read, type, quarantine, dedupe: what every model downstream reads),
    with their dbt tests, into home's build file (never published); returns that file."""
    from wavehouse.build import INGEST_MODELS, dbt_args, run_dbt
    from wavehouse.paths import build_db

    run_dbt(dbt_args("build", home, ["--select", *INGEST_MODELS]), home, data)
    return build_db(home)


def read_during_build(readers: list[str], home: Path, data: Path, tmp_path: Path) -> list[tuple[int, int, str]]:
    """Run each reader's code (argv: published db, stop file; prints "queries errors") in its own
    process, all at once, while one build of `data` runs and publishes into `home`; return
    (queries, errors, its stderr) per reader."""
    from wavehouse.build import build
    from wavehouse.paths import published_db

    stop = tmp_path / "stop-reader"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(published_db(home)), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for code in readers
    ]
    try:
        time.sleep(1.5)
        build(data=data, base=home, force=True)  # must not fail on the readers' locks
        time.sleep(0.5)
    finally:
        stop.touch()
        outputs = [proc.communicate(timeout=60) for proc in procs]
    results = []
    for out, err in outputs:
        queries, errors = map(int, out.split())
        results.append((queries, errors, err))
    return results

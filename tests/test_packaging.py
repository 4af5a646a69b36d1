"""Installed as a stranger installs it: a normal (non-editable) wheel in a fresh venv, run from
another directory with no WAVEHOUSE_HOME; and the dbt project's metadata quality (dbt-score)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import QUICK_VARS
from wavehouse.paths import PACKAGE_ROOT

ED_SHEERAN = "7qiZfU4dY1lWllzX7mPBI3"


# what a checkout holds beside its sources: caches, dbt's output, the venv; a top-level build/ is
# setuptools' (warehouse/build/ is the package wavehouse.build)
_OUTPUTS = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "__pycache__", "target", "logs", ".pytest_cache", "*.duckdb*"
)


def ignore_outputs(folder: str, names: list[str]) -> set[str]:
    return set(_OUTPUTS(folder, names)) | ({"build"} if Path(folder) == PACKAGE_ROOT else set())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # from a copy of the tree: setuptools writes build/ and *.egg-info beside the sources it builds
    source = tmp_path_factory.mktemp("source") / "wavehouse"
    shutil.copytree(
        PACKAGE_ROOT,
        source,
        ignore=ignore_outputs,
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("wavehouse-*.whl"))


def test_wheel_carries_the_dbt_project_and_the_bundled_catalogue(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "wavehouse/dbt_project/dbt_project.yml" in names and "wavehouse/dbt_project/profiles.yml" in names
    assert "wavehouse/data/spotify_tracks_114k.csv.gz" in names and "wavehouse/dbt_project/models/docs.md" in names
    for folder in (
        "models/staging",
        "models/intermediate",
        "models/marts",
        "models/ml",
        "models/reports",
        "macros",
        "tests/generic",
        "seeds",
    ):
        shipped = {n.rsplit("/", 1)[-1] for n in names if n.startswith(f"wavehouse/dbt_project/{folder}/")}
        on_disk = {p.name for p in (PACKAGE_ROOT / "dbt_project" / folder).iterdir() if p.is_file()}
        assert on_disk <= shipped, f"{folder}: not in the wheel: {on_disk - shipped}"
    # every module of every room (sub-packages included), under the import names
    for folder, package in (
        ("warehouse", "wavehouse"),
        ("cli", "wavehouse/cli"),
        ("web", "wavehouse/web"),
        ("models_py", "wavehouse/models_py"),
    ):
        modules = {
            f"{package}/{p.relative_to(PACKAGE_ROOT / folder).as_posix()}"
            for p in (PACKAGE_ROOT / folder).rglob("*.py")
            if "__pycache__" not in p.parts
        }
        assert modules and modules <= names, f"{folder}: not in the wheel: {sorted(modules - names)}"


@pytest.mark.slow
def test_wheel_builds_and_recommends_from_any_directory(wheel, tmp_path, fixture_csv):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # the dependencies come from this environment (a path in a .pth file: this environment's own
    # editable install of wavehouse is not imported), wavehouse itself only from the wheel
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "somewhere_else"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAVEHOUSE_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "xdg"))
    wavehouse = str(venv / "bin" / "wavehouse")
    located = subprocess.run(
        [str(python), "-c", "import wavehouse.paths as p; print(p.project_dir(), p.default_data())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert located.startswith(site) and str(PACKAGE_ROOT) not in located
    # QUICK vars: the subject is the installed package (the default models: built_home)
    built = subprocess.run(
        [wavehouse, "build", "--data", str(fixture_csv), "--vars", QUICK_VARS],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert "leaked" not in built.stderr and "leaked" not in built.stdout
    published = tmp_path / "xdg" / "wavehouse" / "wavehouse.duckdb"
    assert published.is_file() and f"published {published}" in built.stdout
    # the console: counts, one line per stage, the tests, what to try next
    assert "rejected 9" in built.stdout and "dbt tests passed" in built.stdout
    assert any(
        line.startswith("[") and line.rstrip().endswith(" s") and "genre_head" in line
        for line in built.stdout.splitlines()
    )
    assert 'next: wavehouse recommend "' in built.stdout
    assert not list(elsewhere.iterdir()), "the build wrote into the current directory"
    other = tmp_path / "another_dir"
    other.mkdir()
    rec = subprocess.run(
        [wavehouse, "recommend", "Ed Sheeran - Shape of You", "-k", "5", "--format", "csv"],
        cwd=other,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rec.returncode == 0, rec.stderr
    assert len(rec.stdout.strip().splitlines()) == 6 and ED_SHEERAN in rec.stderr
    assert "leaked" not in rec.stderr
    # the same input, vars, code (the installed package's) and libraries: nothing to build
    was = published.stat().st_mtime_ns
    again = subprocess.run(
        [wavehouse, "build", "--data", str(fixture_csv), "--vars", QUICK_VARS],
        cwd=other,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout[-2000:] + again.stderr[-2000:]
    assert published.stat().st_mtime_ns == was


def test_dbt_score_of_the_project(built_home):
    """Every model, seed and macro documented, owned, with an example query and a primary-key
    uniqueness test where it has a key: dbt-score >= 9.5 without disabling rules (on the manifest
    the fixture build wrote: the whole project, parsed by dbt)."""
    manifest = built_home / "build" / "target" / "manifest.json"
    lint = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt-score"),
            "lint",
            "--manifest",
            str(manifest),
            "--fail-project-under",
            "9.5",
            "--show",
            "failing-rules",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-2000:]
    plain = re.sub(r"\x1b\[[0-9;]*m", "", lint.stdout)
    score = float(re.search(r"Project score:\s*([0-9.]+)", plain).group(1))
    assert score >= 9.5

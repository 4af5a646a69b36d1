"""Where things live. Every path comes from an environment variable with a documented default."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import WavehouseError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# An installed wheel carries the dbt project and the bundled catalogue inside the package
# (wavehouse/dbt_project, wavehouse/data); a source checkout has them beside it.
INSTALLED_ROOT = Path(__file__).resolve().parent
DB_NAME = "wavehouse.duckdb"
DATA_FILE = "spotify_tracks_114k.csv.gz"


def default_home() -> Path:
    """$XDG_DATA_HOME/wavehouse, i.e. ~/.local/share/wavehouse by default: one place, whatever the
    current directory, and never inside the source tree or site-packages."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wavehouse"


def home() -> Path:
    """The warehouse folder: $WAVEHOUSE_HOME, else default_home()."""
    override = os.environ.get("WAVEHOUSE_HOME")
    return (Path(override) if override else default_home()).expanduser().resolve()


def published_db(base: Path | None = None) -> Path:
    """The file readers open (read-only)."""
    return (base or home()) / DB_NAME


def build_dir(base: Path | None = None) -> Path:
    return (base or home()) / "build"


def build_db(base: Path | None = None) -> Path:
    """The file dbt writes; published by an atomic rename when the build succeeds."""
    return build_dir(base) / DB_NAME


def _shipped(relative: str) -> Path:
    """A file or folder shipped with wavehouse: inside the installed package, else in the checkout."""
    for root in (INSTALLED_ROOT, PACKAGE_ROOT):
        if (root / relative).exists():
            return root / relative
    raise WavehouseError(
        f"{relative} is missing from this wavehouse installation ({INSTALLED_ROOT}); "
        "reinstall it (pip install wavehouse, or pip install -e . in a checkout)"
    )


def project_dir() -> Path:
    """The dbt project shipped with wavehouse ($WAVEHOUSE_PROJECT_DIR overrides it)."""
    override = os.environ.get("WAVEHOUSE_PROJECT_DIR")
    path = Path(override) if override else _shipped("dbt_project")
    if not (path / "dbt_project.yml").is_file():
        raise WavehouseError(
            f"no dbt project (dbt_project.yml) at {path}; unset WAVEHOUSE_PROJECT_DIR or point it at one"
        )
    return path


def default_data() -> Path:
    """The bundled catalogue: the real 114,000-row Spotify tracks file, gzip-compressed."""
    return _shipped(f"data/{DATA_FILE}")

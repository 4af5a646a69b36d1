"""Where things live. Every path comes from an environment variable with a documented default."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "wavehouse.duckdb"


class WavehouseError(Exception):
    """An error meant for the user: printed as one line, never as a traceback."""


def home() -> Path:
    """The warehouse folder: $WAVEHOUSE_HOME, default ./warehouse (relative to the current directory)."""
    return Path(os.environ.get("WAVEHOUSE_HOME", "warehouse")).expanduser().resolve()


def published_db(base: Path | None = None) -> Path:
    """The file readers open (read-only)."""
    return (base or home()) / DB_NAME


def build_dir(base: Path | None = None) -> Path:
    return (base or home()) / "build"


def build_db(base: Path | None = None) -> Path:
    """The file dbt writes; published by an atomic rename when the build succeeds."""
    return build_dir(base) / DB_NAME


def project_dir() -> Path:
    """The dbt project shipped with wavehouse ($WAVEHOUSE_PROJECT_DIR overrides it)."""
    override = os.environ.get("WAVEHOUSE_PROJECT_DIR")
    path = Path(override) if override else PACKAGE_ROOT / "dbt_project"
    if not (path / "dbt_project.yml").is_file():
        raise WavehouseError(
            f"dbt project not found at {path}; install wavehouse from its source tree "
            "(pip install -e .) or set WAVEHOUSE_PROJECT_DIR"
        )
    return path


def default_data() -> Path:
    """The bundled catalogue: the real 114,000-row Spotify tracks file, gzip-compressed."""
    return PACKAGE_ROOT / "data" / "spotify_tracks_114k.csv.gz"

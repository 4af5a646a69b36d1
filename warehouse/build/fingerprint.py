"""What a build is of: a SHA-256 of its input files, arguments, code and library versions, and the
fingerprint of the published warehouse, so that a build with nothing changed builds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ..paths import project_dir
from .options import input_files

CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".csv", ".toml"}


def code_files() -> list[Path]:
    """The code a build's tables depend on: the dbt project (models, macros, seeds, tests) and the
    Python package (models_py, the ML I/O), sources only (no caches, logs or targets)."""
    from ..models_py import embed

    roots = {project_dir(), Path(__file__).resolve().parents[1], Path(embed.__file__).parent}
    skip = {"__pycache__", "target", "logs", "dbt_packages", "data"}
    files = set()
    for root in roots:
        for path in root.rglob("*"):
            parts = path.relative_to(root).parts
            if (
                path.suffix in CODE_SUFFIXES
                and path.is_file()
                and not (skip & set(parts) or any(part.startswith(".") for part in parts))
            ):  # no dotfiles (dbt's .user.yml)
                files.add(path)
    return sorted(files)


def build_fingerprint(data: Path, arguments: list[str]) -> str:
    """A SHA-256 of everything a build's tables are computed from: the bytes of the input files
    (and their names inside a folder or glob), the build's arguments (--vars: parameters, column
    map, encoding; the engine), the code (code_files) and the library versions. Two builds with
    the same fingerprint compute the same tables (every model is seeded)."""
    import hashlib

    from ..ml import library_versions

    digest = hashlib.sha256()

    def add(label: str, text: str) -> None:
        digest.update(f"{label}\0{text}\0".encode())

    files = input_files(data)
    for path in files:
        add("input", path.name if len(files) > 1 or data.is_dir() else path.suffix)
        with open(path, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    add("arguments", json.dumps(arguments))
    for path in code_files():
        add("code", path.name)
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    add("libraries", json.dumps(library_versions(), sort_keys=True))
    return digest.hexdigest()


def published_fingerprint(db: Path) -> tuple[str, str] | None:
    """(fingerprint, when its build started, UTC) of the published warehouse (ml_build_plan,
    ml_runs), or None when it has none: no warehouse, one from before fingerprints, or one built
    by a plain `dbt build`."""
    if not db.is_file():
        return None
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute("""select p.input_fingerprint, strftime(r.started_at, '%Y-%m-%d %H:%M:%S')
                              from ml_build_plan as p left join ml_runs as r using (run_id)""").fetchall()
    except duckdb.Error:  # an older warehouse: no such column
        return None
    finally:
        con.close()
    return (rows[0][0], rows[0][1] or "") if rows and rows[0][0] else None

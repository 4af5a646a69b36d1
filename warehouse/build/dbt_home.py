"""The warehouse folder as dbt sees it: one alias path per process, so that dbt's partial parse
carries from one build to the next in the same process instead of a full parse (about 5 s) each.

dbt reuses its saved parse (target/partial_parse.msgpack) only if the values of the environment
variables that profiles.yml and dbt_project.yml read are unchanged; WAVEHOUSE_HOME is one of them
(the build file's path). dbt is therefore given an alias, a symlink that this process points at
the folder it builds (`<tmp>/wavehouse-dbt-<uid>/<pid>` -> the real folder), and the saved parse
of this process's previous build is copied into a new folder's target/. dbt still checks
everything else (project files, vars, the other variables) and parses again where they differ.
Paths that the models record are resolved to the real folder (wavehouse.ml.config)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PARSE_FILE = "partial_parse.msgpack"

_last_parse: Path | None = None  # the saved parse of this process's last dbt run


def alias_for(base: Path) -> Path:
    """Point this process's alias at `base` and return it; `base` itself where no private alias
    folder can be made (another user owns the name, or the file system has no symlinks)."""
    folder = Path(tempfile.gettempdir()) / f"wavehouse-dbt-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.stat().st_uid != os.getuid() or folder.is_symlink():
            return base
        alias = folder / str(os.getpid())
        staged = folder / f"{os.getpid()}.new"
        staged.unlink(missing_ok=True)
        staged.symlink_to(base.resolve(), target_is_directory=True)
        os.replace(staged, alias)  # atomic: the alias always names one folder
        return alias
    except OSError:
        return base


def seed_parse(target: Path) -> None:
    """Before a dbt run that writes to `target`: give it this process's last saved parse if it has
    none (dbt then decides whether it still applies)."""
    if _last_parse is not None and _last_parse.is_file() and not (target / PARSE_FILE).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_last_parse, target / PARSE_FILE)


def remember_parse(target: Path) -> None:
    """After a dbt run that wrote to `target`: its saved parse is the one to seed the next from."""
    global _last_parse
    if (target / PARSE_FILE).is_file():
        _last_parse = target / PARSE_FILE

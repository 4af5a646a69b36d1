"""What a build is given, checked and turned into dbt's arguments: the input path (a file, a
folder, a glob) and its files, --columns, --vars with the encoding, and one var more."""

from __future__ import annotations

import glob
import json
from pathlib import Path

from ..errors import WavehouseError
from ..paths import default_data

INGEST_MODELS = ["stg_catalogue__records", "stg_spotify__tracks", "int_tracks_rejected", "int_tracks_deduped"]


def resolve_data(data: Path | str | None) -> Path:
    """The input as an absolute path: a file, a folder of CSV/Parquet parts, or a glob."""
    if data is None:
        return default_data()
    path = Path(data).expanduser()
    path = path if path.is_absolute() else Path.cwd() / path
    if not path.exists() and not glob.glob(str(path)):
        raise WavehouseError(f"input not found: {data} (give a CSV or Parquet file, a folder of them, or a glob)")
    return path.resolve() if path.exists() else path


def column_map(text: str | None) -> dict[str, str]:
    """`--columns track_id=id,track_name=name` as {ours: theirs}."""
    mapping = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        ours, sep, theirs = part.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise WavehouseError(
                f"--columns: {part!r} is not OURS=THEIRS (e.g. --columns track_name=title,artists=artist)"
            )
        mapping[ours.strip()] = theirs.strip()
    return mapping


def vars_argument(dbt_vars: str | None, columns: dict[str, str] | None, encoding: str | None) -> list[str]:
    """--vars for dbt: the user's YAML, plus column_map and encoding from the CLI flags."""
    if not (dbt_vars or columns or encoding):
        return []
    import yaml

    values = yaml.safe_load(dbt_vars) if dbt_vars else {}
    if not isinstance(values, dict):
        raise WavehouseError(f"--vars must be a YAML mapping, e.g. '{{latent_dim: 16}}'; got {dbt_vars!r}")
    if columns:
        values["column_map"] = {**(values.get("column_map") or {}), **columns}
    if encoding:
        values["encoding"] = encoding
    return ["--vars", json.dumps(values)]


def with_var(dbt_extra: list[str], name: str, value, unless_set: bool = False) -> list[str]:
    """dbt_extra with one more var in its --vars (added if there is none); with unless_set, a var
    the user set is kept."""
    extra = list(dbt_extra)
    if "--vars" in extra:
        i = extra.index("--vars")
        values = json.loads(extra[i + 1])
        if not (unless_set and name in values):
            extra[i + 1] = json.dumps({**values, name: value})
        return extra
    return extra + ["--vars", json.dumps({name: value})]


def input_files(data: Path) -> list[Path]:
    """The files behind a resolved --data: the file, every file directly in the folder, or the
    glob's files (a superset of what the source macro reads, in name order)."""
    if data.is_file():
        return [data]
    if data.is_dir():
        return sorted(p for p in data.iterdir() if p.is_file())
    return sorted(Path(p) for p in glob.glob(str(data)) if Path(p).is_file())

"""`wavehouse build --listens PATH`: who listened, and which of their files are listening histories,
staged for the dbt models that read them (models/staging/stg_listens__streams.sql).

PATH is a file, a zip (as Spotify delivers it), a folder or a quoted glob:
- a folder whose entries include sub-folders or zips: each such entry is one person, named after it
  (`history/alex/`, `history/sam.zip`); Spotify's own folders inside an unpacked download
  ("Spotify Extended Streaming History", "Spotify Account Data") are not people;
- anything else (a file, a zip, a folder of files, a glob) is one person, named by the export's user
  name field, else by `listener`, else "me".

Staging copies each listening file (zips are unpacked with zipfile, DuckDB has no zip reader) to
`<staging>/<format>/<n>.<ext>` and writes `<staging>/files.csv` (file, format, listener_name). A
plain CSV is rewritten with our header (track, artist, title, played_at, listener, ms_played,
row: its line in the file, which tells apart two plays of a song in a CSV without times).
Other files (playlists, library, payments) are skipped and named in the notes. The staging folder
holds raw exports (IP addresses among them): the build deletes it when it ends, success or not.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import WavehouseError
from .formats import CSV, Recognised, recognise

LISTENING_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv")
STAGED_CSV_HEADER = ["track", "artist", "title", "played_at", "listener", "ms_played", "row"]


@dataclass
class Staged:
    folder: Path
    formats: list[str]
    listeners: list[str]
    files: int
    notes: list[str] = field(default_factory=list)
    digest: str = ""  # SHA-256 of the staged files and the manifest: part of the build's fingerprint

    def dbt_var(self) -> dict:
        return {"dir": str(self.folder), "formats": self.formats}

    def summary(self) -> str:
        names = ", ".join(self.listeners[:5]) + (", ..." if len(self.listeners) > 5 else "")
        skipped = f"; {len(self.notes)} other files skipped (not listening histories)" if self.notes else ""
        return f"listens: {self.files} files of {len(self.listeners)} listener(s) ({names}){skipped}"


def pseudonym(name: str) -> str:
    """A stable stand-in for a listener's name: the same name gives the same pseudonym."""
    return "listener-" + hashlib.sha256(f"wavehouse listener\0{name}".encode()).hexdigest()[:10]


def _is_person(entry: Path) -> bool:
    if entry.name.startswith(".") or entry.name.lower().startswith("spotify "):
        return False
    return entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip")


def people(path: Path | str) -> list[tuple[str | None, list[Path]]]:
    """(name or None, the files and zips to read) per person under PATH (see the module docstring)."""
    given = Path(path).expanduser()
    if given.is_dir():
        entries = sorted(given.iterdir())
        persons = [e for e in entries if _is_person(e)]
        if persons:
            loose = [e for e in entries if e.is_file() and e.suffix.lower() in LISTENING_SUFFIXES]
            found = [(p.stem if p.is_file() else p.name, [p]) for p in persons]
            return found + ([(None, loose)] if loose else [])
        return [(None, [given])]
    if given.is_file():
        return [(None, [given])]
    matches = sorted(Path(p) for p in glob.glob(str(given)))
    if not matches:
        raise WavehouseError(f"--listens: nothing found at {path} (give a file, a zip, a folder or a quoted glob)")
    return [(None, matches)]


def _members(source: Path, unpack: Path):
    """(a readable path, the name to show) for every candidate file under source (zips unpacked)."""
    if source.is_dir():
        for child in sorted(source.rglob("*")):
            if child.is_file():
                yield from _members(child, unpack)
    elif source.suffix.lower() == ".zip":
        try:
            archive = zipfile.ZipFile(source)
        except zipfile.BadZipFile:
            raise WavehouseError(f"{source}: not a readable zip (was the download cut short?)") from None
        with archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                name = info.filename
                if info.is_dir() or not name.lower().endswith(LISTENING_SUFFIXES) or "__MACOSX" in name:
                    continue
                target = unpack / f"{len(list(unpack.iterdir()))}{Path(name).suffix.lower()}"
                try:
                    with archive.open(info) as member, open(target, "wb") as out:
                        shutil.copyfileobj(member, out)
                except (zipfile.BadZipFile, EOFError, OSError) as error:
                    raise WavehouseError(f"{source}: {name} cannot be unpacked ({error})") from None
                yield target, f"{source.name}/{name}"
    elif source.suffix.lower() in LISTENING_SUFFIXES:
        yield source, str(source)


def _write_csv(source: Path, target: Path, found: Recognised, rename) -> None:
    with open(source, newline="", encoding="utf-8-sig") as handle, open(target, "w", newline="") as out:
        rows = csv.reader(handle)
        next(rows, None)
        writer = csv.writer(out)
        writer.writerow(STAGED_CSV_HEADER)
        for number, row in enumerate(rows, 2):  # the file's line (the header is line 1)
            values = [
                row[found.csv_columns[c]] if c in found.csv_columns and found.csv_columns[c] < len(row) else ""
                for c in STAGED_CSV_HEADER[:-1]
            ]
            if values[4]:
                values[4] = rename(values[4])
            writer.writerow([*values, number])


def stage_listens(path: Path | str, staging: Path, listener: str | None = None, pseudonymise: bool = False) -> Staged:
    """Stage the listening files under PATH into `staging` (emptied first); see the module docstring.
    Raises WavehouseError when PATH holds no listening history or a file cannot be read."""
    if staging.exists():
        shutil.rmtree(staging)
    unpack = staging / "unpacked"
    unpack.mkdir(parents=True)

    def rename(name: str) -> str:
        return pseudonym(name) if pseudonymise else name

    manifest, notes, formats, digest = [], [], set(), hashlib.sha256()
    looked_at = 0
    for person, sources in people(path):
        for source in sources:
            for readable, shown in _members(source, unpack):
                looked_at += 1
                found = recognise(readable)
                if found is None:
                    notes.append(f"skipped {shown}: not a listening history")
                    continue
                name = person or found.user_name or listener or "me"
                folder = staging / found.format
                folder.mkdir(exist_ok=True)
                target = folder / f"{len(manifest) + 1:05d}{'.csv' if found.format == CSV else '.json'}"
                if found.format == CSV:
                    _write_csv(readable, target, found, rename)
                else:
                    shutil.copyfile(readable, target)
                digest.update(target.read_bytes())
                manifest.append({"file": target.name, "format": found.format, "listener_name": rename(name)})
                formats.add(found.format)
    shutil.rmtree(unpack)
    if not manifest:
        raise WavehouseError(
            f"--listens: no listening history in {path} ({looked_at} JSON/CSV files looked at; expected "
            "Spotify's Streaming_History_Audio_*.json or StreamingHistory_music_*.json, a ListenBrainz "
            "export, or a CSV with a track id or artist and title columns)"
        )
    with open(staging / "files.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["file", "format", "listener_name"])
        writer.writeheader()
        writer.writerows(manifest)
    digest.update(json.dumps(manifest).encode())
    listeners = sorted({m["listener_name"] for m in manifest})
    return Staged(staging, sorted(formats), listeners, len(manifest), notes, digest.hexdigest())


def holds_listens(db: Path) -> bool:
    """Whether a published warehouse holds listening history (its listening models then stay
    enabled in later builds, which carry its streams)."""
    import duckdb

    if not db.is_file():
        return False
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = con.execute("select count(*) from information_schema.tables where table_name = 'int_listens_streams'")
        return bool(found.fetchall()[0][0]) and bool(
            con.execute("select count(*) from int_listens_streams").fetchall()[0][0]
        )
    finally:
        con.close()


@contextmanager
def staged_listens(base: Path, listens, listener: str | None, pseudonymise: bool) -> Iterator[Staged | None]:
    """The listening files under `listens` staged in the build folder for one build (None without
    --listens); the staged copies are deleted when the build ends, whatever happened."""
    if listens is None:
        yield None
        return
    from ..paths import build_dir

    folder = build_dir(base) / "listens"
    try:
        yield stage_listens(listens, folder, listener, pseudonymise)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

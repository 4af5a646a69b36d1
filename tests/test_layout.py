"""The layout's rules (docs/layout.md), checked on the source: the CLI and the web app only parse
and render (no SQL calls, neither imports the other), and no file of the rooms outgrows what a
reader holds (300 lines)."""

import re

import pytest

from wavehouse.paths import PACKAGE_ROOT

ROOMS = ["warehouse", "cli", "web", "models_py", "dbt_project"]


def sources(*folders: str, suffixes=(".py",)):
    for folder in folders:
        for path in sorted((PACKAGE_ROOT / folder).rglob("*")):
            if path.suffix in suffixes and "__pycache__" not in path.parts and "target" not in path.parts:
                yield path


@pytest.mark.parametrize("folder, other", [("cli", "web"), ("web", "cli")])
def test_clients_run_no_sql_and_do_not_import_each_other(folder, other):
    for path in sources(folder):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\.(execute|sql)\(", text), f"{path.name}: a query belongs in wavehouse.lookup"
        assert not re.search(rf"(from|import) wavehouse\.{other}\b", text), f"{path.name} imports wavehouse.{other}"


def test_no_file_in_the_rooms_is_over_300_lines():
    long = {
        str(p.relative_to(PACKAGE_ROOT)): n
        for p in sources(*ROOMS, suffixes=(".py", ".sql"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300
    }
    assert long == {}


def test_the_readme_stays_short():
    """A newcomer reads the README to the end: at most 300 lines; the detail lives in docs/."""
    assert len((PACKAGE_ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 300

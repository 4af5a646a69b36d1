"""dbt's view of the warehouse folder (wavehouse.dbt_home): one alias per process, repointed at each
build's folder, and the last saved parse handed to a new folder."""

from pathlib import Path

from wavehouse.build import dbt_home


def test_the_alias_follows_the_folder_being_built(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    alias = dbt_home.alias_for(first)
    assert alias != first and alias.is_symlink() and alias.resolve() == first.resolve()
    assert dbt_home.alias_for(second) == alias and alias.resolve() == second.resolve()
    (second / "build").mkdir()
    assert (alias / "build").is_dir()


def test_a_new_folder_gets_the_last_saved_parse_and_an_old_one_keeps_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(dbt_home, "_last_parse", None)
    old, new, other = (tmp_path / name / "target" for name in ("old", "new", "other"))
    dbt_home.seed_parse(new)
    assert not (new / dbt_home.PARSE_FILE).exists()  # nothing saved yet in this process
    old.mkdir(parents=True)
    (old / dbt_home.PARSE_FILE).write_bytes(b"old parse")
    dbt_home.remember_parse(old)
    dbt_home.seed_parse(new)
    assert (new / dbt_home.PARSE_FILE).read_bytes() == b"old parse"
    other.mkdir(parents=True)
    (other / dbt_home.PARSE_FILE).write_bytes(b"its own")
    dbt_home.seed_parse(other)
    assert (other / dbt_home.PARSE_FILE).read_bytes() == b"its own"
    dbt_home.remember_parse(Path(tmp_path / "nowhere"))  # no parse written: the last one stays
    assert dbt_home._last_parse == old / dbt_home.PARSE_FILE

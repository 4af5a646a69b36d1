"""Searches are a choice: a build trains the config of dbt_project.yml; `wavehouse tune` searches,
stores its choice, and later full builds reuse it until it is tuned again."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.helpers import QUICK, QUICK_VARS, copy_home
from wavehouse.build import build
from wavehouse.paths import project_dir, published_db

# a small search space, so that tuning the fixture stays quick (and the other stages, QUICK_VARS)
SEARCH = json.dumps(
    {
        **QUICK,
        "genre_head_search": [
            {"width": 32, "depth": 1, "epochs": 4},
            {"width": 64, "depth": 1, "epochs": 4, "lr": 0.01},
        ],
        "hybrid_audio_weights": [0.4, 0.6],
    }
)


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def tuned(tmp_path_factory, fixture_csv) -> Path:
    home = tmp_path_factory.mktemp("tuned")
    summary = build(data=fixture_csv, base=home, dbt_vars=SEARCH, tune=True)
    assert summary.mode == "full" and summary.mode_reason.startswith("tuning")
    return home


def test_a_build_trains_the_defaults_and_says_so(built_home):
    defaults = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())["vars"]
    db = published_db(built_home)
    chosen = rows(db, "select search, config, audio_weight, source, tuning_run_id from ml_genre_head_tuning order by 1")
    assert [(r[0], r[3], r[4]) for r in chosen] == [("genre_head", "defaults", None), ("hybrid_mix", "defaults", None)]
    config = json.loads(chosen[0][1])
    assert {k: config[k] for k in defaults["genre_head"]} == defaults["genre_head"]
    assert chosen[1][2] == defaults["hybrid_audio_weight"]
    ((source, run, head, weight, stages),) = rows(
        db,
        """select config_source, config_tuning_run_id, genre_head_config,
                                                      hybrid_audio_weight, json_keys(stage_seconds) from ml_runs""",
    )
    assert (source, run, json.loads(head), weight) == ("defaults", None, config, defaults["hybrid_audio_weight"])
    assert "genre_head_search" not in stages and "hybrid_mix_search" not in stages and "genre_head" in stages


def test_tuning_scores_every_candidate_and_trains_the_best(tuned):
    db = published_db(tuned)
    searched = rows(
        db,
        """select search, count(*), count(*) filter (where is_chosen), max(validation_hit_at_10),
                                  max(validation_hit_at_10) filter (where is_chosen), count(distinct tuning_run_id),
                                  bool_and(source = 'search')
                           from ml_genre_head_tuning group by 1 order by 1""",
    )
    # two configs x four outputs, two mixes; the best config is the chosen one
    assert [r[:3] for r in searched] == [("genre_head", 8, 1), ("hybrid_mix", 2, 1)]
    assert searched[0][3] == searched[0][4] and all(r[5] == 1 and r[6] for r in searched)
    ((best,),) = rows(
        db,
        """select max(validation_hit_at_10) from ml_genre_head_tuning
                           where search = 'hybrid_mix' and validation_own_artist_share <= 0.15""",
    )
    assert best is None or best == searched[1][4]
    ((source, run, head, weight, this_run),) = rows(
        db,
        """
        select config_source, config_tuning_run_id, genre_head_config, hybrid_audio_weight, run_id from ml_runs""",
    )
    ((config, chosen_weight),) = rows(
        db,
        """select max(config), max(audio_weight) from ml_genre_head_tuning
                                           where is_chosen""",
    )
    assert (source, run, json.loads(head), weight) == ("search", this_run, json.loads(config), chosen_weight)
    assert (
        json.loads(head)["width"] in (32, 64)
        and "genre_head_search" in rows(db, "select json_keys(stage_seconds) from ml_runs")[0][0]
    )


def test_full_builds_keep_the_tuned_config_until_told_otherwise(tuned, fixture_csv, tmp_path):
    home = copy_home(tuned, tmp_path / "home")
    tuning = "select * exclude (tuned_at) from ml_genre_head_tuning order by search, candidate_id"
    before = rows(published_db(home), tuning)
    ((tuning_run,),) = rows(published_db(home), "select run_id from ml_runs")

    again = build(data=fixture_csv, base=home, full_refresh=True, dbt_vars=QUICK_VARS)  # no search vars: not needed
    db = published_db(home)
    assert again.mode == "full" and rows(db, tuning) == before
    ((source, run, head),) = rows(db, "select config_source, config_tuning_run_id, genre_head_config from ml_runs")
    ((chosen,),) = rows(db, "select config from ml_genre_head_tuning where search = 'genre_head' and is_chosen")
    # the searched config (4 epochs), not the genre_head var of this build (QUICK_VARS: 5)
    assert (source, run) == ("search", tuning_run) and json.loads(head) == json.loads(chosen)
    assert json.loads(head)["epochs"] == 4
    assert "genre_head_search" not in rows(db, "select json_keys(stage_seconds) from ml_runs")[0][0]

    build(data=fixture_csv, base=home, full_refresh=True, dbt_vars=json.dumps({**QUICK, "use_tuned_config": False}))
    assert rows(published_db(home), "select config_source from ml_runs") == [("defaults",)]

"""What dbt gives a model's Jinja that sqlfluff's Jinja templater does not: `.sqlfluff` loads this.

Contract: each model renders as it would in a default DuckDB build (`var` returns the defaults of
`dbt_project.yml`, `adapter.dispatch` picks the `duckdb__` macro, else the `default__` one; `flags` as `dbt docs
generate` has them, which reads no catalogue file), so the
linter reads the SQL that such a build runs. Nothing here runs at build time.
"""

from datetime import datetime
from pathlib import Path

import jinja2
import yaml

_VARS = yaml.safe_load((Path(__file__).parents[1] / "dbt_project.yml").read_text())["vars"]

invocation_id = "00000000-0000-0000-0000-000000000000"
run_started_at = datetime(2026, 1, 1)


def var(name, default=None):
    """dbt's `var()`: the project default, else the default given."""
    return _VARS.get(name, default)


def env_var(name, default=""):
    """dbt's `env_var()`: its default (lint renders the default build)."""
    return default


class _Flags:
    FULL_REFRESH = False
    WHICH = "generate"  # as `dbt docs generate` renders: no catalogue file is read


class _Target:
    type = "duckdb"
    name = "lint"
    schema = "main"


class _Adapter:
    @jinja2.pass_context
    def dispatch(self, context, name, macro_namespace=None):
        """dbt's `adapter.dispatch`: the DuckDB implementation, else the default one."""
        return context.get(f"duckdb__{name}") or context[f"default__{name}"]


flags = _Flags()
target = _Target()
adapter = _Adapter()

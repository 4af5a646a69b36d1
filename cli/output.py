"""The CLI's output: rows as a table, JSON or CSV, and user errors as one red line (exit 1)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from functools import wraps
from typing import Any

import click

from wavehouse import lookup
from wavehouse.errors import WavehouseError
from wavehouse.lookup.values import for_people

FORMATS = ("table", "json", "csv")


def _cell(value: Any, width: int = 60) -> str:
    if value is None:
        text = ""
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(_cell(v, width) for v in value)
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps([dict(zip(columns, map(for_people, row))) for row in rows], indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(v, 10_000) for v in row])
        return buffer.getvalue().rstrip("\n")
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def echo_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table") -> None:
    click.echo(render(columns, rows, fmt))


format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format."
)


def user_errors(func):
    """Turn WavehouseError into one line on stderr and exit code 1, never a traceback."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except WavehouseError as exc:
            click.secho(f"Error: {exc}", err=True, fg="red")
            sys.exit(1)

    return wrapper


def with_warehouse(fn):
    """Open the published warehouse read-only for the command, close it after."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with lookup.opened() as con:
            return fn(con, *args, **kwargs)

    return wrapper

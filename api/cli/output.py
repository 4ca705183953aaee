"""Output rules shared by every command: one JSON document on stdout with --json."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from camera_registry.errors import CamregError

stderr = Console(stderr=True)
stdout = Console()


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def emit_json(value: Any) -> None:
    """Print exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(_plain(value), ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> None:
    """Print rows as a table for people."""
    table = Table(title=title or None, show_lines=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    stdout.print(table)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error that says what to fix and exit non-zero."""
    stderr.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn domain errors into a clear message and exit status 2 (nothing is committed)."""
    try:
        yield
    except CamregError as exc:
        for problem in exc.problems[:50]:
            stderr.print(f"  - {problem.describe()}", highlight=False)
        if len(exc.problems) > 50:
            stderr.print(f"  … and {len(exc.problems) - 50} more", highlight=False)
        fail(exc.message)


def warn(message: str) -> None:
    """Print a warning on stderr."""
    stderr.print(f"[yellow]warning:[/] {message}", highlight=False)


def parse_pair(
    value: str, what: str, caster: Callable[[str], float] = float
) -> tuple[float, float]:
    """Parse 'A,B' into two numbers."""
    try:
        a, b = (caster(part) for part in value.split(","))
    except ValueError:
        fail(f"{what} must be two numbers separated by a comma, got {value!r}")
    return a, b


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """Parse 'W,S,E,N' into four numbers."""
    try:
        west, south, east, north = (float(x) for x in value.split(","))
    except ValueError:
        fail(f"--bbox must be W,S,E,N (four numbers), got {value!r}")
    return west, south, east, north


def parse_day(value: str, option: str) -> date:
    """Parse a YYYY-MM-DD date given to an option."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date YYYY-MM-DD, got {value!r}")


def read_geojson(path: Path) -> Any:
    """Read a GeoJSON file given on the command line."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"cannot read GeoJSON from {path}: {exc}")

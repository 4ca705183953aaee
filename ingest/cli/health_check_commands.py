"""`camreg health check`: run the checks now and print the fresh result per camera.

Same conventions as the rest of the CLI: `--json` prints exactly one JSON document on stdout,
messages and progress go to stderr, and a refusal exits 2 with a message that says what to fix.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from camera_registry.clock import utcnow
from camera_registry.errors import CamregError
from config import load_settings
from ingest.health.retention import prune_history
from ingest.health.service import HealthContext, check_now
from ingest.health.vocabulary import CheckTier
from ingest.runtime import IngestRuntime
from ingest.worker import credential_cipher

stderr = Console(stderr=True)
stdout = Console()

_STYLE = {"online": "green", "degraded": "yellow", "offline": "red", "unknown": "dim"}


class TierChoice(StrEnum):
    """Which tiers `camreg health check` runs."""

    REACHABILITY = "reachability"
    PICTURE = "picture"
    BOTH = "both"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `camreg health` group."""
    app.command("check")(check_command)
    app.command("prune")(prune_command)


def _fail(message: str) -> NoReturn:
    escaped = message.replace("[", r"\[")
    stderr.print(f"[bold red]error:[/] {escaped}", highlight=False)
    raise typer.Exit(2)


@contextmanager
def _runtime() -> Iterator[IngestRuntime]:
    try:
        settings = load_settings()
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        _fail(f"invalid settings ({details}); check CAMREG_* variables and the config file")
    runtime = IngestRuntime.from_settings(settings)
    try:
        yield runtime
    except CamregError as exc:
        _fail(exc.message)
    finally:
        runtime.close()


def _tiers(choice: TierChoice) -> set[CheckTier]:
    if choice is TierChoice.BOTH:
        return {CheckTier.REACHABILITY, CheckTier.PICTURE}
    return {CheckTier(choice.value)}


def check_command(
    camera: Annotated[
        list[str] | None,
        typer.Option("--camera", help="Check this camera (repeatable)."),
    ] = None,
    all_cameras: Annotated[
        bool, typer.Option("--all", help="Check every active or maintenance camera with a stream.")
    ] = False,
    tier: Annotated[
        TierChoice, typer.Option("--tier", help="Which checks to run.", case_sensitive=False)
    ] = TierChoice.BOTH,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as one JSON document.")
    ] = False,
) -> None:
    """Run the checks now (not waiting for due times) and print each camera's fresh result."""
    codes = camera or []
    if bool(codes) == all_cameras:
        _fail("give --camera CODE (repeatable) or --all")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    with _runtime() as runtime:
        ctx = HealthContext(
            session_factory=runtime.session_factory,
            settings=runtime.settings,
            cipher=credential_cipher(runtime),
            owner=f"cli:{socket.gethostname()}:{os.getpid()}",
        )

        def progress(label: str, done: int, total: int) -> None:
            # About every 5 %: a line per camera would bury the messages that matter.
            if all_cameras and (done == total or done % max(1, total // 20) == 0):
                stderr.print(f"{label}: {done}/{total} checks done", highlight=False)

        checks = check_now(ctx, codes=codes, tiers=_tiers(tier), progress=progress)
    rows = [c.as_dict() for c in checks]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    _table(rows)


def _tier_cell(tier: dict[str, Any] | None) -> str:
    if tier is None:
        return ""
    if "skipped" in tier:
        return f"skipped: {tier['skipped']}"
    text = ", ".join(tier["reasons"]) or "ok"
    if tier.get("message") and tier["reasons"]:
        text += f" ({tier['message']})"
    return text


def _table(rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"{len(rows)} camera(s) checked")
    for name in ("camera", "state", "reasons", "latency ms", "reachability", "picture", "stored"):
        table.add_column(name, overflow="fold")
    for row in rows:
        state = row["state"] or "-"
        latency = row["latency_ms"]
        table.add_row(
            row["camera"],
            f"[{_STYLE.get(state, '')}]{state}[/]" if state in _STYLE else state,
            ", ".join(row["reasons"]),
            "" if latency is None else f"{latency:.0f}",
            _tier_cell(row["tiers"].get("reachability")),
            _tier_cell(row["tiers"].get("picture")),
            row["stored_state"] or "",
        )
    stdout.print(table)


def prune_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was removed as one JSON document.")
    ] = False,
) -> None:
    """Delete check history older than history_days and snapshots older than snapshot_days."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    with _runtime() as runtime:
        summary = prune_history(runtime.session_factory, runtime.settings, utcnow())
    if as_json:
        sys.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False) + "\n")
        return
    stdout.print(
        f"{summary.rows_deleted} check row(s) older than {summary.history_before:%Y-%m-%d %H:%M}"
        f" UTC deleted; {summary.snapshots_cleared} older snapshot(s) dropped from kept rows;"
        f" {summary.files_removed} snapshot file(s) removed",
        highlight=False,
    )

"""`camreg audit`: read the audit log and verify its hash chain."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import typer

from api.cli.context import state
from api.cli.output import emit_json, emit_table, fail, stderr
from camera_registry.audit.model import AuditEntry
from camera_registry.audit.service import AuditFilter, list_audit, verify_chain

app = typer.Typer(help="The audit log: who searched and read what.", no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print one JSON document on stdout.")
COLUMNS = ["seq", "at", "actor", "role", "source", "action", "target", "outcome", "case_number"]


def parse_moment(value: str, option: str, zone: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """Parse a date or ISO date-time; naive values are read in the display time zone."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            # --until with a bare date includes that whole day.
            day = day + timedelta(days=1) if end_of_day else day
            return datetime.combine(day, time(), tzinfo=zone)
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} takes YYYY-MM-DD or an ISO date-time, got {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def entry_data(entry: AuditEntry) -> dict[str, Any]:
    """Return an audit entry as plain data, hashes included for external checks."""
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "role": entry.role,
        "source": entry.source,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "details": entry.details,
        "case_number": entry.case_number,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


@app.command("list")
def list_command(
    ctx: typer.Context,
    actor: str | None = typer.Option(None, help="Exact actor, e.g. user:an or key:3f9c2a7b1d04."),
    action: str | None = typer.Option(None, help="Action or its prefix, e.g. camera. or auth."),
    case: str | None = typer.Option(None, help="Case number."),
    since: str | None = typer.Option(None, help="From this date or date-time on."),
    until: str | None = typer.Option(None, help="Up to this date (inclusive) or date-time."),
    after: int = typer.Option(0, min=0, help="Continue after this sequence number."),
    limit: int = typer.Option(100, min=1, max=100_000, help="At most this many entries."),
    json_out: bool = JSON_OPT,
) -> None:
    """List audit entries, oldest first."""
    st = state(ctx)
    zone = st.settings.zone
    query = AuditFilter(
        actor=actor,
        action=action,
        case_number=case,
        since=parse_moment(since, "--since", zone) if since else None,
        until=parse_moment(until, "--until", zone, end_of_day=True) if until else None,
    )
    with st.unit() as session:
        entries = list_audit(session, query=query, after_seq=after, limit=limit)
        rows = [entry_data(e) for e in entries]
    if json_out:
        emit_json(rows)
    else:
        for row in rows:
            row["at"] = datetime.fromisoformat(row["at"]).astimezone(zone).isoformat("T", "seconds")
        emit_table(rows, COLUMNS)
    if len(rows) == limit:
        stderr.print(f"more entries may follow: add --after {rows[-1]['seq']}", highlight=False)


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    expect_head: str | None = typer.Option(
        None, help="Hash of the last entry as noted earlier; anything appended since fails."
    ),
    json_out: bool = JSON_OPT,
) -> None:
    """Check the hash chain; exit 1 and list every problem when it was tampered with."""
    st = state(ctx)
    with st.unit() as session:
        report = verify_chain(session, expected_head=expect_head)
    if json_out:
        emit_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "problems": report.problems,
            }
        )
    else:
        sys.stdout.write(f"head seq {report.head_seq} hash {report.head_hash}\n")
        for problem in report.problems:
            stderr.print(f"  - {problem}", highlight=False)
        verdict = "intact" if report.ok else f"BROKEN ({len(report.problems)} problems)"
        stderr.print(f"{report.entries} entries checked: {verdict}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)

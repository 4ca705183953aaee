"""`camreg cameras import` and `camreg cameras export`: whole registries as CSV, XLSX or GeoJSON."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from api.cli.camera_commands import JSON_OPT, build_filter
from api.cli.context import state
from api.cli.output import domain_errors, emit_json, fail, stderr, stdout, warn
from camera_registry.camera.filter import PlaceMatch
from camera_registry.camera.model import CameraStatus, Funding
from camera_registry.errors import FieldProblem, ImportRejected
from camera_registry.transfer.service import (
    ImportReport,
    TransferFormat,
    detect_format,
    export_cameras,
    import_cameras,
)

IMPORT_HELP = """Import cameras from a CSV, XLSX or GeoJSON file: all or nothing, upserted by code.

Columns (CSV/XLSX header, GeoJSON properties): code, name, lat, lon are required; any other
camera field may follow (see `camreg cameras export`). A new code creates a camera; an existing
code updates only the cells that have a value. An EMPTY CELL MEANS "NOT GIVEN": it never clears a
stored value (use `camreg cameras update CODE --set FIELD=` for that). Tags are separated by ';',
yes/no columns accept yes/no/true/false/1/0/có/không, dates YYYY-MM-DD or DD/MM/YYYY.
If any row is wrong, every problem is listed and nothing changes (exit status 2).
"""


def read_limited(ctx: typer.Context, file: Path) -> bytes:
    """Return a file's content, refusing files over the configured upload limit."""
    limit = state(ctx).settings.http.max_upload_bytes
    size = file.stat().st_size
    if size > limit:
        fail(
            escape(
                f"{file} is {size:,} bytes; the limit is {limit:,} (http.max_upload_bytes):"
                " split the file or raise the limit"
            )
        )
    return file.read_bytes()


def print_problems(problems: list[FieldProblem], unit: str) -> None:
    """Print every problem of a rejected file on stderr as `line N, field F: message`."""
    for problem in problems:
        where = f"{unit} {problem.line}, " if problem.line is not None else ""
        # File content ends up in messages: escape it so that "[…]" is not read as markup.
        stderr.print(
            escape(f"{where}field {problem.field}: {problem.message}"),
            highlight=False,
            soft_wrap=True,
        )


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (TextColumn("writing cameras"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("import", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _summary(report: ImportReport) -> str:
    counts = (
        f"{report.rows} rows: {len(report.created)} created, {len(report.updated)} updated,"
        f" {len(report.unchanged)} unchanged"
    )
    return counts + (" (dry run: nothing was changed)" if report.dry_run else "")


def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, XLSX or GeoJSON."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; change nothing."),
    fmt: TransferFormat | None = typer.Option(
        None, "--format", help="File format (default: from the extension)."
    ),
    json_out: bool = JSON_OPT,
) -> None:
    """Import cameras from a file, all or nothing (the command's help is IMPORT_HELP)."""
    st = state(ctx)
    with domain_errors():
        fmt = fmt or detect_format(file.name)
    content = read_limited(ctx, file)
    unit = "feature" if fmt == TransferFormat.GEOJSON else "line"
    show_bar = sys.stderr.isatty() and not json_out
    with domain_errors(), _progress(show_bar) as progress, st.unit() as session:
        try:
            report = import_cameras(
                session,
                content=content,
                fmt=fmt,
                actor=st.actor,
                ctx=st.runtime.write_context(),
                dry_run=dry_run,
                progress=progress,
            )
        except ImportRejected as exc:
            print_problems(exc.problems, unit)
            fail(f"import rejected with {len(exc.problems)} problems; nothing was changed")
    for message in report.warnings:
        warn(escape(message))
    if json_out:
        emit_json(report)
    else:
        stdout.print(_summary(report), highlight=False, markup=False, soft_wrap=True)


def export_command(
    ctx: typer.Context,
    fmt: TransferFormat | None = typer.Option(
        None, "--format", help="csv, xlsx or geojson (default: from --output's extension)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write here (needed for xlsx); default stdout."
    ),
    ward: str | None = typer.Option(None, help="Ward (or area) code."),
    at: str | None = typer.Option(None, help="Take the ward layer valid on this date."),
    near: str | None = typer.Option(None, help="LAT,LON (latitude first)."),
    radius: float | None = typer.Option(None, help="Metres around --near."),
    bbox: str | None = typer.Option(None, help="W,S,E,N in degrees."),
    area: Path | None = typer.Option(None, help="GeoJSON file with a polygon.", exists=True),
    q: str | None = typer.Option(None, help="Free text, accents optional."),
    status: list[CameraStatus] | None = typer.Option(None, help="Lifecycle status (repeatable)."),
    funding: list[Funding] | None = typer.Option(None, help="Funding (repeatable)."),
    consent: bool | None = typer.Option(None, "--consent/--no-consent", help="Owner's consent."),
    tag: list[str] | None = typer.Option(None, help="Tag (repeatable; all must match)."),
    sees: str | None = typer.Option(None, help="LAT,LON that the field of view must cover."),
    match: PlaceMatch = typer.Option(PlaceMatch.POSITION, help="Match places by position or view."),
    code: list[str] | None = typer.Option(None, help="Camera code (repeatable)."),
) -> None:
    """Export the cameras matching the filters (same as `cameras list`) in a re-importable file.

    Stream credentials are never exported; owners' personal data is, for roles that may read it
    (the CLI's admin may), and that read is audited.
    """
    if fmt is None:
        if output is None:
            fail("give --format csv|xlsx|geojson (or --output FILE with one of those extensions)")
        with domain_errors():
            fmt = detect_format(output.name)
    if fmt == TransferFormat.XLSX and output is None:
        fail("an XLSX workbook cannot go to the terminal: give --output FILE.xlsx")
    query = build_filter(
        ward=ward,
        at=at,
        near=near,
        radius=radius,
        bbox=bbox,
        area=area,
        q=q,
        status=[s.value for s in status or []],
        funding=[f.value for f in funding or []],
        consent=consent,
        tag=tag,
        sees=sees,
        match=match,
        code=code,
    )
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        content = export_cameras(session, query=query, actor=st.actor, fmt=fmt)
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(content)
    except OSError as exc:
        fail(escape(f"cannot write {output}: {exc.strerror}"))
    stderr.print(
        f"wrote {output} ({fmt.value}, {len(content):,} bytes)", highlight=False, markup=False
    )


def register(app: typer.Typer) -> None:
    """Add `import` and `export` to the `camreg cameras` group."""
    app.command("import", help=IMPORT_HELP)(import_command)
    app.command("export")(export_command)

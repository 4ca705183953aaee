"""`camreg health webhooks|deliveries|dispatch`: alert subscriptions, the delivery log, sending.

Same conventions as the rest of the CLI: `--json` prints exactly one JSON document on stdout
(arrays for listings), messages go to stderr, and a refusal exits 2 with a message that says
what to fix. The CLI acts as the local operator (`cli:<os user>`, admin); every write is audited.
A generated or rotated secret is printed once, on stdout, and never again.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, SecretStr, ValidationError
from rich.console import Console
from rich.table import Table

from camera_registry.actor import cli_actor
from camera_registry.errors import CamregError
from config import load_settings
from ingest.health.alert_schema import (
    AlertKind,
    DeliveryFilter,
    WebhookCreate,
    WebhookIssued,
    WebhookRead,
    WebhookUpdate,
)
from ingest.health.delivery_log import list_deliveries
from ingest.health.dispatch import BATCH, DispatchSummary, dispatch_due
from ingest.health.model import DeliveryState
from ingest.health.webhooks import (
    alert_cipher,
    create_subscription,
    get_subscription,
    list_subscriptions,
    prepare_ping,
    remove_subscription,
    send_ping,
    subscription_read,
    update_subscription,
)
from ingest.runtime import IngestRuntime

stderr = Console(stderr=True)
stdout = Console()
M = TypeVar("M", bound=BaseModel)

webhooks_app = typer.Typer(
    help="Webhook subscriptions: signed HTTP alerts on camera state changes.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")]
KindOpt = Annotated[
    list[AlertKind] | None,
    typer.Option("--kind", help="Which alerts (repeatable); default: both."),
]
WardOpt = Annotated[
    str | None, typer.Option("--ward", help="Only cameras of this ward (ward code).")
]
NameArg = Annotated[str, typer.Argument(help="Subscription name.")]
RefArg = Annotated[str, typer.Argument(help="Subscription name (or its id, as listed).")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `camreg health` group."""
    app.add_typer(webhooks_app, name="webhooks")
    app.command("deliveries")(deliveries_command)
    app.command("dispatch")(dispatch_command)


def _fail(message: str) -> NoReturn:
    escaped = message.replace("[", r"\[")
    stderr.print(f"[bold red]error:[/] {escaped}", highlight=False)
    raise typer.Exit(2)


def _emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors())


@contextmanager
def _runtime() -> Iterator[IngestRuntime]:
    try:
        settings = load_settings()
    except ValidationError as exc:
        _fail(
            f"invalid settings ({_validation_message(exc)}); check CAMREG_* variables and the "
            "config file"
        )
    runtime = IngestRuntime.from_settings(settings)
    try:
        yield runtime
    except CamregError as exc:
        _fail(exc.message)
    finally:
        runtime.close()


def _build(model: type[M], **values: Any) -> M:
    try:
        return model(**values)
    except ValidationError as exc:
        _fail(_validation_message(exc))


def _show_subscription(hook: WebhookRead, json_out: bool) -> None:
    secret = hook.secret if isinstance(hook, WebhookIssued) else None
    if json_out:
        _emit_json(hook.model_dump(mode="json"))
        return
    stdout.print(
        f"{hook.name} (id {hook.id}): {hook.url} — {', '.join(hook.kinds)}"
        f"{f', ward {hook.ward}' if hook.ward else ''}{'' if hook.active else ', inactive'}",
        highlight=False,
        markup=False,
    )
    if secret:
        stdout.print(f"secret: {secret}", highlight=False, markup=False)
        stderr.print("Keep the secret now: it is shown this once and never again.")


@webhooks_app.command("add")
def add_command(
    name: NameArg,
    url: Annotated[str, typer.Argument(help="http:// or https:// URL that receives the POSTs.")],
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            help="Signing secret (16+ characters); default: generated and printed once.",
        ),
    ] = None,
    kind: KindOpt = None,
    ward: WardOpt = None,
    inactive: Annotated[bool, typer.Option("--inactive", help="Create it switched off.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Subscribe a URL to camera state alerts."""
    values: dict[str, Any] = {"name": name, "url": url, "ward": ward, "active": not inactive}
    if secret is not None:
        values["secret"] = SecretStr(secret)
    if kind:
        values["kinds"] = kind
    data = _build(WebhookCreate, **values)
    with _runtime() as runtime, runtime.unit() as session:
        issued = create_subscription(
            session, data=data, actor=cli_actor(), cipher=alert_cipher(runtime.settings)
        )
    _show_subscription(issued, json_out)


@webhooks_app.command("list")
def list_command(json_out: JsonOpt = False) -> None:
    """List subscriptions by name (never their secrets)."""
    with _runtime() as runtime, runtime.unit() as session:
        hooks = list_subscriptions(session)
    if json_out:
        _emit_json([h.model_dump(mode="json") for h in hooks])
        return
    if not hooks:
        stderr.print("No webhook subscriptions; `camreg health webhooks add NAME URL` adds one.")
        return
    table = Table("name", "id", "url", "kinds", "ward", "active")
    for h in hooks:
        table.add_row(
            h.name, str(h.id), h.url, ", ".join(h.kinds), h.ward or "", "yes" if h.active else "no"
        )
    stdout.print(table)


@webhooks_app.command("show")
def show_command(name: RefArg, json_out: JsonOpt = False) -> None:
    """Show one subscription (never its secret)."""
    with _runtime() as runtime, runtime.unit() as session:
        hook = subscription_read(get_subscription(session, ref=name))
    _show_subscription(hook, json_out)


@webhooks_app.command("update")
def update_command(
    name: RefArg,
    url: Annotated[str | None, typer.Option("--url", help="New URL.")] = None,
    kind: KindOpt = None,
    ward: WardOpt = None,
    all_wards: Annotated[bool, typer.Option("--all-wards", help="Drop the ward filter.")] = False,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Switch alerts on or off.")
    ] = None,
    rotate_secret: Annotated[
        bool,
        typer.Option("--rotate-secret", help="Replace the secret by a new one, printed once."),
    ] = False,
    secret: Annotated[
        str | None, typer.Option("--secret", help="Replace the secret by this one.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Change a subscription; options left out stay as they are."""
    if ward is not None and all_wards:
        _fail("give either --ward CODE or --all-wards, not both")
    values: dict[str, Any] = {"rotate_secret": rotate_secret}
    if url is not None:
        values["url"] = url
    if kind:
        values["kinds"] = kind
    if ward is not None or all_wards:
        values["ward"] = ward
    if active is not None:
        values["active"] = active
    if secret is not None:
        values["secret"] = SecretStr(secret)
    data = _build(WebhookUpdate, **values)
    with _runtime() as runtime, runtime.unit() as session:
        issued = update_subscription(
            session, ref=name, data=data, actor=cli_actor(), cipher=alert_cipher(runtime.settings)
        )
    _show_subscription(issued, json_out)


@webhooks_app.command("remove")
def remove_command(name: RefArg, json_out: JsonOpt = False) -> None:
    """Remove a subscription and its secret; its deliveries stay in the log."""
    with _runtime() as runtime, runtime.unit() as session:
        gone = remove_subscription(session, ref=name, actor=cli_actor())
    if json_out:
        _emit_json(gone.model_dump(mode="json"))
    else:
        stderr.print(f"Removed webhook subscription {gone.name} (id {gone.id}).", markup=False)


@webhooks_app.command("test")
def ping_command(name: RefArg, json_out: JsonOpt = False) -> None:
    """Send a signed `ping` to the subscription's URL now; exit 1 when it was not accepted."""
    with _runtime() as runtime:
        with runtime.unit() as session:
            target = prepare_ping(
                session, ref=name, actor=cli_actor(), cipher=alert_cipher(runtime.settings)
            )
        result = send_ping(target, timeout_s=runtime.settings.health.webhook_timeout_s)
    if json_out:
        _emit_json(result.model_dump(mode="json"))
    elif result.delivered:
        stdout.print(
            f"{result.subscription}: accepted (HTTP {result.status}) in {result.latency_ms:.0f} ms",
            highlight=False,
            markup=False,
        )
    else:
        stderr.print(
            f"{result.subscription}: not accepted: {result.error}", highlight=False, markup=False
        )
    if not result.delivered:
        raise typer.Exit(1)


def deliveries_command(
    state: Annotated[
        DeliveryState | None, typer.Option("--state", help="Only deliveries in this state.")
    ] = None,
    camera: Annotated[str | None, typer.Option("--camera", help="Camera code.")] = None,
    subscription: Annotated[
        str | None, typer.Option("--subscription", help="Subscription name (or its id, as listed).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most.")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """List alert deliveries, newest first: state, attempts, last answer."""
    with _runtime() as runtime, runtime.unit() as session:
        sub_id = get_subscription(session, ref=subscription).id if subscription else None
        query = DeliveryFilter(state=state, camera=camera, subscription_id=sub_id)
        rows = list_deliveries(session, query=query, scope=cli_actor().scope, limit=limit)
        zone = runtime.settings.zone
    if json_out:
        _emit_json([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        stderr.print("No deliveries match.")
        return
    table = Table("id", "camera", "kind", "to", "state", "attempts", "last", "created")
    for r in rows:
        table.add_row(
            str(r.id),
            r.camera,
            r.kind,
            r.subscription or str(r.channel),
            r.state,
            str(r.attempts),
            r.last_error or (str(r.last_status) if r.last_status else ""),
            r.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S%z"),
        )
    stdout.print(table)


def dispatch_command(json_out: JsonOpt = False) -> None:
    """Send the deliveries that are due now (the worker does this on its own)."""
    summary = DispatchSummary()
    with _runtime() as runtime:
        # One round takes at most BATCH rows; go on while rounds come back full.
        while True:
            last = dispatch_due(runtime.session_factory, runtime.settings)
            summary = summary.plus(last)
            if last.claimed < BATCH:
                break
    if json_out:
        _emit_json(summary.as_dict())
    else:
        stderr.print(
            f"{summary.claimed} due: {summary.delivered} delivered, {summary.retrying} to retry, "
            f"{summary.failed} failed",
            highlight=False,
        )

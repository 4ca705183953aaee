"""Webhook subscriptions for camera state alerts, and their delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.deps import API_PREFIX, SessionDep, SettingsDep, get_runtime, require
from api.pagination import (
    PAGE_SIZE_HELP,
    Page,
    check_limit,
    decode_seq_cursor,
    encode_seq_cursor,
    set_next_link,
)
from api.problem import problem_responses
from api.runtime import Runtime
from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.errors import PermissionDenied
from ingest.health.alert_schema import (
    DeliveryFilter,
    DeliveryRead,
    PingResult,
    WebhookCreate,
    WebhookIssued,
    WebhookRead,
    WebhookUpdate,
)
from ingest.health.delivery_log import list_deliveries
from ingest.health.model import DeliveryState
from ingest.health.webhooks import (
    create_subscription,
    get_subscription,
    list_subscriptions,
    prepare_ping,
    remove_subscription,
    send_ping,
    subscription_read,
    update_subscription,
)

router = APIRouter(prefix="/health", tags=["webhooks"], responses=problem_responses(401, 403, 422))
Reader = Annotated[Actor, Depends(require(Permission.HEALTH_READ))]
WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[1])]


def _manager(actor: Annotated[Actor, Depends(require(Permission.HEALTH_MANAGE))]) -> Actor:
    # A subscription can cover the whole city, so only callers who see the whole city manage them.
    if not actor.scope.unrestricted:
        raise PermissionDenied(
            "webhook subscriptions are managed by callers without a ward or camera scope"
        )
    return actor


Manager = Annotated[Actor, Depends(_manager)]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.get("/webhooks", response_model=list[WebhookRead])
def list_webhooks(session: SessionDep, actor: Manager) -> list[WebhookRead]:
    """List webhook subscriptions by name (never their secrets)."""
    return list_subscriptions(session)


@router.post(
    "/webhooks", status_code=201, response_model=WebhookIssued, responses=problem_responses(409)
)
def create_webhook(
    body: WebhookCreate,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Manager,
) -> WebhookIssued:
    """Subscribe a URL to alerts; without `secret` one is generated and shown this once."""
    issued = create_subscription(session, data=body, actor=actor, cipher=runtime.cipher)
    response.headers["Location"] = f"{API_PREFIX}/health/webhooks/{issued.id}"
    return issued


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead, responses=problem_responses(404))
def show_webhook(webhook_id: WebhookId, session: SessionDep, actor: Manager) -> WebhookRead:
    """Show one subscription (never its secret)."""
    return subscription_read(get_subscription(session, ref=webhook_id))


@router.patch(
    "/webhooks/{webhook_id}", response_model=WebhookIssued, responses=problem_responses(404)
)
def update_webhook(
    webhook_id: WebhookId,
    body: WebhookUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Manager,
) -> WebhookIssued:
    """Change URL, kinds, ward or active, or replace the secret (`rotate_secret`: shown once)."""
    return update_subscription(
        session, ref=webhook_id, data=body, actor=actor, cipher=runtime.cipher
    )


@router.delete(
    "/webhooks/{webhook_id}", response_model=WebhookRead, responses=problem_responses(404)
)
def remove_webhook(webhook_id: WebhookId, session: SessionDep, actor: Manager) -> WebhookRead:
    """Remove a subscription and its secret; its deliveries stay in the log, unlinked."""
    return remove_subscription(session, ref=webhook_id, actor=actor)


@router.post(
    "/webhooks/{webhook_id}/test", response_model=PingResult, responses=problem_responses(404)
)
def test_webhook(
    webhook_id: WebhookId,
    session: SessionDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
    actor: Manager,
) -> PingResult:
    """Send a signed `ping` event to the subscription's URL now and report the answer."""
    target = prepare_ping(session, ref=webhook_id, actor=actor, cipher=runtime.cipher)
    # End the transaction before waiting on the endpoint: no database lock is held meanwhile.
    session.commit()
    return send_ping(target, timeout_s=settings.health.webhook_timeout_s)


@router.get("/deliveries", response_model=Page[DeliveryRead])
def list_delivery_log(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    actor: Reader,
    state: DeliveryState | None = None,
    camera: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")] = None,
    subscription: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Subscription id.")
    ] = None,
    limit: Annotated[int | None, Query(ge=1, description=PAGE_SIZE_HELP)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[DeliveryRead]:
    """List alert deliveries, newest first, within the caller's scope."""
    size = check_limit(limit, settings.max_page_size)
    before = decode_seq_cursor(cursor) or None
    query = DeliveryFilter(state=state, camera=camera, subscription_id=subscription)
    rows = list_deliveries(
        session, query=query, scope=actor.scope, before_id=before, limit=size + 1
    )
    items = rows[:size]
    next_cursor = encode_seq_cursor(items[-1].id) if len(rows) > size else None
    set_next_link(request, response, next_cursor)
    return Page[DeliveryRead](items=items, next_cursor=next_cursor)

"""API keys for integrations: admins create, list, rotate and revoke them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path

from api.deps import SessionDep, require
from api.problem import problem_responses
from camera_registry.account.apikey import (
    create_api_key,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)
from camera_registry.account.role import Permission
from camera_registry.account.schema import ApiKeyCreate, ApiKeyIssued, ApiKeyRead, ApiKeyRotate
from camera_registry.actor import Actor

router = APIRouter(prefix="/keys", tags=["keys"], responses=problem_responses(401, 403, 422))
Admin = Annotated[Actor, Depends(require(Permission.ACCOUNT_ADMIN))]
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", examples=["3f9c2a7b1d04"])]


@router.get("", response_model=list[ApiKeyRead])
def list_key_records(session: SessionDep, actor: Admin) -> list[ApiKeyRead]:
    """List keys, oldest first (never their secrets)."""
    return list_api_keys(session, actor=actor)


@router.post("", status_code=201, response_model=ApiKeyIssued)
def create_key(body: ApiKeyCreate, session: SessionDep, actor: Admin) -> ApiKeyIssued:
    """Create a key; `key` in the answer is shown this once and never again."""
    return create_api_key(session, data=body, actor=actor)


@router.post(
    "/{key_id}/rotate",
    status_code=201,
    response_model=ApiKeyIssued,
    responses=problem_responses(404, 409),
)
def rotate_key(
    key_id: KeyId,
    session: SessionDep,
    actor: Admin,
    body: Annotated[ApiKeyRotate | None, Body()] = None,
) -> ApiKeyIssued:
    """Replace a key by a new id with the same name, role, scope and expiry (shown once).

    The old key stops at once, or after `grace_minutes` (at most 7 days) so the integration can
    switch without an outage.
    """
    grace = body.grace_minutes if body else 0
    return rotate_api_key(session, key_id=key_id, actor=actor, grace_minutes=grace)


@router.delete("/{key_id}", response_model=ApiKeyRead, responses=problem_responses(404))
def revoke_key(key_id: KeyId, session: SessionDep, actor: Admin) -> ApiKeyRead:
    """Revoke a key: it stops working at once (revoking twice changes nothing)."""
    return revoke_api_key(session, key_id=key_id, actor=actor)

"""People who log in: admins list, add and change them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from api.deps import API_PREFIX, SessionDep, SettingsDep, require
from api.problem import problem_responses
from camera_registry.account.role import Permission
from camera_registry.account.schema import USERNAME_PATTERN, UserCreate, UserRead, UserUpdate
from camera_registry.account.service import add_user, list_users, update_user
from camera_registry.actor import Actor

router = APIRouter(prefix="/users", tags=["users"], responses=problem_responses(401, 403, 422))
Admin = Annotated[Actor, Depends(require(Permission.ACCOUNT_ADMIN))]


@router.get("", response_model=list[UserRead])
def list_user_records(session: SessionDep, actor: Admin) -> list[UserRead]:
    """List users, by name."""
    return list_users(session, actor=actor)


@router.post("", status_code=201, response_model=UserRead, responses=problem_responses(409))
def create_user(
    body: UserCreate, response: Response, session: SessionDep, settings: SettingsDep, actor: Admin
) -> UserRead:
    """Add a user; the password must be at least the configured length."""
    user = add_user(
        session, data=body, actor=actor, min_password_length=settings.auth.min_password_length
    )
    response.headers["Location"] = f"{API_PREFIX}/users/{user.username}"
    return user


@router.patch("/{username}", response_model=UserRead, responses=problem_responses(404))
def update_user_record(
    username: Annotated[str, Path(pattern=USERNAME_PATTERN)],
    body: UserUpdate,
    session: SessionDep,
    settings: SettingsDep,
    actor: Admin,
) -> UserRead:
    """Disable or enable a user, change role, scope, display name or password."""
    return update_user(
        session,
        username=username,
        data=body,
        actor=actor,
        min_password_length=settings.auth.min_password_length,
    )

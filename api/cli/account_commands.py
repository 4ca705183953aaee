"""`camreg users` and `camreg keys`: people who log in, and bearer keys for integrations."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta

import typer
from pydantic import SecretStr, ValidationError

from api.cli.camera_commands import validation_message
from api.cli.context import state
from api.cli.output import domain_errors, emit_json, emit_table, fail, stderr
from camera_registry.account.apikey import (
    create_api_key,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)
from camera_registry.account.role import Role
from camera_registry.account.schema import (
    MAX_GRACE_MINUTES,
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
    ScopeData,
    UserCreate,
    UserRead,
    UserUpdate,
)
from camera_registry.account.service import add_user, list_users, update_user

users_app = typer.Typer(help="People who log in to the web page.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for case systems and integrations.", no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print one JSON document on stdout.")
STDIN_OPT = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of standard input."
)
WARD_OPT = typer.Option(None, "--scope-ward", help="Restrict to this ward code (repeatable).")
CAMERA_OPT = typer.Option(None, "--scope-camera", help="Restrict to this camera (repeatable).")
USER_COLUMNS = ["username", "display_name", "role", "disabled", "scope", "last_login_at"]
KEY_COLUMNS = ["id", "name", "role", "state", "scope", "expires_at", "last_used_at"]


def _read_password(from_stdin: bool) -> SecretStr:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            fail("--password-stdin: standard input is empty; pipe the password in")
        return SecretStr(line)
    # Prompts go to stderr so that --json keeps stdout to one document.
    entered = typer.prompt("password", hide_input=True, confirmation_prompt=True, err=True)
    return SecretStr(str(entered))


def _scope(wards: list[str] | None, cameras: list[str] | None) -> ScopeData:
    try:
        return ScopeData(wards=wards or [], cameras=cameras or [])
    except ValidationError as exc:
        fail(validation_message(exc))


def _scope_text(scope: ScopeData) -> str:
    parts = [f"ward:{w}" for w in scope.wards] + [f"camera:{c}" for c in scope.cameras]
    return " ".join(parts) or "all"


def _emit_users(users: list[UserRead], json_out: bool) -> None:
    if json_out:
        emit_json([u.model_dump(mode="json") for u in users])
        return
    emit_table([{**u.model_dump(), "scope": _scope_text(u.scope)} for u in users], USER_COLUMNS)


def _emit_user(user: UserRead, json_out: bool, message: str) -> None:
    if json_out:
        emit_json(user.model_dump(mode="json"))
    else:
        stderr.print(message, highlight=False)


@users_app.command("add")
def add_user_command(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Log-in name: letters, digits, '.', '-', '_'."),
    role: Role = typer.Option(..., help="What the user may do."),
    name: str = typer.Option("", "--name", help="Display name (default: the user name)."),
    password_stdin: bool = STDIN_OPT,
    scope_ward: list[str] | None = WARD_OPT,
    scope_camera: list[str] | None = CAMERA_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Add a user (the password is prompted twice unless --password-stdin)."""
    st = state(ctx)
    scope = _scope(scope_ward, scope_camera)
    password = _read_password(password_stdin)
    try:
        data = UserCreate(
            username=username, display_name=name, role=role, password=password, scope=scope
        )
    except ValidationError as exc:
        fail(validation_message(exc))
    with domain_errors(), st.unit() as session:
        user = add_user(
            session,
            data=data,
            actor=st.actor,
            min_password_length=st.settings.auth.min_password_length,
        )
    _emit_user(user, json_out, f"user {user.username} added ({user.role})")


@users_app.command("list")
def list_users_command(ctx: typer.Context, json_out: bool = JSON_OPT) -> None:
    """List users."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        users = list_users(session, actor=st.actor)
    _emit_users(users, json_out)


def _update(ctx: typer.Context, username: str, data: UserUpdate) -> UserRead:
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        return update_user(
            session,
            username=username,
            data=data,
            actor=st.actor,
            min_password_length=st.settings.auth.min_password_length,
        )


@users_app.command("disable")
def disable_user_command(ctx: typer.Context, username: str, json_out: bool = JSON_OPT) -> None:
    """Disable a user and end their browser sessions."""
    user = _update(ctx, username, UserUpdate(disabled=True))
    _emit_user(user, json_out, f"user {username} disabled; their sessions are ended")


@users_app.command("enable")
def enable_user_command(ctx: typer.Context, username: str, json_out: bool = JSON_OPT) -> None:
    """Enable a user again (also lifts a log-in lockout)."""
    user = _update(ctx, username, UserUpdate(disabled=False))
    _emit_user(user, json_out, f"user {username} enabled")


@users_app.command("passwd")
def passwd_command(
    ctx: typer.Context,
    username: str,
    password_stdin: bool = STDIN_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Set a user's password (ends their browser sessions)."""
    user = _update(ctx, username, UserUpdate(password=_read_password(password_stdin)))
    _emit_user(user, json_out, f"password of {username} changed")


@users_app.command("update")
def update_user_command(
    ctx: typer.Context,
    username: str,
    role: Role | None = typer.Option(None, help="New role."),
    name: str | None = typer.Option(None, "--name", help="New display name."),
    scope_ward: list[str] | None = WARD_OPT,
    scope_camera: list[str] | None = CAMERA_OPT,
    unrestricted: bool = typer.Option(False, "--unrestricted", help="Remove the scope."),
    json_out: bool = JSON_OPT,
) -> None:
    """Change a user's role, display name or scope (a scope given replaces the old one)."""
    values: dict[str, object] = {"role": role, "display_name": name}
    if scope_ward or scope_camera or unrestricted:
        if unrestricted and (scope_ward or scope_camera):
            fail("--unrestricted cannot be combined with --scope-ward/--scope-camera")
        values["scope"] = _scope(scope_ward, scope_camera)
    data = UserUpdate(**{k: v for k, v in values.items() if v is not None})
    if not data.model_fields_set:
        fail("nothing to change: give --role, --name, a --scope-… option or --unrestricted")
    user = _update(ctx, username, data)
    _emit_user(user, json_out, f"user {username} updated ({user.role}, {_scope_text(user.scope)})")


def _parse_key_scope(items: list[str] | None) -> ScopeData:
    wards, cameras = [], []
    for item in items or []:
        kind, _, code = item.partition(":")
        if kind == "ward" and code:
            wards.append(code)
        elif kind == "camera" and code:
            cameras.append(code)
        else:
            fail(f"--scope takes ward:CODE or camera:CODE, got {item!r}")
    return _scope(wards, cameras)


def _parse_expiry(value: str, ctx: typer.Context) -> datetime:
    zone = state(ctx).settings.zone
    try:
        if len(value) == 10:
            # A date means "valid through that day" in the display time zone.
            day = date.fromisoformat(value) + timedelta(days=1)
            return datetime.combine(day, time(), tzinfo=zone)
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--expires takes YYYY-MM-DD or an ISO date-time, got {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _emit_key(key: ApiKeyRead, json_out: bool, message: str) -> None:
    if json_out:
        emit_json(key.model_dump(mode="json"))
        return
    if isinstance(key, ApiKeyIssued):
        sys.stdout.write(key.key + "\n")
        stderr.print("store this key now: it is shown once and never again", highlight=False)
    stderr.print(message, highlight=False)


@keys_app.command("create")
def create_key_command(
    ctx: typer.Context,
    role: Role = typer.Option(..., help="What the key may do (usually integration)."),
    name: str = typer.Option(..., "--name", help="Who uses it, e.g. the case system's name."),
    scope: list[str] | None = typer.Option(
        None, help="ward:CODE or camera:CODE the key is restricted to (repeatable)."
    ),
    expires: str | None = typer.Option(
        None, help="Last day (YYYY-MM-DD, display zone) or ISO date-time; default never."
    ),
    json_out: bool = JSON_OPT,
) -> None:
    """Create an API key and print it once (with --json: an object whose `key` holds it)."""
    st = state(ctx)
    try:
        data = ApiKeyCreate(
            name=name,
            role=role,
            scope=_parse_key_scope(scope),
            expires_at=_parse_expiry(expires, ctx) if expires else None,
        )
    except ValidationError as exc:
        fail(validation_message(exc))
    with domain_errors(), st.unit() as session:
        issued = create_api_key(session, data=data, actor=st.actor)
    _emit_key(issued, json_out, f"key {issued.id} created ({issued.role})")


@keys_app.command("list")
def list_keys_command(ctx: typer.Context, json_out: bool = JSON_OPT) -> None:
    """List API keys (never their secrets)."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        keys = list_api_keys(session, actor=st.actor)
    if json_out:
        emit_json([k.model_dump(mode="json") for k in keys])
        return
    emit_table([{**k.model_dump(), "scope": _scope_text(k.scope)} for k in keys], KEY_COLUMNS)


@keys_app.command("revoke")
def revoke_key_command(ctx: typer.Context, key_id: str, json_out: bool = JSON_OPT) -> None:
    """Revoke an API key: it stops working at once."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        key = revoke_api_key(session, key_id=key_id, actor=st.actor)
    _emit_key(key, json_out, f"key {key_id} revoked")


@keys_app.command("rotate")
def rotate_key_command(
    ctx: typer.Context,
    key_id: str,
    grace_minutes: int = typer.Option(
        0,
        min=0,
        max=MAX_GRACE_MINUTES,
        help="Minutes the old key keeps working (0 = stop it now; at most 7 days).",
    ),
    json_out: bool = JSON_OPT,
) -> None:
    """Replace a key by a new one (new id, same name, role, scope, expiry); print it once."""
    st = state(ctx)
    with domain_errors(), st.unit() as session:
        issued = rotate_api_key(session, key_id=key_id, actor=st.actor, grace_minutes=grace_minutes)
    when = f"in {grace_minutes} minutes" if grace_minutes else "now"
    _emit_key(issued, json_out, f"key {key_id} replaced by {issued.id}; the old one stops {when}")

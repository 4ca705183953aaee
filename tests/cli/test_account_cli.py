"""`camreg users …` and `camreg keys …` through the command line, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.account.apikey import authenticate_api_key
from camera_registry.account.model import ApiKey
from camera_registry.account.service import authenticate
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import AuthenticationFailed

PASSWORD = "a long enough secret"


@pytest.fixture
def cli(database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner whose commands use the test database (emptied after the test)."""
    return CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )


def _run(cli: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _login(factory: sessionmaker[Session], username: str, password: str) -> str:
    with unit_of_work(factory) as session:
        user = authenticate(
            session,
            username=username,
            password=password,
            source="test",
            max_failed=5,
            lockout_minutes=1,
        )
        return user.username


def test_users_lifecycle(cli: CliRunner, session_factory: sessionmaker[Session]) -> None:
    code, out, err = _run(
        cli,
        "users",
        "add",
        "an",
        "--role",
        "investigator",
        "--name",
        "Nguyễn Văn An",
        "--scope-ward",
        "26506",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err
    created = json.loads(out)
    assert (created["username"], created["role"], created["scope"]["wards"]) == (
        "an",
        "investigator",
        ["26506"],
    )
    assert PASSWORD not in out
    assert _login(session_factory, "an", PASSWORD) == "an"

    code, out, _ = _run(cli, "users", "list", "--json")
    assert [u["display_name"] for u in json.loads(out)] == ["Nguyễn Văn An"]

    code, _, err = _run(cli, "users", "disable", "an")
    assert code == 0, err
    with pytest.raises(AuthenticationFailed):
        _login(session_factory, "an", PASSWORD)
    assert _run(cli, "users", "enable", "an")[0] == 0

    code, _, err = _run(cli, "users", "passwd", "an", "--password-stdin", stdin="new secret 1234\n")
    assert code == 0, err
    assert _login(session_factory, "an", "new secret 1234") == "an"

    code, out, err = _run(cli, "users", "update", "an", "--role", "auditor", "--unrestricted")
    assert code == 0, err
    code, out, _ = _run(cli, "users", "list", "--json")
    assert (json.loads(out)[0]["role"], json.loads(out)[0]["scope"]["wards"]) == ("auditor", [])


def test_password_is_prompted_twice(cli: CliRunner) -> None:
    code, out, err = _run(
        cli, "users", "add", "binh", "--role", "technician", "--json", stdin=f"{PASSWORD}\n" * 2
    )
    assert code == 0, err
    assert json.loads(out)["username"] == "binh"
    code, _, err = _run(
        cli, "users", "add", "chi", "--role", "technician", stdin=f"{PASSWORD}\nother secret 12\n"
    )
    assert code != 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "bad name", "--role", "admin", "--password-stdin"], "username"),
        (["users", "add", "dung", "--role", "admin", "--password-stdin"], "at least"),
        (["users", "disable", "nobody"], "no user"),
        (["keys", "create", "--role", "integration", "--name", "x", "--scope", "w:1"], "ward:"),
        (["keys", "create", "--role", "integration", "--name", "x", "--expires", "soon"], "YYYY"),
        (["keys", "revoke", "nope"], "no API key"),
    ],
)
def test_mistakes_exit_2_with_a_message(cli: CliRunner, args: list[str], message: str) -> None:
    code, out, err = _run(cli, *args, stdin="short\n")
    assert code == 2
    assert message in err
    assert out == ""


def test_keys_create_list_rotate_revoke(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    code, out, err = _run(
        cli,
        "keys",
        "create",
        "--role",
        "integration",
        "--name",
        "case system",
        "--scope",
        "ward:26506",
        "--expires",
        "2099-12-31",
        "--json",
    )
    assert code == 0, err
    created = json.loads(out)
    key_id, key = created["id"], created["key"]
    assert key.startswith(f"camreg_{key_id}_")
    # Valid through the last day in Vietnam's time: until 17:00 UTC.
    assert datetime.fromisoformat(created["expires_at"]) == datetime(2099, 12, 31, 17, tzinfo=UTC)

    code, out, _ = _run(cli, "keys", "list", "--json")
    listed = json.loads(out)
    assert [(k["id"], k["state"]) for k in listed] == [(key_id, "active")]
    assert "key" not in listed[0]
    assert key not in out

    code, out, err = _run(cli, "keys", "rotate", key_id)
    assert code == 0, err
    new_key = out.strip()
    assert new_key.startswith("camreg_")
    assert "shown once" in err
    with unit_of_work(session_factory) as session:
        with pytest.raises(AuthenticationFailed):
            authenticate_api_key(session, token=key, source="t")
        session.commit()
        assert authenticate_api_key(session, token=new_key, source="t").rotated_from == key_id
        new_id = session.scalars(select(ApiKey.id).where(ApiKey.rotated_from == key_id)).one()

    code, out, err = _run(cli, "keys", "revoke", new_id, "--json")
    assert code == 0, err
    assert json.loads(out)["state"] == "revoked"

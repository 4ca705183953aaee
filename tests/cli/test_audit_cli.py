"""`camreg audit list|verify` on both databases, including tampering done with raw SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.account.role import Role
from camera_registry.actor import Actor
from camera_registry.audit.service import append_audit
from camera_registry.db.unit_of_work import unit_of_work


@pytest.fixture
def cli(database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner whose commands use the test database (emptied after the test)."""
    return CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )


@pytest.fixture
def logged(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Five audit entries by two actors, one with a case number."""
    with unit_of_work(session_factory) as session:
        an = Actor(name="user:an", role=Role.INVESTIGATOR, source="10.0.0.1", case_number="C-7")
        key = Actor(name="key:abc", role=Role.INTEGRATION, source="10.0.0.2")
        for n in range(3):
            append_audit(session, actor=an, action="camera.search", details={"n": n})
        append_audit(session, actor=key, action="camera.search")
        append_audit(session, actor=an, action="camera.personal_data.read", target="VT-1")
    return session_factory


def _run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_filters_and_pages(cli: CliRunner, logged: sessionmaker[Session]) -> None:
    code, out, err = _run(cli, "audit", "list", "--json")
    assert code == 0, err
    entries = json.loads(out)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert {"actor", "role", "source", "request_id", "case_number", "entry_hash"} <= set(entries[0])
    code, out, _ = _run(cli, "audit", "list", "--actor", "key:abc", "--json")
    assert [e["seq"] for e in json.loads(out)] == [4]
    code, out, _ = _run(cli, "audit", "list", "--case", "C-7", "--action", "camera.personal")
    assert code == 0
    assert "VT-1" in out
    code, out, err = _run(cli, "audit", "list", "--limit", "2", "--after", "2", "--json")
    assert [e["seq"] for e in json.loads(out)] == [3, 4]
    assert "--after 4" in err
    code, out, _ = _run(cli, "audit", "list", "--until", "2000-01-01", "--json")
    assert json.loads(out) == []
    code, _, err = _run(cli, "audit", "list", "--since", "yesterday")
    assert code == 2
    assert "--since" in err


def test_verify_intact_prints_head(cli: CliRunner, logged: sessionmaker[Session]) -> None:
    code, out, err = _run(cli, "audit", "verify")
    assert code == 0, err
    assert out.startswith("head seq 5 hash ")
    head = out.split()[-1]
    code, out, _ = _run(cli, "audit", "verify", "--expect-head", head, "--json")
    assert code == 0
    assert json.loads(out) == {
        "ok": True,
        "entries": 5,
        "head_seq": 5,
        "head_hash": head,
        "problems": [],
    }
    code, out, _ = _run(cli, "audit", "verify", "--expect-head", "f" * 64, "--json")
    assert code == 1
    assert json.loads(out)["ok"] is False


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("UPDATE audit_log SET actor = 'user:someone' WHERE seq = 2", "entry 2: content changed"),
        ("DELETE FROM audit_log WHERE seq = 3", "entry 4: expected sequence 3"),
        (
            "UPDATE audit_log SET seq = -2 WHERE seq = 2;"
            "UPDATE audit_log SET seq = 2 WHERE seq = 3;"
            "UPDATE audit_log SET seq = 3 WHERE seq = -2",
            "entry 2: does not link",
        ),
    ],
    ids=["edited", "removed", "reordered"],
)
def test_verify_detects_tampering(
    cli: CliRunner, logged: sessionmaker[Session], tamper: str, expected: str
) -> None:
    with logged() as session, session.begin():
        for statement in tamper.split(";"):
            session.execute(text(statement))
    code, out, err = _run(cli, "audit", "verify")
    assert code == 1
    assert expected in err
    assert "BROKEN" in err
    code, out, _ = _run(cli, "audit", "verify", "--json")
    report = json.loads(out)
    assert report["ok"] is False
    assert any(expected in p for p in report["problems"])

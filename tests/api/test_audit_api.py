"""Searches and reads are audited with who, role, where from, request id and case number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.role import Role
from camera_registry.audit.model import AuditEntry
from tests.api.conftest import PASSWORD, Headers

CONTEXT = {"X-Request-ID": "req-42", "X-Case-Number": "VT-2026-0042"}


def _entries(session_factory: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with session_factory() as session:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(session.scalars(stmt))


def test_search_by_key_is_audited_with_context(
    client: TestClient, headers_for: Callable[..., Headers], session_factory: sessionmaker[Session]
) -> None:
    key = headers_for(Role.INTEGRATION)
    answer = client.get(
        "/api/v1/cameras", headers={**key, **CONTEXT}, params={"q": "chợ", "status": "active"}
    )
    assert answer.headers["X-Request-ID"] == "req-42"
    (entry,) = _entries(session_factory, "camera.search")
    assert entry.actor.startswith("key:")
    assert (entry.role, entry.source, entry.request_id, entry.case_number) == (
        "integration",
        "testclient",
        "req-42",
        "VT-2026-0042",
    )
    assert entry.details["filter"] == {"q": "chợ", "status": ["active"]}


def test_polygon_search_by_person_is_audited_with_case_from_query(
    client: TestClient, add_person: Callable[..., None], session_factory: sessionmaker[Session]
) -> None:
    add_person("an", Role.INVESTIGATOR)
    client.post("/api/v1/auth/login", json={"username": "an", "password": PASSWORD})
    square = [[107.07, 10.34], [107.09, 10.34], [107.09, 10.36], [107.07, 10.34]]
    answer = client.post(
        "/api/v1/cameras/search?case=HS-7",
        json={"area": {"type": "Polygon", "coordinates": [square]}},
        headers={"X-Requested-With": "camreg"},
    )
    assert answer.status_code == 200, answer.text
    (entry,) = _entries(session_factory, "camera.search")
    assert (entry.actor, entry.role, entry.case_number) == ("user:an", "investigator", "HS-7")
    assert entry.details["filter"]["area"]["type"] == "Polygon"


def test_owner_data_read_is_audited(
    client: TestClient,
    headers_for: Callable[..., Headers],
    cameras: Callable[..., Any],
    session_factory: sessionmaker[Session],
) -> None:
    cameras({"code": "VT-0001", "owner_phone": "0903123456"})
    client.get("/api/v1/cameras/VT-0001", headers={**headers_for(Role.INVESTIGATOR), **CONTEXT})
    client.get("/api/v1/cameras/VT-0001", headers=headers_for(Role.INTEGRATION))
    (entry,) = _entries(session_factory, "camera.personal_data.read")
    assert (entry.target, entry.role, entry.case_number) == (
        "VT-0001",
        "investigator",
        "VT-2026-0042",
    )


def test_case_number_must_be_printable(client: TestClient, admin: Headers) -> None:
    answer = client.get("/api/v1/cameras", headers=admin, params={"case": "x" * 65})
    assert answer.status_code == 422
    answer = client.get("/api/v1/cameras", headers={**admin, "X-Case-Number": "a\tb"})
    assert answer.status_code == 422


def test_audit_listing_for_auditors_only(
    client: TestClient, headers_for: Callable[..., Headers], admin: Headers
) -> None:
    for n in range(5):
        client.get("/api/v1/cameras", headers={**admin, "X-Case-Number": f"C-{n % 2}"})
    auditor = headers_for(Role.AUDITOR)
    assert client.get("/api/v1/audit", headers=headers_for(Role.INVESTIGATOR)).status_code == 403
    seqs: list[int] = []
    cursor = ""
    while True:
        page = client.get(
            "/api/v1/audit",
            headers=auditor,
            params={"action": "camera.search", "limit": 2, "cursor": cursor},
        ).json()
        seqs += [e["seq"] for e in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert len(seqs) == 5
    assert seqs == sorted(set(seqs))
    by_case = client.get("/api/v1/audit", headers=auditor, params={"case_number": "C-1"}).json()
    assert [e["case_number"] for e in by_case["items"]] == ["C-1", "C-1"]
    naive = client.get("/api/v1/audit", headers=auditor, params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("UPDATE audit_log SET source = '1.2.3.4' WHERE seq = 2", "entry 2: content changed"),
        ("DELETE FROM audit_log WHERE seq = 2", "expected sequence 2"),
        (
            "UPDATE audit_log SET seq = -1 WHERE seq = 1;"
            "UPDATE audit_log SET seq = 1 WHERE seq = 2;"
            "UPDATE audit_log SET seq = 2 WHERE seq = -1",
            "entry 1: does not link",
        ),
    ],
    ids=["edited", "removed", "reordered"],
)
def test_verify_detects_tampering(
    client: TestClient,
    admin: Headers,
    session_factory: sessionmaker[Session],
    tamper: str,
    expected: str,
) -> None:
    for _ in range(3):
        client.get("/api/v1/cameras", headers=admin)
    intact = client.get("/api/v1/audit/verify", headers=admin).json()
    assert intact["ok"] is True
    assert intact["head_seq"] == 3
    same = client.get(
        "/api/v1/audit/verify", headers=admin, params={"expect_head": intact["head_hash"]}
    )
    assert same.json()["ok"] is True
    with session_factory() as session, session.begin():
        for statement in tamper.split(";"):
            session.execute(text(statement))
    broken = client.get("/api/v1/audit/verify", headers=admin).json()
    assert broken["ok"] is False
    assert any(expected in problem for problem in broken["problems"])


def test_audit_listing_refuses_times_out_of_range(client: TestClient, admin: Headers) -> None:
    answer = client.get(
        "/api/v1/audit", headers=admin, params={"since": "0001-01-01T00:00:00+07:00"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "since"

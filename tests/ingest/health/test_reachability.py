"""Reachability probes against real servers on 127.0.0.1: GStreamer's RTSP server, scripted
responders, a closed port and a port that accepts and never answers."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest

from ingest.health.reachability import (
    never_resolves,
    probe_reachability,
    run_blocking,
    run_reachability_sweep,
    sweep_reachability,
)
from ingest.health.results import CheckResult, ProbeTarget
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from tests.ingest.health.conftest import PASSWORD, USER, target
from tests.support.rtsp import RtspTestServer, free_port
from tests.support.rtsp_responder import (
    BlackHoleServer,
    DigestChallenger,
    ScriptedRtspServer,
    fixed_status,
    healthy,
)


def probe(probe_target: ProbeTarget, timeout_s: float = 5.0) -> CheckResult:
    return run_blocking(lambda: probe_reachability(probe_target, timeout_s=timeout_s))


def assert_no_secret(result: CheckResult) -> None:
    assert PASSWORD not in f"{result.message} {result.details} {result!r}"


@pytest.mark.rtsp
def test_healthy_gstreamer_server_is_online_with_latency(open_server: RtspTestServer) -> None:
    result = probe(target(open_server.url("/live"), code="CAM-7", camera_id=7))
    assert (result.camera_id, result.camera_code, result.tier) == (
        7,
        "CAM-7",
        CheckTier.REACHABILITY,
    )
    assert result.reasons == ()
    assert result.state is HealthState.ONLINE
    assert result.latency_ms is not None
    assert result.latency_ms > 0
    assert result.details["rtsp_status"] == 200
    assert result.details["protocol"] == "rtsp"
    assert 0 <= result.details["connect_ms"] <= result.latency_ms
    assert "GStreamer" in result.details["server"]
    assert result.checked_at.tzinfo is not None


@pytest.mark.rtsp
def test_unknown_path_is_a_server_error_that_says_what_to_check(
    open_server: RtspTestServer,
) -> None:
    result = probe(target(open_server.url("/no-such-stream")))
    assert result.reasons == (Reason.SERVER_ERROR,)
    assert result.message is not None
    assert result.message.startswith("404")
    assert "check the stream path" in result.message
    assert result.details["rtsp_status"] == 404
    assert result.details["phase"] == "DESCRIBE"


@pytest.mark.rtsp
@pytest.mark.parametrize("server_name", ["basic_server", "digest_server"])
def test_right_credentials_are_answered_with_the_servers_scheme(
    server_name: str, request: pytest.FixtureRequest
) -> None:
    server: RtspTestServer = request.getfixturevalue(server_name)
    result = probe(target(server.url("/live"), username=USER, password=PASSWORD))
    assert result.reasons == ()
    assert result.details["auth"] == server.auth_method
    assert result.details["rtsp_status"] == 200
    assert_no_secret(result)


@pytest.mark.rtsp
@pytest.mark.parametrize("server_name", ["basic_server", "digest_server"])
def test_wrong_or_missing_credentials_are_auth_failed(
    server_name: str, request: pytest.FixtureRequest
) -> None:
    server: RtspTestServer = request.getfixturevalue(server_name)
    wrong = probe(target(server.url("/live"), username=USER, password=PASSWORD + "x"))
    assert wrong.reasons == (Reason.AUTH_FAILED,)
    assert wrong.message is not None
    assert "user name and password" in wrong.message
    assert wrong.details["rtsp_status"] == 401
    assert PASSWORD not in f"{wrong.message} {wrong.details}"
    missing = probe(target(server.url("/live")))
    assert missing.reasons == (Reason.AUTH_FAILED,)
    assert missing.message == "the camera asks for credentials and none are stored"
    undecryptable = probe(replace(target(server.url("/live")), credentials_problem="no key"))
    assert undecryptable.reasons == (Reason.AUTH_FAILED,)
    assert undecryptable.message is not None
    assert "stored ones are not usable: no key" in undecryptable.message


@pytest.mark.parametrize("qop", [True, False])
def test_digest_challenge_is_answered_once_and_checked_independently(qop: bool) -> None:
    challenger = DigestChallenger(USER, PASSWORD, qop=qop)
    with ScriptedRtspServer(challenger) as server:
        good = probe(target(server.url("/ch1/main"), username=USER, password=PASSWORD))
        bad = probe(target(server.url("/ch1/main"), username=USER, password="nope"))
    assert good.reasons == ()
    assert good.details["auth"] == "digest"  # preferred over the Basic challenge also offered
    assert [r.method for r in challenger.accepted] == ["OPTIONS", "DESCRIBE"]
    describe = challenger.accepted[-1]
    assert describe.headers["accept"] == "application/sdp"
    assert describe.uri == server.url("/ch1/main")
    if qop:  # each request counts its use of the nonce
        assert "nc=00000002" in describe.headers["authorization"].replace('"', "")
    assert bad.reasons == (Reason.AUTH_FAILED,)
    # Unauthenticated first try, one answer, then the probe stops (no guessing loop).
    assert sum(1 for r in server.requests if r.method == "OPTIONS") == 4


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (fixed_status("500 Internal Server Error"), "500 Internal Server Error"),
        (fixed_status("503 Service Unavailable"), "503 Service Unavailable"),
        (fixed_status("403 Forbidden"), "403 Forbidden to OPTIONS"),
        (lambda _request: b"\x00\xffNOT RTSP\x13\x37" * 512, "not an RTSP server"),
        (lambda _request: b"HTTP/1.1 400 Bad Request\r\n\r\n", "an HTTP server answered"),
        (lambda _request: b"RTSP/1.0 OK\r\n\r\n", "malformed RTSP status line"),
    ],
)
def test_errors_and_garbage_are_server_errors(script: object, expected: str) -> None:
    with ScriptedRtspServer(script) as server:  # type: ignore[arg-type]
        result = probe(target(server.url()))
    assert result.reasons == (Reason.SERVER_ERROR,)
    assert result.message is not None
    assert expected in result.message
    assert result.state is HealthState.OFFLINE


def test_closed_port_is_unreachable() -> None:
    # Credentials left in a URL are never sent nor shown.
    result = probe(target(f"rtsp://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{free_port()}/live"))
    assert result.reasons == (Reason.UNREACHABLE,)
    assert result.message is not None
    assert "connection refused" in result.message
    assert result.latency_ms is None
    assert_no_secret(result)


def test_unknown_host_is_unreachable() -> None:
    result = probe(target("rtsp://camera-1.invalid/live"))
    assert result.reasons == (Reason.UNREACHABLE,)
    assert result.message == "host name not found (DNS)"


def test_names_under_invalid_never_reach_a_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    assert never_resolves("cam-0001.vt.INVALID.")
    assert never_resolves("invalid")
    assert not never_resolves("invalid.example")
    assert not never_resolves("127.0.0.1")
    looked_up: list[object] = []
    real = socket.getaddrinfo

    def recording(*args: Any, **kwargs: Any) -> Any:
        looked_up.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    targets = [target(f"rtsp://cam-{i}.vt.invalid:554/live") for i in range(50)]
    results = run_reachability_sweep(targets, timeout_s=5.0, concurrency=64)
    assert {r.message for r in results} == {"host name not found (DNS)"}
    # RFC 6761 names are answered without a lookup (a resolver asked about hundreds at once
    # drops queries and each takes seconds).
    assert looked_up == []
    run_reachability_sweep([target("rtsp://localhost:9/live")], timeout_s=5.0, concurrency=1)
    assert looked_up == ["localhost"]  # the recorder sees real lookups


def test_port_that_never_answers_times_out_within_the_timeout() -> None:
    with BlackHoleServer() as hole:
        started = time.monotonic()
        result = probe(target(hole.url()), timeout_s=1.0)
        elapsed = time.monotonic() - started
    assert result.reasons == (Reason.TIMEOUT,)
    assert result.message == "no answer within 1 s (OPTIONS)"
    assert result.details["phase"] == "OPTIONS"
    assert "connect_ms" in result.details  # it connected; the camera never answered
    assert 1.0 <= elapsed < 3.0  # bounded by the timeout, generous against a hang


def test_http_camera_is_only_tcp_connected() -> None:
    with ScriptedRtspServer(healthy) as server:
        result = probe(target(f"http://127.0.0.1:{server.port}/mjpeg"))
        assert server.requests == []
    assert result.reasons == ()
    assert result.details["protocol"] == "tcp"
    assert result.latency_ms is not None
    closed = probe(target(f"https://127.0.0.1:{free_port()}/mjpeg"))
    assert closed.reasons == (Reason.UNREACHABLE,)


def test_url_without_usable_port_says_what_to_fix() -> None:
    result = probe(target("onvif://127.0.0.1/x"))
    assert result.reasons == (Reason.UNREACHABLE,)
    assert result.message == "no port for scheme 'onvif': add the port to the camera's URL"


def test_dead_cameras_do_not_delay_live_ones() -> None:
    timeout_s = 1.5
    with ScriptedRtspServer(healthy) as live, BlackHoleServer() as hole:
        targets = [
            target(
                live.url(f"/cam{i}") if i % 2 else hole.url(f"/cam{i}"), code=f"C{i}", camera_id=i
            )
            for i in range(8)
        ]
        started = time.monotonic()
        results = run_reachability_sweep(targets, timeout_s=timeout_s, concurrency=8)
        elapsed = time.monotonic() - started
    assert [r.camera_code for r in results] == [f"C{i}" for i in range(8)]
    assert [r.reasons for r in results] == [() if i % 2 else (Reason.TIMEOUT,) for i in range(8)]
    # Probed one after another, the four dead cameras alone would take 4 x 1.5 s.
    assert elapsed < 2 * timeout_s


def test_sweep_keeps_to_its_concurrency() -> None:
    with BlackHoleServer() as hole:
        targets = [target(hole.url(), code=f"D{i}", camera_id=i) for i in range(3)]
        started = time.monotonic()
        results = run_blocking(lambda: sweep_reachability(targets, timeout_s=0.5, concurrency=1))
        elapsed = time.monotonic() - started
    assert all(r.reasons == (Reason.TIMEOUT,) for r in results)
    assert elapsed >= 3 * 0.5  # one at a time


def test_sweep_refuses_zero_concurrency() -> None:
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        run_reachability_sweep([], timeout_s=1.0, concurrency=0)


def test_camera_that_closes_after_each_reply_is_asked_again_on_a_new_connection() -> None:
    challenger = DigestChallenger(USER, PASSWORD)
    with ScriptedRtspServer(challenger, close_after_reply=True) as server:
        result = probe(target(server.url(), username=USER, password=PASSWORD))
    assert result.reasons == (), result.message
    assert [r.method for r in challenger.accepted] == ["OPTIONS", "DESCRIBE"]


def test_camera_that_closes_without_answering_is_a_server_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)
        port = listener.getsockname()[1]

        def accept_and_close() -> None:
            connection, _ = listener.accept()
            connection.close()

        thread = threading.Thread(target=accept_and_close)
        thread.start()
        result = probe(target(f"rtsp://127.0.0.1:{port}/live"))
        thread.join(5)
    assert result.reasons == (Reason.SERVER_ERROR,)
    assert result.message == "the camera closed the connection (OPTIONS)"


def test_a_blocking_sweep_works_from_a_thread_that_runs_an_event_loop() -> None:
    async def inside_a_loop() -> list[CheckResult]:
        # A caller under an async framework (or a browser driver) already runs a loop here.
        return run_reachability_sweep(
            [target("rtsp://cam-1.vt.invalid/live")], timeout_s=1.0, concurrency=1
        )

    # On a thread of its own: the test process may itself run a loop here (the browser tests').
    with ThreadPoolExecutor(max_workers=1) as thread:
        (result,) = thread.submit(asyncio.run, inside_a_loop()).result()
    assert result.reasons == (Reason.UNREACHABLE,)

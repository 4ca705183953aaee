"""WWW-Authenticate parsing and the Digest arithmetic (RFC 2617 and RFC 7616 test vectors)."""

from __future__ import annotations

import hashlib

import pytest

from ingest.health.rtsp_auth import (
    Authenticator,
    Challenge,
    DigestSession,
    UnsupportedChallenge,
    basic_authorization,
    choose,
    parse_challenges,
)


def test_several_challenges_in_one_or_more_headers() -> None:
    found = parse_challenges(
        [
            'Basic realm="cam, one"',
            'Digest realm="IP Camera(21388)", nonce="a\\"b", qop="auth,auth-int", stale=FALSE, '
            'Newauth realm="x"',
        ]
    )
    assert [c.scheme for c in found] == ["basic", "digest", "newauth"]
    assert found[0].params == {"realm": "cam, one"}
    assert found[1].params == {
        "realm": "IP Camera(21388)",
        "nonce": 'a"b',
        "qop": "auth,auth-int",
        "stale": "FALSE",
    }


def test_digest_is_chosen_before_basic_and_unknown_schemes_are_refused() -> None:
    basic, digest = Challenge("basic", {}), Challenge("digest", {"nonce": "n"})
    assert choose([basic, digest]) is digest
    assert choose([basic]) is basic
    assert choose([Challenge("digest", {"algorithm": "SHA-512-256"}), basic]) is basic
    with pytest.raises(UnsupportedChallenge, match=r"unsupported authentication scheme \(ntlm\)"):
        choose([Challenge("ntlm", {})])


def test_rfc2617_digest_example() -> None:
    challenge = Challenge(
        "digest",
        {
            "realm": "testrealm@host.com",
            "qop": "auth,auth-int",
            "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "opaque": "5ccc069c403ebaf9f0171e9517f40e41",
        },
    )
    session = DigestSession(challenge, "Mufasa", "Circle Of Life")
    header = session.authorization("GET", "/dir/index.html", cnonce="0a4f113b")
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "qop=auth, nc=00000001" in header
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header
    second = session.authorization("GET", "/dir/index.html", cnonce="0a4f113b")
    assert "nc=00000002" in second


def test_rfc7616_sha256_example() -> None:
    challenge = Challenge(
        "digest",
        {
            "realm": "http-auth@example.org",
            "qop": "auth",
            "algorithm": "SHA-256",
            "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
        },
    )
    header = DigestSession(challenge, "Mufasa", "Circle of Life").authorization(
        "GET", "/dir/index.html", cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    )
    assert 'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"' in header
    assert "algorithm=SHA-256" in header


def test_digest_without_qop_uses_rfc2069_response() -> None:
    challenge = Challenge("digest", {"realm": "r", "nonce": "n"})
    header = DigestSession(challenge, "u", "p").authorization("DESCRIBE", "rtsp://h/s")
    assert "qop" not in header
    assert "nc=" not in header
    ha1 = hashlib.md5(b"u:r:p").hexdigest()  # noqa: S324 - what Digest specifies
    ha2 = hashlib.md5(b"DESCRIBE:rtsp://h/s").hexdigest()  # noqa: S324
    expected = hashlib.md5(f"{ha1}:n:{ha2}".encode()).hexdigest()  # noqa: S324
    assert header.endswith(f'response="{expected}"')


def test_auth_int_only_is_refused() -> None:
    session = DigestSession(Challenge("digest", {"nonce": "n", "qop": "auth-int"}), "u", "p")
    with pytest.raises(UnsupportedChallenge, match="qop"):
        session.authorization("OPTIONS", "rtsp://h/s")


def test_basic_header_and_password_not_in_repr() -> None:
    assert basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    auth = Authenticator(Challenge("basic", {}), "Aladdin", "open sesame")
    assert auth.header("OPTIONS", "rtsp://h/") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert "sesame" not in repr(auth)
    assert "sesame" not in repr(DigestSession(Challenge("digest", {}), "a", "sesame"))

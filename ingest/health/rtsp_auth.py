"""Answer an RTSP server's WWW-Authenticate challenge with Digest (RFC 2617/7616) or Basic."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# An auth-scheme or auth-param name, optionally followed by "=value" (token or quoted string).
_ITEM = re.compile(
    r"""\s*,?\s*(?P<name>[!#$%&'*+.^_`|~0-9A-Za-z-]+)"""
    r"""(?:\s*=\s*(?P<value>"(?:[^"\\]|\\.)*"|[^,\s]*))?"""
)
# Digest algorithms a camera may name, and the hash each one uses.
_HASHES = {"md5": "md5", "md5-sess": "md5", "sha-256": "sha256", "sha-256-sess": "sha256"}


@dataclass(frozen=True)
class Challenge:
    """One challenge of a WWW-Authenticate header: a scheme and its parameters."""

    scheme: str  # lower case: "digest", "basic", ...
    params: dict[str, str] = field(default_factory=dict)  # names in lower case


class UnsupportedChallenge(ValueError):
    """The server asks for an authentication scheme or algorithm this client cannot answer."""


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_challenges(header_values: Iterable[str]) -> list[Challenge]:
    """Return the challenges of one or more WWW-Authenticate header values, in order."""
    challenges: list[tuple[str, dict[str, str]]] = []
    for value in header_values:
        position = 0
        while position < len(value):
            match = _ITEM.match(value, position)
            if match is None or match.end() == position:
                break  # malformed rest: keep what was understood
            position = match.end()
            name, raw = match.group("name"), match.group("value")
            if raw is None:
                challenges.append((name.lower(), {}))
            elif challenges:
                challenges[-1][1][name.lower()] = _unquote(raw)
    return [Challenge(scheme, params) for scheme, params in challenges]


def choose(challenges: Iterable[Challenge]) -> Challenge:
    """Return the strongest challenge this client can answer (Digest before Basic)."""
    found = list(challenges)
    for challenge in found:
        algorithm = challenge.params.get("algorithm", "MD5").lower()
        if challenge.scheme == "digest" and algorithm in _HASHES:
            return challenge
    for challenge in found:
        if challenge.scheme == "basic":
            return challenge
    offered = ", ".join(sorted({c.scheme for c in found})) or "none"
    raise UnsupportedChallenge(f"unsupported authentication scheme ({offered})")


def basic_authorization(username: str, password: str) -> str:
    """Return the Authorization header value for Basic."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class DigestSession:
    """Digest answers to one challenge; counts nonce uses so each request gets a fresh nc."""

    challenge: Challenge
    username: str
    password: str = field(repr=False)
    nonce_count: int = 0

    def authorization(self, method: str, uri: str, cnonce: str | None = None) -> str:
        """Return the Authorization header value for one request."""
        params = self.challenge.params
        algorithm = params.get("algorithm", "MD5")
        hash_name = _HASHES.get(algorithm.lower())
        if hash_name is None:
            raise UnsupportedChallenge(f"unsupported digest algorithm {algorithm!r}")

        def digest(text: str) -> str:
            return hashlib.new(hash_name, text.encode()).hexdigest()

        realm, nonce = params.get("realm", ""), params.get("nonce", "")
        cnonce = cnonce or os.urandom(8).hex()
        ha1 = digest(f"{self.username}:{realm}:{self.password}")
        if algorithm.lower().endswith("-sess"):
            ha1 = digest(f"{ha1}:{nonce}:{cnonce}")
        ha2 = digest(f"{method}:{uri}")
        offered = [q.strip().lower() for q in params.get("qop", "").split(",") if q.strip()]
        parts = [
            f"username={_quote(self.username)}",
            f"realm={_quote(realm)}",
            f"nonce={_quote(nonce)}",
            f"uri={_quote(uri)}",
        ]
        if "auth" in offered:
            # RFC 7616: with qop, the client counts its uses of the nonce and adds its own nonce.
            self.nonce_count += 1
            nc = f"{self.nonce_count:08x}"
            response = digest(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            parts += ["qop=auth", f"nc={nc}", f"cnonce={_quote(cnonce)}"]
        elif offered:
            raise UnsupportedChallenge(f"unsupported digest qop {params['qop']!r}")
        else:
            response = digest(f"{ha1}:{nonce}:{ha2}")  # RFC 2069 compatibility (no qop)
        parts.append(f"response={_quote(response)}")
        if "algorithm" in params:
            parts.append(f"algorithm={algorithm}")
        if "opaque" in params:
            parts.append(f"opaque={_quote(params['opaque'])}")
        return "Digest " + ", ".join(parts)


class Authenticator:
    """The Authorization header for each request, once a challenge has been answered."""

    def __init__(self, challenge: Challenge, username: str, password: str) -> None:
        self.scheme = challenge.scheme  # "digest" or "basic"
        self._basic = basic_authorization(username, password)
        self._digest = (
            DigestSession(challenge, username, password) if challenge.scheme == "digest" else None
        )

    def __repr__(self) -> str:
        return f"Authenticator({self.scheme})"

    def header(self, method: str, uri: str) -> str:
        """Return the Authorization header value for a request."""
        if self._digest is not None:
            return self._digest.authorization(method, uri)
        return self._basic

"""Encryption at rest of stream credentials (Fernet: AES-128-CBC with HMAC-SHA256)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken


@dataclass(frozen=True)
class StreamCredentials:
    """User name and password of a camera's stream; never returned or logged."""

    username: str
    password: str

    def __repr__(self) -> str:
        return "StreamCredentials(***)"


class CredentialCipher:
    """Encrypts and decrypts stream credentials with one key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, credentials: StreamCredentials) -> str:
        """Return an opaque token for storage."""
        payload = json.dumps({"u": credentials.username, "p": credentials.password})
        return self._fernet.encrypt(payload.encode()).decode()

    def decrypt(self, token: str) -> StreamCredentials:
        """Return the credentials in a stored token; raise ValueError for a wrong key."""
        try:
            data = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ValueError("stored credentials cannot be decrypted with this key") from exc
        return StreamCredentials(username=data["u"], password=data["p"])

    def encrypt_text(self, secret: str) -> str:
        """Return an opaque token for a single secret (e.g. a webhook signing secret)."""
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt_text(self, token: str) -> str:
        """Return the secret in a token from encrypt_text; raise ValueError for a wrong key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with this key") from exc


def load_or_create_key(explicit_key: str, key_file: Path) -> bytes:
    """Return the configured key, or the key file's, creating the file (mode 0600) on first use."""
    if explicit_key:
        return explicit_key.encode()
    if key_file.exists():
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key

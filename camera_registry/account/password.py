"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from camera_registry.errors import InvalidInput

# argon2-cffi's defaults follow RFC 9106's low-memory profile; changing them here makes every
# stored hash "need rehash", and the next successful log-in stores a hash with the new ones.
_HASHER = PasswordHasher()
MAX_PASSWORD_LENGTH = 1024


def hash_password(password: str) -> str:
    """Return an argon2id hash of the password."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Return True when the password matches the stored hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Return True when the hash was made with other parameters than the current ones."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("camreg-dummy-password-for-unknown-users")


def burn_verification_time(password: str) -> None:
    """Spend as long as a real check, so unknown user names cannot be told apart by timing."""
    verify_password(_dummy_hash(), password)


def check_password_rules(password: str, *, min_length: int, username: str = "") -> None:
    """Raise InvalidInput unless the password is long enough and not the user name."""
    if len(password) < min_length:
        raise InvalidInput(f"password too short: use at least {min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"password too long: use at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise InvalidInput("password may not be only white space")
    if username and password.casefold() == username.casefold():
        raise InvalidInput("password may not be the user name")

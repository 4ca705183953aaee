"""Keep originals (copied read-only into the data folder, or referenced) and write thumbnails."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest.events.model import FootageStorage
from ingest.pipeline.errors import FootageChanged

_CHUNK = 1 << 20
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


@dataclass(frozen=True)
class StoredFile:
    """Where the kept original lives and how it is kept."""

    path: Path
    storage: FootageStorage


def hash_file(path: Path) -> tuple[str, int]:
    """Return the SHA-256 hex digest and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def footage_path(footage_dir: Path, camera_code: str, sha256: str, suffix: str) -> Path:
    """Return where a copied original with this hash is kept."""
    return footage_dir / camera_code / sha256[:2] / f"{sha256}{suffix.lower()}"


def keep_original(
    source: Path, *, sha256: str, camera_code: str, mode: str, footage_dir: Path
) -> StoredFile:
    """Copy the file read-only into the footage folder, or reference it; check it is unchanged."""
    if mode == "reference":
        _expect(source, hash_file(source)[0], sha256)
        return StoredFile(source.resolve(), FootageStorage.REFERENCED)
    target = footage_path(footage_dir, camera_code, sha256, source.suffix)
    if target.is_file() and hash_file(target)[0] == sha256:
        # A copy from an earlier, interrupted try of the same job.
        return StoredFile(target, FootageStorage.COPIED)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with source.open("rb") as src, partial.open("wb") as dst:
            copied = _copy_hashing(src, dst)
        _expect(source, copied, sha256)
        partial.chmod(_READ_ONLY)
        # The copy appears under its final name only when complete and checked.
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(target, FootageStorage.COPIED)


def _copy_hashing(src: BinaryIO, dst: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := src.read(_CHUNK):
        digest.update(chunk)
        dst.write(chunk)
    dst.flush()
    os.fsync(dst.fileno())
    return digest.hexdigest()


def _expect(path: Path, actual: str, expected: str) -> None:
    if actual != expected:
        raise FootageChanged(
            f"{path}: content changed since it was queued (SHA-256 {actual[:12]}…, expected "
            f"{expected[:12]}…); queue the file again"
        )


def write_thumbnail(thumbnail_dir: Path, camera_code: str, event_id: str, jpeg: bytes) -> Path:
    """Write an event's JPEG thumbnail (atomically; the same event overwrites its own)."""
    target = thumbnail_dir / camera_code / f"{event_id}.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.write_bytes(jpeg)
    partial.replace(target)
    return target

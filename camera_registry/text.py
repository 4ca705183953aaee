"""Accent-insensitive text folding for search ("phuong 7" finds "Phường 7")."""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Return text lower-cased, without diacritics (đ → d), with single spaces."""
    if not text:
        return ""
    ascii_text = unidecode(unicodedata.normalize("NFC", text))
    return _SPACES.sub(" ", ascii_text).strip().lower()


def normalise_spaces(text: str) -> str:
    """Return text with runs of white space collapsed to one space and ends trimmed."""
    return _SPACES.sub(" ", text).strip()

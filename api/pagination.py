"""Cursor pagination: `{items, next_cursor}` bodies and `Link: <…>; rel="next"` headers."""

from __future__ import annotations

import base64
import json
from typing import Generic, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel, Field

from camera_registry.errors import FieldProblem, InvalidInput

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 100
PAGE_SIZE_HELP = "Page size: default 100, at most the configured max_page_size."


class Page(BaseModel, Generic[T]):
    """One page of a listing; pass `next_cursor` as `cursor` to get the next one."""

    items: list[T]
    next_cursor: str | None = Field(None, description="Absent on the last page.")


def check_limit(limit: int | None, max_page_size: int) -> int:
    """Return the page size (default 100), refusing one over the configured maximum."""
    if limit is None:
        return min(DEFAULT_PAGE_SIZE, max_page_size)
    if limit > max_page_size:
        message = f"at most {max_page_size} per page; follow next_cursor for more"
        raise InvalidInput(f"limit: {message}", problems=[FieldProblem("limit", message)])
    return limit


def set_next_link(request: Request, response: Response, next_cursor: str | None) -> None:
    """Add a `Link` header to the next page when there is one."""
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'


def encode_seq_cursor(seq: int) -> str:
    """Return an opaque cursor for 'after this sequence number'."""
    raw = json.dumps({"after_seq": seq}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_seq_cursor(cursor: str | None) -> int:
    """Return the sequence number a cursor continues after (0 without a cursor)."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        seq = data["after_seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**62:
            raise ValueError
        return seq
    except (ValueError, KeyError, TypeError) as exc:
        message = "cursor is damaged; start again without one"
        raise InvalidInput(message, problems=[FieldProblem("cursor", message)]) from exc

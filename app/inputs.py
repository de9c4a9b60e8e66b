"""Bounds every request must keep, checked once for every route before its handler runs.

- A NUL character anywhere in the path, the query, a form field or a JSON body is malformed input:
  PostgreSQL refuses it in text, so it is answered 400 here instead of failing in the database.
- A number in the path names a row (or a position in a list): one beyond the database's integer range,
  or negative, names nothing, and neither does a path segment longer than any name: 404 before any query
  (or file look-up) is made.
- A JSON body nested deeper than any document of ours is refused before a decoder recurses into it.

GET and HEAD requests only pay for a few substring checks (the leaderboard fragment is a hot path;
docs/reliability.md has the measurement).
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException, NotFoundException

from app import i18n

# PostgreSQL's `integer` (every id column and foreign key): ids and positions are 0 ..= MAX_ID.
MAX_ID = 2**31 - 1
# No file name, code or id is longer: a longer path segment names nothing (a file system refuses it).
MAX_SEGMENT_BYTES = 255
# Rulesets, activities and every other JSON document Sinergi reads nest four or five levels at most.
MAX_JSON_DEPTH = 32

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A JSON string, escapes included: its brackets are text, not nesting.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nul_message() -> str:
    return i18n._("The request contains a NUL character (\\0), which is not allowed.")


def valid_id(value: Any) -> bool:
    """Whether a path number can name a row: 0 ..= MAX_ID (bool is no number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def parse_id(value: Any) -> int | None:
    """A row id sent as text (a query parameter, a form field), or None when it names no row: not a
    whole number, or beyond the database's integer range. Every door reads ids through this."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if valid_id(number) else None


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, delete=_NOT_BRACKETS)
    depth = deepest = 0
    for char in brackets:
        if char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


async def refuse_malformed(request: Request[Any, Any, Any]) -> None:
    """The `before_request` hook of the whole application (the API router uses it too)."""
    scope = request.scope
    path, query = scope["path"], scope["query_string"]
    if "\x00" in path or b"%00" in query or b"\x00" in query:
        raise ClientException(detail=nul_message())
    if len(path) > MAX_SEGMENT_BYTES and any(
        len(segment.encode()) > MAX_SEGMENT_BYTES for segment in path.split("/")
    ):
        raise NotFoundException()
    for value in scope["path_params"].values():
        if isinstance(value, int) and not valid_id(value):
            raise NotFoundException()
    if scope["method"] not in _BODY_METHODS:
        return
    content_type, _options = request.content_type
    if content_type == "multipart/form-data":
        # Files are binary and may hold any byte; their names and every text field may not.
        form = await request.form()
        for _name, value in form.multi_items():
            text = value.filename if isinstance(value, UploadFile) else value
            if isinstance(text, str) and "\x00" in text:
                raise ClientException(detail=nul_message())
        return
    body = await request.body()
    if not body:
        return
    if b"\x00" in body:
        raise ClientException(detail=nul_message())
    if content_type == "application/x-www-form-urlencoded" and b"%00" in body:
        raise ClientException(detail=nul_message())
    if not content_type.endswith("json"):
        return
    if b"\\u0000" in body.lower():
        raise ClientException(detail=nul_message())
    if json_depth(body) > MAX_JSON_DEPTH:
        raise ClientException(
            detail=i18n._("The JSON is nested too deeply: at most %(n)s levels.", n=MAX_JSON_DEPTH)
        )

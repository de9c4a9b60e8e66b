"""What an operator sees of a running Sinergi: request ids, one log line per request (JSON in production),
the security headers every response carries, and the readiness check of Redis.

`wrap(asgi_handler, settings)` goes around the whole Litestar ASGI handler (see app.main), so it sees every
response, including the 404s of the router, static files, the API and the error pages.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

REQUEST_ID_HEADER = b"x-request-id"
# An incoming id is kept when it is a plausible id (a UUID, a proxy's hex id, "abc-123.4"): printable,
# no spaces or quotes, at most 128 characters; anything else is replaced by a fresh one.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")

request_id: ContextVar[str | None] = ContextVar("sinergi_request_id", default=None)

access_log = logging.getLogger("sinergi.access")

# Only our own origin. Scripts and styles come from /static/ only (no inline code, no eval: htmx runs with
# allowEval=false and without its injected indicator styles, see templates/base.html).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The capture page takes photos through a plain file input (no camera API) and reads places from the
# photos' EXIF and the form (no geolocation API): no page needs a powerful feature.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"

_STATIC_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_OURS = {name for name, _ in _STATIC_HEADERS} | {REQUEST_ID_HEADER, b"strict-transport-security"}


def valid_request_id(value: str | None) -> str | None:
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def wrap(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Gives every HTTP request an id, adds the security headers and logs one line when it ends."""
    hsts_always = settings.secure_cookies

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
                break
        rid = valid_request_id(incoming) or new_request_id()
        token = request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        status = 500
        https = hsts_always or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _OURS]
                headers.append((REQUEST_ID_HEADER, rid.encode()))
                headers.extend(_STATIC_HEADERS)
                if https:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await app(scope, receive, send_with_headers)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            user = scope.get("user")
            method = scope.get("method", "")
            path = scope.get("path", "")
            access_log.info(
                "%s %s %s %.1f ms",
                method,
                path,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "user_id": getattr(user, "id", None),
                    "client": (scope.get("client") or ("", 0))[0] or None,
                },
            )
            request_id.reset(token)

    return observed


# --- logging ------------------------------------------------------------------------------------

_RECORD_FIELDS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
# uvicorn adds a copy of its message with terminal colours.
_SKIPPED_EXTRAS = {"color_message", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            data["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in data and key not in _SKIPPED_EXTRAS:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The readable form (the demo): time, level, logger, the request id when there is one, message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None) or request_id.get()
        return f"{line} [{rid}]" if rid and "\n" not in line else line


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """The dictConfig for `sinergi serve`/`demo` (uvicorn applies it in every worker process).

    Our access line replaces uvicorn's (it has the request id, the user and the duration)."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "app.observability.JsonFormatter"},
            "text": {"()": "app.observability.TextFormatter"},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "sinergi": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "granian": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


# --- readiness ----------------------------------------------------------------------------------

REDIS_PING_TIMEOUT_S = 1.0


async def redis_ping(url: str) -> bool:
    """True when the Redis at `url` answers PING within a second (a connection of its own, closed after)."""
    from redis.asyncio import Redis

    client = Redis.from_url(
        url, socket_timeout=REDIS_PING_TIMEOUT_S, socket_connect_timeout=REDIS_PING_TIMEOUT_S
    )
    try:
        return bool(await client.ping())
    except Exception:  # refused, timed out, auth, protocol: not ready either way
        return False
    finally:
        await client.aclose()

"""The background sender: claims due deliveries, POSTs them signed, records each attempt, retries.

**One sender per delivery, however many processes.** A delivery is sent only under a lease: a claim
(`claim`) sets `lease_token`/`lease_until` on due rows in one statement — PostgreSQL picks the rows with
`FOR UPDATE SKIP LOCKED` so two processes never take the same one; SQLite runs it in an IMMEDIATE
transaction, the database's single writer. The result is stored only under the same token. A process
killed mid-send leaves its lease to expire (`Config.lease_seconds`: twice the timeout and LEASE_MARGIN):
the delivery is sent again with the same id (at least once).

**In order per endpoint.** Only the oldest pending delivery of an endpoint is ever due: delivery n+1 waits
while n waits for its retry. A delivery that fails for good (after `webhook_max_attempts`) no longer holds
the endpoint's queue; the organisers can send it again from the console or the API.

**Retries.** After a non-2xx answer, a timeout or a connection error the next attempt waits
`webhook_retry_seconds * 2**(attempts-1)` (at most MAX_DELAY), with ±20 % jitter.

**Signature.** `Sinergi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`, with
`Sinergi-Event` (the type) and `Sinergi-Delivery` (the idempotency id, the same on every retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.db import is_postgres, write_transaction
from app.settings import Settings
from app.tables import WebhookAttempt, WebhookDelivery
from app.webhooks import endpoints

log = logging.getLogger("sinergi.webhooks")

MAX_DELAY = 6 * 3600.0
LEASE_MARGIN = 5.0
BATCH = 20
USER_AGENT = "Sinergi-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Config:
    poll_seconds: float = 2.0
    retry_seconds: float = 30.0
    max_attempts: int = 10
    timeout: float = 10.0

    @classmethod
    def of(cls, settings: Settings) -> Config:
        return cls(
            poll_seconds=settings.webhook_poll_seconds,
            retry_seconds=settings.webhook_retry_seconds,
            max_attempts=settings.webhook_max_attempts,
            timeout=settings.webhook_timeout,
        )

    @property
    def lease_seconds(self) -> float:
        """Long enough for the POST and recording its outcome; a sender killed mid-send holds no more."""
        return 2 * self.timeout + LEASE_MARGIN


def sign(secret: str, body: str, timestamp: int) -> str:
    """The Sinergi-Signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def retry_delay(attempts: int, base: float) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling, capped, ±20 % jitter."""
    delay = min(base * 2 ** max(0, attempts - 1), MAX_DELAY)
    return delay * random.uniform(0.8, 1.2)


def _now() -> datetime:
    return datetime.now(UTC)


_DUE = (
    "FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint "
    "WHERE d.state = 'pending' AND e.active = {} AND d.next_attempt_at <= {} "
    "AND (d.lease_until IS NULL OR d.lease_until < {}) "
    "AND NOT EXISTS (SELECT 1 FROM webhook_delivery p "
    "WHERE p.endpoint = d.endpoint AND p.state = 'pending' AND p.id < d.id)"
)


async def anything_due() -> bool:
    """A plain read first: a claim writes, and most polls find nothing."""
    now = _now()
    rows = await WebhookDelivery.raw(f"SELECT d.id {_DUE} LIMIT 1", True, now, now)
    return bool(rows)


async def claim(config: Config, limit: int = BATCH) -> list[dict[str, Any]]:
    """Leases up to `limit` due deliveries (at most one per endpoint: its oldest pending) to this sender;
    returns them with their endpoint's URL and secret."""
    token = str(uuid.uuid4())
    now = _now()
    until = now + timedelta(seconds=config.lease_seconds)
    lock = " FOR UPDATE OF d SKIP LOCKED" if is_postgres() else ""
    statement = (
        "UPDATE webhook_delivery SET lease_token = {}, lease_until = {} WHERE id IN ("  # noqa: S608
        f"SELECT d.id {_DUE} ORDER BY d.id LIMIT {int(limit)}{lock})"
    )
    async with write_transaction():
        await WebhookDelivery.raw(statement, token, until, True, now, now)
    rows = await WebhookDelivery.raw(
        "SELECT d.id, d.uuid, d.event_type, d.body, d.attempts, e.url, e.secret "
        "FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint "
        "WHERE d.lease_token = {} ORDER BY d.id",
        token,
    )
    return [{**r, "token": token} for r in rows]


async def send(client: httpx.AsyncClient, delivery: dict[str, Any], config: Config) -> bool:
    """One attempt: POSTs the delivery, then records the attempt and the delivery's new state under its
    lease. True when the receiver answered 2xx."""
    body: str = delivery["body"]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Sinergi-Signature": sign(delivery["secret"], body, int(time.time())),
        "Sinergi-Event": delivery["event_type"],
        "Sinergi-Delivery": delivery["uuid"],
    }
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        response = await client.post(
            delivery["url"], content=body.encode(), headers=headers, timeout=config.timeout
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.TimeoutException:
        error = "timeout"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    except Exception as exc:  # a URL httpx refuses (e.g. an odd port) is this delivery's failure
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = not error
    attempts = delivery["attempts"] + 1
    now = _now()
    changes: dict[Any, Any] = {
        WebhookDelivery.attempts: attempts,
        WebhookDelivery.last_status: status,
        WebhookDelivery.last_error: error,
        WebhookDelivery.lease_token: None,
        WebhookDelivery.lease_until: None,
    }
    if ok:
        changes[WebhookDelivery.state] = "delivered"
        changes[WebhookDelivery.delivered_at] = now
    elif attempts >= config.max_attempts:
        changes[WebhookDelivery.state] = "failed"
    else:
        changes[WebhookDelivery.next_attempt_at] = now + timedelta(
            seconds=retry_delay(attempts, config.retry_seconds)
        )
    async with write_transaction():
        await WebhookAttempt.insert(
            WebhookAttempt(
                delivery=delivery["id"],
                attempted_at=now,
                status_code=status,
                error=error,
                duration_ms=duration_ms,
            )
        )
        # Only under this sender's lease: if it expired and another sender took the delivery, that one
        # records the outcome.
        await WebhookDelivery.update(changes).where(
            (WebhookDelivery.id == delivery["id"]) & (WebhookDelivery.lease_token == delivery["token"])
        )
    if not ok:
        log.info("webhook delivery %s attempt %s failed: %s", delivery["uuid"], attempts, error)
    return ok


async def run_once(client: httpx.AsyncClient, config: Config) -> int:
    """Claims what is due and sends it (the endpoints in parallel); returns how many were attempted."""
    if not await anything_due():
        return 0
    claimed = await claim(config)
    if claimed:
        await asyncio.gather(*(send(client, d, config) for d in claimed))
    return len(claimed)


async def run(config: Config) -> None:
    """Forever: send what is due, then sleep until woken (a new delivery in this process) or the poll."""
    wake = asyncio.Event()
    endpoints._wakers.append(wake.set)
    try:
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
            while True:
                try:
                    if await run_once(client, config):
                        continue
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook sender round failed")
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), config.poll_seconds)
    finally:
        endpoints._wakers.remove(wake.set)


@contextlib.asynccontextmanager
async def sending(settings: Settings) -> AsyncIterator[None]:
    """One of the application's lifespan managers: the sender runs while the app does (unless the
    setting turns it off for this process: SINERGI_WEBHOOK_SENDER=0)."""
    if not settings.webhook_sender:
        yield
        return
    task = asyncio.create_task(run(Config.of(settings)))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

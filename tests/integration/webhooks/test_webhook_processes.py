"""Webhooks with real server processes (`sinergi serve`) and a real receiver on loopback.

- **Killed between the commit and the send**: a server whose sender is off (SINERGI_WEBHOOK_SENDER=0, the
  delay) commits an activity and its outbox row, then is killed with SIGKILL; the restarted server sends
  it. Killed *during* a send (the receiver holds the request), the delivery is sent again after the
  lease expires, with the same Sinergi-Delivery id: at least once, never under another id. SQLite and
  PostgreSQL.
- **Two processes on one PostgreSQL database** both run a sender: every delivery arrives exactly once,
  in order per endpoint.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.api.helpers import activity_body
from tests.integration.procs import DEMO_PASSWORD, Server, base_env, seed_demo, throwaway_database
from tests.integration.webhooks.receiver import Receiver, verify

SLUG = "lomba-sinergitas-2024"
PG_BASE = os.environ.get("SINERGI_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432/postgres"
FAST = {"SINERGI_WEBHOOK_POLL_SECONDS": "0.2", "SINERGI_WEBHOOK_RETRY_SECONDS": "0.2"}


def login(base_url: str, username: str) -> dict[str, str]:
    r = httpx.post(
        base_url + "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}, timeout=30
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def register(base_url: str, url: str, events: list[str]) -> str:
    r = httpx.post(
        f"{base_url}/api/v1/competitions/{SLUG}/webhooks",
        json={"url": url, "events": events},
        headers=login(base_url, "panitia"),
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["secret"])


def submit(base_url: str, auth: dict[str, str], n: int) -> int:
    r = httpx.post(
        f"{base_url}/api/v1/competitions/{SLUG}/activities",
        json=activity_body(title=f"Uji webhook #{n}"),
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _pg_rows(url: str, query: str) -> list[tuple]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(query)]
    finally:
        await conn.close()


def deliveries(env: dict[str, str]) -> list[tuple]:
    """(uuid, event_type, state, attempts) of every delivery, in id order, read straight from the database."""
    query = "SELECT uuid, event_type, state, attempts FROM webhook_delivery ORDER BY id"
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return [tuple(r) for r in conn.execute(query)]
    return asyncio.run(_pg_rows(url, query))


def wait(check, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {**base_env(tmp_path), **FAST}
        return
    with throwaway_database(PG_BASE, prefix="sinergi_wh") as url:
        yield {**base_env(tmp_path, url), **FAST}


def test_killed_between_commit_and_send_then_mid_send_loses_nothing(
    env: dict[str, str], tmp_path: Path, receiver: Receiver
) -> None:
    seed_demo(env, activities=20)
    log = tmp_path / "server.log"
    silent = Server({**env, "SINERGI_WEBHOOK_SENDER": "0"}, log).start()
    try:
        secret = register(silent.url, receiver.url(), ["activity.submitted"])
        submit(silent.url, login(silent.url, "peserta.surabaya"), 1)
        # Committed with its outbox row, not sent: the process dies now.
        ((first, kind, state, attempts),) = deliveries(env)
        assert (kind, state, attempts) == ("activity.submitted", "pending", 0)
        time.sleep(0.5)
        assert receiver.received == []
    finally:
        silent.kill9()

    # Restarted with its sender: the delivery goes out. The receiver then holds the next request while
    # the server is killed again, mid-send.
    server = Server({**env, "SINERGI_WEBHOOK_TIMEOUT": "2"}, log).start()
    try:
        wait(lambda: len(receiver.received) >= 1)
        got = receiver.received[0]
        assert got.delivery == first and verify(secret, got.headers["sinergi-signature"], got.body)
        wait(lambda: deliveries(env)[0][2] == "delivered")
        receiver.delay = 3.0
        submit(server.url, login(server.url, "peserta.surabaya"), 2)
        wait(lambda: len(receiver.received) >= 2)
    finally:
        server.kill9()
    second = deliveries(env)[1]
    assert second[2] == "pending" and second[3] == 0  # sent, but the outcome was never stored

    receiver.delay = 0.0
    server = Server({**env, "SINERGI_WEBHOOK_TIMEOUT": "2"}, log).start()
    try:
        wait(lambda: deliveries(env)[1][2] == "delivered")  # once the dead sender's lease expired
    finally:
        server.stop()
    ids = [r.delivery for r in receiver.received]
    assert ids == [first, second[0], second[0]]  # at least once, with the same id, nothing else
    assert all(verify(secret, r.headers["sinergi-signature"], r.body) for r in receiver.received)
    assert [d[2] for d in deliveries(env)] == ["delivered", "delivered"]


def test_two_processes_on_one_postgresql_send_each_delivery_once_in_order(
    tmp_path: Path, receiver: Receiver
) -> None:
    with throwaway_database(PG_BASE, prefix="sinergi_wh2") as url:
        env = {**base_env(tmp_path, url), **FAST, "SINERGI_WEBHOOK_POLL_SECONDS": "0.05"}
        seed_demo(env, activities=20)
        receiver.delay = 0.02
        a = Server(env, tmp_path / "a.log").start()
        b = Server(env, tmp_path / "b.log").start()
        try:
            secret_x = register(a.url, receiver.url("/x"), ["activity.submitted"])
            secret_y = register(b.url, receiver.url("/y"), ["activity.submitted"])
            auth = {s.url: login(s.url, "peserta.surabaya") for s in (a, b)}
            count = 16
            for n in range(count):
                server = a if n % 2 else b
                submit(server.url, auth[server.url], n)
            wait(lambda: len(receiver.accepted()) >= 2 * count)
            time.sleep(1.0)  # anything sent twice would have arrived by now
        finally:
            a.stop()
            b.stop()
        stored = deliveries(env)
    assert len(stored) == 2 * count and all(d[2] == "delivered" and d[3] == 1 for d in stored)
    for path, secret in (("/x", secret_x), ("/y", secret_y)):
        got = [r for r in receiver.received if r.path == path]
        assert len(got) == count and len({r.delivery for r in got}) == count  # each exactly once
        assert all(verify(secret, r.headers["sinergi-signature"], r.body) for r in got)
        titles_in_order = [r.json["data"]["activity_id"] for r in got]
        assert titles_in_order == sorted(titles_in_order)  # in order per endpoint
    assert [r.delivery for r in receiver.received if r.path == "/x"] == [
        d[0] for d in stored if d[0] in {r.delivery for r in receiver.received if r.path == "/x"}
    ]

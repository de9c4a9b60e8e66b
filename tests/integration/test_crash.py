"""`kill -9` of a real server in the middle of a stream of submissions, on SQLite and on PostgreSQL (a
private cluster): after a restart every acknowledged submission is there, none twice (the clients send
the unacknowledged ones again with the same Idempotency-Key), and the database passes its integrity
check (SQLite `PRAGMA integrity_check`, PostgreSQL amcheck's `bt_index_check` on every index plus
consistency queries)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.integration.procs import (
    DEMO_PASSWORD,
    PG_BIN,
    PrivatePostgres,
    Server,
    base_env,
    pg_execute,
    seed_demo,
)

DEMO_SLUG = "lomba-sinergitas-2024"
PARTICIPANTS = ("peserta.surabaya", "peserta.malang", "peserta.banyuwangi")
KILL_AFTER_ACKS = 24  # acknowledged submissions (all clients) before the SIGKILL


@dataclass
class Client:
    username: str
    base_url: str
    token: str = ""
    sent: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> title
    unacknowledged: dict[str, dict] = field(default_factory=dict)  # key -> body
    errors: list[str] = field(default_factory=list)

    def body(self, n: int) -> dict:
        return {
            "type": "DDS",
            "occurred_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "title": f"Uji crash {self.username} #{n}",
            "description": "dikirim saat server dimatikan paksa",
            "senkom_members": [{"name": "Ahmad Santoso"}],
            "officers": [{"name": "Budi Wibowo", "rank": "Bripka", "nrp": "85011234", "polres": "Polres"}],
            "residents_reached": 10 + n,
            "preemptive": True,
        }

    def send(self, http: httpx.Client, key: str, body: dict) -> bool:
        self.sent += 1
        try:
            r = http.post(
                f"/api/v1/competitions/{DEMO_SLUG}/activities",
                json=body,
                headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": key},
            )
        except httpx.HTTPError:
            self.unacknowledged[key] = body
            return False
        if r.status_code != 201:
            self.errors.append(f"{r.status_code} {r.text[:200]}")
            self.unacknowledged[key] = body
            return False
        self.unacknowledged.pop(key, None)
        self.acknowledged[key] = body["title"]
        return True

    def stream(self, stop: threading.Event) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10) as http:
            n = 0
            while not stop.is_set():
                n += 1
                if not self.send(http, str(uuid.uuid4()), self.body(n)):
                    return  # the server is gone: this client waits for it to come back

    def retry(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            for key, body in list(self.unacknowledged.items()):
                assert self.send(http, key, body), self.errors[-1:]


def login(base_url: str, username: str) -> str:
    r = httpx.post(
        base_url + "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}, timeout=30
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield base_env(tmp_path)
        return
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL server binaries are missing in {PG_BIN} (apt-get install postgresql-15)")
    cluster = PrivatePostgres().init().start()
    try:
        pg_execute(cluster.url, "CREATE DATABASE sinergi")
        yield base_env(tmp_path, cluster.database("sinergi"))
    finally:
        cluster.remove()


def test_kill_9_loses_no_acknowledged_submission_and_duplicates_none(
    env: dict[str, str], tmp_path: Path
) -> None:
    seed_demo(env, activities=20)
    server = Server(env, tmp_path / "server.log").start()
    clients = [Client(u, server.url) for u in PARTICIPANTS]
    for c in clients:
        c.token = login(server.url, c.username)
    stop = threading.Event()
    threads = [threading.Thread(target=c.stream, args=(stop,)) for c in clients]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while sum(len(c.acknowledged) for c in clients) < KILL_AFTER_ACKS and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill9()  # mid-stream: requests are in flight
    stop.set()
    for t in threads:
        t.join(30)
    acknowledged_before = sum(len(c.acknowledged) for c in clients)
    assert acknowledged_before >= KILL_AFTER_ACKS
    in_flight = sum(len(c.unacknowledged) for c in clients)

    server.start()
    try:
        for c in clients:
            c.retry()
        found = stored_titles(env)
    finally:
        server.stop()

    sent = sum(c.sent for c in clients)
    everything = {title for c in clients for title in c.acknowledged.values()}
    crash_titles = [t for t in found if t.startswith("Uji crash ")]
    report = {
        "database": "sqlite" if env["DATABASE_URL"].startswith("sqlite") else "postgresql",
        "requests_sent": sent,
        "acknowledged_before_kill": acknowledged_before,
        "unacknowledged_at_kill": in_flight,
        "acknowledged_after_retries": len(everything),
        "found": len(crash_titles),
        "duplicates": len(crash_titles) - len(set(crash_titles)),
    }
    print("crash run:", json.dumps(report))
    # Every acknowledged submission is there, exactly once; nothing else came in.
    assert sorted(crash_titles) == sorted(everything), report
    assert report["duplicates"] == 0
    assert_integrity(env)


def stored_titles(env: dict[str, str]) -> list[str]:
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return [r[0] for r in conn.execute("SELECT title FROM activity")]
    return [r["title"] for r in asyncio.run(_pg_rows(url, "SELECT title FROM activity"))]


async def _pg_rows(url: str, query: str) -> list:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


def assert_integrity(env: dict[str, str]) -> None:
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            duplicate_keys = conn.execute(
                "SELECT idempotency_key FROM activity WHERE idempotency_key IS NOT NULL "
                "GROUP BY team, idempotency_key HAVING count(*) > 1"
            ).fetchall()
            assert duplicate_keys == []
        return
    asyncio.run(_pg_integrity(url))


async def _pg_integrity(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = await conn.fetch(
            "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.amname = 'btree' AND n.nspname = 'public'"
        )
        assert len(indexes) > 5
        for row in indexes:
            # heapallindexed: every heap tuple is found in the index too.
            await conn.execute("SELECT bt_index_check($1::oid::regclass, true)", row["oid"])
        duplicate_keys = await conn.fetch(
            "SELECT idempotency_key FROM activity WHERE idempotency_key IS NOT NULL "
            "GROUP BY team, idempotency_key HAVING count(*) > 1"
        )
        assert duplicate_keys == []
        orphans = await conn.fetchval(
            "SELECT count(*) FROM activity a LEFT JOIN team t ON t.id = a.team WHERE t.id IS NULL"
        )
        assert orphans == 0
    finally:
        await conn.close()


def test_integrity_check_catches_a_damaged_sqlite_file(tmp_path: Path) -> None:
    """The check above can fail: a page overwritten in the middle of the file is reported."""
    env = base_env(tmp_path)
    seed_demo(env, activities=20)
    path = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'activity'").fetchone()[0]
    with path.open("r+b") as handle:  # the activity table's root page, header and all
        handle.seek(page * (root - 1))
        handle.write(os.urandom(page))
    with pytest.raises((AssertionError, sqlite3.DatabaseError)):
        assert_integrity(env)

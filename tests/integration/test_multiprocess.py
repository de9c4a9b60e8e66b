"""Two real server processes (`sinergi serve`) on one PostgreSQL database and one Redis.

What the issue asks to be shown: an activity verified through process A reaches an SSE client of process
B; a session cookie obtained from A works on B; the login rate limit counts attempts made on A and on B
together. The database is a throwaway one (migrated and seeded with the CLI, dropped afterwards); Redis is
a database of its own (`SINERGI_TEST_MP_REDIS`, default redis://127.0.0.1:6379/7), of which the test
touches only its own keys.

PostgreSQL comes from SINERGI_TEST_POSTGRES when set, else postgresql://postgres@127.0.0.1:5432/postgres.
When no PostgreSQL or Redis answers there, the test is skipped and says which one is missing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.settings import REPO_ROOT

PG_BASE = os.environ.get("SINERGI_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = os.environ.get("SINERGI_TEST_MP_REDIS") or "redis://127.0.0.1:6379/7"
SLUG = "lomba-sinergitas-2024"  # the demo season
DEMO_PASSWORD = "sinergi2024"


def _server_url(base: str) -> str:
    base = base.rstrip("/")
    return base.rsplit("/", 1)[0] if base.count("/") > 2 else base


async def _pg(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_BASE, timeout=3)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _unavailable() -> str | None:
    try:
        asyncio.run(_pg("SELECT 1"))
    except Exception as exc:  # any failure to reach it means "no PostgreSQL here"
        return f"no PostgreSQL at {PG_BASE} ({type(exc).__name__}: {exc})"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"no Redis at {REDIS_URL} ({type(exc).__name__}: {exc})"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    a: str
    b: str
    env: dict[str, str]


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {base} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {base} did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    reason = _unavailable()
    if reason:
        pytest.skip(f"several processes need PostgreSQL and Redis: {reason}")
    name = f"sinergi_mp_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    tmp = Path(tempfile.mkdtemp(prefix="sinergi-mp-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"{_server_url(PG_BASE)}/{name}",
        "REDIS_URL": REDIS_URL,
        "SINERGI_CHANNELS": "redis",
        "SECRET_KEY": "multi-process-secret-" + "y" * 32,
        "SINERGI_VAR_DIR": str(tmp),
        "SINERGI_SSE_SECONDS": "60",
    }
    env.pop("SINERGI_PRODUCTION", None)
    processes: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    try:
        seeded = subprocess.run(
            [sys.executable, "-m", "app.cli", "seed-demo"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stderr.decode()[-2000:]
        bases, logs = [], []
        for label in ("a", "b"):  # both start at once; then each must answer
            port = _free_port()
            log = tmp / f"server-{label}.log"
            process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            bases.append(f"http://127.0.0.1:{port}")
            logs.append(log)
        for base, process, log in zip(bases, processes, logs, strict=True):
            _wait_healthy(base, process, log)
        print(f"seeded and started two servers in {time.monotonic() - started:.1f} s")
        yield Cluster(a=bases[0], b=bases[1], env=env)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _forget_login_failures(username: str) -> None:
    """The limiter's keys of this test (a previous run may have left them for 5 minutes)."""
    import redis

    redis.Redis.from_url(REDIS_URL).delete(f"sinergi:login:127.0.0.1:{username}")


async def _csrf(client: httpx.AsyncClient, base: str) -> str:
    await client.get(f"{base}/masuk")
    return client.cookies["csrftoken"]


async def _sign_in(client: httpx.AsyncClient, base: str, username: str, password: str) -> httpx.Response:
    token = await _csrf(client, base)
    return await client.post(
        f"{base}/masuk",
        data={"username": username, "password": password},
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )


async def _events(response: httpx.Response, queue: asyncio.Queue[tuple[str, str]]) -> None:
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            await queue.put((event, line.removeprefix("data:").strip()))
        elif line == "":
            event = ""


async def _assigned_to(cluster: Cluster, username: str) -> int:
    """A submitted activity waiting for this judge (only the assigned judges review)."""
    import asyncpg

    conn = await asyncpg.connect(cluster.env["DATABASE_URL"], timeout=3)
    try:
        found = await conn.fetchval(
            "SELECT s.activity FROM assignment s JOIN account j ON j.id = s.judge"
            " JOIN activity a ON a.id = s.activity"
            " WHERE j.username = $1 AND s.status = 'open' AND a.status = 'submitted' ORDER BY s.id LIMIT 1",
            username,
        )
    finally:
        await conn.close()
    assert found is not None, f"the demo season gives {username} nothing to review"
    return int(found)


async def test_a_verification_on_a_reaches_an_sse_client_of_b(cluster: Cluster) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        login = await client.post(
            f"{cluster.a}/api/v1/auth/token", json={"username": "juri3", "password": DEMO_PASSWORD}
        )
        assert login.status_code == 200, login.text
        judge = {"Authorization": f"Bearer {login.json()['token']}"}
        activity_id = await _assigned_to(cluster, "juri3")

        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        async with client.stream("GET", f"{cluster.b}/papan/sse", timeout=None) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            reader = asyncio.create_task(_events(stream, queue))
            try:
                kind, first = await asyncio.wait_for(queue.get(), 10)
                assert kind == "changed"
                before = int(first)
                # B reports this version as current: its fragment is unchanged (204) at that version.
                unchanged = await client.get(f"{cluster.b}/papan/baris", params={"versi": before})
                assert unchanged.status_code == 204

                review = await client.post(
                    f"{cluster.a}/api/v1/activities/{activity_id}/reviews",
                    json={"decision": "verified"},
                    headers=judge,
                )
                assert review.status_code == 201, review.text
                assert review.json()["activity_status"] == "verified"

                started = time.monotonic()
                kind, data = await asyncio.wait_for(queue.get(), 10)
                delay = time.monotonic() - started
            finally:
                reader.cancel()
        assert kind == "changed"
        after = int(data)
        assert after > before, (before, after)
        print(f"A verified activity {activity_id}; B's SSE client heard version {after} in {delay:.3f} s")
        # B's own answer agrees: at the announced version nothing is newer, at the old one there is.
        assert (await client.get(f"{cluster.b}/papan/baris", params={"versi": after})).status_code == 204
        assert (await client.get(f"{cluster.b}/papan/baris", params={"versi": before})).status_code == 200
        # And A's and B's API serve the same decided status.
        for base in (cluster.a, cluster.b):
            seen = await client.get(f"{base}/api/v1/activities/{activity_id}", headers=judge)
            assert seen.json()["status"] == "verified"


async def test_a_session_from_a_works_on_b_and_ends_on_both(cluster: Cluster) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        _forget_login_failures("peserta.surabaya")
        signed_in = await _sign_in(client, cluster.a, "peserta.surabaya", DEMO_PASSWORD)
        assert signed_in.status_code in (302, 303), signed_in.text
        assert "sinergi_session" in client.cookies
        # The cookie jar (session and CSRF cookie, both from A) now talks to B.
        on_b = await client.get(f"{cluster.b}/kegiatan", follow_redirects=False)
        assert on_b.status_code == 200, on_b.status_code
        assert "peserta.surabaya" in on_b.text or "Surabaya" in on_b.text
        # The CSRF token minted by A is accepted by B: sign out on B ...
        out = await client.post(
            f"{cluster.b}/keluar",
            headers={"x-csrftoken": client.cookies["csrftoken"]},
            follow_redirects=False,
        )
        assert out.status_code in (302, 303)

    # ... and the old cookie is refused on A as well.
    async with httpx.AsyncClient(timeout=10) as stale:
        stale.cookies.set("sinergi_session", signed_in.cookies["sinergi_session"])
        again = await stale.get(f"{cluster.a}/kegiatan", follow_redirects=False)
        assert again.status_code in (302, 303)
        assert again.headers["location"].startswith("/masuk")


async def test_the_login_rate_limit_counts_attempts_on_a_and_b_together(cluster: Cluster) -> None:
    username = "peserta.banyuwangi"
    _forget_login_failures(username)
    statuses: list[int] = []
    async with httpx.AsyncClient(timeout=10) as client:
        # Five wrong passwords (the limit), alternating between the processes: none is refused yet.
        for attempt in range(5):
            base = cluster.a if attempt % 2 == 0 else cluster.b
            response = await _sign_in(client, base, username, "salah-sandi")
            statuses.append(response.status_code)
        assert statuses == [401] * 5, statuses
        # Each process alone saw at most three; together they reached the limit: both now refuse,
        # even the right password.
        for base in (cluster.a, cluster.b):
            blocked = await _sign_in(client, base, username, DEMO_PASSWORD)
            assert blocked.status_code == 429, (base, blocked.status_code)
        api = await client.post(
            f"{cluster.b}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert api.status_code == 429, api.text
    _forget_login_failures(username)


async def test_a_concurrent_burst_on_a_and_b_is_checked_at_most_limit_times(cluster: Cluster) -> None:
    """30 wrong passwords at once, spread over A and B and over the page and the API: the shared counter
    lets exactly the limit (5) reach a password check; the rest, and then the right password, get 429."""
    username = "peserta.malang"
    _forget_login_failures(username)
    async with httpx.AsyncClient(timeout=30) as client:
        token = await _csrf(client, cluster.a)  # B accepts A's CSRF token (one SECRET_KEY)

        async def attempt(i: int, password: str) -> int:
            base = (cluster.a, cluster.b)[i % 2]
            if i % 4 < 2:
                response = await client.post(
                    f"{base}/masuk",
                    data={"username": username, "password": password},
                    headers={"x-csrftoken": token},
                    follow_redirects=False,
                )
            else:
                response = await client.post(
                    f"{base}/api/v1/auth/token", json={"username": username, "password": password}
                )
            return response.status_code

        codes = await asyncio.gather(*(attempt(i, f"salah-{i}") for i in range(30)))
        counted = {code: codes.count(code) for code in set(codes)}
        assert counted == {401: 5, 429: 25}, counted
        assert [await attempt(i, DEMO_PASSWORD) for i in range(4)] == [429] * 4
    import redis

    assert int(redis.Redis.from_url(REDIS_URL).get(f"sinergi:login:127.0.0.1:{username}") or 0) == 34
    _forget_login_failures(username)

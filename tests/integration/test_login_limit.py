"""The login rate limit counts before it checks: a burst of concurrent guesses through the sign-in page, the
API's token endpoint, or both at once, gets at most `login_attempts` password checks ("wrong password",
401) and 429 for the rest; after that even the right password waits out the window. On SQLite with the
in-process limiter, and with REDIS_URL set on the shared Redis limiter (whose counter is read back)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from litestar import Litestar

from app.main import create_app
from app.ratelimit import REDIS_PREFIX
from app.settings import Settings
from tests.integration.conftest import PASSWORD

BURST = 30
_addresses = itertools.count(1)


@pytest.fixture
async def client_factory(app: Litestar) -> AsyncIterator[Callable[..., Awaitable[httpx.AsyncClient]]]:
    """Clients of their own address (so no other test's attempts count), with the CSRF cookie fetched."""
    clients: list[httpx.AsyncClient] = []

    async def make(application: Litestar = app) -> httpx.AsyncClient:
        n = next(_addresses)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(
                app=application, client=(f"198.51.{n // 250}.{n % 250 + 1}", 41000)
            ),
            base_url="http://testserver.local",
        )
        clients.append(client)
        await client.get("/masuk")
        return client

    yield make
    for client in clients:
        await client.aclose()


async def page_attempt(client: httpx.AsyncClient, username: str, password: str) -> int:
    response = await client.post(
        "/masuk",
        data={"username": username, "password": password},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
        follow_redirects=False,
    )
    return response.status_code


async def api_attempt(client: httpx.AsyncClient, username: str, password: str) -> int:
    response = await client.post("/api/v1/auth/token", json={"username": username, "password": password})
    return response.status_code


def address_of(client: httpx.AsyncClient) -> str:
    return client._transport.client[0]  # type: ignore[attr-defined]


def shared_count(client: httpx.AsyncClient, username: str) -> tuple[int, int] | None:
    """The Redis counter (value, seconds left) behind this client's attempts, when Redis is in use."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    import redis

    r = redis.Redis.from_url(url)
    key = f"{REDIS_PREFIX}{address_of(client)}:{username}"
    return int(r.get(key) or 0), int(r.ttl(key))


def tally(codes: list[int]) -> dict[int, int]:
    return {code: codes.count(code) for code in sorted(set(codes))}


async def burst(attempts: list[Awaitable[int]]) -> dict[int, int]:
    return tally(list(await asyncio.gather(*attempts)))


async def test_a_burst_on_the_page_is_checked_at_most_limit_times(season, client_factory, settings: Settings):
    limit = settings.login_attempts
    client = await client_factory()
    codes = await burst([page_attempt(client, "juri.sby", f"salah-{i}") for i in range(BURST)])
    assert codes == {401: limit, 429: BURST - limit}, codes
    # The right password is refused too while the window lasts: it is counted before it is checked.
    assert await page_attempt(client, "juri.sby", PASSWORD) == 429
    if (shared := shared_count(client, "juri.sby")) is not None:
        count, ttl = shared
        assert count == BURST + 1 and 0 < ttl <= settings.login_window_seconds, shared


async def test_a_burst_on_the_api_is_checked_at_most_limit_times(season, client_factory, settings: Settings):
    limit = settings.login_attempts
    client = await client_factory()
    codes = await burst([api_attempt(client, "peserta.sby", f"salah-{i}") for i in range(BURST)])
    assert codes == {401: limit, 429: BURST - limit}, codes
    assert await api_attempt(client, "peserta.sby", PASSWORD) == 429
    if (shared := shared_count(client, "peserta.sby")) is not None:
        assert shared[0] == BURST + 1, shared


async def test_a_burst_through_both_doors_shares_one_count(season, client_factory, settings: Settings):
    """Half the guesses on the page, half on the API, all at once, from one address."""
    limit = settings.login_attempts
    client = await client_factory()
    attempts = [
        (page_attempt if i % 2 else api_attempt)(client, "panitia", f"salah-{i}") for i in range(BURST)
    ]
    codes = await burst(attempts)
    assert codes == {401: limit, 429: BURST - limit}, codes
    assert await page_attempt(client, "panitia", PASSWORD) == 429
    assert await api_attempt(client, "panitia", PASSWORD) == 429
    # Another address is not affected, and unknown usernames are limited the same way.
    other = await client_factory()
    assert await page_attempt(other, "panitia", PASSWORD) == 302
    unknown = await burst([api_attempt(other, "tidak.ada", f"x{i}") for i in range(BURST)])
    assert unknown == {401: limit, 429: BURST - limit}, unknown


async def test_the_right_password_waits_out_the_window_then_clears_the_count(
    season, app: Litestar, client_factory, settings: Settings
):
    window = 6
    short = create_app(dataclasses.replace(settings, login_window_seconds=window))
    client = await client_factory(short)
    limit = settings.login_attempts
    started = time.monotonic()
    codes = await burst([page_attempt(client, "juri.mlg", f"salah-{i}") for i in range(limit + 3)])
    assert codes == {401: limit, 429: 3}, codes
    assert await api_attempt(client, "juri.mlg", PASSWORD) == 429
    assert time.monotonic() - started < window, "the machine was too slow to see the window at work"
    await asyncio.sleep(started + window + 0.5 - time.monotonic())
    assert await api_attempt(client, "juri.mlg", PASSWORD) == 200
    # A success clears the count: a full allowance of mistakes again.
    again = [await page_attempt(client, "juri.mlg", f"lagi-{i}") for i in range(limit)]
    assert again == [401] * limit
    assert await page_attempt(client, "juri.mlg", PASSWORD) == 429


async def test_empty_credentials_are_refused_without_counting(season, client_factory, settings: Settings):
    client = await client_factory()
    for _ in range(settings.login_attempts + 2):
        assert await page_attempt(client, "juri.sby", "") == 422
        assert await api_attempt(client, "", "sembarang") == 422
    assert await page_attempt(client, "juri.sby", PASSWORD) == 302

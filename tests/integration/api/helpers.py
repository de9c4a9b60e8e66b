"""An API client over ASGI: bearer tokens, JSON in and out; nothing a browser would carry."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.integration.conftest import PASSWORD

_addresses = itertools.count(1)


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token: str | None = None

    def _headers(self, headers: dict[str, str] | None, lang: str | None) -> dict[str, str]:
        result = dict(headers or {})
        if self.token:
            result.setdefault("Authorization", f"Bearer {self.token}")
        if lang:
            result["Accept-Language"] = lang
        return result

    async def login(self, username: str, password: str = PASSWORD) -> Api:
        response = await self.client.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["token"]
        return self

    async def get(
        self, url: str, *, headers: dict[str, str] | None = None, lang: str | None = None, **kw: Any
    ):
        return await self.client.get(url, headers=self._headers(headers, lang), **kw)

    async def post(
        self,
        url: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        lang: str | None = None,
        **kw: Any,
    ):
        if body is not None:
            kw["json"] = body
        return await self.client.post(url, headers=self._headers(headers, lang), **kw)

    async def put(
        self, url: str, body: Any, *, headers: dict[str, str] | None = None, lang: str | None = None
    ):
        return await self.client.put(url, json=body, headers=self._headers(headers, lang))

    async def delete(self, url: str, *, headers: dict[str, str] | None = None):
        return await self.client.delete(url, headers=self._headers(headers, None))


@pytest.fixture
async def api_factory(app: Litestar) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    async def make(username: str | None = None, password: str = PASSWORD) -> Api:
        n = next(_addresses)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(f"198.19.{n // 250}.{n % 250 + 1}", 40000)),
            base_url="http://testserver.local",
        )
        clients.append(client)
        api = Api(client)
        if username:
            await api.login(username, password)
        return api

    yield make
    for client in clients:
        await client.aclose()


def wib(days_ago: float, hour: int = 9) -> str:
    """An ISO 8601 time with the WIB offset, `days_ago` days before today (local date), at `hour`."""
    local = datetime.now(UTC) + timedelta(hours=7) - timedelta(days=days_ago)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None).isoformat() + "+07:00"


def activity_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "DDS",
        "occurred_at": wib(2),
        "title": "Sambang warga RW 03",
        "description": "Sosialisasi pemilu damai",
        "desa_code": "35.78.01.1001",
        "rw": "RW 03",
        "senkom_members": [{"name": "Ahmad Santoso"}, {"name": "Siti Lestari"}],
        "officers": [
            {"name": "Budi Wibowo", "rank": "Bripka", "nrp": "85011234", "polres": "Polrestabes Surabaya"}
        ],
        "residents_reached": 40,
        "preemptive": False,
    }
    body.update(overrides)
    return body

"""A real database (SQLite or PostgreSQL), migrated once; every test starts from a fresh small season."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from PIL import Image

from app import db
from app.audit.chain import forget_copy
from app.competitions.services import CompetitionInfo, create_competition
from app.db import is_postgres, write_transaction
from app.main import create_app
from app.security import hash_password_sync
from app.settings import Settings
from app.tables import ALL_TABLES, Account, OfficerProfile, Team

PASSWORD = "rahasia-123"
# Every test browser gets its own client address, so the login limiter never carries over between tests.
_addresses = itertools.count(1)


def _address(n: int) -> tuple[str, int]:
    return f"198.18.{n // 250}.{n % 250 + 1}", 50000


_HASH = hash_password_sync(PASSWORD)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    await db.start(settings)
    result = await run_forwards(app_name="all")
    assert result.success, result.message
    application = create_app(settings)
    yield application
    await db.stop()


async def wipe() -> None:
    names = [t._meta.tablename for t in reversed(ALL_TABLES)]
    if is_postgres():
        await Account.raw(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    else:
        for name in names:
            await Account.raw(f"DELETE FROM {name}")
        # Like RESTART IDENTITY: every test's ids start at 1 (the AUTOINCREMENT counters live here).
        await Account.raw("DELETE FROM sqlite_sequence")
    # The audit chain starts again, and so does the copy of its head (which otherwise reports the
    # emptied chain as truncated).
    forget_copy(db.current_settings())


@dataclass
class Season:
    competition: CompetitionInfo
    team_ids: dict[str, int]
    accounts: dict[str, int] = field(default_factory=dict)


ACCOUNTS = (
    ("panitia", "organiser", None, None),
    ("juri.sby", "judge", None, "35.78"),
    ("juri.mlg", "judge", None, "35.07"),
    ("peserta.sby", "participant", "35.78", None),
    ("peserta.mlg", "participant", "35.07", None),
    ("petugas.sby", "officer", None, None),
)
# The seeded officer is the one `activity_form` names (Bripka Budi Wibowo, NRP 85011234): every activity
# sent with that form asks them to confirm it.
OFFICER_NRP = "85011234"


@pytest.fixture
async def season(app: Litestar) -> Season:
    await wipe()
    today = datetime.now(UTC).date()
    async with write_transaction():
        competition = await create_competition(
            slug="uji",
            name="Lomba Uji",
            starts_on=today - timedelta(days=60),
            ends_on=today + timedelta(days=30),
            is_current=True,
        )
    team_ids = {t["code"]: t["id"] for t in await Team.select(Team.id, Team.code)}
    result = Season(competition=competition, team_ids=team_ids)
    for username, role, team, region in ACCOUNTS:
        account = Account(
            username=username,
            password_hash=_HASH,
            full_name=username.title(),
            role=role,
            team=team_ids[team] if team else None,
            region_code=region,
        )
        await account.save()
        result.accounts[username] = account.id
        if role == "officer":
            await OfficerProfile(
                account=account.id,
                nrp=OFFICER_NRP,
                rank="Bripka",
                polres="Polrestabes Surabaya",
                village_code="35.78.01.1001",
            ).save()
    return result


class Browser:
    """A test client that behaves like a browser: cookies, the CSRF token, and sign-in."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def csrf(self) -> str:
        if "csrftoken" not in self.client.cookies:
            await self.client.get("/masuk")
        return self.client.cookies["csrftoken"]

    async def get(self, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("follow_redirects", False)
        return await self.client.get(url, **kwargs)

    async def post(self, url: str, data: Any = None, **kwargs: Any) -> Any:
        headers = {"x-csrftoken": await self.csrf(), **kwargs.pop("headers", {})}
        kwargs.setdefault("follow_redirects", False)
        return await self.client.post(url, data=data, headers=headers, **kwargs)

    async def send_activity(self, data: Any, photos: int = 1, **kwargs: Any) -> Any:
        """Sends the capture form as a phone does, with `photos` small JPEGs attached."""
        kwargs.setdefault(
            "files", [("photos", (f"foto-{i}.jpg", jpeg(), "image/jpeg")) for i in range(photos)]
        )
        return await self.post("/kegiatan/baru", data=data, **kwargs)

    async def login(self, username: str, password: str = PASSWORD) -> Any:
        response = await self.post("/masuk", data={"username": username, "password": password})
        assert response.status_code in (302, 303), response.text
        return response


@pytest.fixture
async def browser_factory(app: Litestar) -> AsyncIterator[Any]:
    """Each browser is its own cookie jar talking ASGI to the one app (whose lifespan the session owns)."""
    clients: list[httpx.AsyncClient] = []

    async def make(username: str | None = None) -> Browser:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=_address(next(_addresses))),
            base_url="http://testserver.local",
        )
        clients.append(client)
        browser = Browser(client)
        if username:
            await browser.login(username)
        return browser

    yield make
    for client in clients:
        await client.aclose()


_shades = itertools.count(1)


def jpeg() -> bytes:
    """A small photo, a different picture each time (so no two activities share one)."""
    shade = next(_shades)
    image = Image.new("RGB", (32, 24), (shade * 37 % 256, shade * 91 % 256, shade * 13 % 256))
    image.paste((255 - shade % 256, 20, 40), (0, 0, 8 + shade % 20, 12))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def form_key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match, "the form carries an idempotency key"
    return match.group(1)


def activity_form(key: str, **overrides: Any) -> dict[str, Any]:
    when = (datetime.now(UTC) + timedelta(hours=7) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data: dict[str, Any] = {
        "idempotency_key": key,
        "activity_type": "DDS",
        "occurred_at": when,
        "village_code": "35.78.01.1001",
        "rw": "RW 03",
        "title": "Sambang warga RW 03",
        "description": "Sosialisasi pemilu damai",
        "senkom_members": "Ahmad Santoso\nSiti Lestari",
        "officer_name": ["Budi Wibowo", ""],
        "officer_rank": ["Bripka", ""],
        "officer_nrp": ["85011234", ""],
        "officer_polres": ["Polrestabes Surabaya", ""],
        "residents_reached": "40",
        "preemptive": "1",
    }
    data.update(overrides)
    return data


def today() -> date:
    return datetime.now(UTC).date()

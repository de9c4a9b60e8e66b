"""Each channels backend carries the "changed" signal from `live.announce` to a subscriber: memory
always, Redis when REDIS_URL is set, PostgreSQL LISTEN/NOTIFY when the tests run on PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import os

import pytest

from app.db import is_postgres
from app.leaderboard import live, views
from app.settings import Settings

BACKENDS = ["memory", "redis", "postgres"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_backend_delivers_the_announcement(season, settings: Settings, backend: str, monkeypatch):
    if backend == "redis" and not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set")
    if backend == "postgres" and not is_postgres():
        pytest.skip("the tests run on SQLite")
    plugin = live.make_channels(
        dataclasses.replace(settings, channels_backend=backend, redis_url=os.environ.get("REDIS_URL"))
    )
    cid = season.competition.id
    async with plugin:
        monkeypatch.setattr(live, "_started", [plugin])
        async with plugin.start_subscription([live.channel(cid, "public")]) as subscriber:
            events = subscriber.iter_events()
            await asyncio.sleep(0.2)  # LISTEN / SUBSCRIBE is asynchronous
            await live.announce(cid)
            payload = await asyncio.wait_for(events.__anext__(), 5)
            state = await views.competition_state(cid)
            assert payload.decode() == str(state.version)
            await events.aclose()


def test_backend_settings_are_checked():
    from app.settings import SettingsError

    with pytest.raises(SettingsError):
        Settings.from_env({"SINERGI_CHANNELS": "kafka", "SECRET_KEY": "k" * 40})
    with pytest.raises(SettingsError):
        Settings.from_env({"SINERGI_SSE_SECONDS": "0", "SECRET_KEY": "k" * 40})
    assert (
        Settings.from_env({"SECRET_KEY": "k" * 40, "SINERGI_CHANNELS": "postgres"}).channels_backend
        == "postgres"
    )

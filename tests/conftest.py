"""Chooses the test database before any app module is imported (Piccolo binds its engine at import).

SQLite by default; PostgreSQL when SINERGI_TEST_POSTGRES names a server (a fresh database is created
for the run and dropped after it). REDIS_URL, when set, puts the login limiter in Redis.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="sinergi-test-"))
_PG_BASE = os.environ.get("SINERGI_TEST_POSTGRES")
_PG_DB = f"sinergi_test_{uuid.uuid4().hex[:10]}"

os.environ["SECRET_KEY"] = "test-secret-key-" + "x" * 40
os.environ["SINERGI_VAR_DIR"] = str(_TMP)
os.environ.pop("SINERGI_PRODUCTION", None)
if _PG_BASE:
    base = _PG_BASE.rstrip("/")
    server = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    os.environ["DATABASE_URL"] = f"{server}/{_PG_DB}"
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'test.sqlite3'}"


async def _pg(statement: str) -> None:
    import asyncpg

    assert _PG_BASE is not None
    conn = await asyncpg.connect(_PG_BASE)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def pytest_sessionstart(session: object) -> None:
    if _PG_BASE:
        asyncio.run(_pg(f'CREATE DATABASE "{_PG_DB}"'))
    if os.environ.get("REDIS_URL"):
        import redis

        # The test run owns the Redis database it is given (CI passes a dedicated one).
        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def pytest_sessionfinish(session: object, exitstatus: int) -> None:
    if _PG_BASE:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{_PG_DB}" WITH (FORCE)'))
    shutil.rmtree(_TMP, ignore_errors=True)

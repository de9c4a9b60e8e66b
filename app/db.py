"""Engine choice (SQLite or PostgreSQL) and the write-transaction helper.

`app.tables` (and `app.piccolo_conf`) are imported inside the functions that need them: Piccolo binds a
table to its engine when the table's module is imported, and the engine is chosen here first."""

from __future__ import annotations

import logging
import sqlite3
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from app.settings import Settings

SQLITE_BUSY_TIMEOUT_S = 30.0


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    parts = urlsplit(settings.database_url)
    config: dict[str, object] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "database": parts.path.lstrip("/") or "postgres",
        "user": parts.username or "postgres",
    }
    if parts.password:
        config["password"] = parts.password
    return PostgresEngine(config=config)


_current: Engine | None = None
_settings: Settings | None = None


def configure_engine(settings: Settings) -> Engine:
    """Bind every table (and Piccolo's migration machinery) to the engine the settings name."""
    global _current, _settings
    _settings = settings
    from app import piccolo_conf
    from app.tables import ALL_TABLES

    if _current is None or _engine_url(_current) != _settings_url(settings):
        engine = make_engine(settings)
        piccolo_conf.DB = engine
        for table in ALL_TABLES:
            table._meta.db = engine
        _current = engine
    if settings.is_sqlite:
        _enable_wal(settings)
    return _current


def current_settings() -> Settings:
    """The settings the database was bound with (those of the environment before that): what code far from
    any request needs of them, such as the audit chain's key and where its head's copy is kept."""
    return _settings or Settings.from_env()


def current_engine() -> Engine:
    from app import piccolo_conf

    return _current or piccolo_conf.DB


def _engine_url(engine: Engine) -> str:
    if isinstance(engine, SQLiteEngine):
        return "sqlite:" + str(engine.connection_kwargs["database"])
    assert isinstance(engine, PostgresEngine)
    c = engine.config
    return f"pg:{c.get('host')}:{c.get('port')}/{c.get('database')}:{c.get('user')}"


def _settings_url(settings: Settings) -> str:
    return _engine_url(make_engine(settings))


def _enable_wal(settings: Settings) -> None:
    # WAL persists in the file, so setting it once per process start is enough.
    with sqlite3.connect(settings.sqlite_path, timeout=SQLITE_BUSY_TIMEOUT_S) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def is_postgres() -> bool:
    return isinstance(current_engine(), PostgresEngine)


@asynccontextmanager
async def write_transaction(lock: str | None = None) -> AsyncIterator[None]:
    """One transaction per user action, serialised where it reads before it writes.

    SQLite takes the write lock at BEGIN (IMMEDIATE) so read-then-write never fails with
    "database is locked"; PostgreSQL takes a transaction-scoped advisory lock named by `lock`.
    """
    engine = current_engine()
    outer = _after_commit.get() is None
    token = _after_commit.set([]) if outer else None
    try:
        if isinstance(engine, SQLiteEngine):
            async with engine.transaction(transaction_type=TransactionType.immediate):
                yield
        else:
            async with engine.transaction():
                if lock is not None:
                    key = zlib.crc32(lock.encode())
                    from app.tables import Competition

                    await Competition.raw("SELECT pg_advisory_xact_lock({})", key)
                yield
        callbacks = (_after_commit.get() or []) if outer else []
    finally:
        if token is not None:
            _after_commit.reset(token)
    for callback in callbacks:
        try:
            await callback()
        except Exception:  # an announcement must never undo or fail a committed action
            logging.getLogger("sinergi").exception("after-commit callback failed")


# The one order in which a write takes its locks. Two writers that take them in the same order can wait for
# each other but never in a circle (a deadlock on PostgreSQL). A write takes only the locks it needs, skipping
# the others, never going back:
#   competition  `write_transaction(lock="competition:<id>")` — judging, stages, rulesets, corrections
#   team         `write_transaction(lock="activity:<team id>")` — a team's submit, edit, withdrawal
#   activity     `lock_activity(id)` — the activity's row: every write that touches one activity (edit,
#                withdrawal, photo, review, verification, annulment), after the transaction's own lock
#   jury         `advisory_lock("jury:<competition id>")` — choosing judges (`assignment.assign`)
#   audit        the audit chain's lock (`audit.record`), always last
LOCK_ORDER = ("competition", "team", "activity", "jury", "audit")


async def lock_activity(*activity_ids: int) -> None:
    """Locks the rows of these activities until the transaction ends: the lock every write that touches an
    activity takes (LOCK_ORDER's third), so a participant's edit or withdrawal and a judge's verdict never
    interleave. PostgreSQL: SELECT ... FOR UPDATE, in id order so that two writers of the same activities
    cannot wait for each other in a circle. SQLite: nothing to do, the IMMEDIATE transaction already holds
    the database's only write lock. Read the activity again after this: what was read before may be stale."""
    if not activity_ids or isinstance(current_engine(), SQLiteEngine):
        return
    from app.tables import Activity

    ids = ", ".join(str(int(i)) for i in sorted(set(activity_ids)))
    await Activity.raw(f"SELECT id FROM activity WHERE id IN ({ids}) ORDER BY id FOR UPDATE")  # noqa: S608


async def advisory_lock(name: str) -> None:
    """A second, finer lock inside a write transaction: PostgreSQL's transaction advisory lock named by
    `name` (SQLite's IMMEDIATE transaction already serialises every writer). Take it last, after the
    transaction's own lock, so that locks are always taken in one order."""
    if isinstance(current_engine(), SQLiteEngine):
        return
    from app.tables import Competition

    await Competition.raw("SELECT pg_advisory_xact_lock({})", zlib.crc32(name.encode()))


_after_commit: ContextVar[list[Callable[[], Awaitable[None]]] | None] = ContextVar(
    "sinergi_after_commit", default=None
)


async def after_commit(callback: Callable[[], Awaitable[None]]) -> None:
    """Runs `callback` once the outermost write transaction commits (never if it rolls back); outside a
    write transaction it runs at once."""
    pending = _after_commit.get()
    if pending is None:
        await callback()
    else:
        pending.append(callback)


_users = 0


async def start(settings: Settings) -> None:
    """Opens the PostgreSQL pool once, however many lifespans (apps, test clients) share this process."""
    global _users
    engine = configure_engine(settings)
    if isinstance(engine, PostgresEngine) and _users == 0:
        await engine.start_connection_pool(min_size=1, max_size=10)
    _users += 1


async def stop() -> None:
    global _users
    _users = max(0, _users - 1)
    engine = current_engine()
    if isinstance(engine, PostgresEngine) and _users == 0:
        await engine.close_connection_pool()


async def ping() -> bool:
    from app.tables import Competition

    try:
        await Competition.raw("SELECT 1")
    except (OSError, sqlite3.Error, Exception):
        return False
    return True

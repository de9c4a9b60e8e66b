"""Ids are never handed out twice: on SQLite a plain INTEGER PRIMARY KEY gives the highest id again once
its row is deleted (a withdrawn activity's number went to the next activity, and the audit trail showed
two activities under one number), so every table whose ids the audit trail names is rebuilt with
AUTOINCREMENT. PostgreSQL sequences never go back: nothing to do there."""

from __future__ import annotations

import sqlite3

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ids never reused"

# The tables whose ids appear as audit objects (or lead to one: a photo belongs to an activity).
TABLES = (
    "competition",
    "team",
    "account",
    "activity_type",
    "activity",
    "photo",
    "review",
    "ruleset_version",
    "ruleset_draft",
    "adjustment",
    "rubric_criterion",
    "stage",
    "assignment",
    "team_review",
    "conflict_of_interest",
    "final_result",
    "berita_acara",
)
PLAIN_KEY = '"id" INTEGER PRIMARY KEY NOT NULL'
COUNTING_KEY = '"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL'


def rebuild(path: str) -> list[str]:
    """Rebuilds each table that still has a plain key (the usual SQLite recipe: new table, copy, drop,
    rename, indexes again), all in one transaction with foreign keys off so that dropping a table never
    cascades to the rows that point at it; returns the tables rebuilt."""
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    done: list[str] = []
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            found = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
            if found is None or PLAIN_KEY not in found[0]:
                continue
            indexes = [
                row[0]
                for row in conn.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    (table,),
                )
            ]
            columns = ", ".join(f'"{row[1]}"' for row in conn.execute(f'PRAGMA table_info("{table}")'))
            create = found[0].replace(PLAIN_KEY, COUNTING_KEY, 1)
            create = create.replace(f'CREATE TABLE "{table}"', f'CREATE TABLE "{table}__new"', 1).replace(
                f"CREATE TABLE {table} ", f'CREATE TABLE "{table}__new" ', 1
            )
            conn.execute(create)
            conn.execute(f'INSERT INTO "{table}__new" ({columns}) SELECT {columns} FROM "{table}"')
            conn.execute(f'DROP TABLE "{table}"')
            conn.execute(f'ALTER TABLE "{table}__new" RENAME TO "{table}"')
            for statement in indexes:
                conn.execute(statement)
            done.append(table)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return done


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="sinergi", description=DESCRIPTION, wrap_in_transaction=False
    )

    async def run():
        import anyio
        from piccolo.engine.sqlite import SQLiteEngine

        from app.db import current_engine

        engine = current_engine()
        if isinstance(engine, SQLiteEngine):
            await anyio.to_thread.run_sync(rebuild, str(engine.connection_kwargs["database"]))

    manager.add_raw(run)
    return manager

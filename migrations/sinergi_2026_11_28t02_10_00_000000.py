"""The published final results of a competition: one immutable copy of the standings; plain SQL for both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T02:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "final results"


def statements(id_column: str) -> tuple[str, ...]:
    return (
        'CREATE TABLE IF NOT EXISTS "final_result" ('
        f'"id" {id_column}, '
        '"competition" INTEGER REFERENCES "competition" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"standings\" TEXT NOT NULL DEFAULT '[]', "
        '"ruleset_version" INTEGER NOT NULL DEFAULT 0, '
        "\"note\" VARCHAR(200) NOT NULL DEFAULT '', "
        '"published_by" INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, '
        '"published_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE UNIQUE INDEX IF NOT EXISTS final_result_competition ON "final_result" ("competition")',
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.db import is_postgres
        from app.tables import Competition

        id_column = "SERIAL PRIMARY KEY" if is_postgres() else "INTEGER PRIMARY KEY NOT NULL"
        for statement in statements(id_column):
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager

"""The organisers' working draft of a competition's ruleset (one per competition); plain SQL for both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ruleset drafts"


def statements(id_column: str) -> tuple[str, ...]:
    return (
        'CREATE TABLE IF NOT EXISTS "ruleset_draft" ('
        f'"id" {id_column}, '
        '"competition" INTEGER REFERENCES "competition" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"body\" TEXT NOT NULL DEFAULT '', "
        '"based_on" INTEGER NOT NULL DEFAULT 0, '
        '"updated_by" INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, '
        '"updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE UNIQUE INDEX IF NOT EXISTS ruleset_draft_competition ON "ruleset_draft" ("competition")',
        'CREATE INDEX IF NOT EXISTS audit_event_object ON "audit_event" ("object_type", "object_id")',
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

"""Rubric criteria of a competition and activity photos; plain SQL for SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T23:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rubric criteria and photos"


def statements(id_column: str) -> tuple[str, ...]:
    return (
        'CREATE TABLE IF NOT EXISTS "rubric_criterion" ('
        f'"id" {id_column}, '
        '"competition" INTEGER REFERENCES "competition" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"code\" VARCHAR(32) NOT NULL DEFAULT '', "
        "\"name\" VARCHAR(200) NOT NULL DEFAULT '', "
        "\"name_en\" VARCHAR(200) NOT NULL DEFAULT '', "
        "\"weight\" VARCHAR(32) NOT NULL DEFAULT '', "
        "\"min\" VARCHAR(32) NOT NULL DEFAULT '', "
        "\"max\" VARCHAR(32) NOT NULL DEFAULT '', "
        '"position" INTEGER NOT NULL DEFAULT 0)',
        "CREATE UNIQUE INDEX IF NOT EXISTS rubric_criterion_competition_code"
        ' ON "rubric_criterion" ("competition", "code")',
        'CREATE TABLE IF NOT EXISTS "photo" ('
        f'"id" {id_column}, '
        '"activity" INTEGER REFERENCES "activity" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"path\" VARCHAR(255) NOT NULL DEFAULT '', "
        "\"sha256\" VARCHAR(64) NOT NULL DEFAULT '', "
        "\"content_type\" VARCHAR(32) NOT NULL DEFAULT '', "
        '"width" INTEGER NOT NULL DEFAULT 0, '
        '"height" INTEGER NOT NULL DEFAULT 0, '
        '"size" INTEGER NOT NULL DEFAULT 0, '
        '"uploaded_by" INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE UNIQUE INDEX IF NOT EXISTS photo_activity_sha256 ON "photo" ("activity", "sha256")',
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.db import is_postgres
        from app.tables import Competition

        # The one difference between the engines: how an auto-numbered key is spelled.
        id_column = "SERIAL PRIMARY KEY" if is_postgres() else "INTEGER PRIMARY KEY NOT NULL"
        for statement in statements(id_column):
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager

"""Field capture: photo metadata for the judges (EXIF time and GPS, perceptual hash, thumbnail) and
server-side drafts of the capture form; plain SQL for SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "photo metadata and activity drafts"


def statements(id_column: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE photo ADD COLUMN phash VARCHAR(16) NOT NULL DEFAULT ''",
        "ALTER TABLE photo ADD COLUMN thumb_path VARCHAR(255) NOT NULL DEFAULT ''",
        "ALTER TABLE photo ADD COLUMN taken_at TIMESTAMPTZ NULL",
        "ALTER TABLE photo ADD COLUMN gps_lat VARCHAR(32) NULL",
        "ALTER TABLE photo ADD COLUMN gps_lon VARCHAR(32) NULL",
        "CREATE INDEX IF NOT EXISTS photo_phash ON photo (phash)",
        'CREATE TABLE IF NOT EXISTS "activity_draft" ('
        f'"id" {id_column}, '
        '"account" INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"form_key\" VARCHAR(64) NOT NULL DEFAULT '', "
        "\"fields\" TEXT NOT NULL DEFAULT '{}', "
        '"updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        "CREATE UNIQUE INDEX IF NOT EXISTS activity_draft_account_key"
        ' ON "activity_draft" ("account", "form_key")',
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

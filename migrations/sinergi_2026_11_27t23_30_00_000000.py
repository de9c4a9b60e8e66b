"""Stored standings keep their tie-break keys, so one team can be re-evaluated and all re-ranked."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T23:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "standing tie-break keys"

STATEMENTS = (
    "ALTER TABLE standing ADD COLUMN quality VARCHAR(32) NULL",
    "ALTER TABLE standing ADD COLUMN coverage VARCHAR(32) NOT NULL DEFAULT '0'",
    "ALTER TABLE standing ADD COLUMN last_activity_at TIMESTAMPTZ NULL",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.tables import Standing

        for statement in STATEMENTS:
            await Standing.raw(statement)

    manager.add_raw(run)
    return manager

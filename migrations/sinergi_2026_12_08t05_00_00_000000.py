"""An officer's confirmation of an activity, as the scoring engine reads it: `officer_confirmed` is true
exactly when the activity's current attestation is confirmed (kept so by the officers' attestation
service); the `joint_only` rule can require it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-08T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "activity officer_confirmed"

STATEMENTS = ("ALTER TABLE activity ADD COLUMN officer_confirmed BOOLEAN NOT NULL DEFAULT false",)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.tables import Activity

        for statement in STATEMENTS:
            await Activity.raw(statement)

    manager.add_raw(run)
    return manager

"""An index for finding an activity by its content hash (a resent form with a fresh key)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "activity content-hash index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.tables import Activity

        await Activity.raw(
            "CREATE INDEX IF NOT EXISTS activity_team_request_hash ON activity (team, request_hash)"
        )

    manager.add_raw(run)
    return manager

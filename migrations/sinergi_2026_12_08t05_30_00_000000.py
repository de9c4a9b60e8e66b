"""The team page's people at a leaderboard freeze: the Senkom members and officers of each activity copied
with it (and whether an officer had confirmed it), so that the public's frozen team page lists the people
of the frozen activities, not of today's."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-08T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "frozen activity people"

STATEMENTS = (
    "ALTER TABLE frozen_activity ADD COLUMN senkom_members JSON NOT NULL DEFAULT '[]'",
    "ALTER TABLE frozen_activity ADD COLUMN officers JSON NOT NULL DEFAULT '[]'",
    "ALTER TABLE frozen_activity ADD COLUMN officer_confirmed BOOLEAN NOT NULL DEFAULT false",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.tables import FrozenActivity

        for statement in STATEMENTS:
            await FrozenActivity.raw(statement)

    manager.add_raw(run)
    return manager

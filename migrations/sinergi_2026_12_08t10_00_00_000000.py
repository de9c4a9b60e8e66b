"""At scale: the organisers' pages (issue 16, point 5).

- assignment_open_age: the open assignments of a competition oldest first (created_at, id), read from
  a cursor onward (keyset pages of the jury console's list, no sort of every open assignment);
- review_jury: the judges' reviews of an activity with what the jury console counts (judge, decision,
  whether current or annulled), so that its GROUP BY reads the index, not the review rows."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-08T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the organisers' pages at scale"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS assignment_open_age ON assignment (competition, status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS review_jury ON review (activity, is_current, judge, decision, annulled_at)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.tables import Competition

        for statement in STATEMENTS:
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager

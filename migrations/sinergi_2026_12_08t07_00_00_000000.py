"""At scale: the indexes the season's hot queries need (issue 16).

- activity_facts: the loader's full read of a competition's verified activities, covering (it never
  reads the wide activity rows) and in the engine's (team, time, id) order (no sort);
- assignment_open: a judge's open assignments of a competition, counted per judge when a submission is
  assigned (`judging.assignment.judge_slots`), and a judge's queue."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-08T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the season at scale"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS activity_facts ON activity (competition, status, team, occurred_at, id,"
    " activity_type, village_code, senkom_count, officer_count, residents_reached, preemptive,"
    " officer_confirmed)",
    "CREATE INDEX IF NOT EXISTS assignment_open ON assignment (competition, status, judge)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.tables import Competition

        for statement in STATEMENTS:
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager

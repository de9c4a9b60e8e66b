"""The one Piccolo app of Sinergi: its tables and the top-level migrations folder."""

from piccolo.conf.apps import AppConfig

from app.settings import REPO_ROOT
from app.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="sinergi",
    migrations_folder_path=str(REPO_ROOT / "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)

"""Piccolo's configuration: the engine is chosen from DATABASE_URL when this module is imported."""

from piccolo.conf.apps import AppRegistry

from app.db import make_engine
from app.settings import Settings

DB = make_engine(Settings.from_env())

APP_REGISTRY = AppRegistry(apps=["app.piccolo_app"])

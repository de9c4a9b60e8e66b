"""Sinergi: the web application (everything that touches a request, the database, time or the network)."""

import os

# Piccolo finds its engine through this module path; the repository's top level has no piccolo_conf.py.
os.environ.setdefault("PICCOLO_CONF", "app.piccolo_conf")

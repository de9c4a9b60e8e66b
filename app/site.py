"""The site's own files at the addresses browsers and phones ask for: /favicon.ico, the web app
manifest (the home-screen icon and name) and the service worker that keeps the capture form for use
without signal (/sw.js, see docs/offline.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from litestar import Controller, Response, get

from app import i18n
from app.accounts.auth import public
from app.brand import BRAND_DIR

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "sw.js"


@cache
def _service_worker() -> bytes:
    return SERVICE_WORKER.read_bytes()


THEME_COLOUR = "#0b4a8b"
BACKGROUND_COLOUR = "#f3f5f8"
CACHED = {"Cache-Control": "public, max-age=86400"}


@cache
def _favicon() -> bytes:
    return (BRAND_DIR / "favicon.ico").read_bytes()


def manifest() -> dict[str, Any]:
    icon = "/static/brand/"
    return {
        "name": i18n._("Sinergi — leaderboard of the Senkom and Bhabinkamtibmas partnership competition"),
        "short_name": "Sinergi",
        "description": i18n._("Live standings, team pages and the map of East Java."),
        "lang": i18n.get_locale(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": f"{icon}icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": f"{icon}icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": f"{icon}icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": f"{icon}icon-maskable-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


class SiteController(Controller):
    path = "/"
    guards = [public]
    include_in_schema = False

    @get("/favicon.ico")
    async def favicon(self) -> Response[bytes]:
        return Response(_favicon(), media_type="image/x-icon", headers=CACHED)

    @get("/manifest.webmanifest")
    async def manifest(self) -> Response[dict[str, Any]]:
        return Response(manifest(), media_type="application/manifest+json", headers=CACHED)

    @get("/sw.js")
    async def service_worker(self) -> Response[bytes]:
        # At the root, so that its scope covers the capture page; never cached by the browser's HTTP
        # cache, so that a new version is found on the next visit.
        return Response(
            _service_worker(),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
        )

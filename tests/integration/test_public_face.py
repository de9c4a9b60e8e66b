"""The public face: the site's icon and manifest, the look every page shares (no inline style or script,
the stylesheet's tokens), the leaderboard's words (periods, ranks, two decimals), the share card."""

from __future__ import annotations

import io
import re

from PIL import Image


async def test_favicon_and_manifest_answer(season, browser_factory):
    public = await browser_factory()
    icon = await public.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert {size for size in Image.open(io.BytesIO(icon.content)).info["sizes"]} >= {(16, 16), (32, 32)}
    manifest = await public.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["start_url"] == "/" and data["display"] == "standalone"
    for icon_entry in data["icons"]:
        file = await public.get(icon_entry["src"])
        assert file.status_code == 200, icon_entry["src"]
        if icon_entry["type"] == "image/png":
            width, height = Image.open(io.BytesIO(file.content)).size
            assert f"{width}x{height}" == icon_entry["sizes"]
    page = (await public.get("/")).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'href="/favicon.ico"' in page and "brand/icon.svg" in page


async def test_pages_carry_no_inline_style_or_script(season, browser_factory):
    public = await browser_factory()
    for path in ("/", "/tim/35.78", "/peta", "/aturan", "/hasil-akhir", "/papan/tahap", "/masuk", "/layar"):
        html = (await public.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path

"""Bytes a phone downloads to open each public page before any photo: the HTML and every stylesheet,
script and image it links (the icons), as transferred with `Accept-Encoding: gzip` (the app's own gzip;
where it sends a resource uncompressed, gzip level 6 is computed, as a reverse proxy would send it).

    .venv/bin/python bench/pages/measure.py [--budget 61440]

Seeds a throwaway demo database (38 teams, a few hundred activities), publishes its final results so
that /hasil-akhir has its table, and prints one line per resource and a total per page, first visit
(nothing cached). Exits 1 when a page is over the budget (60 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TMP = Path(tempfile.mkdtemp(prefix="sinergi-bench-pages-"))
os.environ.update(
    DATABASE_URL=f"sqlite:///{TMP / 'bench.sqlite3'}",
    SINERGI_VAR_DIR=str(TMP),
    SECRET_KEY="bench-secret-key-" + "b" * 40,
)
os.environ.pop("REDIS_URL", None)
os.environ.pop("SINERGI_PRODUCTION", None)
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app import db  # noqa: E402
from app.competitions.services import current_competition  # noqa: E402
from app.main import create_app  # noqa: E402
from app.organiser.results import publish_final, waiting_activities  # noqa: E402
from app.settings import Settings  # noqa: E402

BUDGET = 60 * 1024
PAGES = (
    "/",
    "/tim/35.78",
    "/peta",
    "/layar",
    "/aturan",
    "/hasil-akhir",
    "/papan/tahap",
    "/papan/tahap/verifikasi",
    "/masuk",
)
ASSET_RE = re.compile(
    r'<(?:link[^>]+rel="(?:stylesheet|icon)"[^>]+href|script[^>]+src|img[^>]+src)="(/[^"]+)"'
)


def gzipped(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


async def fetch(client: httpx.AsyncClient, url: str) -> tuple[str, int, int, str]:
    """(text, bytes after decoding, bytes on the wire, how)."""
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, (url, response.status_code)
    if response.headers.get("content-encoding") == "gzip":
        return response.text, len(response.content), response.num_bytes_downloaded, "app"
    text = response.text if response.headers.get("content-type", "").startswith("text") else ""
    return text, len(response.content), gzipped(response.content), "gzip -6"


async def measure(client: httpx.AsyncClient, page: str) -> list[tuple[str, int, int, str]]:
    html, size, wire, how = await fetch(client, page)
    rows = [(page, size, wire, how)]
    for url in dict.fromkeys(ASSET_RE.findall(html)):
        _text, size, wire, how = await fetch(client, url)
        rows.append((url, size, wire, how))
    return rows


async def main(budget: int) -> int:
    settings = Settings.from_env()
    await db.start(settings)
    try:
        competition = await current_competition()
        assert competition is not None
        # The demo keeps activities waiting on purpose: the bench publishes with them, as warned.
        seen = await waiting_activities(competition.id)
        await publish_final(competition, actor_id=None, actor_name="bench", note="", waiting_seen=seen)  # type: ignore[arg-type]
        app = create_app(settings)
        failed = 0
        print(f"{'page':<28} {'html':>8} {'html gz':>8} {'total gz':>9}  resources")
        for page in PAGES:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench.local"
            ) as client:
                rows = await measure(client, page)
            total = sum(r[2] for r in rows)
            verdict = "ok" if total <= budget else "OVER BUDGET"
            assets = ", ".join(f"{url.rsplit('/', 1)[-1]} {wire:,}" for url, _s, wire, _h in rows[1:])
            print(
                f"{page:<28} {rows[0][1]:>8,} {rows[0][2]:>8,} {total:>9,}  {verdict}: {assets}",
            )
            failed |= total > budget
        return 1 if failed else 0
    finally:
        await db.stop()


def seed() -> bool:
    seeded = subprocess.run(
        [sys.executable, "-m", "app.cli", "seed-demo"],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
    )
    if seeded.returncode != 0:
        print(seeded.stdout, seeded.stderr)
    return seeded.returncode == 0


if __name__ == "__main__":
    if not seed():
        sys.exit(2)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=BUDGET, help="bytes (gzip) allowed per page")
    sys.exit(asyncio.run(main(parser.parse_args().budget)))

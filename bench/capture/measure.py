"""Bytes a phone downloads to open the capture page (/kegiatan/baru) before any photo: the HTML, the
stylesheet and the scripts it links, the service worker (/sw.js) and what it keeps for use without signal
(the form itself once more, the desa/kelurahan list, the icon), as transferred with
`Accept-Encoding: gzip` (the app's own gzip; where it sends a resource uncompressed, gzip level 6 is
computed, as a reverse proxy would send it).

    .venv/bin/python bench/capture/measure.py [--budget 61440]

Seeds a throwaway demo database, signs in as the participant of Kota Surabaya and as one of the regency
with the most desa/kelurahan (the worst case: without JavaScript the form lists all of them), and prints
one line per resource and the totals. Exits 1 when a page is over the budget (60 KB).
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
TMP = Path(tempfile.mkdtemp(prefix="sinergi-bench-capture-"))
os.environ.update(
    DATABASE_URL=f"sqlite:///{TMP / 'bench.sqlite3'}",
    SINERGI_VAR_DIR=str(TMP),
    SECRET_KEY="bench-secret-key-" + "b" * 40,
)
os.environ.pop("REDIS_URL", None)
os.environ.pop("SINERGI_PRODUCTION", None)
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app import db, regions  # noqa: E402
from app.accounts.services import create_account  # noqa: E402
from app.demo import DEMO_PASSWORD  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.tables import Team  # noqa: E402

BUDGET = 60 * 1024
ASSET_RE = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')
KEPT_RE = re.compile(r'"(/(?:static|kegiatan)/[^"]+)"')


def gzipped(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


async def fetch(client: httpx.AsyncClient, url: str) -> tuple[str, int, int, str]:
    """(text, bytes after decoding, bytes on the wire, how): what the app sends if it compresses,
    otherwise what gzip level 6 (the reverse proxy's) would send."""
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, (url, response.status_code)
    if response.headers.get("content-encoding") == "gzip":
        return response.text, len(response.content), response.num_bytes_downloaded, "app"
    return response.text, len(response.content), gzipped(response.content), "gzip -6"


async def measure(
    client: httpx.AsyncClient, username: str
) -> tuple[int, int, list[tuple[str, int, int, str]]]:
    await client.get("/masuk")
    token = client.cookies.get("csrftoken", "")
    signed = await client.post(
        "/masuk", data={"username": username, "password": DEMO_PASSWORD}, headers={"x-csrftoken": token}
    )
    assert signed.status_code in (302, 303), signed.text[:300]
    html, size, wire, how = await fetch(client, "/kegiatan/baru")
    rows = [("/kegiatan/baru", size, wire, how)]
    urls = list(dict.fromkeys(ASSET_RE.findall(html)))
    if "/static/outbox-view.js" in urls:
        # The service worker, then what it fetches and keeps on install beyond what the page linked.
        worker, size, wire, how = await fetch(client, "/sw.js")
        rows.append(("/sw.js", size, wire, how))
        # On install it loads the form once more to keep it (a second copy of the HTML, once per phone).
        urls += [u for u in dict.fromkeys(KEPT_RE.findall(worker)) if u not in urls]
    for url in urls:
        _text, size, wire, how = await fetch(client, url)
        rows.append((url + (" (kept)" if url == "/kegiatan/baru" else ""), size, wire, how))
    await client.post("/keluar", headers={"x-csrftoken": client.cookies.get("csrftoken", "")})
    return sum(r[1] for r in rows), sum(r[2] for r in rows), rows


async def main(budget: int) -> int:
    settings = Settings.from_env()
    await db.start(settings)
    try:
        worst = max(regions.regencies(), key=lambda r: regions.village_count(r.code))
        team = await Team.select(Team.id).where(Team.code == worst.code).first()
        await create_account(
            username="bench.terbesar",
            password=DEMO_PASSWORD,
            role="participant",
            full_name="Bench",
            team_id=team["id"],
        )
        app = create_app(settings)
        failed = 0
        for username, label in (
            ("peserta.surabaya", "Kota Surabaya"),
            ("bench.terbesar", f"{worst.name} ({regions.village_count(worst.code)} desa/kelurahan)"),
        ):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench.local"
            ) as client:
                raw, packed, rows = await measure(client, username)
            print(f"\n{label}")
            for url, size, gz, how in rows:
                print(f"  {url:<40} {size:>8,} B  gzip {gz:>7,} B  ({how})")
            verdict = "ok" if packed <= budget else "OVER BUDGET"
            print(f"  {'total':<40} {raw:>8,} B  gzip {packed:>7,} B  ({packed / 1024:.1f} KB, {verdict})")
            failed |= packed > budget
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

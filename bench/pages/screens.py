"""The screenshots of docs/screens/: the main pages on a 360×740 phone and a 1366×800 desktop, first
screen only, from a throwaway demo server, saved as 256-colour PNGs.

    .venv/bin/python bench/pages/screens.py [--out docs/screens] [--only console,judge-list]

Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM=...).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = (
    ("leaderboard", "/", None),
    ("team", "/tim/35.02", None),
    ("map", "/peta", None),
    ("big-screen", "/layar", None),
    ("rules", "/aturan", None),
    ("final-results", "/hasil-akhir", None),
    ("reveal", "/panitia/pengumuman?langkah=36", "panitia"),
    ("console", "/panitia", "panitia"),
    ("judge-list", "/juri/daftar", "juri3"),
)
SIZES = {"360": (360, 740), "1366": (1366, 800)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, capture_output=True)


def publish_final(env: dict[str, str]) -> None:
    code = (
        "import asyncio\n"
        "from app import db\nfrom app.settings import Settings\n"
        "from app.competitions.services import current_competition\n"
        "from app.organiser.results import publish_final, waiting_activities\n"
        "async def main():\n"
        "    await db.start(Settings.from_env())\n"
        "    c = await current_competition()\n"
        "    seen = await waiting_activities(c.id)\n"
        "    await publish_final(c, actor_id=None, actor_name='demo', note='', waiting_seen=seen)\n"
        "    await db.stop()\n"
        "asyncio.run(main())\n"
    )
    run(env, "-c", code)


def main(out: Path, only: set[str] | None = None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sinergi-screens-"))
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
        "SINERGI_VAR_DIR": str(tmp),
        "SECRET_KEY": "screens-secret-key-" + "s" * 40,
        "PYTHONPATH": str(ROOT),
    }
    run(env, "-m", "app.cli", "seed-demo")
    # A copy whose final results are published, for the /hasil-akhir shot; the demo itself stays open.
    final_env = {**env, "DATABASE_URL": f"sqlite:///{tmp / 'final.sqlite3'}"}
    shutil.copy(tmp / "demo.sqlite3", tmp / "final.sqlite3")
    publish_final(final_env)
    servers = {}
    try:
        for name, server_env in (("demo", env), ("final", final_env)):
            port = free_port()
            servers[name] = (
                f"http://127.0.0.1:{port}",
                subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                    cwd=ROOT,
                    env=server_env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
            )
        for url, _ in servers.values():
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=1)  # noqa: S310 - our own server
                    break
                except OSError:
                    time.sleep(0.2)
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            for size, (width, height) in SIZES.items():
                for name, path, login in SHOTS:
                    if only and name not in only:
                        continue
                    base = servers["final" if name == "final-results" else "demo"][0]
                    context = browser.new_context(
                        base_url=base,
                        viewport={"width": width, "height": height},
                        locale="id-ID",
                        timezone_id="Asia/Jakarta",
                        is_mobile=width < 500,
                    )
                    page = context.new_page()
                    if login:
                        page.goto("/masuk")
                        page.get_by_test_id("username").fill(login)
                        page.get_by_test_id("password").fill("sinergi2024")
                        page.get_by_test_id("login-submit").click()
                        page.wait_for_url(lambda u: "/masuk" not in u)
                    page.goto(path)
                    page.wait_for_timeout(500)
                    image = Image.open(io.BytesIO(page.screenshot()))
                    image = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
                    target = out / f"{name}-{size}.png"
                    image.save(target, optimize=True)
                    print(target, target.stat().st_size)
                    context.close()
            browser.close()
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--only", default="", help="comma-separated shot names (default: every shot)")
    args = parser.parse_args()
    main(args.out, {n for n in args.only.split(",") if n} or None)

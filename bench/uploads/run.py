"""Memory of one server process while six participants upload a 40-megapixel photo at the same moment.

    .venv/bin/python -m bench.uploads.run [--uploads 6] [--budget-mb 600]

Builds a throwaway SQLite demo database (`sinergi migrate`, `sinergi seed-demo`), generates distinct
40-megapixel JPEGs with Pillow (7728 × 5152, a smooth scene with sensor-like noise, quality 82: about
6–7 MB each, under the 8 MB upload limit; cached in --images; `--kind png`: the worst case the limits
allow instead, 50 MP RGBA PNGs, which have no draft mode), starts a real `sinergi serve` process
(one worker), signs the three demo participants in, and sends the capture form (/kegiatan/baru) with one
photo each from that many threads at once. A sampler reads the server's resident set size from /proc
every 10 ms; the kernel's own peak (VmHWM) is read too. Prints RSS before, peak, and after (2 s and 10 s
after the last answer), and the photos stored. Exits 1 when a form was not accepted or the peak is over
--budget-mb.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app import regions  # noqa: E402
from app.demo import DEMO_PASSWORD  # noqa: E402

WIDTH, HEIGHT = 7728, 5152  # 39.8 megapixels: a 40 MP camera's frame
# The worst case the limits allow: 50 MP with an alpha channel in a format without draft mode, decoded
# whole (a flat picture with a few shapes, so it fits the 8 MB limit).
PNG_WIDTH, PNG_HEIGHT = 8660, 5770
PARTICIPANTS = (("peserta.surabaya", "35.78"), ("peserta.malang", "35.07"), ("peserta.banyuwangi", "35.10"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_photo(path: Path, seed: int) -> None:
    """A photo-like JPEG: smooth colour fields (a scene) plus per-pixel noise (a sensor's grain), so it
    compresses like a camera's picture, not like a flat test card."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, WIDTH, dtype=np.float32)[None, :]
    phase = rng.uniform(0, 6, 3).astype(np.float32)
    scene = np.empty((HEIGHT, WIDTH, 3), dtype=np.float32)
    scene[..., 0] = 120 + 80 * np.sin(6 * x + 2 * y + phase[0])
    scene[..., 1] = 110 + 70 * np.cos(5 * y - 3 * x + phase[1])
    scene[..., 2] = 100 + 60 * np.sin(4 * (x + y) + phase[2])
    scene += rng.normal(0, 6, (HEIGHT, WIDTH, 1)).astype(np.float32)
    pixels = np.clip(scene, 0, 255).astype(np.uint8)
    del scene
    Image.fromarray(pixels, "RGB").save(path, "JPEG", quality=82)


def make_png(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    image = Image.new("RGBA", (PNG_WIDTH, PNG_HEIGHT), (30, 120, 200, 255))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = int(rng.integers(0, PNG_WIDTH - 500)), int(rng.integers(0, PNG_HEIGHT - 500))
        colour = tuple(int(c) for c in rng.integers(0, 256, 4))
        draw.rectangle((x, y, x + int(rng.integers(50, 500)), y + int(rng.integers(50, 500))), fill=colour)
    image.save(path, "PNG")


def photos(folder: Path, count: int, kind: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [
        folder / (f"foto-40mp-{i}.jpg" if kind == "jpeg" else f"gambar-50mp-{i}.png") for i in range(count)
    ]
    for i, path in enumerate(paths):
        if not path.exists():
            (make_photo if kind == "jpeg" else make_png)(path, 1000 + i)
    return paths


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.01)


def sign_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=300)
    client.get("/masuk")
    token = client.cookies["csrftoken"]
    answer = client.post(
        "/masuk", data={"username": username, "password": DEMO_PASSWORD}, headers={"x-csrftoken": token}
    )
    assert answer.status_code in (302, 303), answer.text[:300]
    return client


def form_for(client: httpx.Client, team_code: str) -> dict[str, str]:
    page = client.get("/kegiatan/baru").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key, "the capture form carries its key"
    district = regions.districts_of(team_code)[0]
    village = regions.villages_of(district.code)[0]
    when = (datetime.now(UTC) + timedelta(hours=7) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    return {
        "idempotency_key": key.group(1),
        "activity_type": "DDS",
        "occurred_at": when,
        "village_code": village.code,
        "rw": "RW 03",
        "title": "Sambang warga (uji unggah 40 MP)",
        "senkom_members": "Ahmad Santoso",
        "officer_name": "Budi Wibowo",
        "officer_rank": "Bripka",
        "officer_nrp": "85011234",
        "officer_polres": "Polrestabes Surabaya",
        "residents_reached": "40",
    }


def upload(client: httpx.Client, form: dict[str, str], photo: Path) -> tuple[int, float]:
    started = time.monotonic()
    with photo.open("rb") as fh:
        answer = client.post(
            "/kegiatan/baru",
            data=form,
            files=[("photos", (photo.name, fh, "image/png" if photo.suffix == ".png" else "image/jpeg"))],
            headers={"x-csrftoken": client.cookies["csrftoken"]},
        )
    return answer.status_code, time.monotonic() - started


def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="sinergi-bench-uploads-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "SINERGI_VAR_DIR": str(work),
        "SECRET_KEY": "bench-secret-key-" + "u" * 40,
        "SINERGI_LOG_FORMAT": "text",
    }
    for name in ("REDIS_URL", "SINERGI_PRODUCTION", "SINERGI_WORKERS"):
        env.pop(name, None)
    server = None
    try:
        images = photos(Path(args.images), args.uploads, args.kind)
        sizes = ", ".join(f"{p.stat().st_size / 1e6:.1f}" for p in images)
        width, height = Image.open(images[0]).size
        print(
            f"photos: {args.uploads} × {width}×{height} ({width * height / 1e6:.1f} MP)",
            f"{args.kind}, MB: {sizes}",
        )
        for command in ("migrate", "seed-demo"):
            subprocess.run(
                [sys.executable, "-m", "app.cli", command], cwd=ROOT, env=env, check=True, capture_output=True
            )
        port = free_port()
        log = (work / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        clients = [sign_in(base, username) for username, _team in PARTICIPANTS]
        jobs = []
        for i, photo in enumerate(images):
            client = clients[i % len(clients)]
            jobs.append((client, form_for(client, PARTICIPANTS[i % len(PARTICIPANTS)][1]), photo))
        time.sleep(1)
        before = rss_kb(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()
        started = time.monotonic()
        started_wall = time.time()
        with ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(lambda job: upload(*job), jobs))
        elapsed = time.monotonic() - started
        time.sleep(2)
        after_2s = rss_kb(server.pid)
        time.sleep(8)
        after_10s = rss_kb(server.pid)
        sampler.running = False
        sampler.join()
        peak = max(sampler.peak, rss_kb(server.pid, "VmHWM"))
        stored = [
            p
            for p in (work / "uploads").rglob("*.*")
            if p.suffix in (".jpg", ".png")
            and ".thumb." not in p.name
            and "pending" not in p.parts
            and p.stat().st_mtime >= started_wall
        ]
        largest = max((Image.open(p).size for p in stored), default=(0, 0), key=lambda s: s[0] * s[1])
        statuses = [status for status, _seconds in results]
        print(f"answers: {statuses} in {elapsed:.1f} s (slowest {max(s for _c, s in results):.1f} s)")
        print(f"photos stored: {len(stored)}, the largest {largest[0]}×{largest[1]}")
        print(f"RSS before: {before / 1024:.0f} MB")
        print(f"RSS peak:   {peak / 1024:.0f} MB (budget {args.budget_mb} MB)")
        print(f"RSS after:  {after_2s / 1024:.0f} MB (2 s), {after_10s / 1024:.0f} MB (10 s)")
        ok = all(status in (302, 303) for status in statuses) and peak / 1024 < args.budget_mb
        print("ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=6)
    parser.add_argument("--budget-mb", type=int, default=600)
    parser.add_argument(
        "--kind", choices=("jpeg", "png"), default="jpeg", help="40 MP camera JPEGs, or 50 MP RGBA PNGs"
    )
    parser.add_argument(
        "--images", default=str(Path(tempfile.gettempdir()) / "sinergi-bench-40mp"), help="photo cache"
    )
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())

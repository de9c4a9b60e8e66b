"""What the input bounds (app/inputs.py) cost on the hottest path: the leaderboard fragment /papan/baris.

    .venv/bin/python -m bench.inputs.run [--requests 3000] [--rounds 7]

Seeds a throwaway SQLite demo database, builds the application twice — as served, and with its
before_request hook taken off (the state before the bounds) — and calls each ASGI app directly (no
server, no client library: only the application's own time) with GET /papan/baris?versi=0 (the pre-rendered
fragment, gzip). Rounds alternate between the two so that a noisy neighbour hits both alike; prints the
median microseconds per request of each and the difference, and the hook's own time per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TMP = Path(tempfile.mkdtemp(prefix="sinergi-bench-inputs-"))
os.environ.update(
    DATABASE_URL=f"sqlite:///{TMP / 'bench.sqlite3'}",
    SINERGI_VAR_DIR=str(TMP),
    SECRET_KEY="bench-secret-key-" + "i" * 40,
)
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

from litestar import Litestar  # noqa: E402

from app import db  # noqa: E402
from app.inputs import refuse_malformed  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402

PATH = "/papan/baris"
QUERY = b"versi=0"


def scope(app: Litestar) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": QUERY,
        "root_path": "",
        "headers": [(b"host", b"bench.local"), (b"accept-encoding", b"gzip")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "app": app,
        "state": {},
    }


async def one(app: Litestar) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope(app), receive, send)  # type: ignore[arg-type]
    return status


async def timed(app: Litestar, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        assert await one(app) == 200
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int, rounds: int) -> None:
    settings = Settings.from_env()
    await db.start(settings)
    try:
        with_hook = create_app(settings)
        without = create_app(settings)
        # The state before the bounds: no hook on any layer (resolved on the first request).
        without.before_request = None
        for app in (with_hook, without):
            for _ in range(200):
                assert await one(app) == 200
        figures: dict[str, list[float]] = {"with the bounds": [], "without": []}
        for _ in range(rounds):
            figures["with the bounds"].append(await timed(with_hook, requests))
            figures["without"].append(await timed(without, requests))
        for name, values in figures.items():
            rounds_text = ", ".join(f"{v:.0f}" for v in values)
            print(f"{name:<16} {statistics.median(values):7.1f} µs/request (rounds: {rounds_text})")
        extra = statistics.median(figures["with the bounds"]) - statistics.median(figures["without"])
        print(f"difference       {extra:7.1f} µs/request")
        from litestar import Request

        request: Request[Any, Any, Any] = Request(scope(with_hook))
        request.scope["path_params"] = {}
        started = time.perf_counter()
        for _ in range(100_000):
            await refuse_malformed(request)
        print(f"the hook alone   {(time.perf_counter() - started) / 100_000 * 1e6:7.2f} µs/call")
    finally:
        await db.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    seeded = subprocess.run(
        [sys.executable, "-m", "app.cli", "seed-demo"],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
    )
    if seeded.returncode != 0:
        print(seeded.stdout, seeded.stderr)
        sys.exit(2)
    asyncio.run(main(args.requests, args.rounds))

"""Leaderboard benchmark on one uvicorn process (run bench.leaderboard.seed first):

1. transfer size of the public page and the overall fragment (gzip);
2. req/s and latency of the overall fragment against /healthz in the same run (wrk);
3. review commit -> SSE event latency with N connected clients (asyncio sockets).

    DATABASE_URL=sqlite:////tmp/lb-bench/db.sqlite3 SECRET_KEY=... \\
        python -m bench.leaderboard.run --seed /tmp/lb-bench/seed.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

SERVER = (
    "import uvicorn; from app.main import create_app; "
    "uvicorn.run(create_app(), host='127.0.0.1', port={port}, access_log=False, log_level='warning', "
    "timeout_graceful_shutdown=5)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(port=port)], env=dict(os.environ))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", "Accept-Encoding: gzip", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50_ms": ms("50%"), "p99_ms": ms("99%")}


class SseClient:
    def __init__(self) -> None:
        self.versions: list[tuple[int, float]] = []
        self.changed = asyncio.Event()

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /papan/sse HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        await writer.drain()
        expecting = False
        while line := await reader.readline():
            if line.startswith(b"event: changed"):
                expecting = True
            elif expecting and line.startswith(b"data: "):
                self.versions.append((int(line[6:].strip()), time.perf_counter()))
                self.changed.set()
                expecting = False


async def sse_latency(port: int, clients: int, seed: dict, reviews: int) -> dict[str, float]:
    sse = [SseClient() for _ in range(clients)]
    tasks = []
    for i, client in enumerate(sse):
        tasks.append(asyncio.create_task(client.run(port)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*(c.changed.wait() for c in sse)), 60)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as judge:
        judge.cookies.set("sinergi_session", seed["judge_session"])
        await judge.get("/juri")
        csrf = judge.cookies.get("csrftoken") or ""
        for activity_id in seed["activities"][:reviews]:
            marks = [len(c.versions) for c in sse]
            started = time.perf_counter()
            response = await judge.post(
                f"/juri/kegiatan/{activity_id}/keputusan",
                data={"decision": "verified"},
                headers={"x-csrftoken": csrf},
            )
            assert response.status_code in (302, 303), response.status_code
            deadline = time.monotonic() + 10
            while any(len(c.versions) <= m for c, m in zip(sse, marks, strict=True)):
                if time.monotonic() > deadline:
                    raise RuntimeError("some clients never heard of the review")
                await asyncio.sleep(0.005)
            latencies.extend(c.versions[m][1] - started for c, m in zip(sse, marks, strict=True))
            await asyncio.sleep(0.3)
    for task in tasks:
        task.cancel()
    latencies.sort()
    return {
        "clients": clients,
        "reviews": reviews,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def sizes(port: int) -> dict[str, int]:
    result = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Accept-Encoding": "gzip"}) as client:
        for name, path in (("page", "/"), ("fragment", "/papan/baris"), ("map_page", "/peta")):
            response = client.get(path)
            response.read()
            result[f"{name}_gzip_bytes"] = response.num_bytes_downloaded
            result[f"{name}_bytes"] = len(response.content)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--reviews", type=int, default=8)
    args = parser.parse_args()
    seed = json.loads(args.seed.read_text())
    if len(seed["activities"]) < args.reviews:
        sys.exit("not enough submitted activities left: seed again with more --reviews")
    if not shutil.which("wrk"):
        sys.exit("install wrk (apt-get install wrk)")
    port = free_port()
    server = start_server(port)
    try:
        report: dict[str, object] = {"teams": seed["teams"], **sizes(port)}
        base = f"http://127.0.0.1:{port}"
        wrk(f"{base}/papan/baris", 2, args.connections)  # warm up
        report["healthz"] = wrk(f"{base}/healthz", args.seconds, args.connections)
        report["fragment"] = wrk(f"{base}/papan/baris", args.seconds, args.connections)
        report["fragment_vs_healthz"] = round(report["fragment"]["rps"] / report["healthz"]["rps"], 2)  # type: ignore[index]
        if args.clients and args.reviews:
            report["sse"] = asyncio.run(sse_latency(port, args.clients, seed, args.reviews))
            # Each review decides its activity for good: the next run takes the ones still submitted.
            seed["activities"] = seed["activities"][args.reviews :]
            args.seed.write_text(json.dumps(seed))
        print(json.dumps(report, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()

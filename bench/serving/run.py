"""Which ASGI server `sinergi serve --workers N` should run: uvicorn or granian, on measurement.

Each server runs Sinergi with 2 worker processes on the demo season (SQLite, memory channels), configured
as in production (our JSON access log to a file, no server access log), and `wrk --latency` loads
`/healthz`, the leaderboard fragment `/papan/baris` and the public page `/` in turn. Servers alternate
over several rounds so a noisy neighbour hits both alike; the figures are the median of the rounds.

    apt-get install wrk
    pip install --target /tmp/granian-pkgs granian      # kept out of the project's venv and locks
    .venv/bin/python -m bench.serving.run --granian-path /tmp/granian-pkgs

Writes a Markdown table to stdout and the raw figures to --out (JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
PATHS = ("/healthz", "/papan/baris", "/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(name: str, port: int, workers: int, log_config: Path) -> list[str]:
    if name == "uvicorn":
        return [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)]
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--log-config",
        str(log_config),
        "--no-access-log",
        "app.main:create_app",
    ]


def wait_ready(port: int, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    ok = 0
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                ok += 1
                if ok >= 20:  # both workers are up once a run of answers comes back
                    return
        except OSError:
            ok = 0
            time.sleep(0.3)
    raise RuntimeError("the server did not start")


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", "Accept-Encoding: gzip", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return {"rps": rps, "p50_ms": ms("50%"), "p99_ms": ms("99%"), "errors": errors}


def measure(name: str, env: dict[str, str], args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port = free_port()
    log_config = tmp / "log_config.json"
    with (tmp / f"{name}.log").open("a") as log:
        server = subprocess.Popen(
            server_command(name, port, args.workers, log_config),
            env=env,
            stdout=log,
            stderr=log,
            cwd=REPO_ROOT,
        )
    family: set[int] = set()
    try:
        wait_ready(port, server)
        base = f"http://127.0.0.1:{port}"
        wrk(base + "/", 3, args.connections)  # warm the caches of both workers
        result: dict[str, Any] = {path: wrk(base + path, args.seconds, args.connections) for path in PATHS}
        family = descendants(server.pid)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        try:
            result["exit_code"] = server.wait(timeout=args.stop_timeout)
        except subprocess.TimeoutExpired:
            result["exit_code"] = "hung"
        result["stop_seconds"] = round(time.monotonic() - started, 2)
        return result
    finally:
        # A worker that does not stop keeps its parent waiting: end them by their ids.
        for pid in (family | descendants(server.pid)) - {server.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
        server.wait()


def descendants(pid: int) -> set[int]:
    """The ids of a process's children, grandchildren… (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier} - found
        found |= children
        frontier = children
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", default="uvicorn,granian")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--stop-timeout", type=float, default=30, help="seconds a SIGTERM may take")
    parser.add_argument("--granian-path", help="a directory granian was pip-installed into (--target)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "sinergi-serving.json")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sinergi-serving-"))
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SINERGI_PRODUCTION"}}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'demo.sqlite3'}",
        SINERGI_VAR_DIR=str(tmp),
        SECRET_KEY="serving-bench-" + "k" * 40,
        SINERGI_LOG_FORMAT="json",
        PYTHONPATH=os.pathsep.join(p for p in (args.granian_path, str(REPO_ROOT)) if p),
    )
    sys.path.insert(0, str(REPO_ROOT))
    from app.observability import logging_config

    (tmp / "log_config.json").write_text(json.dumps(logging_config("json")))
    subprocess.run([sys.executable, "-m", "app.cli", "seed-demo"], env=env, check=True, capture_output=True)

    servers = args.servers.split(",")
    rounds: dict[str, list[dict[str, Any]]] = {s: [] for s in servers}
    for r in range(args.rounds):
        for name in servers if r % 2 == 0 else reversed(servers):
            print(f"round {r + 1}: {name}", file=sys.stderr)
            rounds[name].append(measure(name, env, args, tmp))

    summary: dict[str, Any] = {
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "load": os.getloadavg(),
        "cpus": os.cpu_count(),
        "raw": rounds,
    }
    print(f"| server | path | req/s | p50 ms | p99 ms | errors |  (median of {args.rounds} rounds)")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, results in rounds.items():
        for path in PATHS:
            runs = [res[path] for res in results]
            row = {k: statistics.median(run[k] for run in runs) for k in ("rps", "p50_ms", "p99_ms")}
            row["errors"] = sum(run["errors"] for run in runs)
            summary.setdefault("median", {}).setdefault(name, {})[path] = row
            print(
                f"| {name} | `{path}` | {row['rps']:,.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                f"{row['errors']} |"
            )
        stops = ", ".join(f"{res['stop_seconds']} s (exit {res['exit_code']})" for res in results)
        print(f"<!-- {name} SIGTERM to exit: {stops} -->")
    args.out.write_text(json.dumps(summary, indent=2))
    print(f"raw figures: {args.out}; server logs: {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()

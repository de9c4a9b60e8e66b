"""Real processes for the reliability tests: `sinergi` commands and servers, a private redis-server and a
private PostgreSQL cluster (so killing them never disturbs the shared services other tests use)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

PG_BIN = Path(os.environ.get("SINERGI_PG_BIN") or "/usr/lib/postgresql/15/bin")
DEMO_PASSWORD = "sinergi2024"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(tmp: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SINERGI_PRODUCTION"}}
    env["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'sinergi.sqlite3'}"
    env["SINERGI_VAR_DIR"] = str(tmp / "var")
    env["SINERGI_CHANNELS"] = "memory"
    return env


def sinergi(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


SEED_SMALL = """
import asyncio, sys
from app.cli import migrate
from app.settings import Settings
from app import db
from app.demo import seed_demo

async def main():
    settings = Settings.from_env()
    await migrate(settings)
    await db.start(settings)
    try:
        await seed_demo(settings.var_dir, activities=int(sys.argv[1]))
    finally:
        await db.stop()

asyncio.run(main())
"""


def seed_demo(env: dict[str, str], activities: int = 60) -> None:
    """The demo season (teams, catalogue, demo accounts) with fewer activities than `sinergi seed-demo`."""
    result = subprocess.run(
        [sys.executable, "-c", SEED_SMALL, str(activities)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def jpeg(shade: int) -> bytes:
    image = Image.new("RGB", (40, 30), (shade * 37 % 256, shade * 91 % 256, shade * 13 % 256))
    image.paste((255 - shade % 256, 20, 40), (0, 0, 8 + shade % 20, 12))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


class Server:
    """`sinergi serve` as a child process on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, seconds: float = 30) -> Server:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):  # noqa: S310 - loopback
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"server did not answer: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no shutdown hook, no flush
        self.proc.wait()
        self.proc = None


class PrivateRedis:
    """A redis-server of this test alone, killed and started again at will."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> PrivateRedis:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb into a temporary folder) on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="sinergi-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")

    def init(self) -> PrivatePostgres:
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N"]
            ),
            check=True,
            capture_output=True,
        )
        return self

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=on"
        command = [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
        ]
        result = subprocess.run(_as_postgres([*command, "-w", "start"]), capture_output=True, text=True)
        if result.returncode != 0:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise AssertionError(f"private PostgreSQL did not start: {result.stderr}\n{log[-2000:]}")
        return self

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            capture_output=True,
        )

    def kill9(self) -> None:
        """SIGKILL the postmaster and every backend, as a power cut would: the next start replays the
        WAL (crash recovery)."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(stat.parent.name))
        for victim in [pid, *children]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, 9)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{v}").exists() for v in [pid, *children]):
            time.sleep(0.05)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def database(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


async def _pg(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def pg_execute(url: str, statement: str) -> None:
    asyncio.run(_pg(url, statement))


@contextmanager
def throwaway_database(server_url: str, prefix: str = "sinergi_rel") -> Iterator[str]:
    """A database of its own on the server `server_url` names (any database of it), dropped after."""
    base = server_url.rstrip("/")
    server = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    pg_execute(f"{server}/postgres", f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        pg_execute(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

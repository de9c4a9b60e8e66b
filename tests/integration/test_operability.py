"""Operability: security headers and cookies, request ids and the JSON access log, readiness with Redis
down, migrations started several at once, and `sinergi serve --workers 2` stopping on SIGTERM."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import observability
from app.main import create_app
from app.tables import ALL_TABLES

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(
    m.group(1)
    for p in (REPO_ROOT / "migrations").glob("sinergi_*.py")
    if (m := re.search(r'^ID = "([^"]+)"', p.read_text(), re.M))
)


# --- security headers ----------------------------------------------------------------------------


def csp_directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    result = {}
    for part in policy.split(";"):
        name, *values = part.split()
        result[name] = values
    return result


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "geolocation=()" in response.headers["permissions-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    # Plain HTTP, cookies not marked secure: no HSTS (it would pin a name to HTTPS that may not have it).
    assert "strict-transport-security" not in response.headers


async def test_security_headers_on_pages_static_files_api_and_errors(season, browser_factory):
    public = await browser_factory()
    for url in (
        "/",
        "/masuk",
        "/static/app.css",
        "/static/vendor/htmx.min.js",
        "/api/v1/competitions",
        "/healthz",
    ):
        response = await public.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)
    for url in ("/tidak-ada", "/api/v1/competitions/tidak-ada", "/static/tidak-ada.css"):
        response = await public.get(url)
        assert response.status_code == 404, url
        assert_security_headers(response)
    organiser = await browser_factory("panitia")
    assert_security_headers(await organiser.get("/panitia/beku"))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


async def test_pages_need_nothing_the_policy_forbids(season, browser_factory):
    """The policy allows no inline script, style or event handler: no page may contain one (a browser would
    ignore it), and the script-src has neither 'unsafe-inline' nor 'unsafe-eval'."""
    public = await browser_factory()
    organiser = await browser_factory("panitia")
    participant = await browser_factory("peserta.sby")
    judge = await browser_factory("juri.sby")
    pages = [
        (public, "/"),
        (public, "/papan/baris"),
        (public, "/peta"),
        (public, "/peta/isi"),
        (public, "/layar"),
        (public, "/tim/35.78"),
        (public, "/aturan"),
        (public, "/masuk"),
        (public, "/tidak-ada"),
        (public, "/schema"),
        (organiser, "/panitia/beku"),
        (organiser, "/panitia/aturan"),
        (organiser, "/panitia/akun"),
        (organiser, "/panitia/musim"),
        (participant, "/kegiatan/baru"),
        (participant, "/kegiatan"),
        (judge, "/juri"),
    ]
    checked = 0
    for browser, url in pages:
        response = await browser.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        html = response.text
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html))
        assert not INLINE_STYLE.search(html), (url, INLINE_STYLE.search(html))
        assert not EVENT_HANDLER.search(html), (url, EVENT_HANDLER.search(html))
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        checked += response.status_code == 200
    assert checked >= len(pages) - 1
    # htmx must neither inject its indicator <style> nor eval trigger filters.
    home = (await public.get("/")).text
    assert '"includeIndicatorStyles":false' in home and '"allowEval":false' in home
    assert "[window." not in home


async def test_hsts_only_over_https(season, app, settings):
    over_https = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://sinergi.test")
    async with over_https:
        response = await over_https.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    secure_app = create_app(dataclasses.replace(settings, secure_cookies=True))
    # Behind a proxy that terminates TLS and is not trusted for X-Forwarded-Proto: secure cookies say HTTPS.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=secure_app), base_url="http://t"
    ) as client:
        response = await client.get("/healthz", headers={"x-forwarded-proto": "http"})
    assert "strict-transport-security" in response.headers


async def test_session_and_csrf_cookies(season, settings):
    from tests.integration.conftest import PASSWORD

    secure_app = create_app(dataclasses.replace(settings, secure_cookies=True))
    transport = httpx.ASGITransport(app=secure_app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://sinergi.test") as client:
        login_page = await client.get("/masuk")
        csrf_cookie = login_page.headers["set-cookie"].lower()
        assert "csrftoken=" in csrf_cookie
        assert "secure" in csrf_cookie and "samesite=lax" in csrf_cookie and "httponly" in csrf_cookie
        token = client.cookies["csrftoken"]
        response = await client.post(
            "/masuk",
            data={"username": "panitia", "password": PASSWORD},
            headers={"x-csrftoken": token},
        )
        assert response.status_code in (302, 303)
        session_cookie = next(
            v.lower()
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and "sinergi_session" in v
        )
        assert (
            "httponly" in session_cookie and "secure" in session_cookie and "samesite=lax" in session_cookie
        )


# --- request id and the access log ----------------------------------------------------------------


async def test_request_id_is_echoed_or_generated(season, browser_factory):
    public = await browser_factory()
    given = "req-" + uuid.uuid4().hex
    assert (await public.get("/healthz", headers={"X-Request-ID": given})).headers["x-request-id"] == given
    uuid_id = str(uuid.uuid4())
    assert (await public.get("/", headers={"X-Request-ID": uuid_id})).headers["x-request-id"] == uuid_id
    for bad in ("has space", "x" * 200, "<script>", 'a"b', "-leading-dash", ""):
        echoed = (await public.get("/healthz", headers={"X-Request-ID": bad})).headers["x-request-id"]
        assert echoed != bad and re.fullmatch(r"[0-9a-f]{32}", echoed)
    generated = {(await public.get("/healthz")).headers["x-request-id"] for _ in range(5)}
    assert len(generated) == 5


class Captured(logging.Handler):
    """The formatted lines of one logger, as `sinergi serve` would write them."""

    def __init__(self) -> None:
        super().__init__()
        self.stream = io.StringIO()
        self.setFormatter(observability.JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.stream.write(self.format(record) + "\n")

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def captured() -> Any:
    handler = Captured()
    logger = logging.getLogger("sinergi")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


async def test_one_json_access_line_per_request(season, browser_factory, captured):
    organiser = await browser_factory("panitia")
    response = await organiser.get("/panitia/beku", headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 200
    await organiser.get("/tidak-ada")
    access = [line for line in captured.lines() if line["logger"] == "sinergi.access"]
    mine = [line for line in access if line.get("request_id") == "trace-42"]
    assert len(mine) == 1
    line = mine[0]
    assert line["method"] == "GET" and line["path"] == "/panitia/beku" and line["status"] == 200
    assert line["user_id"] == season.accounts["panitia"]
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and line["time"].endswith("+00:00")
    missing = [line for line in access if line["path"] == "/tidak-ada"]
    assert len(missing) == 1 and missing[0]["status"] == 404 and len(missing[0]["request_id"]) == 32


async def test_an_application_error_is_logged_as_json_with_the_request_id(
    season, browser_factory, captured, monkeypatch
):
    from app.leaderboard import views

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the standings are on fire")

    monkeypatch.setattr(views, "current_state", broken)
    response = await (await browser_factory()).get("/", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500 and response.headers["x-request-id"] == "boom-1"
    errors = [line for line in captured.lines() if line["level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "boom-1"
    assert "the standings are on fire" in errors[0]["exception"]
    access = [line for line in captured.lines() if line["logger"] == "sinergi.access"]
    assert [(a["status"], a["request_id"]) for a in access] == [(500, "boom-1")]


def test_text_format_names_the_request():
    formatter = observability.TextFormatter()
    record = logging.LogRecord("sinergi", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    token = observability.request_id.set("abc")
    try:
        assert formatter.format(record).endswith("hello there [abc]")
    finally:
        observability.request_id.reset(token)


# --- readiness -----------------------------------------------------------------------------------


async def test_readyz_is_503_naming_redis_when_redis_is_unreachable(season, settings):
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    broken = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0", channels_backend="memory")
    app = create_app(broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        started = time.monotonic()
        response = await client.get("/readyz")
        assert time.monotonic() - started < 5
        assert response.status_code == 503
        assert response.text == "redis unavailable"
        assert (await client.get("/healthz")).status_code == 200


async def test_readyz_names_the_database_when_it_is_unreachable(season, settings, tmp_path):
    if not settings.is_sqlite:
        pytest.skip("this run's database is PostgreSQL; the SQLite engine is what is swapped here")
    # A database file in a directory that is then made unreadable cannot be opened.
    from app import db

    locked_dir = tmp_path / "locked"
    locked_dir.mkdir()
    original = db.current_engine()
    from piccolo.engine.sqlite import SQLiteEngine

    from app import piccolo_conf

    broken_engine = SQLiteEngine(path=str(locked_dir / "missing" / "none.sqlite3"))
    tables = [t for t in ALL_TABLES]
    for table in tables:
        table._meta.db = broken_engine
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://t"
        ) as client:
            response = await client.get("/readyz")
    finally:
        for table in tables:
            table._meta.db = original
        piccolo_conf.DB = original
    assert response.status_code == 503 and response.text == "database unavailable"


# --- several migrations at once -------------------------------------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SINERGI_PRODUCTION", "DATABASE_URL"}
    }
    env.update(extra)
    return env


def _migrate_three_at_once(env: dict[str, str]) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=180)
        assert proc.returncode == 0, out
        assert "database is up to date" in out


def test_three_migrations_at_once_on_a_fresh_sqlite_file(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    _migrate_three_at_once(_clean_env(DATABASE_URL=f"sqlite:///{path}", SINERGI_VAR_DIR=str(tmp_path)))
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {t._meta.tablename for t in ALL_TABLES} <= tables
    applied = [r[0] for r in conn.execute("SELECT name FROM migration ORDER BY name")]
    assert applied == MIGRATIONS  # each once, none twice
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_three_migrations_at_once_on_a_fresh_postgresql_database(tmp_path):
    base = os.environ.get("SINERGI_TEST_POSTGRES")
    if not base:
        pytest.skip("SINERGI_TEST_POSTGRES is not set (the PostgreSQL run of .ci/run sets it)")
    import asyncio

    import asyncpg

    server = base.rstrip("/").rsplit("/", 1)[0]
    name = f"sinergi_migrate_{uuid.uuid4().hex[:8]}"

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def inspect() -> tuple[set[str], list[str]]:
        conn = await asyncpg.connect(f"{server}/{name}")
        try:
            tables = {
                r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            }
            applied = [r[0] for r in await conn.fetch("SELECT name FROM migration ORDER BY name")]
        finally:
            await conn.close()
        return tables, applied

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        _migrate_three_at_once(_clean_env(DATABASE_URL=f"{server}/{name}", SINERGI_VAR_DIR=str(tmp_path)))
        tables, applied = asyncio.run(inspect())
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    assert {t._meta.tablename for t in ALL_TABLES} <= tables
    assert applied == MIGRATIONS


# --- sinergi serve --workers 2 -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_two_workers_answers_and_stops_on_sigterm_within_the_timeout(tmp_path):
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}", SINERGI_VAR_DIR=str(tmp_path))
    assert subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, timeout=180).returncode == 0
    port = _free_port()
    graceful = 3
    timeout = ["--graceful-timeout", str(graceful)]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2", *timeout],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        pids: set[str] = set()
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.read() == b"ok"
                    assert response.headers["x-request-id"]
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError(f"no answer from /healthz:\n{log.read_text()}")
        # Both workers come up (uvicorn logs one "Started server process" per worker).
        while time.monotonic() < deadline:
            pids = set(re.findall(r"Started server process \[(\d+)\]", log.read_text()))
            if len(pids) == 2:
                break
            time.sleep(0.3)
        assert len(pids) == 2, log.read_text()
        # An open SSE stream would keep a worker busy for ever: the graceful timeout cuts it.
        stream = socket.create_connection(("127.0.0.1", port), timeout=5)
        stream.sendall(f"GET /papan/sse HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        time.sleep(1.0)
        stopped_at = time.monotonic()
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=graceful + 15)
        took = time.monotonic() - stopped_at
        stream.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    text = log.read_text()
    assert code == 0, text
    assert took < graceful + 10, (took, text)
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line.get("path") == "/healthz" and line.get("status") == 200 for line in lines), text
    assert any("Finished server process" in line["message"] for line in lines), text
    # Without Redis (or PostgreSQL channels) two workers do not share live signals: serve says so.
    assert "memory channels" in text


def _start(env: dict[str, str], port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _get(url: str, headers: dict[str, str], server: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            return httpx.get(url, headers=headers, timeout=2).headers
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError(f"no answer from {url}:\n{log.read_text()}")


def test_forwarded_proto_and_address_are_believed_only_from_trusted_proxies(tmp_path):
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'proxy.sqlite3'}", SINERGI_VAR_DIR=str(tmp_path))
    assert subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, timeout=180).returncode == 0
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Request-ID": "via-proxy"}
    for trusted, extra in ((False, ()), (True, ("--proxy-headers",))):
        port = _free_port()
        log = tmp_path / f"proxy-{trusted}.log"
        server = _start(env, port, log, *extra)
        try:
            headers = _get(f"http://127.0.0.1:{port}/healthz", forwarded, server, log)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        assert headers["x-request-id"] == "via-proxy"
        assert ("strict-transport-security" in headers) is trusted, (trusted, dict(headers))
        access = [
            json.loads(line)
            for line in log.read_text().splitlines()
            if line.startswith("{") and '"sinergi.access"' in line
        ]
        assert [a["client"] for a in access if a["request_id"] == "via-proxy"] == [
            "203.0.113.9" if trusted else "127.0.0.1"
        ]


def test_a_server_whose_redis_is_unreachable_starts_serves_and_is_not_ready(tmp_path):
    env = _clean_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'noredis.sqlite3'}",
        SINERGI_VAR_DIR=str(tmp_path),
        REDIS_URL="redis://127.0.0.1:1/0",  # channels "auto" pick Redis, which refuses every connection
    )
    assert subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, timeout=180).returncode == 0
    port = _free_port()
    log = tmp_path / "noredis.log"
    server = _start(env, port, log)
    try:
        _get(f"http://127.0.0.1:{port}/healthz", {}, server, log)
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        page = httpx.get(f"http://127.0.0.1:{port}/masuk", timeout=10)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert ready.status_code == 503 and ready.text == "redis unavailable"
    assert ready.headers["x-request-id"]
    assert page.status_code == 200

"""The `sinergi` command as an operator runs it: separate processes on a fresh SQLite file."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    result = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SINERGI_PRODUCTION"}}
    result["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    result["SINERGI_VAR_DIR"] = str(tmp_path)
    result.pop("SECRET_KEY", None)
    return result


def sinergi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen[str], seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback server
                return response.read().decode()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_migrate_create_user_and_errors(env):
    assert "up to date" in sinergi(env, "migrate").stdout
    db = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (Path(env["SINERGI_VAR_DIR"]) / "secret_key").exists()
    ok = sinergi(
        env, "create-user", "--username", "kapolda", "--password", "rahasia-panjang", "--role", "organiser"
    )
    assert ok.returncode == 0, ok.stderr
    again = sinergi(
        env, "create-user", "--username", "kapolda", "--password", "rahasia-panjang", "--role", "organiser"
    )
    assert again.returncode == 2 and "username" in again.stderr
    no_team = sinergi(
        env,
        "create-user",
        "--username",
        "p1",
        "--password",
        "rahasia-panjang",
        "--role",
        "participant",
        "--team",
        "35.78",
    )
    assert no_team.returncode == 2 and "35.78" in no_team.stderr
    bad_role = sinergi(
        env, "create-user", "--username", "p2", "--password", "rahasia-panjang", "--role", "raja"
    )
    assert bad_role.returncode == 2


def test_seed_demo_twice_seeds_once_and_create_user_joins_a_team(env):
    first = sinergi(env, "seed-demo")
    assert first.returncode == 0 and "seeded" in first.stdout, first.stderr
    db = sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///"))
    counts = [
        db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("competition", "team", "activity")
    ]
    assert counts[:2] == [1, 38] and counts[2] >= 300
    statuses = {s for (s,) in db.execute("SELECT DISTINCT status FROM activity")}
    assert statuses == {"submitted", "verified", "rejected"}
    # Every activity has one or two photos, stored under the var dir as uploads are.
    per_activity = dict(
        db.execute(
            "SELECT a.id, COUNT(p.id) FROM activity a LEFT JOIN photo p ON p.activity = a.id GROUP BY a.id"
        )
    )
    assert set(per_activity.values()) == {1, 2}
    paths = [
        Path(env["SINERGI_VAR_DIR"]) / p
        for row in db.execute("SELECT path, thumb_path FROM photo")
        for p in row
    ]
    assert all(p.is_file() for p in paths)
    counts.append(db.execute("SELECT COUNT(*) FROM photo").fetchone()[0])
    second = sinergi(env, "seed-demo")
    assert "already present" in second.stdout
    again = [
        db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("competition", "team", "activity")
    ]
    again.append(db.execute("SELECT COUNT(*) FROM photo").fetchone()[0])
    assert again == counts
    assert sum(1 for p in (Path(env["SINERGI_VAR_DIR"]) / "uploads").rglob("*") if p.is_file()) == len(paths)
    member = sinergi(
        env,
        "create-user",
        "--username",
        "p.kediri",
        "--password",
        "rahasia-panjang",
        "--role",
        "participant",
        "--team",
        "35.06",
    )
    assert member.returncode == 0, member.stderr


def test_serve_serves_the_named_database_and_seeds_nothing(env):
    sinergi(env, "migrate")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz", proc) == "ok"
        assert wait_for(f"http://127.0.0.1:{port}/readyz", proc) == "ok"
        page = wait_for(f"http://127.0.0.1:{port}/", proc)
        assert 'data-testid="board-row"' not in page
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    db = sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///"))
    assert db.execute("SELECT COUNT(*) FROM competition").fetchone()[0] == 0


def test_demo_prints_the_address_and_logins(env):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = wait_for(f"http://127.0.0.1:{port}/", proc)
        assert page.count('data-testid="board-row"') == 38
    finally:
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    assert f"http://127.0.0.1:{port}/" in output
    for username in ("panitia", "juri1", "peserta.surabaya"):
        assert username in output
    assert "sinergi2024" in output


def test_production_refuses_to_start_without_a_secret(env):
    env["SINERGI_PRODUCTION"] = "1"
    result = sinergi(env, "migrate")
    assert result.returncode == 2 and "SECRET_KEY" in result.stderr
    env["SECRET_KEY"] = "kurang"
    assert sinergi(env, "migrate").returncode == 2

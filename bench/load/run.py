"""A bounded load run on loopback against `sinergi serve --workers N` on PostgreSQL + Redis.

500 viewers hold the live leaderboard's SSE stream open and, as the page does, fetch the fragment
(`/papan/baris?versi=V`) on each `changed` event; 50 participants submit activities through the JSON API
(bearer token, `Idempotency-Key`, one photo each, and now and then the same request sent twice, as a
double tap or a lost answer would); 5 judges take activities from the API list of submitted ones and
verify or reject them with a reason. Afterwards the database is counted against what the clients were
told: every acknowledged activity is there, none twice, every acknowledged review is there.

    python -m bench.load.run                    # the full run: 300 s
    python -m bench.load.run --seconds 20       # the short mode

The database is a throwaway one created on --postgres (migrated and seeded with the demo season by the
CLI) and dropped afterwards unless --keep; Redis is --redis (its own database number; the run flushes
it: default db 8). Figures are printed as a Markdown table and written as JSON to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
SLUG = "lomba-sinergitas-2024"
PASSWORD = "muat-uji-2024"  # noqa: S105 - the load run's own throwaway accounts
DEMO_PASSWORD = "sinergi2024"  # noqa: S105 - the demo organiser's published password
REASONS = ("Foto tidak jelas", "Kegiatan tidak sesuai jenis", "Tanggal tidak cocok dengan foto")


# ---------------------------------------------------------------------------------------------- figures


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    conflicts: Counter[str] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)

    def ok(self, kind: str, seconds: float, status: int) -> None:
        self.latencies[kind].append(seconds)
        self.statuses[kind][status] += 1

    def error(self, kind: str, message: str, status: int = 0) -> None:
        self.statuses[kind][status] += 1
        self.errors[kind].append(message[:300])

    def table(self) -> list[dict[str, Any]]:
        rows = []
        for kind in sorted(set(self.latencies) | set(self.errors)):
            values = sorted(self.latencies.get(kind, []))
            rows.append(
                {
                    "kind": kind,
                    "count": len(values),
                    "errors": len(self.errors.get(kind, [])),
                    "conflicts": self.conflicts.get(kind, 0),
                    "retried": self.retried.get(kind, 0),
                    "p50_ms": round(percentile(values, 50) * 1000, 1) if values else None,
                    "p99_ms": round(percentile(values, 99) * 1000, 1) if values else None,
                    "max_ms": round(values[-1] * 1000, 1) if values else None,
                    "statuses": dict(sorted(self.statuses.get(kind, Counter()).items())),
                }
            )
        return rows


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


@dataclass
class Told:
    """What the clients were told: acknowledged activities and reviews."""

    activities: dict[str, int] = field(default_factory=dict)  # idempotency key -> id
    replays: list[tuple[str, int]] = field(default_factory=list)  # (key, id answered to the resend)
    reviews: set[tuple[int, str]] = field(default_factory=set)  # (activity id, judge username)
    verified: int = 0
    # version -> {viewer number: when it first heard of it}; each viewer's last version
    events: dict[int, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    viewer_events: list[int] = field(default_factory=list)
    viewer_last: list[int] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ setup


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_url(base: str) -> str:
    base = base.rstrip("/")
    return base.rsplit("/", 1)[0] if base.count("/") > 2 else base


async def pg(dsn: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--log-format", "text"]
    server = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise RuntimeError("the server did not start")


def jpegs(count: int) -> list[bytes]:
    """Distinct small photos, as a phone's would be after resizing (all different pictures)."""
    from PIL import Image

    rng = random.Random(7)
    out = []
    for n in range(count):
        image = Image.new("RGB", (64, 48), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        for _ in range(6):
            x, y = rng.randrange(56), rng.randrange(40)
            image.paste((rng.randrange(256), n % 256, rng.randrange(256)), (x, y, x + 8, y + 8))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        out.append(buffer.getvalue())
    return out


async def provision(
    base: str, participants: int, judges: int
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Accounts through the API as the demo organiser: (username, token, team code) per participant,
    (username, token) per judge (each judge's home regency is one of the teams)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = (
            await client.post("/api/v1/auth/token", json={"username": "panitia", "password": DEMO_PASSWORD})
        ).json()["token"]
        organiser = {"Authorization": f"Bearer {token}"}
        teams = (
            await client.get(f"/api/v1/competitions/{SLUG}/teams", params={"limit": 200}, headers=organiser)
        ).json()["items"]
        codes = [t["code"] for t in teams]
        run = uuid.uuid4().hex[:6]

        async def make(username: str, body: dict[str, Any]) -> str:
            created = await client.post(
                "/api/v1/users",
                json={"username": username, "password": PASSWORD, **body},
                headers=organiser,
            )
            assert created.status_code == 201, created.text
            answer = await client.post(
                "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            return str(answer.json()["token"])

        people = []
        for n in range(participants):
            code = codes[n % len(codes)]
            username = f"muat.p{n:03d}.{run}"
            body = {
                "role": "participant",
                "team_code": code,
                "competition": SLUG,
                "full_name": f"Peserta {n}",
            }
            people.append((username, await make(username, body), code))
        jury = []
        for n in range(judges):
            username = f"muat.j{n}.{run}"
            body = {"role": "judge", "region_code": codes[n % len(codes)], "full_name": f"Juri {n}"}
            jury.append((username, await make(username, body)))
        return people, jury


# ------------------------------------------------------------------------------------------------ actors


def activity_body(n: int, code: str) -> dict[str, Any]:
    when = datetime.now(UTC) + timedelta(hours=7) - timedelta(hours=1 + n % 48)
    return {
        "type": random.choice(("DDS", "DDS", "BINLUH", "SISKAMLING", "DETEKSI_DINI")),
        "occurred_at": when.replace(tzinfo=None, microsecond=0).isoformat() + "+07:00",
        "title": f"Sambang warga RW {n % 12 + 1:02d} ({code})",
        "description": "Sosialisasi kamtibmas dan pemilu damai bersama warga",
        "rw": f"RW {n % 12 + 1:02d}",
        "senkom_members": [{"name": "Ahmad Santoso"}, {"name": "Siti Lestari"}],
        "officers": [{"name": "Budi Wibowo", "rank": "Bripka", "nrp": "85011234", "polres": "Polres"}],
        "residents_reached": 10 + n % 60,
        "preemptive": n % 2 == 0,
    }


#: A kept-alive connection the server closed just as a request went out: browsers send an idempotent
#: request again on a fresh connection (RFC 9112 §9.3.1), and so does a viewer here, once, counted.
DROPPED_CONNECTION = (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError)


async def timed(
    stats: Stats,
    kind: str,
    call: Any,
    *,
    expect: tuple[int, ...],
    conflict: tuple[int, ...] = (),
    again: Any = None,
) -> httpx.Response | None:
    """Times one request; `again` (a zero-argument callable) resends an idempotent request once when its
    kept-alive connection was dropped, as a browser does; the retry is counted, never hidden."""
    started = time.perf_counter()
    try:
        try:
            response: httpx.Response = await call
        except DROPPED_CONNECTION:
            if again is None:
                raise
            stats.retried[kind] += 1
            response = await again()
    except (httpx.TransportError, httpx.TimeoutException) as exc:
        stats.error(kind, f"{type(exc).__name__}: {exc}")
        return None
    elapsed = time.perf_counter() - started
    if response.status_code in expect:
        stats.ok(kind, elapsed, response.status_code)
        return response
    if response.status_code in conflict:
        stats.ok(kind, elapsed, response.status_code)
        stats.conflicts[kind] += 1
        return response
    stats.error(kind, f"{response.status_code}: {response.text[:200]}", response.status_code)
    return None


async def participant(
    client: httpx.AsyncClient,
    stats: Stats,
    told: Told,
    token: str,
    code: str,
    photos: list[bytes],
    until: float,
    think: float,
    resend_share: float,
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    n = random.randrange(1000)
    await asyncio.sleep(random.uniform(0, think))
    while time.monotonic() < until:
        n += 1
        key = str(uuid.uuid4())
        body = activity_body(n, code)
        created = None
        for _attempt in range(3):  # a lost answer is sent again with the same key, as the page does
            created = await timed(
                stats,
                "participant: submit activity (API)",
                client.post(
                    f"/api/v1/competitions/{SLUG}/activities",
                    json=body,
                    headers={**auth, "Idempotency-Key": key},
                ),
                expect=(201,),
            )
            if created is not None:
                break
        if created is None:
            continue
        activity_id = int(created.json()["id"])
        told.activities[key] = activity_id
        if random.random() < resend_share:
            again = await timed(
                stats,
                "participant: resend same key (API)",
                client.post(
                    f"/api/v1/competitions/{SLUG}/activities",
                    json=body,
                    headers={**auth, "Idempotency-Key": key},
                ),
                expect=(201,),
            )
            if again is not None:
                told.replays.append((key, int(again.json()["id"])))
                if again.headers.get("idempotent-replayed") != "true":
                    stats.error("participant: resend same key (API)", "no Idempotent-Replayed header")
        photo = photos[n % len(photos)]
        await timed(
            stats,
            "participant: add photo (API)",
            client.post(
                f"/api/v1/activities/{activity_id}/photos",
                files={"file": (f"foto-{n}.jpg", photo, "image/jpeg")},
                headers=auth,
            ),
            expect=(200, 201),
            conflict=(409,),  # a judge decided the activity before its photo came
        )
        if random.random() < 0.2:
            await timed(
                stats,
                "participant: list own activities (API)",
                client.get(f"/api/v1/competitions/{SLUG}/activities", params={"limit": 20}, headers=auth),
                expect=(200,),
            )
        await asyncio.sleep(random.uniform(0.5, 1.5) * think)


async def judge(
    client: httpx.AsyncClient, stats: Stats, told: Told, username: str, token: str, until: float, think: float
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    await asyncio.sleep(random.uniform(0, think))
    while time.monotonic() < until:
        listed = await timed(
            stats,
            "judge: list submitted (API)",
            client.get(
                f"/api/v1/competitions/{SLUG}/activities",
                params={"status": "submitted", "limit": 50},
                headers=auth,
            ),
            expect=(200,),
        )
        items = listed.json()["items"] if listed is not None else []
        if not items:
            await asyncio.sleep(think)
            continue
        activity_id = int(random.choice(items)["id"])
        await timed(
            stats,
            "judge: activity detail (API)",
            client.get(f"/api/v1/activities/{activity_id}", headers=auth),
            expect=(200,),
        )
        verify = random.random() < 0.8
        body = (
            {"decision": "verified"} if verify else {"decision": "rejected", "reason": random.choice(REASONS)}
        )
        reviewed = await timed(
            stats,
            "judge: review (API)",
            client.post(f"/api/v1/activities/{activity_id}/reviews", json=body, headers=auth),
            expect=(201,),
            # Another judge got there first, or the lead's assignment rules refuse this judge.
            conflict=(403, 409),
        )
        if reviewed is not None and reviewed.status_code == 201:
            told.reviews.add((activity_id, username))
            if reviewed.json().get("activity_status") == "verified":
                told.verified += 1
        await asyncio.sleep(random.uniform(0.5, 1.5) * think)


async def viewer(
    number: int, client: httpx.AsyncClient, stats: Stats, told: Told, stop: asyncio.Event, fetch: bool
) -> None:
    """One open leaderboard page: the SSE stream, and (like htmx's `sse:changed` trigger with its
    default queue of the last event) a fetch of the fragment for the newest version heard."""
    events = 0
    heard = 0
    shown: int | None = None
    wake = asyncio.Event()

    async def fetcher() -> None:
        nonlocal shown
        while True:
            await wake.wait()
            wake.clear()
            if heard == shown:
                continue
            params = {"versi": shown} if shown else None
            fragment = await timed(
                stats,
                "viewer: leaderboard fragment on event",
                client.get("/papan/baris", params=params),
                expect=(200, 204),
                again=lambda params=params: client.get("/papan/baris", params=params),
            )
            if fragment is not None:
                shown = heard

    fetching = asyncio.create_task(fetcher()) if fetch else None
    try:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with client.stream("GET", "/papan/sse", timeout=httpx.Timeout(30, read=None)) as stream:
                    if stream.status_code != 200:
                        stats.error(
                            "viewer: SSE connect (first event)", f"{stream.status_code}", stream.status_code
                        )
                        await asyncio.sleep(3)
                        continue
                    first = True
                    kind = ""
                    lines = stream.aiter_lines()
                    stopping = asyncio.ensure_future(stop.wait())
                    reading = asyncio.ensure_future(anext(lines))
                    try:
                        while True:
                            done, _ = await asyncio.wait(
                                {reading, stopping}, return_when=asyncio.FIRST_COMPLETED
                            )
                            if reading not in done:
                                break
                            try:
                                line = reading.result()
                            except StopAsyncIteration:
                                break
                            reading = asyncio.ensure_future(anext(lines))
                            if line.startswith("event:"):
                                kind = line[6:].strip()
                            elif line.startswith("data:") and kind == "changed":
                                version = int(line[5:].strip())
                                if first:
                                    elapsed = time.perf_counter() - started
                                    stats.ok("viewer: SSE connect (first event)", elapsed, 200)
                                    first = False
                                else:
                                    events += 1
                                    told.events[version].setdefault(number, time.monotonic())
                                heard = max(heard, version)
                                wake.set()
                            elif line == "":
                                kind = ""
                    finally:
                        for pending in (reading, stopping):
                            pending.cancel()
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                if not stop.is_set():
                    stats.error("viewer: SSE connect (first event)", f"{type(exc).__name__}: {exc}")
                    await asyncio.sleep(1)
    finally:
        if fetching is not None:
            fetching.cancel()
    told.viewer_events.append(events)
    told.viewer_last.append(heard)


# --------------------------------------------------------------------------------------------- counting


async def count(dsn: str, told: Told, participants: list[str], judges: list[str]) -> dict[str, Any]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT a.id, a.idempotency_key FROM activity a JOIN account u ON u.id = a.submitted_by "
            "WHERE u.username = ANY($1::text[])",
            participants,
        )
        reviews = await conn.fetch(
            "SELECT r.activity AS activity_id, u.username FROM review r JOIN account u ON u.id = r.judge "
            "WHERE u.username = ANY($1::text[])",
            judges,
        )
        integrity = await conn.fetchval(
            "SELECT count(*) FROM activity a LEFT JOIN team t ON t.id = a.team WHERE t.id IS NULL"
        )
    finally:
        await conn.close()
    by_key: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        by_key[r["idempotency_key"]].append(r["id"])
    stored_ids = {r["id"] for r in rows}
    lost = [key for key, activity_id in told.activities.items() if activity_id not in stored_ids]
    duplicated = {key: ids for key, ids in by_key.items() if len(ids) > 1}
    unacknowledged = [r["id"] for r in rows if r["idempotency_key"] not in told.activities]
    wrong_replays = [(k, i) for k, i in told.replays if told.activities.get(k) != i]
    stored_reviews = {(r["activity_id"], r["username"]) for r in reviews}
    return {
        "activities_acknowledged": len(told.activities),
        "activities_in_database": len(rows),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "stored_but_never_acknowledged": len(unacknowledged),
        "resends": len(told.replays),
        "resends_answered_with_another_id": len(wrong_replays),
        "reviews_acknowledged": len(told.reviews),
        "reviews_in_database": len(stored_reviews),
        "reviews_lost": len(told.reviews - stored_reviews),
        "reviews_unacknowledged": len(stored_reviews - told.reviews),
        "activities_without_team": integrity,
    }


# ------------------------------------------------------------------------------------------------- main


async def drive(args: argparse.Namespace, base: str, dsn: str) -> dict[str, Any]:
    people, jury = await provision(base, args.participants, args.judges)
    photos = jpegs(256)
    stats, told = Stats(), Told()
    # Idle connections are dropped by the client before the server's keep-alive timeout (5 s) can close
    # them under a request in flight (which no server can answer).
    # (A client whose own loop lags may still lose that race: such an error is counted, never hidden.)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None, keepalive_expiry=1.0)
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as viewers_client,
        httpx.AsyncClient(
            base_url=base,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0)
            if args.no_keepalive
            else limits,
            timeout=30,
        ) as actors_client,
    ):
        # Viewers first (ramped over a few seconds), then the writers for the measured duration.
        stop_viewers = asyncio.Event()
        ramp = time.monotonic()
        viewers = []
        for n in range(args.viewers):
            viewers.append(
                asyncio.create_task(viewer(n, viewers_client, stats, told, stop_viewers, not args.no_fetch))
            )
            await asyncio.sleep(2 / max(args.viewers, 1))
        # Every viewer holds its stream (has its first event) before the writers start, or 120 s passed.
        while len(stats.latencies["viewer: SSE connect (first event)"]) < args.viewers:
            if time.monotonic() - ramp > 120:
                break
            await asyncio.sleep(0.2)
        ramp_s = time.monotonic() - ramp
        until = time.monotonic() + args.seconds
        started = time.monotonic()
        tasks = [
            asyncio.create_task(
                participant(
                    actors_client,
                    stats,
                    told,
                    token,
                    code,
                    photos,
                    until,
                    args.participant_think,
                    args.resend_share,
                )
            )
            for _, token, code in people
        ]
        tasks += [
            asyncio.create_task(judge(actors_client, stats, told, username, token, until, args.judge_think))
            for username, token in jury
        ]
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
        await asyncio.sleep(10)  # the last announcements reach the viewers
        stop_viewers.set()
        await asyncio.gather(*viewers)
    counted = await count(dsn, told, [p[0] for p in people], [j[0] for j in jury])
    spreads = sorted(
        max(heard.values()) - min(heard.values()) for heard in told.events.values() if len(heard) > 1
    )
    final = max(told.viewer_last, default=0)
    return {
        "settings": {
            k: getattr(args, k)
            for k in (
                "seconds",
                "viewers",
                "participants",
                "judges",
                "workers",
                "participant_think",
                "judge_think",
                "resend_share",
                "no_fetch",
                "no_keepalive",
            )
        },
        "elapsed_s": round(elapsed, 1),
        "viewer_ramp_s": round(ramp_s, 1),
        "requests": stats.table(),
        "errors_sample": {k: v[:5] for k, v in stats.errors.items()},
        "count": counted,
        "verified": told.verified,
        "sse": {
            "versions_heard": len(told.events),
            "events_per_viewer_min": min(told.viewer_events, default=0),
            "events_per_viewer_median": statistics.median(told.viewer_events) if told.viewer_events else 0,
            "final_version": final,
            "viewers_at_final_version": sum(1 for v in told.viewer_last if v == final),
            "viewers": len(told.viewer_last),
            "fanout_spread_p50_ms": round(percentile(spreads, 50) * 1000, 1) if spreads else None,
            "fanout_spread_p99_ms": round(percentile(spreads, 99) * 1000, 1) if spreads else None,
        },
    }


NUMBER = re.compile(r"/\d+")
ACCESS = re.compile(r"sinergi\.access (\w+) (\S+) (\d{3}) ([\d.]+) ms")


def server_side(log: Path) -> list[dict[str, Any]]:
    """The server's own view from its access log (time inside the app, without the wait for a worker's
    event loop): per method and route, count, p50/p99 and 5xx."""
    times: dict[str, list[float]] = defaultdict(list)
    failures: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        match = ACCESS.search(line)
        if not match:
            continue
        method, path, status, ms = match.groups()
        route = method + " " + NUMBER.sub("/{id}", path)
        times[route].append(float(ms))
        if status.startswith("5"):
            failures[route] += 1
    rows = []
    for route, values in sorted(times.items(), key=lambda kv: -len(kv[1])):
        values.sort()
        rows.append(
            {
                "route": route,
                "count": len(values),
                "5xx": failures[route],
                "p50_ms": round(percentile(values, 50), 1),
                "p99_ms": round(percentile(values, 99), 1),
            }
        )
    return rows


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| request | count | errors | conflicts | retried | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["requests"]:
        lines.append(
            f"| {r['kind']} | {r['count']} | {r['errors']} | {r['conflicts']} | {r['retried']} | "
            f"{r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} |"
        )
    lines += ["", "| server side (access log) | count | 5xx | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for r in result.get("server_side", []):
        lines.append(f"| {r['route']} | {r['count']} | {r['5xx']} | {r['p50_ms']} | {r['p99_ms']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=300.0, help="how long the writers run (300)")
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--judges", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4, help="server worker processes (4)")
    parser.add_argument(
        "--participant-think", type=float, default=5.0, help="mean seconds between submissions"
    )
    parser.add_argument("--judge-think", type=float, default=1.0, help="mean seconds between reviews")
    parser.add_argument("--resend-share", type=float, default=0.1, help="share of submissions sent twice")
    parser.add_argument("--no-fetch", action="store_true", help="viewers do not fetch the fragment on events")
    parser.add_argument(
        "--no-keepalive", action="store_true", help="participants and judges open a connection per request"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--keep", action="store_true", help="keep the database and the server log")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "load-run.json")
    args = parser.parse_args()

    name = f"sinergi_load_{uuid.uuid4().hex[:8]}"
    dsn = f"{server_url(args.postgres)}/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="sinergi-load-"))
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "REDIS_URL": args.redis,
        "SINERGI_CHANNELS": "redis",
        "SECRET_KEY": "load-run-secret-" + "z" * 32,
        "SINERGI_VAR_DIR": str(tmp),
        "SINERGI_SSE_SECONDS": str(max(600.0, args.seconds + 60)),
    }
    env.pop("SINERGI_PRODUCTION", None)
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    asyncio.run(pg(args.postgres, f'CREATE DATABASE "{name}"'))
    server = None
    try:
        subprocess.run(
            [sys.executable, "-m", "app.cli", "seed-demo"], cwd=REPO, env=env, check=True, capture_output=True
        )
        port = free_port()
        log = tmp / "server.log"
        server = start_server(env, port, args.workers, log)
        print(f"server: {args.workers} workers on :{port}, database {name}, log {log}", flush=True)
        try:
            from uvloop import run as run_loop  # the client keeps up better on uvloop (as the server does)
        except ImportError:
            run_loop = asyncio.run
        result = run_loop(drive(args, f"http://127.0.0.1:{port}", dsn))
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if not args.keep:
            asyncio.run(pg(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server_errors = sum(
        1 for line in (tmp / "server.log").read_text(errors="replace").splitlines() if "Traceback" in line
    )
    result["server_tracebacks"] = server_errors
    result["server_side"] = server_side(tmp / "server.log")
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str))
    print(markdown(result))
    print(json.dumps({k: v for k, v in result.items() if k != "requests"}, indent=1, default=str))
    c = result["count"]
    errors = sum(r["errors"] for r in result["requests"])
    clean = (
        errors == 0
        and c["lost"] == 0
        and c["duplicated"] == 0
        and c["stored_but_never_acknowledged"] == 0
        and c["resends_answered_with_another_id"] == 0
        and c["reviews_lost"] == 0
        and server_errors == 0
        and result["sse"]["viewers_at_final_version"] == result["sse"]["viewers"]
    )
    print("RESULT:", "clean" if clean else "PROBLEMS", f"(figures in {args.out})")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())

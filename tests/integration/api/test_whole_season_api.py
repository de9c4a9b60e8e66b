"""A whole season driven through the API alone, as another system would run it: the settings and the
catalogue, the accounts, activities sent and judged, the board frozen and unfrozen, every stage closed in
order, the final results published, each Berita Acara downloaded and checked against its SHA-256, and the
audit trail read and its chain verified. Nothing here touches the database or a page: every step is an
HTTP request with a bearer token."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from tests.integration.api.helpers import activity_body, wib

SLUG = "uji"
API = f"/api/v1/competitions/{SLUG}"
PASSWORD = "rahasia-musim-1"
ACCOUNTS = (
    ("peserta.kediri", "participant", "35.06"),
    ("peserta.blitar", "participant", "35.05"),
)
DESA = {
    "35.78": "35.78.01.1001",
    "35.07": "35.07.01.2001",
    "35.06": "35.06.01.2001",
    "35.05": "35.05.01.2001",
}
RUBRIC = {
    "criteria": [
        {"code": "kemitraan", "name": "Kemitraan", "weight": 60, "min": 0, "max": 100},
        {"code": "dampak", "name": "Dampak", "weight": 40, "min": 0, "max": 10},
        {"code": "paparan", "name": "Paparan tim", "weight": 1, "min": 0, "max": 10, "scope": "team"},
    ]
}


async def _ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def _import_accounts(organiser) -> None:
    for username, role, team in ACCOUNTS:
        await _ok(
            await organiser.post(
                "/api/v1/users",
                {
                    "username": username,
                    "password": PASSWORD,
                    "full_name": username.title(),
                    "role": role,
                    "team_code": team,
                    "competition": SLUG,
                },
            ),
            201,
        )


async def _judge_everything(judges: list, activity_ids: list[int]) -> dict[int, str]:
    """Each activity by the judge it was assigned to (the others are refused: not theirs, or their own
    regency); returns who decided which."""
    decided: dict[int, str] = {}
    for activity_id in activity_ids:
        for name, judge in judges:
            response = await judge.post(
                f"/api/v1/activities/{activity_id}/reviews",
                {"decision": "verified", "scores": {"kemitraan": 80, "dampak": 5}},
            )
            if response.status_code == 201:
                assert response.json()["activity_status"] == "verified"
                decided[activity_id] = name
                break
            assert response.status_code == 403, response.text
    assert sorted(decided) == sorted(activity_ids), decided
    return decided


async def test_a_whole_season_through_the_api_alone(season, api_factory):
    organiser = await api_factory("panitia")
    anonymous = await api_factory()

    # Set up: the season's settings, the catalogue and the rubric.
    saved = await _ok(
        await organiser.client.patch(
            f"{API}/settings",
            json={
                "name": "Lomba Sinergitas 2025",
                "reviews_required": 1,
                "blind_judging": True,
                "q_tolerance": "0.3",
                "tolerance_action": "head_judge",
                "head_judge": "juri.sby",
                "place": "Surabaya",
            },
            headers=organiser._headers(None, None),
        )
    )
    assert saved["settings"]["head_judge"] == "juri.sby" and saved["settings"]["blind_judging"] is True
    await _ok(
        await organiser.post(
            f"{API}/activity-types", {"code": "ronda_malam", "name": "Ronda malam", "cluster": "kamtibmas"}
        ),
        201,
    )
    assert "RONDA_MALAM" in {t["code"] for t in await _ok(await organiser.get(f"{API}/activity-types"))}
    await _ok(await organiser.put(f"{API}/rubric", RUBRIC))

    # Accounts.
    await _import_accounts(organiser)
    teams = {"peserta.sby": "35.78", "peserta.mlg": "35.07"} | {u: t for u, _r, t in ACCOUNTS}
    imported = {username for username, _r, _t in ACCOUNTS}
    participants = {
        username: await (api_factory(username, PASSWORD) if username in imported else api_factory(username))
        for username in teams
    }

    # Activities.
    sent: list[int] = []
    for n, (username, team) in enumerate(teams.items()):
        for k in range(n % 2 + 1):
            body = activity_body(
                type="RONDA_MALAM" if k else "DDS",
                title=f"Kegiatan {team} nomor {k}",
                desa_code=DESA[team],
                residents_reached=25 * (n + 1),
                occurred_at=wib(k + 1),
            )
            created = await _ok(
                await participants[username].post(
                    f"{API}/activities", body, headers={"Idempotency-Key": f"{username}-{k}"}
                ),
                201,
            )
            sent.append(created["id"])
    assert len(sent) == 6
    final = await _ok(await organiser.get(f"{API}/final-results"))
    assert final["published"] is False and final["waiting_activities"] == 6

    # Judging.
    judges = [(name, await api_factory(name)) for name in ("juri.sby", "juri.mlg")]
    decided = await _judge_everything(judges, sent)
    assert set(decided.values()) <= {"juri.sby", "juri.mlg"}
    board = await _ok(await anonymous.get(f"{API}/leaderboard"))
    scored = [r for r in board["rows"] if Decimal(r["score"]) > 0]
    assert {r["team_code"] for r in scored} == set(teams.values())

    # The board frozen for the public while the organisers look, then live again.
    frozen = await _ok(await organiser.post(f"{API}/freeze"))
    assert frozen["frozen"] is True and frozen["changed"] is True
    assert (await _ok(await anonymous.get(f"{API}/leaderboard")))["frozen"] is True
    assert (await _ok(await organiser.post(f"{API}/unfreeze")))["frozen"] is False
    assert (await _ok(await anonymous.get(f"{API}/leaderboard")))["frozen"] is False

    # Every stage closed, in order; each answers with its Berita Acara.
    stages = (await _ok(await organiser.get(f"{API}/stages")))["items"]
    assert [(s["code"], s["status"]) for s in stages] == [
        ("verifikasi", "open"),
        ("lapangan", "waiting"),
        ("penetapan", "waiting"),
    ]
    out_of_order = await organiser.post(f"{API}/stages/{stages[1]['id']}/close")
    assert out_of_order.status_code == 409
    plan = (await _ok(await organiser.get(f"{API}/stages/{stages[0]['id']}")))["close_plan"]
    assert plan["next_stage"] == "lapangan" and plan["unjudged_activities"] == 0
    assert {q["team_code"] for q in plan["qualifiers"]} >= set(teams.values())
    records = []
    for stage in stages:
        closed = await _ok(await organiser.post(f"{API}/stages/{stage['id']}/close"))
        assert closed["stage"]["status"] == "closed"
        records.append(closed["berita_acara"])
    assert [r["stage_code"] for r in records] == ["verifikasi", "lapangan", "penetapan"]

    # The final results: published once, the standings as they stand.
    live = await _ok(await anonymous.get(f"{API}/leaderboard"))
    published = await _ok(await organiser.post(f"{API}/final-results", {"note": "Rapat dewan juri"}), 201)
    assert published["published"] is True and published["note"] == "Rapat dewan juri"
    assert [(r["rank"], r["team_code"], r["score"]) for r in published["rows"]] == [
        (r["rank"], r["team_code"], r["score"]) for r in live["rows"]
    ]
    assert (await _ok(await anonymous.get(f"{API}/final-results")))["rows"] == published["rows"]
    again = await organiser.post(f"{API}/final-results", {"note": "Lagi"})
    assert again.status_code == 409
    locked = await organiser.put(f"{API}/rubric", RUBRIC)
    assert locked.status_code == 409  # nothing that changes the scores changes any more

    # Each Berita Acara, downloaded by a judge, is the document its SHA-256 names.
    judge = judges[0][1]
    listed = (await _ok(await judge.get(f"{API}/berita-acara")))["items"]
    assert [r["sha256"] for r in listed] == [r["sha256"] for r in records]
    for record in records:
        pdf = await judge.get(record["url"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        digest = hashlib.sha256(pdf.content).hexdigest()
        assert digest == record["sha256"] == pdf.headers["x-content-sha256"]

    # The audit trail holds the season's story, and its chain is intact.
    closes = (await _ok(await organiser.get("/api/v1/audit", params={"action": "stage.close"})))["items"]
    assert [e["after"]["sha256"] for e in reversed(closes)] == [r["sha256"] for r in records]
    story = []
    cursor = None
    while True:
        params = {"actor": "panitia", "limit": 5} | ({"cursor": cursor} if cursor else {})
        page = await _ok(await organiser.get("/api/v1/audit", params=params))
        story += [e["action"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    for action in (
        "competition.update",
        "activity_type.create",
        "leaderboard.freeze",
        "leaderboard.unfreeze",
        "stage.close",
        "results.publish_final",
    ):
        assert action in story, action
    assert story[0] == "results.publish_final"
    check = await _ok(await organiser.get("/api/v1/audit/verify"))
    assert check["ok"] is True and check["problem"] == "" and check["checked"] >= len(story)

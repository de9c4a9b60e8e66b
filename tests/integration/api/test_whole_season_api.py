"""A whole season driven through the API alone, as another system would run it: the settings and the
catalogue, the accounts, activities sent and judged, the board frozen and unfrozen, every stage closed in
order, the final results published, each Berita Acara downloaded and checked against its SHA-256, and the
audit trail read and its chain verified. Past the fixture's competition (the current one, whose default
stages and Jawa Timur teams it has) and its five accounts, nothing here touches the database or a page:
every step is an HTTP request with a bearer token."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from tests.integration.api.helpers import activity_body, wib

SLUG = "uji"
API = f"/api/v1/competitions/{SLUG}"
PASSWORD = "rahasia-musim-1"
CSV = (
    "username,nama,peran,tim,wilayah,kata_sandi\n"
    f"peserta.kediri,Tim Kediri,peserta,35.06,,{PASSWORD}\n"
    f"peserta.blitar,Tim Blitar,peserta,Kabupaten Blitar,,{PASSWORD}\n"
    f"juri.kediri,Juri Kediri,juri,,35.06,{PASSWORD}\n"
)
IMPORTED = ("peserta.kediri", "peserta.blitar", "juri.kediri")
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
    """The accounts file as the console takes it: checked first (a dry run names each row's problems),
    then written all at once."""
    upload = "/api/v1/users/import"
    bad = CSV + "peserta.atlantis,Tim Atlantis,peserta,Atlantis,,\n"
    dry = await _ok(
        await organiser.post(
            upload, params={"dry_run": "true"}, files={"file": ("akun.csv", bad.encode(), "text/csv")}
        )
    )
    assert dry["valid"] is False and dry["created"] == 0
    assert [bool(r["problems"]) for r in dry["rows"]] == [False, False, False, True]
    checked = await _ok(
        await organiser.post(
            upload, params={"dry_run": "true"}, files={"file": ("akun.csv", CSV.encode(), "text/csv")}
        )
    )
    assert checked["valid"] is True and checked["created"] == 0
    written = await _ok(
        await organiser.post(upload, files={"file": ("akun.csv", CSV.encode(), "text/csv")}), 201
    )
    assert written["created"] == 3
    listed = await _ok(await organiser.get("/api/v1/users", params={"limit": 200}))
    assert {"peserta.kediri", "peserta.blitar", "juri.kediri"} <= {u["username"] for u in listed["items"]}


async def _judge_everything(judges: dict[str, object]) -> dict[int, str]:
    """Each judge takes their queue's next assignment until none is left, as the judge's page does;
    returns who decided which activity. Blind judging: the activity comes without its team."""
    decided: dict[int, str] = {}
    for name, judge in judges.items():
        while True:
            nxt = await _ok(await judge.get(f"{API}/queue/next"))
            if nxt["assignment"] is None:
                break
            activity = nxt["activity"]
            assert nxt["assignment"]["kind"] == "activity" and activity["blind"] is True
            assert activity["team_code"] is None
            review = await _ok(
                await judge.post(
                    f"/api/v1/activities/{activity['id']}/reviews",
                    {"decision": "verified", "scores": {"kemitraan": 80, "dampak": 5}},
                ),
                201,
            )
            assert review["activity_status"] == "verified"
            decided[activity["id"]] = name
    return decided


async def _score_teams(judges: dict[str, object]) -> int:
    """Each judge scores the teams of the field assessment their queue gives them; returns how many."""
    scored = 0
    for judge in judges.values():
        while True:
            nxt = await _ok(await judge.get(f"{API}/queue/next"))
            if nxt["assignment"] is None:
                break
            assert nxt["assignment"]["kind"] == "team" and nxt["team"]["code"] is None
            review = await _ok(
                await judge.post(
                    f"{API}/queue/{nxt['assignment']['id']}/team-review",
                    {"scores": {"paparan": 5 + scored % 5}, "note": "Paparan jelas"},
                ),
                201,
            )
            assert review["scores"] == {"paparan": str(5 + scored % 5)} and review["team_code"] is None
            scored += 1
    return scored


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
    teams = {
        "peserta.sby": "35.78",
        "peserta.mlg": "35.07",
        "peserta.kediri": "35.06",
        "peserta.blitar": "35.05",
    }
    participants = {
        username: await (api_factory(username, PASSWORD) if username in IMPORTED else api_factory(username))
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
    judges = {
        name: await (api_factory(name, PASSWORD) if name in IMPORTED else api_factory(name))
        for name in ("juri.sby", "juri.mlg", "juri.kediri")
    }
    decided = await _judge_everything(judges)
    assert sorted(decided) == sorted(sent)
    assert (await _ok(await organiser.get(f"{API}/final-results")))["waiting_activities"] == 0
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
        if stage["code"] == "verifikasi":
            # The field assessment opened with its judges assigned to the qualifying teams: they score
            # each one on the team rubric (blind: without its name).
            assert await _score_teams(judges) >= len(teams)
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
    judge = judges["juri.kediri"]
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

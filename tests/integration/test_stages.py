"""Stages through HTTP: closing a stage (who may, in order, once), the next stage's judges for the top N,
the Berita Acara (its PDF text and its SHA-256), reviews refused after the close, the final ranking's
weights, and the public per-stage pages."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from app import i18n
from app.accounts.auth import CurrentUser
from app.competitions import stages as stage_state
from app.competitions.services import add_adjustment, competition_by_id, ruleset_in_force
from app.errors import Conflict
from app.judging import berita_acara, reviews, stages
from app.judging.reviews import decide
from app.leaderboard import views
from app.tables import Account, Assignment, AuditEvent, BeritaAcara, Competition, RubricCriterion, Stage, Team
from tests.integration.conftest import activity_form, form_key

# Seven teams with bonuses far above what one activity earns: their order is known (ranks 1–7).
BONUSES = {
    "35.15": 9000,
    "35.01": 8000,
    "35.25": 7000,
    "35.73": 6000,
    "35.10": 5000,
    "35.20": 4000,
    "35.29": 3000,
}
TEAM_CRITERIA = (("dampak", "Dampak di lapangan", "2"), ("mitra", "Kemitraan", "1"))


async def _user(username: str) -> CurrentUser:
    row = await Account.select().where(Account.username == username).first()
    return CurrentUser(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=row["role"],
        team_id=row["team"],
        team_code=None,
        team_name=None,
        region_code=row["region_code"],
        locale=None,
        session_kind="web",
    )


async def _submit(browser, **overrides) -> int:
    key = form_key((await browser.get("/kegiatan/baru")).text)
    response = await browser.send_activity(activity_form(key, **overrides))
    assert response.status_code in (302, 303), response.text
    return int(re.search(r"/kegiatan/(\d+)", response.headers["location"]).group(1))


async def _stage(season, code: str) -> dict:
    row = (
        await Stage.select()
        .where((Stage.competition == season.competition.id) & (Stage.code == code))
        .first()
    )
    assert row is not None, code
    return row


@pytest.fixture
async def staged(season, browser_factory):
    """The season with its three default stages, two verified activities (one per judge), one still
    submitted, and seven teams ahead by bonuses."""
    await stage_state.ensure_default_stages(season.competition.id)
    competition = season.competition
    sby = await browser_factory("peserta.sby")
    mlg = await browser_factory("peserta.mlg")
    reviewed_sby = await _submit(sby)
    reviewed_mlg = await _submit(mlg, village_code="35.07.01.2001")
    waiting = await _submit(sby)
    judge_sby, judge_mlg = await _user("juri.sby"), await _user("juri.mlg")
    assert await decide(competition, judge_mlg, reviewed_sby, "verified", "") == "verified"
    assert await decide(competition, judge_sby, reviewed_mlg, "verified", "") == "verified"
    organiser = await _user("panitia")
    for code, points in BONUSES.items():
        await add_adjustment(
            competition,
            season.team_ids[code],
            Decimal(points),
            "Bonus uji",
            actor_id=organiser.id,
            actor_name=organiser.username,
        )
    return {"waiting": waiting, "reviewed": reviewed_sby, "judge_mlg": judge_mlg, "judge_sby": judge_sby}


def _names(season_codes: list[str]) -> list[str]:
    from app import regions

    names = {r.code: r.name for r in regions.regencies()}
    return [names[c] for c in season_codes]


async def _close(browser, stage_id: int, confirm: bool = True):
    return await browser.post(f"/panitia/tahap/{stage_id}/tutup", data={"confirm": "1"} if confirm else {})


async def test_closing_stage_one(app, season, staged, browser_factory):
    verifikasi = await _stage(season, "verifikasi")
    lapangan = await _stage(season, "lapangan")
    organiser = await browser_factory("panitia")

    # The stage list and the confirmation page say what will happen.
    listing = await organiser.get("/panitia/tahap")
    assert listing.status_code == 200
    assert (
        'data-testid="stage-close"' in listing.text
        and f"/panitia/tahap/{verifikasi['id']}/tutup" in listing.text
    )
    # The organiser lets only the top 5 go on to the field assessment.
    edit = await organiser.post(
        f"/panitia/tahap/{lapangan['id']}",
        data={"code": "lapangan", "name": "Penilaian lapangan", "kind": "team", "top_n": "5", "weight": ""},
    )
    assert edit.status_code in (302, 303), edit.text
    confirm = await organiser.get(f"/panitia/tahap/{verifikasi['id']}/tutup")
    assert confirm.status_code == 200
    assert 'data-testid="close-teams"' in confirm.text
    assert "5" in re.search(r'data-testid="close-teams">([^<]*)<', confirm.text).group(1)

    # Nobody but an organiser may close it; an unticked confirmation closes nothing.
    for username in ("juri.sby", "peserta.sby"):
        other = await browser_factory(username)
        assert (await _close(other, verifikasi["id"])).status_code == 403
    anonymous = await browser_factory()
    assert (await _close(anonymous, verifikasi["id"])).status_code == 401
    page = await anonymous.get(f"/panitia/tahap/{verifikasi['id']}/tutup")
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/masuk")
    assert (await _close(organiser, verifikasi["id"], confirm=False)).status_code == 422
    # Stages close in order: the waiting stage after it cannot be closed first.
    penetapan = await _stage(season, "penetapan")
    assert (await _close(organiser, penetapan["id"])).status_code == 409
    assert (await _stage(season, "verifikasi"))["status"] == "open"

    closed = await _close(organiser, verifikasi["id"])
    assert closed.status_code in (302, 303), closed.text
    assert closed.headers["location"] == "/berita-acara?tahap=verifikasi"
    after = await _stage(season, "verifikasi")
    assert after["status"] == "closed" and after["closed_at"] is not None
    assert after["closed_by"] == season.accounts["panitia"]
    assert (await _stage(season, "lapangan"))["status"] == "open"
    assert (await _stage(season, "penetapan"))["status"] == "waiting"

    # The top five teams of stage 1 (all ahead by bonuses) get one judge each, never their own regency's.
    assignments = await Assignment.select(Assignment.team.code, Assignment.judge, Assignment.origin).where(
        Assignment.stage == lapangan["id"]
    )
    assert sorted(a["team.code"] for a in assignments) == sorted(list(BONUSES)[:5])
    judges = {season.accounts["juri.sby"]: "35.78", season.accounts["juri.mlg"]: "35.07"}
    assert all(a["origin"] == "auto" and judges[a["judge"]] != a["team.code"] for a in assignments)
    # The stage's open activity assignments are withdrawn from the judges' queues.
    assert not await Assignment.exists().where(
        (Assignment.stage == verifikasi["id"]) & (Assignment.status == "open")
    )
    event = await AuditEvent.select().where(AuditEvent.action == "stage.close").first()
    assert event is not None and event["object_id"] == str(verifikasi["id"])

    # Closing twice: 409, with the Indonesian message.
    again = await _close(organiser, verifikasi["id"])
    assert again.status_code == 409
    assert "sudah ditutup" in again.text
    assert await BeritaAcara.count().where(BeritaAcara.stage == verifikasi["id"]) == 1


async def test_berita_acara_pdf_and_hash(app, season, staged, browser_factory):
    verifikasi = await _stage(season, "verifikasi")
    organiser = await browser_factory("panitia")
    await Competition.update(
        {Competition.head_judge: season.accounts["juri.sby"], Competition.place: "Mapolda Jawa Timur"}
    ).where(Competition.id == season.competition.id)
    assert (await _close(organiser, verifikasi["id"])).status_code in (302, 303)

    judge = await browser_factory("juri.mlg")
    downloads = {}
    for who, browser in (("organiser", organiser), ("judge", judge)):
        response = await browser.get(f"/berita-acara/{verifikasi['id']}/unduh")
        assert response.status_code == 200, who
        assert response.headers["content-type"] == "application/pdf"
        assert (
            response.headers["content-disposition"]
            == 'attachment; filename="berita-acara-uji-verifikasi.pdf"'
        )
        downloads[who] = response.content
    assert downloads["organiser"] == downloads["judge"]
    pdf = downloads["judge"]
    participant = await browser_factory("peserta.sby")
    assert (await participant.get(f"/berita-acara/{verifikasi['id']}/unduh")).status_code == 403
    assert (await participant.get("/berita-acara")).status_code == 403
    assert (await organiser.get("/berita-acara/999999/unduh")).status_code == 404

    # The SHA-256 on the page is the hash of the bytes served.
    listing = await judge.get("/berita-acara")
    assert listing.status_code == 200
    shown = re.search(
        r'data-stage="verifikasi".*?data-testid="record-sha256">([0-9a-f]{64})<', listing.text, re.S
    ).group(1)
    assert shown == hashlib.sha256(pdf).hexdigest()
    stored = await BeritaAcara.select(BeritaAcara.sha256).where(BeritaAcara.stage == verifikasi["id"]).first()
    assert stored["sha256"] == shown

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "BERITA ACARA PENILAIAN" in text
    assert "Lomba Uji" in text and "Verifikasi kegiatan" in text and "Tempat : Mapolda Jawa Timur" in text
    closed_at = (await _stage(season, "verifikasi"))["closed_at"]
    local_day = closed_at.replace(tzinfo=closed_at.tzinfo or UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    assert f"Tanggal : {i18n.format_date(local_day)}" in text
    # Juara I–III and Harapan I–III, in the order of the bonuses; then the full ranking.
    names = _names(list(BONUSES))
    titles = ["Juara I ", "Juara II ", "Juara III ", "Harapan I ", "Harapan II ", "Harapan III "]
    positions = []
    for title, name in zip(titles, names[:6], strict=True):
        line = next(line for line in text.splitlines() if line.startswith(title))
        assert name in line, (title, line)
        positions.append(text.index(line))
    assert positions == sorted(positions)
    full = text[text.index("Peringkat lengkap") :]
    order = [full.index(name) for name in names]
    assert order == sorted(order)
    # The panel: the two judges who reviewed, each with a signature line; the organiser who closed it.
    assert "Dewan juri" in text
    assert "1. Juri.Mlg" in text and "2. Juri.Sby" in text
    assert "Ketua dewan juri\nJuri.Sby" in text
    assert "Tahap ini ditutup oleh Panitia pada" in text
    # The same stage closed at the same moment gives the same bytes.
    record = await BeritaAcara.select().where(BeritaAcara.stage == verifikasi["id"]).first()
    assert bytes(record["content"]) == pdf
    ranking = await stages.stage_ranking(season.competition, verifikasi)
    again = berita_acara.render_pdf(
        competition_name="Lomba Uji",
        place="Mapolda Jawa Timur",
        timezone="Asia/Jakarta",
        stage=await _stage(season, "verifikasi"),
        ranking=ranking,
        panel=await stages.panel(
            season.competition.id, verifikasi, await stage_state.stages(season.competition.id)
        ),
        head_judge="Juri.Sby",
        closed_by="Panitia",
        closed_at=closed_at,
    )
    assert again == pdf


async def test_reviews_after_the_close_are_refused(app, season, staged, browser_factory):
    verifikasi = await _stage(season, "verifikasi")
    organiser = await browser_factory("panitia")
    assert (await _close(organiser, verifikasi["id"])).status_code in (302, 303)
    competition = season.competition
    with pytest.raises(Conflict):
        await decide(competition, staged["judge_mlg"], staged["waiting"], "verified", "")
    with pytest.raises(Conflict):
        await reviews.revise(
            competition, staged["judge_mlg"], staged["reviewed"], "rejected", "Foto tidak jelas"
        )


async def test_final_ranking_combines_the_stage_weights(app, season, staged, browser_factory):
    competition = season.competition
    organiser = await browser_factory("panitia")
    verifikasi, lapangan, penetapan = [
        await _stage(season, c) for c in ("verifikasi", "lapangan", "penetapan")
    ]
    # Without weights the final ranking is the activity stage's.
    activity = await stages.stage_ranking(competition, verifikasi)
    final = await stages.stage_ranking(competition, penetapan)
    assert [(r["team_code"], r["score"]) for r in final] == [(r["team_code"], r["score"]) for r in activity]

    await RubricCriterion.insert(
        *[
            RubricCriterion(
                competition=competition.id,
                code=code,
                name=name,
                weight=weight,
                min="1",
                max="5",
                position=i,
                scope="team",
            )
            for i, (code, name, weight) in enumerate(TEAM_CRITERIA)
        ]
    )
    assert (await _close(organiser, verifikasi["id"])).status_code in (302, 303)
    # Each assigned judge scores their teams: the better the bonus, the lower the field score here.
    scored = {}
    for i, a in enumerate(
        await Assignment.select(Assignment.team, Assignment.team.code, Assignment.judge).where(
            Assignment.stage == lapangan["id"]
        )
    ):
        judge = await _user("juri.sby" if a["judge"] == season.accounts["juri.sby"] else "juri.mlg")
        scores = {"dampak": str(1 + i % 5), "mitra": str(5 - i % 3)}
        await reviews.score_team(competition, judge, lapangan["id"], a["team"], scores, "")
        scored[a["team.code"]] = scores
    team_ranking = await stages.stage_ranking(competition, lapangan)
    assert {r["team_code"] for r in team_ranking} == set(scored)
    for r in team_ranking:
        s = scored[r["team_code"]]
        q = (2 * Fraction(int(s["dampak"]) - 1, 4) + Fraction(int(s["mitra"]) - 1, 4)) / 3
        assert r["score"] == round(Decimal(q.numerator) / Decimal(q.denominator) * 100, 2)

    # The weights are set through the stage form: a new ruleset version, audited; a working draft of the
    # ruleset editor takes them too.
    from app.organiser import rulesets

    _, in_force = await ruleset_in_force(competition.id)
    await rulesets.save_draft(
        competition, in_force, actor_id=season.accounts["panitia"], actor_name="panitia", change="uji"
    )
    version_before = (await competition_by_id(competition.id)).ruleset_version
    for stage, weight in ((verifikasi, "0,7"), (lapangan, "0.3")):
        values = {k: str(stage[k]) for k in ("code", "name", "name_en", "kind", "top_n")}
        response = await organiser.post(f"/panitia/tahap/{stage['id']}", data={**values, "weight": weight})
        assert response.status_code in (302, 303), response.text
    refreshed = await competition_by_id(competition.id)
    assert refreshed.ruleset_version == version_before + 2
    expected_weights = {"verifikasi": Decimal("0.7"), "lapangan": Decimal("0.3")}
    assert (await ruleset_in_force(competition.id))[1].stages == expected_weights
    assert (await rulesets.draft(refreshed)).ruleset.stages == expected_weights
    assert await AuditEvent.count().where(AuditEvent.action == "ruleset.publish") >= 3
    bad = await organiser.post(
        f"/panitia/tahap/{lapangan['id']}",
        data={
            "code": "lapangan",
            "name": "Penilaian lapangan",
            "kind": "team",
            "top_n": "10",
            "weight": "-1",
        },
    )
    assert bad.status_code == 422 and 'data-testid="error-weight"' in bad.text

    # Closing the field stage opens the final one; its ranking is Σ weight × score ÷ best × 100.
    assert (await _close(organiser, lapangan["id"])).status_code in (302, 303)
    assert (await _stage(season, "penetapan"))["status"] == "open"
    activity = {r["team_code"]: r["score"] for r in await stages.stage_ranking(refreshed, verifikasi)}
    field = {r["team_code"]: r["score"] for r in team_ranking}
    best_a, best_f = max(activity.values()), max(field.values())
    expected = {
        code: Fraction("0.7") * Fraction(activity[code]) * 100 / Fraction(best_a)
        + (Fraction("0.3") * Fraction(field[code]) * 100 / Fraction(best_f) if code in field else 0)
        for code in activity
    }
    final = await stages.stage_ranking(refreshed, await _stage(season, "penetapan"))
    assert len(final) == len(activity)
    for r in final:
        exact = expected[r["team_code"]]
        assert r["score"] == (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal("0.0001")
        )
    scores = [r["score"] for r in final]
    assert scores == sorted(scores, reverse=True)
    ranks = [r["rank"] for r in final]
    assert all(r["rank"] == 1 + sum(1 for s in scores if s > r["score"]) for r in final), ranks

    # The per-stage pages show each ranking publicly.
    anonymous = await browser_factory()
    index = await anonymous.get("/papan/tahap")
    assert index.status_code == 200 and "/papan/tahap/penetapan" in index.text
    kinds = re.findall(r'<p class="muted small stage-kind">([^<]+)</p>', index.text)
    assert kinds and all(not k.startswith("·") for k in kinds), kinds
    page = await anonymous.get("/papan/tahap/penetapan")
    assert page.status_code == 200
    rows = re.findall(r'data-testid="stage-row" data-team="([^"]+)"', page.text)
    assert rows == [r["team_code"] for r in final]
    assert "Juara I" in page.text
    field_page = await anonymous.get("/papan/tahap/lapangan")
    assert re.findall(r'data-testid="stage-row" data-team="([^"]+)"', field_page.text) == [
        r["team_code"] for r in team_ranking
    ]
    assert (await anonymous.get("/papan/tahap/tidak-ada")).status_code == 404

    # Closing the final stage: its Berita Acara names the champions of the combined ranking.
    penetapan = await _stage(season, "penetapan")
    assert (await _close(organiser, penetapan["id"])).status_code in (302, 303)
    pdf = (await organiser.get(f"/berita-acara/{penetapan['id']}/unduh")).content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Tahap: Penetapan" in text
    champion = next(line for line in text.splitlines() if line.startswith("Juara I "))
    assert final[0]["team_name"] in champion
    assert "verifikasi" in text and "lapangan" in text  # what each final score is made of


async def test_stage_pages_under_a_freeze_and_the_console(app, season, staged, browser_factory):
    competition = season.competition
    lapangan = await _stage(season, "lapangan")
    anonymous = await browser_factory()
    before = await anonymous.get("/papan/tahap/verifikasi")
    assert before.status_code == 200
    first = re.findall(r'data-testid="stage-row" data-team="([^"]+)"', before.text)
    assert first[:7] == list(BONUSES)

    organiser = await _user("panitia")
    await views.freeze(competition.id, organiser)
    views.invalidate()
    # After the freeze a team overtakes everyone: the public stage page keeps the frozen order.
    await add_adjustment(
        competition,
        season.team_ids["35.26"],
        Decimal(20000),
        "Bonus",
        actor_id=organiser.id,
        actor_name="panitia",
    )
    views.invalidate()
    frozen = await anonymous.get("/papan/tahap/verifikasi")
    assert 'data-testid="frozen-notice"' in frozen.text
    assert re.findall(r'data-testid="stage-row" data-team="([^"]+)"', frozen.text)[:7] == list(BONUSES)
    staff = await browser_factory("panitia")
    live = await staff.get("/papan/tahap/verifikasi")
    assert re.findall(r'data-testid="stage-row" data-team="([^"]+)"', live.text)[0] == "35.26"
    # A stage whose ranking may move after the freeze is hidden from the public.
    hidden = await anonymous.get("/papan/tahap/lapangan")
    assert 'data-testid="stage-hidden"' in hidden.text

    # Console: a new stage is added last, waiting; a bad code is refused with a message.
    created = await staff.post(
        "/panitia/tahap",
        data={"code": "presentasi", "name": "Presentasi", "kind": "team", "top_n": "3", "weight": ""},
    )
    assert created.status_code in (302, 303), created.text
    added = await _stage(season, "presentasi")
    assert added["status"] == "waiting" and added["position"] > lapangan["position"]
    duplicate = await staff.post(
        "/panitia/tahap", data={"code": "lapangan", "name": "X", "kind": "team", "top_n": "3", "weight": ""}
    )
    assert duplicate.status_code == 422 and 'data-testid="error-code"' in duplicate.text
    nav = await staff.get("/panitia/tahap")
    assert 'data-testid="console-stages"' in nav.text and "presentasi" in nav.text
    assert await Team.count() > 0


async def test_two_organisers_closing_at_once_make_one_record(app, season, staged, browser_factory):
    import asyncio

    verifikasi = await _stage(season, "verifikasi")
    first, second = await browser_factory("panitia"), await browser_factory("panitia")
    await first.csrf()
    await second.csrf()
    answers = await asyncio.gather(_close(first, verifikasi["id"]), _close(second, verifikasi["id"]))
    assert sorted(r.status_code for r in answers) == [302, 409]
    assert await BeritaAcara.count().where(BeritaAcara.stage == verifikasi["id"]) == 1
    assert await AuditEvent.count().where(AuditEvent.action == "stage.close") == 1


def test_a_berita_acara_can_only_be_read(app):
    """No route changes or removes a stored record: every /berita-acara route is a GET."""
    methods = {
        method
        for route in app.routes
        if route.path.startswith("/berita-acara")
        for handler in getattr(route, "route_handlers", [])
        for method in handler.http_methods
    }
    assert methods <= {"GET", "HEAD", "OPTIONS"} and "GET" in methods

"""The organisers' side of the jury through HTTP: the jury settings of the season, the judges' statistics
and the panel's agreement (checked against scoring.jury and against values worked out by hand), the open
assignments with override and top-up, a disabled judge's hand-over, annulment with its history, per-judge
normalisation in the standings, and the rubric editor's scope, description and score levels."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from app.audit import services as audit
from app.competitions.services import competition_by_id, publish_ruleset
from app.db import write_transaction
from app.i18n import set_locale
from app.judging import assignment
from app.leaderboard.services import load_facts, recompute
from app.organiser.jury_reads import fraction_text, percent_text, q_text
from app.security import hash_password_sync
from app.tables import (
    Account,
    Activity,
    ActivityType,
    Assignment,
    AuditEvent,
    Competition,
    ConflictOfInterest,
    Review,
    RubricCriterion,
    Stage,
    Standing,
)
from scoring import jury as pure
from scoring.engine import evaluate
from scoring.ruleset import parse_ruleset
from tests.integration.conftest import PASSWORD, Season

HASH = hash_password_sync(PASSWORD)

SEASON_FORM = {
    "name": "Lomba Uji",
    "starts_on": "2024-01-01",
    "ends_on": "2030-12-31",
    "timezone": "Asia/Jakarta",
    "reviews_required": "1",
    "q_tolerance": "0,3",
    "tolerance_action": "extra_judge",
    "head_judge": "",
    "place": "Surabaya",
}


async def make_judge(username: str, region: str | None = "35.10") -> int:
    account = Account(
        username=username, password_hash=HASH, full_name=username.title(), role="judge", region_code=region
    )
    await account.save()
    return int(account.id)


async def make_activity(season: Season, team: str = "35.78", n: int = 0, status: str = "submitted") -> int:
    type_id = (await ActivityType.select(ActivityType.id).where(ActivityType.code == "DDS").first())["id"]
    activity = Activity(
        competition=season.competition.id,
        team=season.team_ids[team],
        activity_type=type_id,
        occurred_at=datetime.now(UTC) - timedelta(days=1, minutes=n),
        title=f"Sambang {n}",
        senkom_count=1,
        officer_count=1,
        status=status,
        request_hash=f"h{n}-{team}",
    )
    await activity.save()
    return int(activity.id)


async def assign(season: Season, activity_id: int, team: str = "35.78") -> list[int]:
    async with write_transaction(lock=f"competition:{season.competition.id}"):
        return await assignment.assign_activity(season.competition, activity_id, team)


async def add_criterion(season: Season, code: str = "dampak", low: str = "1", high: str = "5") -> None:
    await RubricCriterion.insert(
        RubricCriterion(
            competition=season.competition.id, code=code, name=code.title(), weight="1", min=low, max=high
        )
    )


async def review(activity_id: int, judge_id: int, decision: str, score: int | None) -> None:
    scores = {"dampak": str(score)} if score is not None else {}
    await Review.insert(
        Review(
            activity=activity_id,
            judge=judge_id,
            decision=decision,
            reason="" if decision == "verified" else "Kurang bukti",
            scores=json.dumps(scores),
        )
    )


async def open_judges(activity_id: int) -> list[int]:
    rows = await Assignment.select(Assignment.judge).where(
        (Assignment.activity == activity_id) & (Assignment.status == "open")
    )
    return sorted(r["judge"] for r in rows)


def cell(html: str, username: str, testid: str) -> str:
    row = re.search(rf'data-testid="judge-row" data-username="{re.escape(username)}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {username}"
    found = re.search(rf'data-testid="{testid}">(.*?)</td>', row.group(1), re.S)
    assert found, f"no {testid} for {username}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


# --- Settings -------------------------------------------------------------------------------------


async def test_jury_settings_are_validated_saved_and_audited(app, season, browser_factory):
    head = await make_judge("ketua", "35.10")
    organiser = await browser_factory("panitia")
    page = await organiser.get("/panitia/musim/")
    assert page.status_code == 200 and 'data-testid="jury-settings"' in page.text
    assert 'name="q_tolerance" value="0,3"' in page.text  # stored "0.3", shown the Indonesian way

    bad = await organiser.post(
        "/panitia/musim/",
        data={
            **SEASON_FORM,
            "reviews_required": "10",
            "q_tolerance": "1,5",
            "tolerance_action": "undian",
            "head_judge": str(season.accounts["peserta.sby"]),
            "place": " ",
        },
    )
    assert bad.status_code == 422
    for field, message in (
        ("reviews_required", "Antara 1 dan 9 penilaian."),
        ("q_tolerance", "Masukkan bagian antara 0 dan 1, mis. 0,3."),
        ("tolerance_action", "Pilih satu juri lagi atau ketua juri."),
        ("head_judge", "Pilih juri yang aktif."),
        ("place", "Tempat Berita Acara ditandatangani, mis. Surabaya."),
    ):
        assert f'data-testid="error-{field}">{message}</p>' in bad.text, field
    # A head judge is needed when the head judge is to decide.
    no_head = await organiser.post(
        "/panitia/musim/", data={**SEASON_FORM, "tolerance_action": "head_judge", "head_judge": ""}
    )
    assert no_head.status_code == 422 and 'data-testid="error-head_judge"' in no_head.text
    assert not await AuditEvent.exists().where(AuditEvent.action == "competition.update")

    ok = await organiser.post(
        "/panitia/musim/",
        data={
            **SEASON_FORM,
            "reviews_required": "3",
            "blind_judging": "1",
            "q_tolerance": "0,25",
            "tolerance_action": "head_judge",
            "head_judge": str(head),
            "judge_normalisation": "1",
            "place": "Malang",
        },
    )
    assert ok.status_code in (302, 303), ok.text
    row = await Competition.select().where(Competition.id == season.competition.id).first()
    assert row["reviews_required"] == 3 and row["blind_judging"] and row["judge_normalisation"]
    assert (row["q_tolerance"], row["tolerance_action"], row["head_judge"], row["place"]) == (
        "0.25",
        "head_judge",
        head,
        "Malang",
    )
    event = await AuditEvent.select().where(AuditEvent.action == "competition.update").first()
    before, after = json.loads(event["before"]), json.loads(event["after"])
    assert before["q_tolerance"] == "0.3" and before["place"] == "Surabaya" and not before["blind_judging"]
    assert after["q_tolerance"] == "0.25" and after["head_judge"] == head and after["judge_normalisation"]
    assert (await audit.verify()).ok
    # "0.3" (a dot) is accepted as well, and the page shows it back in Indonesian notation.
    again = await organiser.post("/panitia/musim/", data={**SEASON_FORM, "q_tolerance": "0.3"})
    assert again.status_code in (302, 303)
    assert 'name="q_tolerance" value="0,3"' in (await organiser.get("/panitia/musim/")).text


async def test_raising_reviews_required_tops_up_the_waiting_activities(app, season, browser_factory):
    await make_judge("juri.a")
    first = await make_activity(season, n=1)
    second = await make_activity(season, n=2)
    for activity_id in (first, second):
        assert len(await assign(season, activity_id)) == 1
    organiser = await browser_factory("panitia")
    response = await organiser.post("/panitia/musim/", data={**SEASON_FORM, "reviews_required": "2"})
    assert response.status_code in (302, 303)
    assert "ditugaskan=2" in response.headers["location"]
    sby = season.accounts["juri.sby"]
    for activity_id in (first, second):
        judges = await open_judges(activity_id)
        assert len(judges) == 2 and sby not in judges  # never the team's own regency
    page = await organiser.get(response.headers["location"])
    assert "2 juri ditugaskan ke kegiatan yang menunggu ulasan tambahan." in page.text


# --- Judges and agreement -------------------------------------------------------------------------

# Three judges, four activities of Kota Surabaya, one criterion 1..5 (q = (score − 1) / 4):
#          A            B            C           panel
#   u1   verified 5   verified 5   verified 4   verified
#   u2   verified 4   rejected 1   verified 4   verified
#   u3   rejected 1   rejected 1   rejected 2   rejected
#   u4   verified 4   verified 5       –        verified
PANEL = {
    "u1": ({"A": ("verified", 5), "B": ("verified", 5), "C": ("verified", 4)}, "verified"),
    "u2": ({"A": ("verified", 4), "B": ("rejected", 1), "C": ("verified", 4)}, "verified"),
    "u3": ({"A": ("rejected", 1), "B": ("rejected", 1), "C": ("rejected", 2)}, "rejected"),
    "u4": ({"A": ("verified", 4), "B": ("verified", 5)}, "verified"),
}


async def build_panel(season: Season) -> dict[str, int]:
    await add_criterion(season)
    judges = {name: await make_judge(f"juri.{name.lower()}") for name in "ABC"}
    for n, (unit, (votes, final)) in enumerate(PANEL.items()):
        activity_id = await make_activity(season, n=n, status=final)
        for name, (decision, score) in votes.items():
            await review(activity_id, judges[name], decision, score)
        # An earlier version and an annulled review never count.
        if unit == "u1":
            old = Review(activity=activity_id, judge=judges["C"], decision="rejected", reason="x", version=0)
            old.is_current = False
            await old.save()
    return judges


async def test_judge_statistics_and_agreement_shown(app, season, browser_factory):
    judges = await build_panel(season)
    # One open assignment for A, and a declared conflict for C.
    waiting = await make_activity(season, n=9)
    await Assignment.insert(
        Assignment(competition=season.competition.id, activity=waiting, judge=judges["A"], status="open")
    )
    await ConflictOfInterest.insert(
        ConflictOfInterest(judge=judges["C"], team=season.team_ids["35.07"], reason="Saudara kandung")
    )
    organiser = await browser_factory("panitia")
    page = await organiser.get("/panitia/juri")
    assert page.status_code == 200, page.text
    text = page.text

    # By hand: nominal α on the decisions. Values: V 7×, R 4× (n = 11); only u2 disagrees: V R V gives
    # 4 ordered unequal pairs / (3 − 1) = 2. α = 1 − (n − 1)·2 / (n² − 7² − 4²) = 1 − 20/56 = 9/14.
    # Interval α on q (in quarters, x = score − 1): u1 4 4 3, u2 3 0 3, u3 0 0 1, u4 3 4. Within units:
    # 2 + 18 + 2 + 2 = 24; over all 11 values Σx = 25, Σx² = 85: 2(11·85 − 25²) = 620.
    # α = 1 − 10·24/620 = 19/31.
    decisions = {u: {j: d for j, (d, _) in votes.items()} for u, (votes, _) in PANEL.items()}
    qs = {u: {j: Fraction(s - 1, 4) for j, (_, s) in votes.items()} for u, (votes, _) in PANEL.items()}
    assert pure.krippendorff_alpha(decisions, "nominal") == Fraction(9, 14)
    assert pure.krippendorff_alpha(qs, "interval") == Fraction(19, 31)
    row = re.search(r'data-testid="agreement-row" data-stage="verifikasi">(.*?)</tr>', text, re.S).group(1)
    assert 'data-testid="alpha-nominal">0,643</td>' in row  # 9/14 = 0,6428…
    assert 'data-testid="alpha-interval">0,613</td>' in row  # 19/31 = 0,6129…
    team_row = re.search(r'data-testid="agreement-row" data-stage="lapangan">(.*?)</tr>', text, re.S).group(1)
    assert 'data-testid="alpha-interval">—</td>' in team_row  # no team-level reviews: not computable
    assert 'data-testid="alpha-help"' in text

    # Per judge, by hand, and the same through scoring.jury.judge_stats.
    expected = {
        # reviews, open, mean q, rejected, disagrees
        "juri.a": ("4", "1", "0,625", "25 %", "0 %"),  # q 1, .75, 0, .75; rejects u3 with the panel
        "juri.b": ("4", "0", "0,5", "50 %", "25 %"),  # q 1, 0, 0, 1; rejects u2 against the panel
        "juri.c": ("3", "0", "0,583", "33,3 %", "0 %"),  # q .75, .75, .25
        "juri.mlg": ("0", "0", "—", "—", "—"),
    }
    for username, values in expected.items():
        shown = tuple(
            cell(text, username, testid)
            for testid in (
                "judge-reviews",
                "judge-open",
                "judge-mean-q",
                "judge-rejection",
                "judge-disagreement",
            )
        )
        assert shown == values, username
    facts = [
        pure.ReviewFact(judge_id=j, unit=u, decision=d, q=(s - 1) * 250_000)
        for u, (votes, _) in PANEL.items()
        for j, (d, s) in votes.items()
    ]
    stats = {s.judge_id: s for s in pure.judge_stats(facts, {u: final for u, (_, final) in PANEL.items()})}
    set_locale("id")
    for name in "ABC":
        s = stats[name]
        username = f"juri.{name.lower()}"
        assert cell(text, username, "judge-mean-q") == q_text(s.mean_q)
        assert cell(text, username, "judge-rejection") == percent_text(s.rejection_rate)
        assert cell(text, username, "judge-disagreement") == percent_text(s.disagreement_rate)
    assert fraction_text(None) == "—"
    assert "Saudara kandung" in cell(text, "juri.c", "judge-conflicts")


# --- Assignments ----------------------------------------------------------------------------------


async def test_override_moves_an_open_assignment_and_refuses_an_ineligible_judge(
    app, season, browser_factory
):
    other = await make_judge("juri.x", "35.10")
    await Account.update({Account.is_active: False}).where(Account.username == "juri.x")
    activity_id = await make_activity(season)
    (holder,) = await assign(season, activity_id)
    assert holder == season.accounts["juri.mlg"]  # the only active judge not of Surabaya
    await Account.update({Account.is_active: True}).where(Account.id == other)
    assignment = (await Assignment.select(Assignment.id).where(Assignment.activity == activity_id).first())[
        "id"
    ]
    organiser = await browser_factory("panitia")

    listing = await organiser.get("/panitia/juri/tugas")
    assert listing.status_code == 200 and f'data-id="{assignment}"' in listing.text
    filtered = await organiser.get(f"/panitia/juri/tugas?juri={other}")
    assert f'data-id="{assignment}"' not in filtered.text
    by_team = await organiser.get("/panitia/juri/tugas?tim=35.78")
    assert f'data-id="{assignment}"' in by_team.text

    form = await organiser.get(f"/panitia/juri/alihkan?tugas={assignment}")
    assert form.status_code == 200
    options = re.findall(r'<option value="(\d+)"', form.text)
    assert str(other) in options and str(season.accounts["juri.sby"]) not in options

    unconfirmed = await organiser.post("/panitia/juri/alihkan", data={"tugas": assignment, "judge": other})
    assert unconfirmed.status_code == 422 and "Centang kotak untuk mengonfirmasi." in unconfirmed.text
    own_region = await organiser.post(
        "/panitia/juri/alihkan",
        data={"tugas": assignment, "judge": season.accounts["juri.sby"], "confirm": "1"},
    )
    assert own_region.status_code == 422
    assert (
        "Juri itu tidak boleh menilai tim ini (daerah sendiri atau konflik yang dinyatakan)."
        in own_region.text
    )
    participant = await organiser.post(
        "/panitia/juri/alihkan",
        data={"tugas": assignment, "judge": season.accounts["peserta.mlg"], "confirm": "1"},
    )
    assert participant.status_code == 422 and "Pilih juri yang aktif." in participant.text
    assert await open_judges(activity_id) == [holder]

    moved = await organiser.post(
        "/panitia/juri/alihkan", data={"tugas": assignment, "judge": other, "confirm": "1"}
    )
    assert moved.status_code in (302, 303)
    assert await open_judges(activity_id) == [other]
    old = await Assignment.select(Assignment.status).where(Assignment.id == assignment).first()
    assert old["status"] == "moved"
    event = await AuditEvent.select().where(AuditEvent.action == "assignment.override").first()
    assert event["actor_name"] == "panitia" and json.loads(event["after"])["judge"] == other
    # An assignment no longer open cannot be given away again.
    again = await organiser.post(
        "/panitia/juri/alihkan", data={"tugas": assignment, "judge": holder, "confirm": "1"}
    )
    assert again.status_code == 409
    assert "Hanya penugasan terbuka yang dapat diberikan ke juri lain." in again.text


async def test_top_up_button_and_flagged_list(app, season, browser_factory):
    waiting = [await make_activity(season, n=n) for n in range(3)]  # submitted without any judge
    flagged = await make_activity(season, n=7)
    await Activity.update({Activity.jury_flag: "tie"}).where(Activity.id == flagged)
    organiser = await browser_factory("panitia")
    response = await organiser.post("/panitia/juri/tugas/lengkapi", data={})
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/panitia/juri/tugas?ditugaskan=4"
    for activity_id in [*waiting, flagged]:
        assert await open_judges(activity_id) == [season.accounts["juri.mlg"]]
    page = await organiser.get(response.headers["location"])
    assert "4 juri ditugaskan." in page.text
    row = re.search(r'data-testid="flagged-row" data-flag="tie">(.*?)</tr>', page.text, re.S).group(1)
    assert f"/panitia/kegiatan/{flagged}" in row and "Seri:" in row
    only_tie = await organiser.get("/panitia/juri/tugas?tanda=tie")
    assert only_tie.text.count('data-testid="assignment-row"') == 1
    event = await AuditEvent.select().where(AuditEvent.action == "assignment.ensure").first()
    assert json.loads(event["after"]) == {"assigned": 4}
    # Nothing left to do: the count says so.
    none = await organiser.post("/panitia/juri/tugas/lengkapi", data={})
    assert none.headers["location"] == "/panitia/juri/tugas?ditugaskan=0"


async def test_disabled_judge_open_assignments_move_to_others(app, season, browser_factory):
    other = await make_judge("juri.x", "35.10")
    activity_id = await make_activity(season)
    (holder,) = await assign(season, activity_id)
    organiser = await browser_factory("panitia")
    response = await organiser.post(f"/panitia/akun/{holder}/status", data={"active": "0"})
    assert response.status_code in (302, 303)
    replacement = ({season.accounts["juri.mlg"], other} - {holder}).pop()
    assert await open_judges(activity_id) == [replacement]
    page = await organiser.get("/panitia/juri")
    username = "juri.mlg" if holder == season.accounts["juri.mlg"] else "juri.x"
    assert cell(page.text, username, "judge-open") == "0"
    assert 'data-testid="judge-disabled"' in page.text


# --- Annulment ------------------------------------------------------------------------------------


async def test_annulment_keeps_the_version_assigns_a_replacement_and_resettles(app, season, browser_factory):
    await Competition.update({Competition.reviews_required: 3}).where(Competition.id == season.competition.id)
    season.competition = await competition_by_id(season.competition.id)
    await Account.update({Account.is_active: False}).where(Account.username == "juri.mlg")
    a, b, c = [await make_judge(f"juri.{n}") for n in "abc"]
    d = await make_judge("juri.d")
    await Account.update({Account.is_active: False}).where(Account.id == d)
    activity_id = await make_activity(season)
    assert sorted(await assign(season, activity_id)) == [a, b, c]
    browsers = {}
    for name in ("juri.a", "juri.b", "juri.c"):
        browsers[name] = await browser_factory(name)
    for name, decision in (("juri.a", "verified"), ("juri.b", "verified"), ("juri.c", "rejected")):
        response = await browsers[name].post(
            f"/juri/kegiatan/{activity_id}/keputusan",
            data={"decision": decision, "reason": "" if decision == "verified" else "Foto tidak jelas"},
        )
        assert response.status_code in (302, 303), response.text
    assert (await Activity.select(Activity.status).where(Activity.id == activity_id).first())["status"] == (
        "verified"
    )
    await Account.update({Account.is_active: True}).where(Account.id == d)
    organiser = await browser_factory("panitia")
    page = await organiser.get(f"/panitia/kegiatan/{activity_id}")
    assert page.status_code == 200 and page.text.count('data-testid="review-version"') == 3
    a_review = (
        await Review.select(Review.id).where((Review.activity == activity_id) & (Review.judge == a)).first()
    )["id"]

    no_reason = await organiser.post(
        f"/panitia/kegiatan/{activity_id}/batalkan", data={"review": a_review, "reason": " ", "confirm": "1"}
    )
    assert no_reason.status_code == 422 and "Pembatalan ulasan memerlukan alasan." in no_reason.text
    no_confirm = await organiser.post(
        f"/panitia/kegiatan/{activity_id}/batalkan",
        data={"review": a_review, "reason": "Konflik kepentingan"},
    )
    assert no_confirm.status_code == 422
    response = await organiser.post(
        f"/panitia/kegiatan/{activity_id}/batalkan",
        data={"review": a_review, "reason": "Juri ternyata kerabat ketua tim", "confirm": "1"},
    )
    assert response.status_code in (302, 303), response.text
    # One verified and one rejected review count; the replacement (d) is asked: the activity waits again.
    assert await open_judges(activity_id) == [d]
    origin = (
        await Assignment.select(Assignment.origin)
        .where((Assignment.activity == activity_id) & (Assignment.judge == d))
        .first()
    )
    assert origin["origin"] == "annul"
    row = await Activity.select(Activity.status).where(Activity.id == activity_id).first()
    assert row["status"] == "submitted"
    after = await organiser.get(response.headers["location"])
    assert 'data-testid="annul-done"' in after.text
    version = re.search(rf'data-review="{a_review}"[^>]*data-annulled="1">(.*?)</tr>', after.text, re.S)
    assert version, "the annulled review stays listed"
    assert "Juri ternyata kerabat ketua tim" in version.group(1) and "panitia" in version.group(1)
    assert after.text.count('data-testid="review-version"') == 3
    # Annulling it again is refused.
    twice = await organiser.post(
        f"/panitia/kegiatan/{activity_id}/batalkan",
        data={"review": a_review, "reason": "lagi", "confirm": "1"},
    )
    assert twice.status_code == 409 and "Hanya ulasan juri yang berlaku yang dapat dibatalkan." in twice.text

    # The replacement rejects: the majority has changed.
    replacement = await browser_factory("juri.d")
    decided = await replacement.post(
        f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "rejected", "reason": "Tidak sesuai"}
    )
    assert decided.status_code in (302, 303), decided.text
    row = await Activity.select(Activity.status).where(Activity.id == activity_id).first()
    assert row["status"] == "rejected"
    event = await AuditEvent.select().where(AuditEvent.action == "review.annul").first()
    assert json.loads(event["after"])["reason"] == "Juri ternyata kerabat ketua tim"

    # Once the verification stage is closed, annulment is refused with 409.
    b_review = (
        await Review.select(Review.id).where((Review.activity == activity_id) & (Review.judge == b)).first()
    )["id"]
    await Stage.update({Stage.status: "closed"}).where(
        (Stage.competition == season.competition.id) & (Stage.kind == "activity")
    )
    closed = await organiser.post(
        f"/panitia/kegiatan/{activity_id}/batalkan",
        data={"review": b_review, "reason": "Terlambat", "confirm": "1"},
    )
    assert closed.status_code == 409
    assert "Tahap verifikasi sudah ditutup: ulasannya tidak dapat diubah lagi." in closed.text
    assert (await organiser.get(f"/panitia/kegiatan/{activity_id}")).status_code == 200


async def test_activity_page_refuses_unknown_activity(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    assert (await organiser.get("/panitia/kegiatan/999999")).status_code == 404
    assert (await organiser.get("/panitia/juri/alihkan?tugas=999999")).status_code == 404


# --- Normalisation --------------------------------------------------------------------------------

# Judge A scores Surabaya's two activities 4 and 5 and Malang's b2 a 5; judge B scores Malang's b1 a 1.
# Raw q: Surabaya .75 + 1 = 1,75 against Malang 0 + 1 = 1. Normalised, A's 4 is A's lowest score (mapped
# to 1,4316) and B's lone 1 is only shifted to the pooled mean 3,75: Surabaya ≈ 1,085 < Malang ≈ 1,665.
QUALITY_RULES = {
    "rules": [
        {"rule": "points_per_activity", "params": {"points": {}, "default": 1}},
        {"rule": "judge_quality", "params": {"method": "mean", "trim": 0, "floor": 0}},
    ]
}


async def scores(season: Season) -> dict[str, Decimal]:
    rows = await Standing.select(Standing.team.code, Standing.score).where(
        (Standing.competition == season.competition.id)
        & (Standing.period == "season")
        & (Standing.view == "overall")
        & Standing.team.code.is_in(["35.78", "35.07"])
    )
    return {r["team.code"]: Decimal(r["score"]) for r in rows}


async def test_normalisation_changes_the_standings(app, season, browser_factory):
    await add_criterion(season)
    a, b = await make_judge("juri.a"), await make_judge("juri.b")
    sby = [await make_activity(season, "35.78", n, "verified") for n in range(2)]
    mlg = [await make_activity(season, "35.07", n, "verified") for n in range(2)]
    await review(sby[0], a, "verified", 4)
    await review(sby[1], a, "verified", 5)
    await review(mlg[0], b, "verified", 1)
    await review(mlg[1], a, "verified", 5)
    async with write_transaction(lock=f"competition:{season.competition.id}"):
        await publish_ruleset(
            season.competition, parse_ruleset(QUALITY_RULES), actor_id=None, actor_name="test"
        )
    raw = await scores(season)
    assert raw == {"35.78": Decimal("1.75"), "35.07": Decimal("1")}

    organiser = await browser_factory("panitia")
    response = await organiser.post("/panitia/musim/", data={**SEASON_FORM, "judge_normalisation": "1"})
    assert response.status_code in (302, 303)
    normalised = await scores(season)
    mapped = pure.normalise_judges(
        [(a, sby[0], Decimal(4)), (a, sby[1], Decimal(5)), (a, mlg[1], Decimal(5)), (b, mlg[0], Decimal(1))],
        Decimal(1),
        Decimal(5),
    )
    assert mapped[(a, sby[0])] == Decimal("1.4316") and mapped[(b, mlg[0])] == Decimal("3.7500")

    def q(value: Decimal) -> Decimal:
        return (value - 1) / 4

    # Each activity's points (1 × q) are rounded half to even to 0.001 before they add up.
    assert normalised["35.78"] == round(q(mapped[(a, sby[0])]), 3) + round(q(mapped[(a, sby[1])]), 3)
    assert normalised["35.07"] == round(q(mapped[(b, mlg[0])]), 3) + round(q(mapped[(a, mlg[1])]), 3)
    assert normalised == {"35.78": Decimal("1.085"), "35.07": Decimal("1.665")}
    assert normalised["35.07"] > normalised["35.78"]  # the order has turned round

    # A change to one team's review moves the other team too: the recompute is full, and equals a fresh
    # evaluation of every team.
    await Review.update({Review.scores: json.dumps({"dampak": "3"})}).where(
        (Review.activity == mlg[0]) & (Review.judge == b)
    )
    competition = await competition_by_id(season.competition.id)
    async with write_transaction(lock=f"competition:{competition.id}"):
        await recompute(competition, "35.07")
    after = await scores(season)
    assert after["35.78"] != normalised["35.78"]
    from app.competitions.services import ruleset_in_force

    _version, ruleset = await ruleset_in_force(competition.id)
    fresh = evaluate(ruleset, await load_facts(competition))
    assert after == {code: fresh.row(code).score for code in ("35.78", "35.07")}

    # Off again: the raw scores count.
    await organiser.post("/panitia/musim/", data=SEASON_FORM)
    assert (await scores(season))["35.78"] == Decimal("1.75")


# --- Rubric editor --------------------------------------------------------------------------------


async def test_rubric_scope_description_and_levels(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    base = {
        "code_0": "dampak",
        "name_0": "Dampak",
        "name_en_0": "Impact",
        "weight_0": "2",
        "min_0": "1",
        "max_0": "5",
        "scope_0": "activity",
        "description_0": "Seberapa besar manfaat bagi warga",
        "levels_0": "1: Tidak ada | None\n5: Sangat besar | Very large\n3: Cukup | Fair",
        "code_1": "kemitraan",
        "name_1": "Kemitraan",
        "weight_1": "1",
        "min_1": "0",
        "max_1": "10",
        "scope_1": "team",
    }
    for key, value, message in (
        ("levels_0", "1: Kurang\n6: Lebih", "Baris 2: nilai harus di antara nilai terendah dan tertinggi."),
        ("levels_0", "2: Kurang\n2,0: Sama", "Baris 2: setiap nilai hanya boleh punya satu deskripsi."),
        ("levels_0", "Kurang sekali", 'Baris 1: tulis "nilai: deskripsi", mis. "3: Cukup | Fair".'),
        ("scope_1", "juri", "Pilih kegiatan atau tim."),
    ):
        bad = await organiser.post("/panitia/musim/rubrik", data={**base, key: value})
        assert bad.status_code == 422, key
        assert f'data-testid="error-{key}">{message}</p>' in html.unescape(bad.text), key
    assert not await RubricCriterion.exists()

    ok = await organiser.post("/panitia/musim/rubrik", data=base)
    assert ok.status_code in (302, 303), ok.text
    rows = {r["code"]: r for r in await RubricCriterion.select()}
    assert rows["dampak"]["scope"] == "activity" and rows["kemitraan"]["scope"] == "team"
    assert rows["dampak"]["description"] == "Seberapa besar manfaat bagi warga"
    assert json.loads(rows["dampak"]["levels"]) == [
        {"score": "1", "id": "Tidak ada", "en": "None"},
        {"score": "3", "id": "Cukup", "en": "Fair"},
        {"score": "5", "id": "Sangat besar", "en": "Very large"},
    ]
    assert json.loads(rows["kemitraan"]["levels"]) == []
    event = await AuditEvent.select().where(AuditEvent.action == "rubric.update").first()
    assert "Sangat besar" in event["after"]
    page = await organiser.get("/panitia/musim/")
    assert "1: Tidak ada | None\n3: Cukup | Fair\n5: Sangat besar | Very large</textarea>" in page.text
    assert '<option value="team" selected>' in page.text
    # The judge sees the level descriptions beside the form (scope "activity" only).
    assert [c["code"] for c in await _criteria(season, "activity")] == ["dampak"]


async def _criteria(season: Season, scope: str) -> list[dict]:
    from app.judging.queue_views import criteria

    return await criteria(season.competition.id, scope)

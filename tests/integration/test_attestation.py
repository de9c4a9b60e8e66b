"""Co-attestation by the officer (app.activities.attestation, invites, officer pages): only the named officer
answers, a refusal needs a reason, an edit by the team withdraws a confirmation and asks again, an invite
is single-use and expires, and an officer sees only the activities that name them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from app.accounts import officers
from app.accounts.services import create_account
from app.tables import Activity, Attestation, AuditEvent, OfficerInvite, Photo
from tests.integration.api.helpers import api_factory
from tests.integration.conftest import PASSWORD, activity_form, form_key, jpeg

__all__ = ["api_factory"]


async def send(browser: Any, **overrides: Any) -> int:
    key = form_key((await browser.get("/kegiatan/baru")).text)
    response = await browser.send_activity(activity_form(key, **overrides))
    assert response.status_code in (302, 303), response.text
    return int(re.search(r"/kegiatan/(\d+)", response.headers["location"]).group(1))


async def state_of(activity_id: int) -> list[tuple[str, bool]]:
    rows = (
        await Attestation.select(Attestation.state, Attestation.is_current)
        .where(Attestation.activity == activity_id)
        .order_by(Attestation.id)
    )
    return [(r["state"], r["is_current"]) for r in rows]


async def confirmed_fact(activity_id: int) -> bool:
    row = await Activity.select(Activity.officer_confirmed).where(Activity.id == activity_id).first()
    return bool(row["officer_confirmed"])


async def test_named_officer_is_asked_and_confirms_with_position(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    assert await state_of(activity_id) == [("pending", True)]
    assert not await confirmed_fact(activity_id)

    officer = await browser_factory("petugas.sby")
    listing = await officer.get("/petugas")
    assert listing.status_code == 200
    assert "Menunggu konfirmasi Anda" in listing.text
    assert f'data-activity="{activity_id}"' in listing.text
    page = await officer.get(f"/petugas/kegiatan/{activity_id}")
    assert page.status_code == 200 and 'data-testid="confirm-form"' in page.text
    photo = (await Photo.select(Photo.id).where(Photo.activity == activity_id).first())["id"]
    assert (await officer.get(f"/foto/{photo}")).status_code == 200

    response = await officer.post(
        f"/petugas/kegiatan/{activity_id}/konfirmasi",
        data={"lat": "-7.25", "lon": "112.75", "accuracy": "12"},
    )
    assert response.status_code in (302, 303)
    assert await state_of(activity_id) == [("confirmed", True)]
    assert await confirmed_fact(activity_id)
    row = await Attestation.select().where(Attestation.activity == activity_id).first()
    assert (row["lat"], row["lon"], row["accuracy"]) == ("-7.250000", "112.750000", "12.0")
    assert await AuditEvent.exists().where(AuditEvent.action == "attestation.confirm")
    # Answered once: a second answer is a conflict.
    again = await officer.post(f"/petugas/kegiatan/{activity_id}/tolak", data={"reason": "salah"})
    assert again.status_code == 409
    # The participant's page shows the confirmation.
    detail = await participant.get(f"/kegiatan/{activity_id}")
    assert "Dikonfirmasi" in detail.text


async def test_only_the_named_officer_may_answer_or_see(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    # Names an officer whose NRP has no account: nobody is asked.
    other_id = await send(participant, officer_nrp=["99999999", ""], title="Patroli malam")
    assert await state_of(other_id) == []
    named_id = await send(participant)
    await create_account(
        username="petugas.lain",
        password=PASSWORD,
        role="petugas",
        full_name="Bripda Lain",
        officer=officers.OfficerFields("87654321", "Bripda", "Polrestabes Surabaya", "35.78.01.1001"),
    )
    stranger = await browser_factory("petugas.lain")
    for url in (f"/petugas/kegiatan/{named_id}", f"/petugas/kegiatan/{other_id}"):
        assert (await stranger.get(url)).status_code == 404
    photo = (await Photo.select(Photo.id).where(Photo.activity == named_id).first())["id"]
    assert (await stranger.get(f"/foto/{photo}")).status_code == 404
    assert (await stranger.post(f"/petugas/kegiatan/{named_id}/konfirmasi", data={})).status_code == 404
    assert await state_of(named_id) == [("pending", True)]
    # Another role cannot use the officer's pages at all.
    judge = await browser_factory("juri.mlg")
    assert (await judge.post(f"/petugas/kegiatan/{named_id}/konfirmasi", data={})).status_code == 403
    # The named officer sees theirs, and not the other one.
    officer = await browser_factory("petugas.sby")
    assert (await officer.get(f"/petugas/kegiatan/{other_id}")).status_code == 404
    assert (await officer.get(f"/petugas/kegiatan/{named_id}")).status_code == 200


async def test_decline_needs_a_reason(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    officer = await browser_factory("petugas.sby")
    empty = await officer.post(f"/petugas/kegiatan/{activity_id}/tolak", data={"reason": "   "})
    assert empty.status_code == 422
    assert 'data-testid="reason-error"' in empty.text
    assert await state_of(activity_id) == [("pending", True)]
    done = await officer.post(
        f"/petugas/kegiatan/{activity_id}/tolak", data={"reason": "Saya sedang cuti hari itu"}
    )
    assert done.status_code in (302, 303)
    row = await Attestation.select().where(Attestation.activity == activity_id).first()
    assert (row["state"], row["reason"]) == ("declined", "Saya sedang cuti hari itu")
    assert not await confirmed_fact(activity_id)


async def test_an_edit_by_the_team_withdraws_the_confirmation_and_asks_again(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    officer = await browser_factory("petugas.sby")
    await officer.post(f"/petugas/kegiatan/{activity_id}/konfirmasi", data={})
    assert await confirmed_fact(activity_id)

    form = (await participant.get(f"/kegiatan/{activity_id}/ubah")).text
    data = activity_form(form_key(form), title="Sambang warga RW 03 (diperbaiki)")
    response = await participant.post(f"/kegiatan/{activity_id}/ubah", data=data)
    assert response.status_code in (302, 303), response.text
    assert await state_of(activity_id) == [("withdrawn", False), ("pending", True)]
    assert not await confirmed_fact(activity_id)
    assert await AuditEvent.exists().where(AuditEvent.action == "attestation.withdraw")
    # The officer is asked again and may confirm the new version.
    await officer.post(f"/petugas/kegiatan/{activity_id}/konfirmasi", data={})
    assert await state_of(activity_id) == [("withdrawn", False), ("confirmed", True)]
    assert await confirmed_fact(activity_id)


async def test_a_photo_added_to_a_confirmed_activity_withdraws_the_confirmation(
    season, browser_factory, api_factory
):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    officer = await browser_factory("petugas.sby")
    await officer.post(f"/petugas/kegiatan/{activity_id}/konfirmasi", data={})
    assert await confirmed_fact(activity_id)
    team = await api_factory("peserta.sby")
    url = f"/api/v1/activities/{activity_id}/photos"
    added = await team.post(url, files={"file": ("baru.jpg", jpeg(), "image/jpeg")})
    assert added.status_code == 201, added.text
    assert await state_of(activity_id) == [("withdrawn", False), ("pending", True)]
    assert not await confirmed_fact(activity_id)
    withdrawal = (
        await AuditEvent.select(AuditEvent.after)
        .where((AuditEvent.action == "attestation.withdraw") & (AuditEvent.object_id == str(activity_id)))
        .first()
    )
    assert withdrawal is not None and '"photo"' in str(withdrawal["after"])
    # A photo to an activity still waiting for the officer leaves the request as it is (not asked twice).
    again = await team.post(url, files={"file": ("lagi.jpg", jpeg(), "image/jpeg")})
    assert again.status_code == 201, again.text
    assert await state_of(activity_id) == [("withdrawn", False), ("pending", True)]
    # The officer confirms the activity with its new photos.
    await officer.post(f"/petugas/kegiatan/{activity_id}/konfirmasi", data={})
    assert await confirmed_fact(activity_id)


async def test_the_participant_page_carries_the_qr_code_of_the_confirm_page(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    detail = (await participant.get(f"/kegiatan/{activity_id}")).text
    assert 'data-testid="officer-qr"' in detail and "<svg" in detail
    url = re.search(r'data-testid="officer-confirm-url">([^<]+)<', detail).group(1)
    assert url == f"http://testserver.local/petugas/kegiatan/{activity_id}"
    # Not signed in: to the sign-in page and back.
    anonymous = await browser_factory()
    response = await anonymous.get(f"/petugas/kegiatan/{activity_id}")
    assert response.status_code in (302, 303)
    assert response.headers["location"] == f"/masuk?next=/petugas/kegiatan/{activity_id}"
    signed = await anonymous.post(
        "/masuk",
        data={"username": "petugas.sby", "password": PASSWORD, "next": f"/petugas/kegiatan/{activity_id}"},
    )
    assert signed.headers["location"] == f"/petugas/kegiatan/{activity_id}"
    # An address elsewhere is never followed.
    evil = await anonymous.post(
        "/masuk", data={"username": "petugas.sby", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert evil.headers["location"] == "/petugas"


async def invite_link(participant: Any, activity_id: int, nrp: str) -> str:
    page = await participant.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": nrp})
    assert page.status_code == 200, page.text
    assert "https://wa.me/?text=" in page.text
    return re.search(r'value="(http[^"]+/undangan-petugas/[^"]+)"', page.text).group(1)


async def test_invite_is_single_use_and_creates_the_officer_who_is_then_asked(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(
        participant,
        officer_name=["Slamet Riyadi", ""],
        officer_nrp=["90110022", ""],
        officer_rank=["Aipda", ""],
    )
    assert await state_of(activity_id) == []
    detail = (await participant.get(f"/kegiatan/{activity_id}")).text
    assert 'data-testid="invite-officer"' in detail
    link = await invite_link(participant, activity_id, "90110022")
    token = link.rsplit("/", 1)[1]
    stored = await OfficerInvite.select().first()
    assert stored["token_hash"] != token and token not in str(stored)
    path = link.removeprefix("http://testserver.local")

    officer = await browser_factory()
    form = await officer.get(path)
    assert form.status_code == 200 and "90110022" in form.text
    bad = await officer.post(path, data={"username": "slamet", "password": "pendek", "rank": "Aipda"})
    assert bad.status_code == 422
    data = {
        "username": "slamet",
        "full_name": "Slamet Riyadi",
        "password": PASSWORD,
        "rank": "Aipda",
        "polres": "Polrestabes Surabaya",
        "village": "35.78.01.1001",
    }
    created = await officer.post(path, data=data)
    assert created.status_code in (302, 303), created.text
    assert created.headers["location"] == f"/petugas/kegiatan/{activity_id}"
    assert await state_of(activity_id) == [("pending", True)]
    # Signed in as the new officer, straight to the confirm page.
    assert (await officer.get(f"/petugas/kegiatan/{activity_id}")).status_code == 200
    await officer.post(f"/petugas/kegiatan/{activity_id}/konfirmasi", data={})
    assert await confirmed_fact(activity_id)
    # The link is used up.
    again = await browser_factory()
    assert (await again.get(path)).status_code == 409
    assert (await again.post(path, data={**data, "username": "slamet2"})).status_code == 409
    assert await AuditEvent.exists().where(AuditEvent.action == "attestation.invite")
    # An officer who now has an account is not invited again.
    assert (
        await participant.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": "90110022"})
    ).status_code == 409


async def test_invite_expires_and_only_for_a_named_nrp(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant, officer_nrp=["90110033", ""])
    refused = await participant.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": "12345678"})
    assert refused.status_code == 422
    other = await browser_factory("peserta.mlg")
    assert (
        await other.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": "90110033"})
    ).status_code == 404
    path = (await invite_link(participant, activity_id, "90110033")).removeprefix("http://testserver.local")
    await OfficerInvite.update({OfficerInvite.expires_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        OfficerInvite.nrp == "90110033"
    )
    assert (await (await browser_factory()).get(path)).status_code == 409
    assert (await (await browser_factory()).get("/undangan-petugas/tidak-ada")).status_code == 404


async def test_officer_accounts_from_the_console_and_the_import(season, browser_factory):
    organiser = await browser_factory("panitia")
    bad = await organiser.post(
        "/panitia/akun",
        data={"username": "petugas.baru", "password": PASSWORD, "role": "officer", "nrp": "12ab"},
    )
    assert bad.status_code == 422
    ok = await organiser.post(
        "/panitia/akun",
        data={
            "username": "petugas.baru",
            "password": PASSWORD,
            "role": "officer",
            "full_name": "Bripka Baru",
            "nrp": "77001122",
            "rank": "Bripka",
            "polres": "Polres Malang",
            "village": "35.78.01.1001",
        },
    )
    assert ok.status_code in (302, 303), ok.text
    assert (await officers.account_for_nrp("77001122"))["rank"] == "Bripka"
    duplicate = await organiser.post(
        "/panitia/akun",
        data={
            "username": "petugas.dua",
            "password": PASSWORD,
            "role": "petugas",
            "nrp": "77001122",
            "rank": "Bripka",
            "polres": "Polres Malang",
            "village": "35.78.01.1001",
        },
    )
    assert duplicate.status_code == 422
    csv = (
        b"username,nama,peran,nrp,pangkat,polres,desa\n"
        b"petugas.impor,Aiptu Impor,petugas,66001122,Aiptu,Polres Malang,35.78.01.1001\n"
    )
    preview = await organiser.post(
        "/panitia/akun/impor", files={"file": ("akun.csv", csv, "text/csv")}, data={}
    )
    assert preview.status_code == 200, preview.text
    payload = re.search(r'name="payload" value="([^"]+)"', preview.text)
    assert payload, preview.text
    import html

    confirm = await organiser.post(
        "/panitia/akun/impor/simpan", data={"payload": html.unescape(payload.group(1))}
    )
    assert confirm.status_code in (200, 302, 303), confirm.text
    assert (await officers.account_for_nrp("66001122"))["rank"] == "Aiptu"


async def test_judges_read_the_confirmation_and_filter_by_it(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    confirmed = await send(participant, title="Sambang dikonfirmasi")
    waiting = await send(participant, title="Sambang menunggu")
    nobody = await send(participant, officer_nrp=["99999999", ""], title="Sambang tanpa akun")
    officer = await browser_factory("petugas.sby")
    await officer.post(f"/petugas/kegiatan/{confirmed}/konfirmasi", data={})
    judge = await browser_factory("juri.mlg")
    listing = (await judge.get("/juri/daftar")).text
    # The officer's account name (the seeded one is "Petugas.Sby"), rank and NRP, and when, in WIB.
    when = r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}\.\d{2} WIB"
    assert re.search(rf"Dikonfirmasi oleh Bripka Petugas\.Sby \(NRP 85011234\), {when}", listing), listing
    assert "Belum dikonfirmasi" in listing
    only = (await judge.get("/juri/daftar?petugas=confirmed")).text
    ids = {int(i) for i in re.findall(r'data-activity-id="(\d+)"', only)}
    assert ids == {confirmed}
    pending = {
        int(i)
        for i in re.findall(
            r'data-activity-id="(\d+)"', (await judge.get("/juri/daftar?petugas=pending")).text
        )
    }
    assert pending == {waiting}
    none = {
        int(i)
        for i in re.findall(r'data-activity-id="(\d+)"', (await judge.get("/juri/daftar?petugas=none")).text)
    }
    assert none == {nobody}
    detail = (await judge.get(f"/juri/kegiatan/{confirmed}")).text
    assert "Dikonfirmasi oleh Bripka Petugas.Sby (NRP 85011234)" in detail
    organiser = await browser_factory("panitia")
    jury = (await organiser.get("/panitia/juri")).text
    counts = {
        k: re.search(rf'data-testid="attested-{k}">([^<]+)<', jury).group(1)
        for k in ("confirmed", "pending", "declined", "none")
    }
    assert counts == {"confirmed": "1", "pending": "1", "declined": "0", "none": "1"}
    audit = (await organiser.get("/panitia/audit")).text
    assert "Kegiatan dikonfirmasi petugas" in audit


async def test_the_api_carries_the_attestation_and_the_officer_answers_through_it(
    season, browser_factory, api_factory
):
    participant = await browser_factory("peserta.sby")
    first = await send(participant, title="Lewat API satu")
    second = await send(participant, title="Lewat API dua")
    officer = await api_factory("petugas.sby")
    pending = await officer.get("/api/v1/officer/attestations")
    assert pending.status_code == 200
    assert {i["activity_id"] for i in pending.json()["items"]} == {first, second}
    listed = await officer.get("/api/v1/competitions/uji/activities")
    assert {i["id"] for i in listed.json()["items"]} == {first, second}
    done = await officer.post(f"/api/v1/activities/{first}/attestation/confirm", {"lat": -7.2, "lon": 112.7})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "confirmed" and done.json()["officer_nrp"] == "85011234"
    refused = await officer.post(f"/api/v1/activities/{second}/attestation/decline", {"reason": " "})
    assert refused.status_code == 422
    declined = await officer.post(
        f"/api/v1/activities/{second}/attestation/decline", {"reason": "Tidak ikut"}
    )
    assert declined.json()["state"] == "declined" and declined.json()["reason"] == "Tidak ikut"
    again = await officer.post(f"/api/v1/activities/{second}/attestation/confirm", {})
    assert again.status_code == 409
    organiser = await api_factory("panitia")
    detail = (await organiser.get(f"/api/v1/activities/{first}")).json()["attestation"]
    assert detail["state"] == "confirmed"
    assert (detail["officer_name"], detail["officer_rank"]) == ("Petugas.Sby", "Bripka")
    assert detail["decided_at"]
    judge = await api_factory("juri.mlg")
    assert (await judge.post(f"/api/v1/activities/{first}/attestation/confirm", {})).status_code == 403


async def test_confirmation_racing_an_edit_keeps_the_fact_true_to_the_attestations(
    season, browser_factory, api_factory
):
    """The officer's confirm (page and API in turn) against the team's edit, a few milliseconds apart in
    either order: both take the team's lock and the activity's, so one wins and the other sees it; there
    is always exactly one current attestation, and `officer_confirmed` is true exactly when it is
    confirmed. No 500, no deadlock (SQLite, or PostgreSQL with SINERGI_TEST_POSTGRES)."""
    import asyncio
    import random
    import uuid

    from tests.integration.api.helpers import activity_body

    participant_api = await api_factory("peserta.sby")
    participant = await browser_factory("peserta.sby")
    officer_page = await browser_factory("petugas.sby")
    officer_api = await api_factory("petugas.sby")
    rng = random.Random(8)
    orders = {"confirmed, then withdrawn": 0, "edited, then confirmed": 0}

    async def after(delay: float, request: Any) -> Any:
        await asyncio.sleep(delay)
        return await request

    for n in range(12):
        created = await participant_api.post(
            "/api/v1/competitions/uji/activities",
            activity_body(title=f"Ronde {n}"),
            headers={"Idempotency-Key": f"attest-race-{n}"},
        )
        activity_id = created.json()["id"]
        if n % 2:
            confirm = officer_api.post(f"/api/v1/activities/{activity_id}/attestation/confirm", {})
        else:
            confirm = officer_page.post(f"/petugas/kegiatan/{activity_id}/konfirmasi", data={})
        edit = participant.post(
            f"/kegiatan/{activity_id}/ubah", data=activity_form(str(uuid.uuid4()), title=f"Diubah {n}")
        )
        confirmed, edited = await asyncio.gather(
            after(rng.uniform(0, 0.008), confirm), after(rng.uniform(0, 0.008), edit)
        )
        assert confirmed.status_code in (200, 302, 303), confirmed.text
        assert edited.status_code in (302, 303), edited.text
        states = await state_of(activity_id)
        current = [s for s, is_current in states if is_current]
        assert len(current) == 1, states
        assert await confirmed_fact(activity_id) == (current == ["confirmed"]), states
        orders["edited, then confirmed" if current == ["confirmed"] else "confirmed, then withdrawn"] += 1
    assert sum(orders.values()) == 12


async def test_an_officer_account_made_later_is_asked_for_the_activities_already_naming_it(
    season, browser_factory
):
    participant = await browser_factory("peserta.sby")
    named = await send(participant, officer_nrp=["91110044", ""], title="Sebelum akun ada")
    other = await send(participant, officer_nrp=["91110055", ""], title="Petugas lain")
    assert await state_of(named) == [] and await state_of(other) == []
    await create_account(
        username="petugas.baru",
        password=PASSWORD,
        role="officer",
        officer=officers.OfficerFields("91110044", "Briptu", "Polrestabes Surabaya", "35.78.01.1001"),
    )
    assert await state_of(named) == [("pending", True)]
    assert await state_of(other) == []
    late = await browser_factory("petugas.baru")
    assert f'data-activity="{named}"' in (await late.get("/petugas")).text


async def test_blind_judging_tells_the_judges_that_it_was_confirmed_but_not_by_whom(
    season, browser_factory, api_factory
):
    from app.tables import Competition

    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    officer = await browser_factory("petugas.sby")
    await officer.post(f"/petugas/kegiatan/{activity_id}/konfirmasi", data={})
    await Competition.update({Competition.blind_judging: True}).where(Competition.id == season.competition.id)
    judge = await browser_factory("juri.mlg")
    for url in ("/juri/daftar", f"/juri/kegiatan/{activity_id}"):
        text = (await judge.get(url)).text
        assert "Dikonfirmasi oleh petugas, " in text, url
        assert "85011234" not in text and "Petugas.Sby" not in text, url
    api = await api_factory("juri.mlg")
    seen = (await api.get(f"/api/v1/activities/{activity_id}")).json()["attestation"]
    assert seen["state"] == "confirmed" and seen["officer_name"] is None and seen["officer_nrp"] is None


async def test_the_officers_answer_moves_the_standings_when_the_rules_require_it(season, browser_factory):
    """The contract with the `joint_only` rule's `require_confirmation`: the officer's confirmation of a
    verified activity, through the fact it keeps (`officer_confirmed`), reaches the stored standings in the
    answer's own transaction (AttestationChanged), with no recompute asked by anyone else."""
    from app.leaderboard.services import leaderboard
    from tests.integration.test_organiser_rules import _verified_activity

    async def score() -> Any:
        rows, _version = await leaderboard(season.competition.id)
        return {row.team_code: row.score for row in rows}["35.78"]

    organiser = await browser_factory("panitia")
    await organiser.post("/panitia/aturan/kosongkan")
    for rule in ("joint_only", "points_per_activity"):
        await organiser.post("/panitia/aturan/tambah", data={"rule": rule})
    await organiser.post(
        "/panitia/aturan/0/parameter",
        data={"p.min_senkom": "1", "p.min_officers": "1", "p.require_confirmation": "true"},
    )
    await organiser.post("/panitia/aturan/1/parameter", data={"p.points.DDS": "10", "p.default": "1"})
    published = await organiser.post("/panitia/aturan/terbitkan", data={"note": "konfirmasi", "confirm": "1"})
    assert published.status_code in (302, 303), published.text
    await _verified_activity(season, browser_factory)
    (activity,) = await Activity.select(Activity.id, Activity.status)
    assert activity["status"] == "verified"
    assert await score() == 0  # verified, but no officer has confirmed it yet
    officer = await browser_factory("petugas.sby")
    answer = await officer.post(f"/petugas/kegiatan/{activity['id']}/konfirmasi", data={})
    assert answer.status_code in (302, 303)
    assert await score() == 10


async def test_a_withdrawn_activity_leaves_nothing_waiting_for_the_officer(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    invited = await send(participant, officer_nrp=["90110066", ""], title="Dengan undangan")
    await invite_link(participant, invited, "90110066")
    for target in (activity_id, invited):
        gone = await participant.post(f"/kegiatan/{target}/tarik")
        assert gone.status_code in (302, 303), gone.text
    assert await Attestation.count() == 0 and await OfficerInvite.count() == 0
    officer = await browser_factory("petugas.sby")
    listing = await officer.get("/petugas")
    assert listing.status_code == 200 and 'data-testid="nothing-waiting"' in listing.text

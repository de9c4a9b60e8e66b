"""After sending: change or withdraw while nobody has reviewed it, the status timeline, a rejected activity
corrected and sent once more, and the team's list by status."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.tables import Activity, AuditEvent, Photo
from tests.integration.conftest import activity_form, form_key
from tests.integration.test_capture import picture
from tests.integration.test_participant import indonesian


async def _sent(b, files=(), **overrides) -> int:
    key = form_key((await b.get("/kegiatan/baru")).text)
    response = await b.send_activity(
        activity_form(key, **overrides), **({"files": list(files)} if files else {})
    )
    assert response.status_code in (302, 303), response.text[:500]
    return int(re.search(r"/kegiatan/(\d+)", response.headers["location"]).group(1))


async def _decide(judge, activity_id: int, decision: str, reason: str = "") -> None:
    response = await judge.post(
        f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": decision, "reason": reason}
    )
    assert response.status_code in (302, 303), response.text[:500]


async def test_change_while_submitted_then_locked_once_reviewed(season, browser_factory):
    b = await browser_factory("peserta.sby")
    activity_id = await _sent(b)
    form = await b.get(f"/kegiatan/{activity_id}/ubah")
    assert form.status_code == 200 and 'value="Sambang warga RW 03"' in form.text
    assert f'action="/kegiatan/{activity_id}/ubah"' in form.text and "data-draft-url" not in form.text
    changed = await b.post(
        f"/kegiatan/{activity_id}/ubah",
        data=activity_form(
            form_key(form.text), title="Sambang warga RW 03 (diperbaiki)", residents_reached="55"
        ),
        files=[("photos", ("a.jpg", picture(50), "image/jpeg"))],
    )
    assert changed.status_code in (302, 303)
    row = await Activity.select().where(Activity.id == activity_id).first()
    assert row["title"] == "Sambang warga RW 03 (diperbaiki)" and row["residents_reached"] == 55
    # One photo sent with the activity, one added by the change.
    assert await Photo.count().where(Photo.activity == activity_id) == 2
    assert await AuditEvent.exists().where(AuditEvent.action == "activity.edit")
    detail = await b.get(f"/kegiatan/{activity_id}")
    assert 'data-kind="edited"' in detail.text and 'data-testid="edit-activity"' in detail.text
    # More than five photos in all is refused with the form kept.
    many = [("photos", (f"{i}.jpg", picture(70 + i), "image/jpeg")) for i in range(5)]
    too_many = await b.post(
        f"/kegiatan/{activity_id}/ubah", data=activity_form(form_key(form.text)), files=many
    )
    assert (
        too_many.status_code == 422 and indonesian("At most %(n)s photos per activity.", n=5) in too_many.text
    )
    assert await Photo.count().where(Photo.activity == activity_id) == 2
    # Bad input comes back with the form, nothing changed.
    bad = await b.post(f"/kegiatan/{activity_id}/ubah", data=activity_form(form_key(form.text), title=""))
    assert bad.status_code == 422 and indonesian("Fill in the title of the activity.") in bad.text

    judge = await browser_factory("juri.mlg")
    await _decide(judge, activity_id, "verified")
    assert (await b.get(f"/kegiatan/{activity_id}/ubah")).status_code == 409
    late = await b.post(
        f"/kegiatan/{activity_id}/ubah", data=activity_form(form_key(form.text), title="Terlambat")
    )
    assert late.status_code == 409
    assert (await b.post(f"/kegiatan/{activity_id}/tarik", data={})).status_code == 409
    detail = await b.get(f"/kegiatan/{activity_id}")
    assert 'data-testid="edit-activity"' not in detail.text
    kinds = re.findall(r'data-testid="timeline-event" data-kind="(\w+)"', detail.text)
    assert kinds == ["submitted", "edited", "review", "verified"]


async def test_withdraw_asks_first_and_removes_the_photos(season, browser_factory, settings):
    b = await browser_factory("peserta.sby")
    activity_id = await _sent(b, files=[("photos", ("a.jpg", picture(51), "image/jpeg"))])
    stored = [Path(settings.var_dir) / p["path"] for p in await Photo.select(Photo.path)]
    assert all(p.exists() for p in stored)
    confirm = await b.get(f"/kegiatan/{activity_id}/tarik")
    assert confirm.status_code == 200 and 'data-testid="confirm-withdraw"' in confirm.text
    assert await Activity.count() == 1  # asking is not doing
    gone = await b.post(f"/kegiatan/{activity_id}/tarik", data={})
    assert gone.status_code in (302, 303) and "ditarik=1" in gone.headers["location"]
    assert await Activity.count() == 0 and await Photo.count() == 0
    assert not any(p.exists() for p in stored)
    assert await AuditEvent.exists().where(AuditEvent.action == "activity.withdraw")
    other = await browser_factory("peserta.mlg")
    mlg_id = await _sent(other, village_code="35.07.01.2001")
    assert (await b.post(f"/kegiatan/{mlg_id}/tarik", data={})).status_code == 404


async def test_a_rejected_activity_is_corrected_and_sent_once_more(season, browser_factory):
    b = await browser_factory("peserta.sby")
    rejected_id = await _sent(b, files=[("photos", ("a.jpg", picture(52), "image/jpeg"))])
    judge = await browser_factory("juri.mlg")
    await _decide(judge, rejected_id, "rejected", "Foto tidak menunjukkan kegiatan")
    detail = await b.get(f"/kegiatan/{rejected_id}")
    assert (
        "Foto tidak menunjukkan kegiatan" in detail.text and 'data-testid="resubmit-activity"' in detail.text
    )
    form = await b.get(f"/kegiatan/{rejected_id}/kirim-ulang")
    assert form.status_code == 200 and 'value="Sambang warga RW 03"' in form.text
    data = activity_form(form_key(form.text), title="Sambang warga RW 03 dengan foto baru")
    files = [("photos", ("b.jpg", picture(53), "image/jpeg"))]
    first = await b.post(f"/kegiatan/{rejected_id}/kirim-ulang", data=data, files=files)
    second = await b.post(f"/kegiatan/{rejected_id}/kirim-ulang", data=data, files=files)
    assert first.headers["location"] == second.headers["location"]  # sent once more, exactly once
    new_id = int(re.search(r"/kegiatan/(\d+)", first.headers["location"]).group(1))
    assert new_id != rejected_id and await Activity.count() == 2
    assert await Photo.count().where(Photo.activity == new_id) == 2  # the old photo came along
    copy = await b.get(f"/kegiatan/{new_id}")
    assert 'data-kind="resubmitted"' in copy.text and f"#{rejected_id}" in copy.text
    original = await b.get(f"/kegiatan/{rejected_id}")
    assert 'data-testid="resubmitted-as"' in original.text
    assert (await b.get(f"/kegiatan/{rejected_id}/kirim-ulang")).headers["location"] == f"/kegiatan/{new_id}"
    # The corrected copy, rejected again, is not sent a third time.
    await _decide(judge, new_id, "rejected", "Masih kurang")
    assert (await b.get(f"/kegiatan/{new_id}/kirim-ulang")).status_code == 409
    third = await b.post(f"/kegiatan/{new_id}/kirim-ulang", data=data)
    assert third.status_code == 409 and await Activity.count() == 2


async def test_list_by_status(season, browser_factory):
    b = await browser_factory("peserta.sby")
    verified = await _sent(b, title="Satu")
    await _sent(b, title="Dua")
    judge = await browser_factory("juri.mlg")
    await _decide(judge, verified, "verified")
    everything = await b.get("/kegiatan")
    assert everything.text.count('data-testid="activity-item"') == 2
    only = await b.get("/kegiatan?status=verified")
    assert only.text.count('data-testid="activity-item"') == 1 and ">Satu<" in only.text
    assert (await b.get("/kegiatan?status=apa")).status_code == 200


async def test_this_weeks_activities_against_the_cap(season, browser_factory):
    b = await browser_factory("peserta.sby")
    now_wib = datetime.now(UTC) + timedelta(hours=7)
    when = (now_wib - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    ids = [await _sent(b, title=f"Ronda {i}", occurred_at=when) for i in range(7)]
    judge = await browser_factory("juri.mlg")
    for activity_id in ids[:6]:
        await _decide(judge, activity_id, "verified")
    page = await b.get("/kegiatan")
    assert page.text.count('data-testid="period-cap"') == 1  # the default ruleset caps each type per week
    group = re.search(r'data-testid="cap-group">(.*?)</li>', page.text, re.S).group(1)
    assert indonesian("%(counted)s of %(max)s counted", counted="5", max="5") in group
    assert indonesian("%(n)s awaiting review", n="1") in group
    assert indonesian("over the cap: the extra ones do not count") in group
    assert 'data-testid="team-score-link"' in page.text

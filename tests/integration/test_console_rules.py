"""The participants', judges' and organisers' rules behind issue 15: a corrected resubmission is a new
activity, ids are never handed out twice, the same rule is not added twice, the final results warn of the
activities still waiting, and the demo refuses a busy port before it seeds anything."""

from __future__ import annotations

import re
import socket

from app import i18n
from app.errors import Conflict, Invalid
from app.organiser import rulesets
from app.organiser.results import ActivitiesWaiting, publish_final, waiting_activities
from app.tables import Activity, FinalResult, Photo
from scoring.ruleset import parse_ruleset
from tests.integration.conftest import activity_form, form_key
from tests.integration.test_capture import picture
from tests.integration.test_participant_followup import _decide, _sent


def _id(location: str) -> int:
    return int(re.search(r"/kegiatan/(\d+)", location).group(1))


async def test_a_rejected_activity_sent_again_with_only_a_new_photo_is_a_new_activity(
    season, browser_factory
):
    team = await browser_factory("peserta.sby")
    rejected_id = await _sent(team, files=[("photos", ("a.jpg", picture(301), "image/jpeg"))])
    judge = await browser_factory("juri.mlg")
    await _decide(judge, rejected_id, "rejected", "Foto tidak jelas")
    form = await team.get(f"/kegiatan/{rejected_id}/kirim-ulang")
    # Every field exactly as before (the same content as the rejected original); only a new photo.
    sent = await team.post(
        f"/kegiatan/{rejected_id}/kirim-ulang",
        data=activity_form(form_key(form.text)),
        files=[("photos", ("b.jpg", picture(302), "image/jpeg"))],
    )
    assert sent.status_code in (302, 303), sent.text[:300]
    new_id = _id(sent.headers["location"])
    assert new_id != rejected_id
    row = await Activity.select(Activity.status).where(Activity.id == new_id).first()
    assert row["status"] == "submitted"
    # The old photo came along and the new one is kept; the rejected original is untouched.
    assert await Photo.count().where(Photo.activity == new_id) == 2
    assert await Photo.count().where(Photo.activity == rejected_id) == 1
    assert (await Activity.select(Activity.status).where(Activity.id == rejected_id).first())[
        "status"
    ] == "rejected"
    # A live twin still catches a double send: the same content once more gives the same activity.
    again = await team.post(f"/kegiatan/{rejected_id}/kirim-ulang", data=activity_form(form_key(form.text)))
    assert _id(again.headers["location"]) == new_id and await Activity.count() == 2


async def test_an_id_is_not_handed_out_again_after_a_withdrawal(season, browser_factory):
    team = await browser_factory("peserta.sby")
    first = await _sent(team, title="Ditarik", files=[("photos", ("a.jpg", picture(311), "image/jpeg"))])
    photo_id = (await Photo.select(Photo.id).where(Photo.activity == first).first())["id"]
    gone = await team.post(f"/kegiatan/{first}/tarik", data={})
    assert gone.status_code in (302, 303) and await Activity.count() == 0
    second = await _sent(team, title="Sesudahnya", files=[("photos", ("b.jpg", picture(312), "image/jpeg"))])
    assert second > first
    new_photo = (await Photo.select(Photo.id).where(Photo.activity == second).first())["id"]
    assert new_photo > photo_id


async def test_the_same_rule_twice_in_a_draft_is_refused(season, browser_factory):
    ruleset = parse_ruleset({"rules": [{"rule": "points_per_activity", "params": {}}]})
    try:
        rulesets.with_rule_added(ruleset, "points_per_activity")
    except Invalid as exc:
        assert "rule" in exc.fields
    else:
        raise AssertionError("the same rule was added twice")
    assert len(rulesets.with_rule_added(ruleset, "reach_bonus").rules) == 2
    organiser = await browser_factory("panitia")
    await organiser.post("/panitia/aturan/kosongkan")
    assert (await organiser.post("/panitia/aturan/tambah", data={"rule": "reach_bonus"})).status_code in (
        302,
        303,
    )
    twice = await organiser.post("/panitia/aturan/tambah", data={"rule": "reach_bonus"})
    assert twice.status_code == 422 and 'data-testid="error-add-rule"' in twice.text
    assert "sudah ada di draf" in twice.text
    page = await organiser.get("/panitia/aturan/")
    assert page.text.count('data-testid="draft-rule" data-rule="reach_bonus"') == 1


async def test_final_results_warn_of_the_activities_still_waiting(season, browser_factory):
    team = await browser_factory("peserta.sby")
    for title in ("Satu", "Dua"):
        await _sent(team, title=title)
    assert await waiting_activities(season.competition.id) == 2
    try:
        await publish_final(season.competition, actor_id=None, actor_name="uji", note="")  # type: ignore[arg-type]
    except ActivitiesWaiting as exc:
        assert exc.count == 2 and isinstance(exc, Conflict)
    else:
        raise AssertionError("published with activities waiting and no warning")
    organiser = await browser_factory("panitia")
    form = await organiser.get("/panitia/musim/hasil-akhir")
    assert 'data-testid="final-waiting" data-count="2"' in form.text
    assert i18n.ngettext(
        "%(num)s activity is still waiting for the judges: it will not count in the final results.",
        "%(num)s activities are still waiting for the judges: they will not count in the final results.",
        2,
    ).replace("2", "") in form.text.replace("2", "")
    unwarned = await organiser.post("/panitia/musim/hasil-akhir", data={"confirm": "1"})
    assert unwarned.status_code == 409 and await FinalResult.count() == 0
    # One more sent since the page was shown: the organiser is warned again of the new count.
    await _sent(team, title="Tiga")
    stale = await organiser.post("/panitia/musim/hasil-akhir", data={"confirm": "1", "waiting_seen": "2"})
    assert stale.status_code == 409 and 'data-count="3"' in stale.text and await FinalResult.count() == 0
    ok = await organiser.post("/panitia/musim/hasil-akhir", data={"confirm": "1", "waiting_seen": "3"})
    assert ok.status_code in (302, 303) and await FinalResult.count() == 1
    # Afterwards the editor shows its actions locked, and trying anyway says why (not a bare code).
    editor = await organiser.get("/panitia/aturan/")
    assert 'data-testid="rules-locked"' in editor.text and 'data-testid="publish"' not in editor.text
    assert '<fieldset class="plain" disabled data-testid="rules-editing">' in editor.text
    refused = await organiser.post("/panitia/aturan/terbitkan", data={"confirm": "1"})
    message = "Hasil akhir sudah diumumkan"
    assert refused.status_code == 409 and message in refused.text
    cleared = await organiser.post("/panitia/aturan/kosongkan")
    assert cleared.status_code == 409 and message in cleared.text
    adjustments = await organiser.get("/panitia/penyesuaian")
    assert 'data-testid="adjustments-locked"' in adjustments.text
    assert '<fieldset class="plain" disabled>' in adjustments.text


def test_demo_on_a_busy_port_says_so_and_seeds_nothing(tmp_path):
    import os
    import subprocess
    import sys

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "SINERGI_VAR_DIR": str(tmp_path),
        "LANG": "id_ID.UTF-8",
    }
    env.pop("REDIS_URL", None)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "demo", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        busy.close()
    assert done.returncode != 0
    assert f"port {port} sudah dipakai" in done.stderr + done.stdout
    assert "buka http" not in (done.stderr + done.stdout).lower()
    assert not (tmp_path / "demo.sqlite3").exists()

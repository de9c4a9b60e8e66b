"""Attacks on the officer's doors (review of issue 17): a forged form without the CSRF token, an officer
answering an activity that does not name them, an invite for an NRP that has an account meanwhile, bad NRP
input, an overlong reason, another team's participant on the QR address, next= leading elsewhere. Each is
a clear Indonesian refusal with its 4xx, never a 500."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import pytest

from app.accounts import officers
from app.accounts.services import create_account
from app.tables import Activity, Attestation
from tests.integration.api.helpers import api_factory
from tests.integration.conftest import PASSWORD, activity_form, form_key

__all__ = ["api_factory"]


async def send(browser: Any, **overrides: Any) -> int:
    key = form_key((await browser.get("/kegiatan/baru")).text)
    response = await browser.send_activity(activity_form(key, **overrides))
    assert response.status_code in (302, 303), response.text
    return int(re.search(r"/kegiatan/(\d+)", response.headers["location"]).group(1))


async def states(activity_id: int) -> list[str]:
    rows = await Attestation.select(Attestation.state).where(Attestation.activity == activity_id)
    return [r["state"] for r in rows]


async def test_every_new_form_refuses_a_post_without_the_csrf_token(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant, officer_nrp=["90110022", ""], officer_name=["Slamet", ""])
    named = await send(participant, title="Sambang kedua")
    officer = await browser_factory("petugas.sby")
    await officer.get("/petugas")
    for client, url, data in (
        (officer, f"/petugas/kegiatan/{named}/konfirmasi", {}),
        (officer, f"/petugas/kegiatan/{named}/tolak", {"reason": "bukan saya"}),
        (participant, f"/kegiatan/{activity_id}/undang-petugas", {"nrp": "90110022"}),
        (officer, "/undangan-petugas/abc", {"username": "x"}),
    ):
        response = await client.client.post(url, data=data, follow_redirects=False)
        assert response.status_code == 403, (url, response.status_code)
    assert await states(named) == ["pending"]


async def test_an_officer_not_named_cannot_answer_at_either_door(season, browser_factory, api_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    await create_account(
        username="petugas.lain",
        password=PASSWORD,
        role="petugas",
        full_name="Bripda Lain",
        officer=officers.OfficerFields("87654321", "Bripda", "Polrestabes Surabaya", "35.78.01.1001"),
    )
    page = await browser_factory("petugas.lain")
    assert (
        await page.post(f"/petugas/kegiatan/{activity_id}/tolak", data={"reason": "x"})
    ).status_code == 404
    api = await api_factory("petugas.lain")
    for verb, body in (("confirm", {}), ("decline", {"reason": "bukan"})):
        response = await api.post(f"/api/v1/activities/{activity_id}/attestation/{verb}", body)
        assert response.status_code == 404, response.text
    for missing in (10**6, 2**31, 2**63):
        response = await api.post(f"/api/v1/activities/{missing}/attestation/confirm", {})
        assert response.status_code in (404, 422), response.text
        assert (await page.post(f"/petugas/kegiatan/{missing}/konfirmasi", data={})).status_code in (404, 422)
    assert await states(activity_id) == ["pending"]


async def test_an_overlong_reason_is_refused_in_indonesian(season, browser_factory, api_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    officer = await browser_factory("petugas.sby")
    huge = "alasan " * 200_000
    response = await officer.post(f"/petugas/kegiatan/{activity_id}/tolak", data={"reason": huge})
    assert response.status_code in (413, 422), response.status_code
    assert "karakter" in response.text or "terlalu" in response.text.lower(), response.text[:500]
    api = await api_factory("petugas.sby")
    response = await api.post(f"/api/v1/activities/{activity_id}/attestation/decline", {"reason": "x" * 5000})
    assert response.status_code == 422 and "karakter" in response.text, response.text
    assert await states(activity_id) == ["pending"]


async def test_invites_for_an_nrp_with_an_account_and_bad_nrps(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant, officer_nrp=["90110022", ""], officer_name=["Slamet", ""])
    # The demo officer's NRP has an account: no invite.
    named = await send(participant, title="Sambang kedua")
    taken = await participant.post(f"/kegiatan/{named}/undang-petugas", data={"nrp": "85011234"})
    assert taken.status_code == 409 and "akun" in taken.text
    for bad in ("", "abc", "9" * 5000, "90110022' OR 1=1", "\x00"):
        response = await participant.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": bad})
        # A NUL byte is refused by the framework's guard (400, in Indonesian), the rest by the service.
        assert response.status_code in (400, 404, 409, 422), (bad[:20], response.status_code)
    page = await participant.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": "90110022"})
    link = re.search(r'value="(http[^"]+/undangan-petugas/[^"]+)"', page.text).group(1)
    path = link.removeprefix("http://testserver.local")
    # Meanwhile the organisers make the officer's account: the link cannot make a second one.
    await create_account(
        username="slamet.panitia",
        password=PASSWORD,
        role="petugas",
        full_name="Slamet",
        officer=officers.OfficerFields("90110022", "Aipda", "Polrestabes Surabaya", "35.78.01.1001"),
    )
    officer = await browser_factory()
    data = {
        "username": "slamet",
        "full_name": "Slamet Riyadi",
        "password": PASSWORD,
        "rank": "Aipda",
        "polres": "Polrestabes Surabaya",
        "village": "35.78.01.1001",
    }
    response = await officer.post(path, data=data)
    assert response.status_code in (409, 422), response.status_code
    assert "NRP" in response.text
    for token in ("x" * 5000, "%00", "..%2F..%2Fetc"):
        assert (await officer.get(f"/undangan-petugas/{token}")).status_code in (400, 404, 409)
        assert (await officer.post(f"/undangan-petugas/{token}", data=data)).status_code in (400, 404, 409)


async def test_another_teams_participant_on_the_qr_address(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant)
    other = await browser_factory("peserta.mlg")
    response = await other.get(f"/petugas/kegiatan/{activity_id}")
    assert response.status_code in (403, 404)
    assert "Sambang" not in response.text
    assert (await other.get(f"/kegiatan/{activity_id}")).status_code == 404


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        " //evil.example",
    ],
)
async def test_next_never_leaves_the_site(season, browser_factory, target):
    anonymous = await browser_factory()
    response = await anonymous.post(
        "/masuk", data={"username": "petugas.sby", "password": PASSWORD, "next": target}
    )
    location = response.headers["location"]
    # Where a browser goes: control characters are sent percent-encoded, so they are never stripped into
    # a "//host" address.
    assert location.isprintable() and " " not in location
    assert urljoin("http://testserver.local/masuk", location).startswith("http://testserver.local/")


async def test_the_desa_of_duty_is_chosen_by_name_not_typed_as_a_code(season, browser_factory):
    organiser = await browser_factory("panitia")
    console = (await organiser.get("/panitia/akun")).text
    assert 'id="village_regency"' in console and "Kota Surabaya" in console
    assert "35.78.01.1001)" not in console  # no "type the code" hint any more
    options = await organiser.get("/wilayah/desa?village_regency=35.78")
    assert options.status_code == 200
    assert "Kecamatan" in options.text and 'value="35.78.01.1001"' in options.text
    assert "35.78.01.1001<" not in options.text  # the code is the value, the name is what one reads
    for junk in ("", "99.99", "x" * 500, "35.78.01.1001"):
        response = await organiser.get("/wilayah/desa", params={"village_regency": junk})
        assert response.status_code == 200 and "Kecamatan" not in response.text
    # A wrong send comes back with the regency's desa to choose from.
    back = await organiser.post(
        "/panitia/akun",
        data={
            "username": "petugas.baru",
            "full_name": "Bripda Baru",
            "role": "officer",
            "nrp": "91010101",
            "rank": "Bripda",
            "polres": "Polrestabes Surabaya",
            "village_regency": "35.78",
            "village": "",
        },
    )
    assert back.status_code == 422
    assert 'value="35.78.01.1001"' in back.text and '<option value="35.78" selected' in back.text
    anonymous = await browser_factory()
    assert (await anonymous.get("/wilayah/desa?village_regency=35.07")).status_code == 200


async def test_the_invite_form_offers_the_teams_regency_and_says_pangkat(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant, officer_nrp=["90110022", ""], officer_name=["Slamet", ""])
    page = await participant.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": "90110022"})
    link = re.search(r'value="(http[^"]+/undangan-petugas/[^"]+)"', page.text).group(1)
    form = (await (await browser_factory()).get(link.removeprefix("http://testserver.local"))).text
    assert '<option value="35.78" selected>' in form and 'value="35.78.01.1001"' in form
    assert ">Pangkat<" in form and "Peringkat" not in form


async def test_the_accounts_table_names_places_not_codes(season, browser_factory):
    organiser = await browser_factory("panitia")
    html = (await organiser.get("/panitia/akun")).text
    cells = re.findall(r'data-testid="account-place">([^<]*)<', html)
    assert cells and not any(re.fullmatch(r"\d\d\.\d\d.*", c) for c in cells), cells
    assert "Kabupaten Malang" in cells
    assert any(c.startswith("Bripka · NRP 85011234 · ") for c in cells), cells


async def test_a_rejected_activity_offers_no_invite_and_an_earlier_link_asks_nobody(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    activity_id = await send(participant, officer_nrp=["90110022", ""], officer_name=["Slamet", ""])
    page = await participant.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": "90110022"})
    path = re.search(r'value="http://testserver.local(/undangan-petugas/[^"]+)"', page.text).group(1)
    await Activity.update({Activity.status: "rejected"}).where(Activity.id == activity_id)
    detail = (await participant.get(f"/kegiatan/{activity_id}")).text
    assert 'data-testid="invite-officer"' not in detail
    refused = await participant.post(f"/kegiatan/{activity_id}/undang-petugas", data={"nrp": "90110022"})
    assert refused.status_code == 409 and "ditolak" in refused.text
    # A link made before the verdict still makes the account, but asks nothing of a rejected activity.
    officer = await browser_factory()
    data = {
        "username": "slamet",
        "password": PASSWORD,
        "rank": "Aipda",
        "polres": "Polrestabes Surabaya",
        "village": "35.78.01.1001",
    }
    created = await officer.post(path, data=data)
    assert created.status_code in (302, 303), created.text
    assert created.headers["location"] == "/petugas"
    assert await states(activity_id) == []

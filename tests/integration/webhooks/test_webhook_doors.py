"""Door parity for webhooks: the console page and the API call one service (`app.webhooks.endpoints`) and
give the same verdict for the same request — refused input (with the same Indonesian message), the wrong
role, an unknown endpoint or delivery, and what each door then shows of the other's change."""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import Season
from tests.integration.webhooks.receiver import Receiver

API = "/api/v1/competitions/uji/webhooks"

BAD_INPUT = (
    ({"url": "ftp://contoh.go.id/hook", "events": ["board.frozen"]}, "url"),
    ({"url": "https://user:pw@contoh.go.id/hook", "events": ["board.frozen"]}, "url"),
    ({"url": "https://", "events": ["board.frozen"]}, "url"),
    ({"url": "https://contoh.go.id/hook", "events": []}, "events"),
    ({"url": "https://contoh.go.id/hook", "events": ["board.melted"]}, "events"),
)


def page_error(html: str, field: str) -> str:
    match = re.search(rf'data-testid="error-{field}">([^<]+)<', html)
    assert match, html[-2000:]
    return match.group(1).replace("&#39;", "'").replace("&amp;", "&")


@pytest.mark.parametrize(("body", "field"), BAD_INPUT)
async def test_refused_input_gets_the_same_verdict_at_both_doors(
    season: Season, browser_factory, api_factory, body: dict, field: str
) -> None:
    api = await api_factory("panitia")
    answer = await api.post(API, body)
    assert answer.status_code == 422
    (problem,) = answer.json()["errors"]
    browser = await browser_factory("panitia")
    page = await browser.post("/panitia/webhook", data=body)
    assert page.status_code == 422
    assert problem["field"] == field and page_error(page.text, field) == problem["message"]


async def test_roles_and_unknown_ids_get_the_same_verdict_at_both_doors(
    season: Season, browser_factory, api_factory, receiver: Receiver
) -> None:
    organiser_api = await api_factory("panitia")
    created = (await organiser_api.post(API, {"url": receiver.url(), "events": ["board.frozen"]})).json()
    hook = created["id"]
    for username in ("juri.mlg", "peserta.sby"):
        api = await api_factory(username)
        browser = await browser_factory(username)
        for api_answer, page_answer in (
            (await api.get(API), await browser.get("/panitia/webhook")),
            (await api.get(f"{API}/{hook}/deliveries"), await browser.get(f"/panitia/webhook/{hook}")),
            (
                await api.delete(f"{API}/{hook}"),
                await browser.post(f"/panitia/webhook/{hook}/hapus", {"confirm": "1"}),
            ),
        ):
            assert api_answer.status_code == page_answer.status_code == 403
    browser = await browser_factory("panitia")
    for api_answer, page_answer in (
        (await organiser_api.get(f"{API}/999"), await browser.get("/panitia/webhook/999")),
        (
            await organiser_api.post(f"{API}/{hook}/deliveries/999/redeliver"),
            await browser.post(f"/panitia/webhook/{hook}/kirim/999"),
        ),
        (
            await organiser_api.delete(f"{API}/999"),
            await browser.post("/panitia/webhook/999/hapus", {"confirm": "1"}),
        ),
    ):
        assert api_answer.status_code == page_answer.status_code == 404
    # What one door changes, the other shows.
    page = await browser.get("/panitia/webhook")
    assert receiver.url() in page.text and created["secret"] not in page.text
    removed = await browser.post(f"/panitia/webhook/{hook}/hapus", {"confirm": "1"})
    assert removed.status_code in (302, 303)
    assert (await organiser_api.get(f"{API}/{hook}")).status_code == 404

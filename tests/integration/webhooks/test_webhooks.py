"""Webhooks end to end in one process, with a real HTTP receiver on loopback: every kind of event arrives
signed (the receiver checks the HMAC), in order per endpoint, again after the receiver answered 500 or was
down (with the same Sinergi-Delivery id), never for a frozen board's standings, only to trusted endpoints
for a private board; the outbox row lives and dies with the change's transaction; the API and the console
manage endpoints, show deliveries and their attempts, and send a failed one again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from app.accounts.auth import CurrentUser
from app.competitions.services import add_adjustment, competition_by_id
from app.db import write_transaction
from app.events import emit
from app.judging.reviews import decide
from app.judging.stages import close_stage
from app.leaderboard import freeze
from app.leaderboard.events import BoardFrozen
from app.organiser.results import publish_final
from app.tables import (
    Account,
    Assignment,
    BeritaAcara,
    Competition,
    Stage,
    WebhookAttempt,
    WebhookDelivery,
)
from app.webhooks import endpoints as hooks
from app.webhooks import sender
from tests.integration.api.helpers import activity_body
from tests.integration.conftest import Season
from tests.integration.webhooks.receiver import Receiver, verify

FAST = sender.Config(poll_seconds=0.05, retry_seconds=0.1, max_attempts=10, timeout=2.0)


async def user(username: str) -> CurrentUser:
    row = await Account.select().where(Account.username == username).first()
    return CurrentUser(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=row["role"],
        team_id=None,
        team_code=None,
        team_name=None,
        region_code=row["region_code"],
        locale=None,
        session_kind="web",
    )


@contextlib.asynccontextmanager
async def running(config: sender.Config = FAST) -> AsyncIterator[None]:
    task = asyncio.create_task(sender.run(config))
    try:
        yield

        # The receiver records a delivery before it answers: let the sender store the outcome before it
        # stops (a sender stopped mid-send leaves its lease to expire, and the endpoint's queue waits).
        async def settled() -> bool:
            return not await WebhookDelivery.count().where(WebhookDelivery.lease_token.is_not_null())

        await until(settled)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(check: Callable[[], Any], seconds: float = 20) -> Any:
    for _ in range(int(seconds / 0.05)):
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out: {await WebhookDelivery.select()}")


async def endpoint(
    season: Season,
    receiver: Receiver,
    path: str = "/hook",
    events: tuple[str, ...] = hooks.EVENT_TYPES,
    **kw: Any,
) -> tuple[hooks.Endpoint, str]:
    organiser = await user("panitia")
    return await hooks.create_endpoint(
        season.competition, organiser, url=receiver.url(path), events=list(events), **kw
    )


async def types_stored() -> list[str]:
    rows = await WebhookDelivery.select(WebhookDelivery.event_type).order_by(WebhookDelivery.id)
    return [r["event_type"] for r in rows]


async def test_every_event_arrives_signed_and_in_order(
    season: Season, receiver: Receiver, api_factory
) -> None:
    hook, secret = await endpoint(season, receiver)
    assert secret.startswith("whsec_") and hook.secret_hint != secret
    participant = await api_factory("peserta.sby")
    organiser = await user("panitia")
    async with running():
        created = await participant.post(
            "/api/v1/competitions/uji/activities", activity_body(), headers={"Idempotency-Key": "wh-1"}
        )
        assert created.status_code == 201, created.text
        activity_id = created.json()["id"]
        judge_id = (
            await Assignment.select(Assignment.judge).where(Assignment.activity == activity_id).first()
        )["judge"]
        judge = await user(
            (await Account.select(Account.username).where(Account.id == judge_id).first())["username"]
        )
        assert await decide(season.competition, judge, activity_id, "verified", "") == "verified"
        assert await freeze.freeze(season.competition.id, organiser)
        assert await freeze.unfreeze(season.competition.id, organiser)
        got = await asyncio.to_thread(receiver.wait_for, 5)
    assert [r.event for r in got] == [
        "activity.submitted",
        "activity.verified",
        "standings.changed",
        "board.frozen",
        "board.unfrozen",
    ]
    for r in got:
        assert verify(secret, r.headers["sinergi-signature"], r.body), r.headers
        assert not verify(secret + "x", r.headers["sinergi-signature"], r.body)
        assert r.json["type"] == r.event and r.json["competition"]["slug"] == "uji"
        assert r.headers["content-type"] == "application/json"
    assert len({r.delivery for r in got}) == 5
    submitted, verified, standings, frozen, unfrozen = (r.json["data"] for r in got)
    assert submitted == {"activity_id": activity_id, "team_code": "35.78", "status": "submitted"}
    assert verified["status"] == "verified" and verified["previous_status"] == "submitted"
    assert standings["version"] >= 1
    # 35.78 scored and stays first; the others, tied first before, moved down to second.
    movers = standings["top_movers"]
    assert 0 < len(movers) <= 5 and "35.78" not in [m["team_code"] for m in movers]
    assert all(m["rank"] == 2 and m["previous_rank"] == 1 and m["team_name"] for m in movers)
    assert frozen["version"] + 1 == unfrozen["version"]
    stored = await WebhookDelivery.select().order_by(WebhookDelivery.id)
    assert [d["state"] for d in stored] == ["delivered"] * 5
    assert [d["uuid"] for d in stored] == [r.delivery for r in got]


async def test_retried_after_500_and_while_down_with_the_same_id_in_order(
    season: Season, receiver: Receiver
) -> None:
    await endpoint(season, receiver, events=("board.frozen", "board.unfrozen"))
    organiser = await user("panitia")
    receiver.answers = [500, 500]
    async with running():
        await freeze.freeze(season.competition.id, organiser)
        await freeze.unfreeze(season.competition.id, organiser)
        await asyncio.to_thread(receiver.wait_for, 2)
    first = [r for r in receiver.received if r.event == "board.frozen"]
    assert [r.status for r in receiver.received] == [500, 500, 200, 200]  # n+1 waited for n
    assert len({r.delivery for r in first}) == 1 and len(first) == 3
    assert receiver.received[-1].event == "board.unfrozen"
    delivery = await WebhookDelivery.select().order_by(WebhookDelivery.id).first()
    assert delivery["state"] == "delivered" and delivery["attempts"] == 3
    tried = (
        await WebhookAttempt.select()
        .where(WebhookAttempt.delivery == delivery["id"])
        .order_by(WebhookAttempt.id)
    )
    assert [a["status_code"] for a in tried] == [500, 500, 200]
    assert [a["error"] for a in tried] == ["HTTP 500", "HTTP 500", ""]

    # The receiver is down: connection refused, retried until it is up again (same port).
    receiver.stop()
    async with running():
        await freeze.freeze(season.competition.id, organiser)

        async def failed_twice() -> bool:
            row = await WebhookDelivery.select().order_by(WebhookDelivery.id, ascending=False).first()
            return row["attempts"] >= 2 and row["state"] == "pending"

        await until(failed_twice)
        receiver.start()
        got = await asyncio.to_thread(receiver.wait_for, 3)
    assert got[-1].event == "board.frozen"
    last = await WebhookDelivery.select().order_by(WebhookDelivery.id, ascending=False).first()
    assert last["state"] == "delivered" and last["uuid"] == got[-1].delivery
    tried = (
        await WebhookAttempt.select().where(WebhookAttempt.delivery == last["id"]).order_by(WebhookAttempt.id)
    )
    assert tried[0]["status_code"] is None and "Connect" in tried[0]["error"]
    assert tried[-1]["status_code"] == 200


async def test_a_frozen_board_tells_no_standings_change(season: Season, receiver: Receiver) -> None:
    await endpoint(season, receiver, trusted=True)
    organiser = await user("panitia")
    team = season.team_ids["35.07"]
    await freeze.freeze(season.competition.id, organiser)
    await add_adjustment(
        season.competition, team, Decimal(5), "bonus", actor_id=organiser.id, actor_name="panitia"
    )
    assert await types_stored() == ["board.frozen"]  # not even for a trusted endpoint
    await freeze.unfreeze(season.competition.id, organiser)
    await add_adjustment(
        season.competition, team, Decimal(5), "bonus", actor_id=organiser.id, actor_name="panitia"
    )
    assert await types_stored() == ["board.frozen", "board.unfrozen", "standings.changed"]
    async with running():
        got = await asyncio.to_thread(receiver.wait_for, 3)
    assert [r.event for r in got] == ["board.frozen", "board.unfrozen", "standings.changed"]


async def test_a_private_board_tells_only_trusted_endpoints(season: Season, receiver: Receiver) -> None:
    await Competition.update({Competition.is_private: True}).where(Competition.id == season.competition.id)
    season.competition = await competition_by_id(season.competition.id)
    await endpoint(season, receiver, path="/trusted", trusted=True)
    await endpoint(season, receiver, path="/other")
    organiser = await user("panitia")
    await add_adjustment(
        season.competition,
        season.team_ids["35.07"],
        Decimal(3),
        "bonus",
        actor_id=organiser.id,
        actor_name="x",
    )
    await freeze.freeze(season.competition.id, organiser)
    async with running():
        got = await asyncio.to_thread(receiver.wait_for, 2)
        await asyncio.sleep(0.3)
    assert [r.path for r in receiver.received] == ["/trusted", "/trusted"]
    assert [r.event for r in got] == ["standings.changed", "board.frozen"]


async def test_the_outbox_row_rolls_back_with_the_change(season: Season, receiver: Receiver) -> None:
    await endpoint(season, receiver)
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await emit(BoardFrozen(season.competition.id, 7, datetime.now(UTC)))
            assert await types_stored() == ["board.frozen"]  # written in the transaction…
            raise RuntimeError("the change fails")
    assert await types_stored() == []  # …and gone with it


async def test_failed_delivery_is_shown_and_sent_again_from_the_console(
    season: Season, receiver: Receiver, browser_factory
) -> None:
    hook, _ = await endpoint(season, receiver, events=("board.frozen", "board.unfrozen"))
    organiser = await user("panitia")
    receiver.answers = [500, 503]
    config = sender.Config(poll_seconds=0.05, retry_seconds=0.05, max_attempts=2, timeout=2.0)
    async with running(config):
        await freeze.freeze(season.competition.id, organiser)
        await freeze.unfreeze(season.competition.id, organiser)
        # The failed one no longer holds the endpoint's queue: the next is delivered.
        got = await asyncio.to_thread(receiver.wait_for, 1)
    assert got[0].event == "board.unfrozen"
    failed = await WebhookDelivery.select().where(WebhookDelivery.event_type == "board.frozen").first()
    assert failed["state"] == "failed" and failed["attempts"] == 2 and failed["last_status"] == 503

    browser = await browser_factory("panitia")
    listing = await browser.get("/panitia/webhook")
    assert listing.status_code == 200 and "1 gagal" in listing.text
    page = await browser.get(f"/panitia/webhook/{hook.id}")
    assert page.status_code == 200
    assert "Gagal" in page.text and "HTTP 503" in page.text and failed["uuid"] in page.text
    assert page.text.count('data-testid="delivery"') == 2
    resend = await browser.post(f"/panitia/webhook/{hook.id}/kirim/{failed['id']}")
    assert resend.status_code in (302, 303)
    async with running():
        got = await asyncio.to_thread(receiver.wait_for, 2)
    assert got[-1].event == "board.frozen" and got[-1].delivery == failed["uuid"]  # the same idempotency id
    assert (await WebhookDelivery.select().where(WebhookDelivery.id == failed["id"]).first())[
        "state"
    ] == "delivered"


async def test_console_registers_shows_the_secret_once_and_deletes_after_confirmation(
    season: Season, receiver: Receiver, browser_factory
) -> None:
    browser = await browser_factory("panitia")
    refused = await browser.post("/panitia/webhook", data={"url": "ftp://contoh", "events": ["board.frozen"]})
    assert refused.status_code == 422 and "harus diawali http:// atau https://" in refused.text
    none = await browser.post("/panitia/webhook", data={"url": receiver.url()})
    assert none.status_code == 422 and "Pilih sedikitnya satu peristiwa" in none.text
    created = await browser.post(
        "/panitia/webhook",
        data={"url": receiver.url(), "events": ["board.frozen", "stage.closed"], "description": "Gerbang WA"},
    )
    assert created.status_code == 201
    secret = re.search(r'data-testid="webhook-secret">([^<]+)<', created.text).group(1)
    assert secret.startswith("whsec_")
    (hook,) = await hooks.list_endpoints(season.competition, await user("panitia"))
    assert hook.events == ["stage.closed", "board.frozen"] and hook.description == "Gerbang WA"
    for url in ("/panitia/webhook", f"/panitia/webhook/{hook.id}"):
        shown = await browser.get(url)
        assert shown.status_code == 200 and secret not in shown.text
    assert secret[:10] in (await browser.get(f"/panitia/webhook/{hook.id}")).text
    changed = await browser.post(
        f"/panitia/webhook/{hook.id}", data={"url": receiver.url("/baru"), "events": ["board.unfrozen"]}
    )
    assert changed.status_code in (302, 303)
    hook = await hooks.get_endpoint(season.competition, await user("panitia"), hook.id)
    assert hook.url.endswith("/baru") and not hook.active and hook.events == ["board.unfrozen"]
    confirm = await browser.get(f"/panitia/webhook/{hook.id}/hapus")
    assert confirm.status_code == 200 and "webhook-delete-confirm" in confirm.text
    unconfirmed = await browser.post(f"/panitia/webhook/{hook.id}/hapus", data={})
    assert unconfirmed.status_code == 422
    assert await hooks.list_endpoints(season.competition, await user("panitia"))
    deleted = await browser.post(f"/panitia/webhook/{hook.id}/hapus", data={"confirm": "1"})
    assert deleted.status_code in (302, 303)
    assert await hooks.list_endpoints(season.competition, await user("panitia")) == []
    judge = await browser_factory("juri.mlg")
    assert (await judge.get("/panitia/webhook")).status_code == 403


async def test_api_manages_endpoints_and_lists_deliveries(
    season: Season, receiver: Receiver, api_factory
) -> None:
    organiser = await api_factory("panitia")
    base = "/api/v1/competitions/uji/webhooks"
    bad = await organiser.post(base, {"url": "javascript:alert(1)", "events": ["board.frozen"]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "url" and "http://" in bad.json()["errors"][0]["message"]
    unknown = await organiser.post(base, {"url": receiver.url(), "events": ["board.melted"]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "events"
    created = await organiser.post(
        base, {"url": receiver.url(), "events": ["board.frozen", "board.unfrozen"], "trusted": True}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["trusted"] and body["active"]
    second = await organiser.post(
        base, {"url": receiver.url("/b"), "events": ["stage.closed"], "secret": "rahasia-penerima-123"}
    )
    assert second.json()["secret"] == "rahasia-penerima-123"
    first_page = await organiser.get(base, params={"limit": 1})
    assert first_page.status_code == 200
    assert [w["id"] for w in first_page.json()["items"]] == [body["id"]]
    assert first_page.json()["items"][0]["secret"] is None
    assert first_page.json()["items"][0]["secret_hint"] == body["secret"][:10] + "…"
    rest = await organiser.get(base, params={"limit": 1, "cursor": first_page.json()["next_cursor"]})
    assert [w["id"] for w in rest.json()["items"]] == [second.json()["id"]] and rest.json()[
        "next_cursor"
    ] is None

    actor = await user("panitia")
    for _ in range(2):
        await freeze.freeze(season.competition.id, actor)
        await freeze.unfreeze(season.competition.id, actor)
    async with running():
        await asyncio.to_thread(receiver.wait_for, 4)
    deliveries = await organiser.get(f"{base}/{body['id']}/deliveries", params={"limit": 3})
    assert deliveries.status_code == 200
    page = deliveries.json()
    assert [d["event_type"] for d in page["items"]] == ["board.unfrozen", "board.frozen", "board.unfrozen"]
    assert (
        page["items"][0]["state"] == "delivered"
        and page["items"][0]["recent_attempts"][0]["status_code"] == 200
    )
    assert page["items"][0]["body"]["type"] == "board.unfrozen"
    older = await organiser.get(
        f"{base}/{body['id']}/deliveries", params={"limit": 3, "cursor": page["next_cursor"]}
    )
    assert [d["event_type"] for d in older.json()["items"]] == ["board.frozen"]
    again = await organiser.post(f"{base}/{body['id']}/deliveries/{page['items'][0]['id']}/redeliver")
    assert again.status_code == 204
    async with running():
        got = await asyncio.to_thread(receiver.wait_for, 5)
    assert got[-1].delivery == page["items"][0]["delivery_id"]

    changed = await organiser.client.patch(
        f"{base}/{body['id']}",
        json={"active": False, "new_secret": True},
        headers=organiser._headers(None, None),
    )
    assert changed.status_code == 200 and not changed.json()["active"]
    assert changed.json()["secret"] not in (None, body["secret"])
    await freeze.freeze(season.competition.id, actor)
    assert (await organiser.get(f"{base}/{body['id']}/deliveries")).json()["items"][0][
        "event_type"
    ] == "board.unfrozen"

    participant = await api_factory("peserta.sby")
    assert (await participant.get(base)).status_code == 403
    assert (await organiser.delete(f"{base}/{body['id']}")).status_code == 204
    assert (await organiser.get(f"{base}/{body['id']}")).status_code == 404
    assert (await organiser.get(f"{base}/{body['id']}/deliveries")).status_code == 404
    assert json.loads((await organiser.get(base)).text)["items"][0]["id"] == second.json()["id"]


async def test_a_closed_stage_and_the_final_results_are_told(season: Season, receiver: Receiver) -> None:
    _, secret = await endpoint(season, receiver, events=("stage.closed", "results.published"))
    organiser = await user("panitia")
    stage = await Stage.select(Stage.id, Stage.code).where(Stage.code == "verifikasi").first()
    await close_stage(season.competition, stage["id"], organiser)
    await publish_final(season.competition, actor_id=organiser.id, actor_name="panitia", note="")
    async with running():
        got = await asyncio.to_thread(receiver.wait_for, 2)
    assert [r.event for r in got] == ["stage.closed", "results.published"]
    assert all(verify(secret, r.headers["sinergi-signature"], r.body) for r in got)
    record = await BeritaAcara.select(BeritaAcara.sha256).where(BeritaAcara.stage == stage["id"]).first()
    assert got[0].json["data"] == {
        "stage_id": stage["id"],
        "stage_code": stage["code"],
        "stage_name": got[0].json["data"]["stage_name"],
        "berita_acara_sha256": record["sha256"],
    }
    assert got[1].json["data"]["ruleset_version"] >= 1


async def test_nothing_is_read_or_written_for_an_event_nobody_listens_to(
    season: Season, receiver: Receiver
) -> None:
    await endpoint(season, receiver, events=("board.unfrozen",))
    organiser = await user("panitia")
    await add_adjustment(
        season.competition,
        season.team_ids["35.07"],
        Decimal(1),
        "bonus",
        actor_id=organiser.id,
        actor_name="x",
    )
    await freeze.freeze(season.competition.id, organiser)
    assert await types_stored() == []


def _documented_verify() -> Callable[[str, str, bytes], bool]:
    """The receiver's check exactly as docs/api.md prints it (the first Python block after the signature
    header's description), run as a receiver would copy it."""
    from pathlib import Path

    text = Path(__file__).resolve().parents[3].joinpath("docs", "api.md").read_text(encoding="utf-8")
    after = text[text.index("Sinergi-Signature: t=") :]
    snippet = after[after.index("```python\n") + len("```python\n") :]
    snippet = snippet[: snippet.index("```")]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "docs/api.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


async def test_the_documented_snippet_verifies_a_real_delivery_and_freezing_twice_tells_once(
    season: Season, receiver: Receiver, api_factory
) -> None:
    documented = _documented_verify()
    hook, secret = await endpoint(season, receiver, events=("board.frozen", "board.unfrozen"))
    organiser = await api_factory("panitia")
    async with running():
        for _ in range(2):
            assert (await organiser.post("/api/v1/competitions/uji/freeze")).status_code == 200
        for _ in range(2):
            assert (await organiser.post("/api/v1/competitions/uji/unfreeze")).status_code == 200
        got = await asyncio.to_thread(receiver.wait_for, 2)
        await asyncio.sleep(0.5)  # anything more would have arrived by now
    assert [r.event for r in receiver.received] == ["board.frozen", "board.unfrozen"]
    for r in got:
        header = r.headers["sinergi-signature"]
        assert documented(secret, header, r.body)
        assert not documented(secret, header, r.body + b" ")
        assert not documented(hook.secret_hint, header, r.body)

"""Door parity for running a season: the console's pages and the API give the same verdicts for the season's
settings and catalogue, the freeze, the stages and their Berita Acara, the final results and the audit trail.

Each scenario is a list of steps (an action, who tries it, the verdict every door must give) and runs once
per door on a fresh season: the console (cookies, CSRF, forms) and the API (bearer token, JSON). Verdicts
are classes: "ok" (2xx/3xx), "signin" (the console's redirect to the sign-in page, the API's 401), or the
status ("403", "404", "409", "422")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.tables import Activity, Stage
from tests.integration.api.helpers import activity_body, api_factory
from tests.integration.conftest import Season

__all__ = ["api_factory"]

SLUG = "uji"
API = f"/api/v1/competitions/{SLUG}"
SETTINGS_FORM = {
    "name": "Lomba Uji",
    "timezone": "Asia/Jakarta",
    "reviews_required": "1",
    "q_tolerance": "0,3",
    "tolerance_action": "extra_judge",
    "place": "Surabaya",
}


class Doors:
    """One door's way of doing each action, for whoever is signed in there."""

    def __init__(self, kind: str, season: Season, clients: dict[str | None, Any]) -> None:
        self.kind, self.season, self.clients = kind, season, clients

    async def stage_id(self, code: str) -> int:
        row = await Stage.select(Stage.id).where(Stage.code == code).first()
        return row["id"] if row else 999_999

    def verdict(self, response: Any) -> str:
        status = response.status_code
        if self.kind == "console" and status in (302, 303) and "/masuk" in response.headers["location"]:
            return "signin"
        if status == 401:  # the API, and a page's unsafe method without a session
            return "signin"
        return "ok" if status < 400 else str(status)

    async def do(self, action: str, who: str | None, **kw: Any) -> str:
        client = self.clients[who]
        method: Callable[..., Awaitable[Any]] = getattr(self, f"{self.kind}_{action}")
        return self.verdict(await method(client, **kw))

    # --- the console -------------------------------------------------------------------------------------

    async def console_read_settings(self, c: Any) -> Any:
        return await c.get("/panitia/musim/")

    async def console_save_settings(self, c: Any, **changes: Any) -> Any:
        info = self.season.competition
        form = {"starts_on": str(info.starts_on), "ends_on": str(info.ends_on), **SETTINGS_FORM}
        form.update({k: str(v) for k, v in changes.items()})
        return await c.post("/panitia/musim/", data=form)

    async def console_add_type(self, c: Any, code: str) -> Any:
        form = {"code": code, "name": "Ronda malam", "cluster": "kamtibmas"}
        return await c.post("/panitia/musim/jenis", data=form)

    async def console_adjustments(self, c: Any) -> Any:
        return await c.get("/panitia/penyesuaian/")

    async def console_adjust(self, c: Any, team: str, points: str) -> Any:
        form = {"team": team, "points": points, "reason": "Laporan lengkap"}
        return await c.post("/panitia/penyesuaian/", data=form)

    async def console_freeze(self, c: Any) -> Any:
        return await c.post("/panitia/beku/", data={"action": "freeze"})

    async def console_unfreeze(self, c: Any) -> Any:
        return await c.post("/panitia/beku/", data={"action": "unfreeze"})

    async def console_read_freeze(self, c: Any) -> Any:
        return await c.get("/panitia/beku/")

    async def console_list_stages(self, c: Any) -> Any:
        return await c.get("/panitia/tahap/")

    async def console_add_stage(self, c: Any, code: str, kind: str = "team", weight: str = "") -> Any:
        form = {"code": code, "name": "Tahap " + code, "kind": kind, "top_n": "3", "weight": weight}
        return await c.post("/panitia/tahap/", data=form)

    async def console_change_stage(self, c: Any, stage: str, kind: str, weight: str = "") -> Any:
        form = {"code": stage, "name": "Diubah", "kind": kind, "top_n": "3", "weight": weight}
        return await c.post(f"/panitia/tahap/{await self.stage_id(stage)}", data=form)

    async def console_close(self, c: Any, stage: str) -> Any:
        return await c.post(f"/panitia/tahap/{await self.stage_id(stage)}/tutup", data={"confirm": "1"})

    async def console_records(self, c: Any) -> Any:
        return await c.get("/berita-acara/")

    async def console_download(self, c: Any, stage: str) -> Any:
        return await c.get(f"/berita-acara/{await self.stage_id(stage)}/unduh")

    async def console_publish(self, c: Any, waiting_seen: int = 0) -> Any:
        form = {"confirm": "1", "note": "Final", "waiting_seen": str(waiting_seen)}
        return await c.post("/panitia/musim/hasil-akhir", data=form)

    async def console_read_final(self, c: Any) -> Any:
        return await c.get("/hasil-akhir")

    async def console_audit(self, c: Any, since: str = "") -> Any:
        return await c.get("/panitia/audit/", params={"dari": since} if since else None)

    async def console_verify(self, c: Any) -> Any:
        return await c.get("/panitia/audit/verifikasi")

    # --- the API -----------------------------------------------------------------------------------------

    async def api_read_settings(self, c: Any) -> Any:
        return await c.get(f"{API}/settings")

    async def api_save_settings(self, c: Any, **changes: Any) -> Any:
        body: dict[str, Any] = {"reviews_required": 1, "q_tolerance": "0.3", "place": "Surabaya"}
        body.update(changes)
        if "reviews_required" in changes:
            body["reviews_required"] = int(changes["reviews_required"])
        return await c.client.patch(f"{API}/settings", json=body, headers=c._headers(None, None))

    async def api_add_type(self, c: Any, code: str) -> Any:
        return await c.post(
            f"{API}/activity-types", {"code": code, "name": "Ronda malam", "cluster": "kamtibmas"}
        )

    async def api_adjustments(self, c: Any) -> Any:
        return await c.get(f"{API}/adjustments")

    async def api_adjust(self, c: Any, team: str, points: str) -> Any:
        body = {"team_code": team, "points": points, "reason": "Laporan lengkap"}
        return await c.post(f"{API}/adjustments", body)

    async def api_freeze(self, c: Any) -> Any:
        return await c.post(f"{API}/freeze")

    async def api_unfreeze(self, c: Any) -> Any:
        return await c.post(f"{API}/unfreeze")

    async def api_read_freeze(self, c: Any) -> Any:
        return await c.get(f"{API}/freeze")

    async def api_list_stages(self, c: Any) -> Any:
        return await c.get(f"{API}/stages")

    def _stage_body(self, code: str, kind: str, weight: str) -> dict[str, Any]:
        return {"code": code, "name": "Tahap " + code, "kind": kind, "top_n": 3, "weight": weight or None}

    async def api_add_stage(self, c: Any, code: str, kind: str = "team", weight: str = "") -> Any:
        return await c.post(f"{API}/stages", self._stage_body(code, kind, weight))

    async def api_change_stage(self, c: Any, stage: str, kind: str, weight: str = "") -> Any:
        body = {**self._stage_body(stage, kind, weight), "name": "Diubah"}
        return await c.put(f"{API}/stages/{await self.stage_id(stage)}", body)

    async def api_close(self, c: Any, stage: str) -> Any:
        return await c.post(f"{API}/stages/{await self.stage_id(stage)}/close")

    async def api_records(self, c: Any) -> Any:
        return await c.get(f"{API}/berita-acara")

    async def api_download(self, c: Any, stage: str) -> Any:
        return await c.get(f"{API}/stages/{await self.stage_id(stage)}/berita-acara.pdf")

    async def api_publish(self, c: Any, waiting_seen: int = 0) -> Any:
        return await c.post(f"{API}/final-results", {"note": "Final", "waiting_acknowledged": waiting_seen})

    async def api_read_final(self, c: Any) -> Any:
        return await c.get(f"{API}/final-results")

    async def api_audit(self, c: Any, since: str = "") -> Any:
        return await c.get("/api/v1/audit", params={"since": since} if since else None)

    async def api_verify(self, c: Any) -> Any:
        return await c.get("/api/v1/audit/verify")


@pytest.fixture(params=["console", "api"])
async def doors(request, season, browser_factory, api_factory) -> Doors:
    kind = request.param
    clients: dict[str | None, Any] = {}
    for who in (None, "peserta.sby", "juri.mlg", "panitia"):
        if kind == "console":
            clients[who] = await browser_factory(who)
        else:
            clients[who] = await api_factory(who)
    return Doors(kind, season, clients)


OUTSIDERS = ((None, "signin"), ("peserta.sby", "403"), ("juri.mlg", "403"))


async def _run(doors: Doors, steps: list[tuple[str, str | None, dict[str, Any], str]]) -> None:
    got = [(action, who, await doors.do(action, who, **kw)) for action, who, kw, _ in steps]
    expected = [(action, who, verdict) for action, who, _, verdict in steps]
    assert got == expected, doors.kind


async def test_settings_and_catalogue(doors):
    steps: list[tuple[str, str | None, dict[str, Any], str]] = []
    for who, verdict in OUTSIDERS:
        steps += [
            ("read_settings", who, {}, verdict),
            ("save_settings", who, {"reviews_required": "2"}, verdict),
            ("add_type", who, {"code": "RONDA_MALAM"}, verdict),
        ]
    steps += [
        ("read_settings", "panitia", {}, "ok"),
        ("save_settings", "panitia", {"reviews_required": "0"}, "422"),
        ("save_settings", "panitia", {"reviews_required": "10"}, "422"),
        ("save_settings", "panitia", {"timezone": "Europe/Paris"}, "422"),
        ("save_settings", "panitia", {"tolerance_action": "head_judge"}, "422"),  # no head judge chosen
        ("save_settings", "panitia", {"place": ""}, "422"),
        ("save_settings", "panitia", {"reviews_required": "2"}, "ok"),
        ("add_type", "panitia", {"code": "ronda_malam"}, "ok"),  # taken in capitals at both doors
        ("add_type", "panitia", {"code": "RONDA_MALAM"}, "409"),
        ("add_type", "panitia", {"code": "x"}, "422"),
        # After the final results, what changes the scores (the time zone) is locked; the rest is not.
        ("publish", "panitia", {}, "ok"),
        ("save_settings", "panitia", {"timezone": "Asia/Makassar"}, "409"),
        ("save_settings", "panitia", {"reviews_required": "3"}, "ok"),
    ]
    await _run(doors, steps)


async def test_adjustments(doors):
    steps: list[tuple[str, str | None, dict[str, Any], str]] = []
    for who, verdict in OUTSIDERS:
        steps += [
            ("adjustments", who, {}, verdict),
            ("adjust", who, {"team": "35.78", "points": "2.5"}, verdict),
        ]
    steps += [
        ("adjustments", "panitia", {}, "ok"),
        ("adjust", "panitia", {"team": "99.99", "points": "2.5"}, "422"),
        ("adjust", "panitia", {"team": "35.78", "points": "0"}, "422"),
        ("adjust", "panitia", {"team": "35.78", "points": "100001"}, "422"),
        ("adjust", "panitia", {"team": "35.78", "points": "-1.5"}, "ok"),
        ("publish", "panitia", {}, "ok"),
        ("adjust", "panitia", {"team": "35.78", "points": "2.5"}, "409"),
    ]
    await _run(doors, steps)


async def test_freeze(doors):
    steps: list[tuple[str, str | None, dict[str, Any], str]] = []
    for who, verdict in OUTSIDERS:
        steps += [
            ("read_freeze", who, {}, verdict),
            ("freeze", who, {}, verdict),
            ("unfreeze", who, {}, verdict),
        ]
    steps += [
        ("read_freeze", "panitia", {}, "ok"),
        ("unfreeze", "panitia", {}, "ok"),  # not frozen: nothing to undo, no refusal
        ("freeze", "panitia", {}, "ok"),
        ("freeze", "panitia", {}, "ok"),  # frozen already: the same
        ("unfreeze", "panitia", {}, "ok"),
    ]
    await _run(doors, steps)
    if doors.kind == "api":
        found = await doors.clients["panitia"].get("/api/v1/audit", params={"action": "leaderboard."})
        # The refusals and the no-ops recorded nothing: one freeze, one unfreeze (newest first).
        assert [r["action"] for r in found.json()["items"]] == ["leaderboard.unfreeze", "leaderboard.freeze"]


async def test_stages_and_berita_acara(doors):
    steps: list[tuple[str, str | None, dict[str, Any], str]] = []
    for who, verdict in OUTSIDERS:
        steps += [
            ("list_stages", who, {}, verdict),
            ("add_stage", who, {"code": "wawancara"}, verdict),
            ("close", who, {"stage": "verifikasi"}, verdict),
        ]
    steps += [
        # The Berita Acara: organisers and judges; nothing to download before a stage closes.
        (action, who, kw, verdict)
        for who, verdict in ((None, "signin"), ("peserta.sby", "403"))
        for action, kw in (("records", {}), ("download", {"stage": "verifikasi"}))
    ]
    steps += [
        ("records", "juri.mlg", {}, "ok"),
        ("download", "juri.mlg", {"stage": "verifikasi"}, "404"),
        ("list_stages", "panitia", {}, "ok"),
        ("add_stage", "panitia", {"code": "lapangan"}, "422"),  # the code is taken
        ("add_stage", "panitia", {"code": "akhir2", "kind": "final", "weight": "0,5"}, "422"),
        ("add_stage", "panitia", {"code": "wawancara", "weight": "0,5"}, "ok"),
        ("close", "panitia", {"stage": "nope"}, "404"),
        ("close", "panitia", {"stage": "lapangan"}, "409"),  # waiting, not open
        ("close", "panitia", {"stage": "verifikasi"}, "ok"),
        ("close", "panitia", {"stage": "verifikasi"}, "409"),  # closed already
        ("change_stage", "panitia", {"stage": "verifikasi", "kind": "team"}, "422"),  # keeps its kind
        ("download", "juri.mlg", {"stage": "verifikasi"}, "ok"),
        ("download", "panitia", {"stage": "verifikasi"}, "ok"),
        ("download", "panitia", {"stage": "lapangan"}, "404"),
        ("publish", "panitia", {}, "ok"),
        # A weight is a new ruleset version: locked by the final results.
        ("change_stage", "panitia", {"stage": "wawancara", "kind": "team", "weight": "0,7"}, "409"),
    ]
    await _run(doors, steps)


async def test_final_results(doors, api_factory):
    participant = await api_factory("peserta.sby")
    for key in ("a", "b"):
        response = await participant.post(
            f"{API}/activities",
            activity_body(title=f"Sambang warga {key}", rw=f"RW 0{len(key) + ord(key) % 5}"),
            headers={"Idempotency-Key": f"parity-{key}"},
        )
        assert response.status_code == 201, response.text
    assert await Activity.count().where(Activity.status == "submitted") == 2
    steps: list[tuple[str, str | None, dict[str, Any], str]] = [
        ("publish", who, {}, verdict) for who, verdict in OUTSIDERS
    ]
    steps += [
        ("read_final", None, {}, "ok"),
        ("publish", "panitia", {}, "409"),  # two activities wait: not acknowledged
        ("publish", "panitia", {"waiting_seen": 1}, "409"),  # a different count warns again
        ("publish", "panitia", {"waiting_seen": 2}, "ok"),
        ("publish", "panitia", {"waiting_seen": 2}, "409"),  # published once
        ("read_final", None, {}, "ok"),
        ("read_final", "peserta.sby", {}, "ok"),
    ]
    await _run(doors, steps)


async def test_private_final_results(doors):
    await doors.do("save_settings", "panitia", is_private="1" if doors.kind == "console" else True)
    await _run(
        doors,
        [
            ("read_final", None, {}, "signin"),
            ("read_final", "peserta.sby", {}, "ok"),
        ],
    )


async def test_audit_trail(doors):
    steps: list[tuple[str, str | None, dict[str, Any], str]] = []
    for who, verdict in OUTSIDERS:
        steps += [("audit", who, {}, verdict), ("verify", who, {}, verdict)]
    steps += [
        ("audit", "panitia", {}, "ok"),
        ("audit", "panitia", {"since": "2024-02-14"}, "ok"),
        ("audit", "panitia", {"since": "14/02/2024"}, "422"),
        ("verify", "panitia", {}, "ok"),
    ]
    await _run(doors, steps)

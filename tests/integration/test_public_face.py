"""The public face: the site's icon and manifest, the look every page shares (no inline style or script,
the stylesheet's tokens), the leaderboard's words (periods, ranks, two decimals), the share card."""

from __future__ import annotations

import io
import re

from PIL import Image


async def test_favicon_and_manifest_answer(season, browser_factory):
    public = await browser_factory()
    icon = await public.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert {size for size in Image.open(io.BytesIO(icon.content)).info["sizes"]} >= {(16, 16), (32, 32)}
    manifest = await public.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["start_url"] == "/" and data["display"] == "standalone"
    for icon_entry in data["icons"]:
        file = await public.get(icon_entry["src"])
        assert file.status_code == 200, icon_entry["src"]
        if icon_entry["type"] == "image/png":
            width, height = Image.open(io.BytesIO(file.content)).size
            assert f"{width}x{height}" == icon_entry["sizes"]
    page = (await public.get("/")).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'href="/favicon.ico"' in page and "brand/icon.svg" in page


async def test_service_worker_is_served_at_the_root_for_the_capture_page(season, browser_factory):
    public = await browser_factory()
    worker = await public.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache" and worker.headers["service-worker-allowed"] == "/"
    assert "Content-Security-Policy" in worker.headers
    # Every file it keeps for offline use exists, and the capture page loads its two outbox scripts.
    for asset in re.findall(r'"(/static/[^"]+)"', worker.text):
        assert (await public.get(asset)).status_code == 200, asset
    participant = await browser_factory("peserta.sby")
    form = (await participant.get("/kegiatan/baru")).text
    assert "/static/outbox.js" in form and "/static/outbox-view.js" in form and "data-owner=" in form


async def test_pages_carry_no_inline_style_or_script(season, browser_factory):
    public = await browser_factory()
    for path in ("/", "/tim/35.78", "/peta", "/aturan", "/hasil-akhir", "/papan/tahap", "/masuk", "/layar"):
        html = (await public.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path


async def _verified_activity(browser_factory, **form) -> int:
    from tests.integration.test_judge import submit

    activity_id = await submit(browser_factory, **form)
    judge = await browser_factory("juri.mlg")
    response = await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    assert response.status_code in (200, 302, 303)
    return activity_id


async def _verified_without_officer(season) -> int:
    """A verified activity that the "joint activities only" rule does not count (no officer named)."""
    from datetime import UTC, datetime, timedelta

    from app.db import write_transaction
    from app.leaderboard.services import recompute
    from app.tables import Activity, ActivityType

    dds = await ActivityType.select(ActivityType.id).where(ActivityType.code == "DDS").first()
    async with write_transaction():
        rows = await Activity.insert(
            Activity(
                competition=season.competition.id,
                team=season.team_ids["35.78"],
                activity_type=dds["id"],
                occurred_at=datetime.now(UTC) - timedelta(days=2),
                village_code="35.78.01.1001",
                title="Sambang tanpa petugas",
                senkom_count=2,
                officer_count=0,
                residents_reached=10,
                status="verified",
            )
        ).returning(Activity.id)
        await recompute(season.competition)
    return rows[0]["id"]


async def test_the_team_page_explains_every_activity_in_words(season, browser_factory):
    counted = await _verified_activity(browser_factory)
    alone = await _verified_without_officer(season)
    public = await browser_factory()
    html = (await public.get("/tim/35.78")).text
    for activity_id in (counted, alone):
        assert f'data-activity-id="{activity_id}"' in html and f"#{activity_id}" in html
    assert "Sambang / kunjungan dari rumah ke rumah (DDS)" in html  # the type by name, not "DDS"
    assert "Jenis DDS" not in html and "week:" not in html
    assert re.search(r"\+\d+(,\d+)? poin \(pengali preemtif 1,5\)", html)
    assert "Bukan kegiatan bersama" in html  # the activity that earned 0, with the reason
    assert 'data-testid="team-chart"' in html and "<text" in html
    await public.get("/bahasa/en?next=/tim/35.78")
    english = (await public.get("/tim/35.78")).text
    assert "Door-to-door visits (DDS)" in english and "Sambang / kunjungan" not in english
    assert "Not a joint activity" in english
    assert re.search(r"\+1 point: 40 residents reached \(1 point per 25 residents", english)


async def test_team_page_share_and_its_card(app, season, browser_factory):
    await _verified_activity(browser_factory)
    public = await browser_factory()
    html = (await public.get("/tim/35.78")).text
    image = re.search(r'<meta property="og:image" content="([^"]+)"', html).group(1)
    assert image.startswith("http://testserver.local/tim/35.78/kartu.png?v=")
    assert re.search(r'<meta property="og:title" content="Kota Surabaya — peringkat 1 dari 38"', html)
    share = re.search(r'<a class="button share" href="([^"]+)"', html).group(1)
    assert share.startswith("https://wa.me/?text=") and "testserver.local/tim/35.78" in share
    card = await public.get(image.removeprefix("http://testserver.local"))
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(card.content)).size == (1200, 630)
    again = await public.get(image.removeprefix("http://testserver.local"))
    assert again.content == card.content
    assert len(app.state["board_caches"].cards.entries) >= 1
    board = (await public.get("/")).text
    assert 'data-testid="share"' in board and '<meta property="og:title"' in board
    assert (await public.get("/tim/99.99/kartu.png")).status_code == 404


async def test_the_rules_page_speaks_plainly_and_folds_the_parameters_away(season, browser_factory):
    html = (await (await browser_factory()).get("/aturan")).text
    assert "Hanya kegiatan bersama yang dihitung: sedikitnya 1 anggota Senkom" in html
    assert "Sambang / kunjungan dari rumah ke rumah (DDS)" in html  # types by name
    for card in re.findall(r'data-testid="reference-rule".*?</li>', html, re.S):
        plain, _, technical = card.partition('<details class="technical">')
        assert technical, "the technical part is folded away"
        assert "min_senkom" not in plain and "{" not in plain and "_" not in plain.split("data-rule=")[0]


async def test_activity_types_are_named_in_english_for_an_english_reader(season, browser_factory):
    from app.competitions.catalogue import DEFAULT_CATALOGUE

    reader = await browser_factory()
    await reader.get("/bahasa/en?next=/")
    board = (await reader.get("/")).text
    for entry in DEFAULT_CATALOGUE:
        assert f'value="type:{entry.code}">{entry.name_en}</option>' in board.replace("&#39;", "'")
    title = (await reader.get("/papan/baris?tampilan=type:BINLUH")).text
    assert "Guidance and outreach" in title and "Pembinaan" not in title

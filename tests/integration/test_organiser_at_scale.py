"""The organiser's pages at scale answer as before: the jury console's statistics and agreement, counted
by the database, equal what the console computed from every review turned into Python objects (the
former code, kept here as the reference); the what-if preview from the kept facts equals the comparison
over the facts read again, before and after a change (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
from fractions import Fraction
from typing import Any

import msgspec
from litestar import Litestar

from app.audit import services as audit
from app.competitions.services import competition_by_id, ruleset_in_force, scoring_rubric
from app.competitions.stages import stages
from app.db import write_transaction
from app.i18n import set_locale
from app.judging import reviews
from app.judging.scores import judge_q
from app.leaderboard.services import load_facts
from app.organiser import jury_reads, rulesets
from app.security import hash_password_sync
from app.tables import Account, Assignment, Review
from bench.scale import build as bench
from bench.scale.run import _open_assignment
from scoring import jury as pure
from scoring.aggregate import MICRO
from scoring.engine import compare
from tests.integration.conftest import PASSWORD, wipe

HASH = hash_password_sync(PASSWORD)


async def _former_reviews(competition_id: int) -> list[dict[str, Any]]:
    """The former `counted_reviews`: every current review as an object, its q computed one by one."""
    weighed = await scoring_rubric(competition_id, "activity")
    rows = await (
        Review.select(
            Review.id, Review.activity, Review.judge, Review.decision, Review.scores, Review.activity.status
        )
        .where(
            (Review.activity.competition == competition_id)
            & Review.is_current.eq(True)
            & Review.annulled_at.is_null()
        )
        .order_by(Review.id)
    )
    latest: dict[tuple[int, int], dict[str, Any]] = {}
    for r in rows:
        if r["decision"] in pure.DECISIONS:
            latest[(r["judge"], r["activity"])] = {
                "activity": r["activity"],
                "judge": r["judge"],
                "decision": r["decision"],
                "q": judge_q(weighed, r["judge"], r["scores"]),
                "status": r["activity.status"],
            }
    return list(latest.values())


async def _former_console(competition_id: int) -> tuple[dict[int, tuple[Any, ...]], list[tuple[Any, ...]]]:
    counted = await _former_reviews(competition_id)
    facts = [pure.ReviewFact(r["judge"], r["activity"], r["decision"], r["q"]) for r in counted]
    final = {r["activity"]: r["status"] for r in counted if r["status"] in pure.DECISIONS}
    stats = {s.judge_id: s for s in pure.judge_stats(facts, final)}
    open_counts: dict[int, int] = {}
    for row in await Assignment.select(Assignment.judge).where(
        (Assignment.competition == competition_id) & (Assignment.status == "open")
    ):
        open_counts[row["judge"]] = open_counts.get(row["judge"], 0) + 1
    judges = {
        judge: (s.reviews, open_counts.get(judge, 0), s.mean_q, s.rejection_rate, s.disagreement_rate)
        for judge, s in stats.items()
    }
    for judge, count in open_counts.items():
        judges.setdefault(judge, (0, count, None, None, None))
    decisions: dict[int, dict[int, str]] = {}
    qs: dict[int, dict[int, Fraction]] = {}
    for r in counted:
        decisions.setdefault(r["activity"], {})[r["judge"]] = r["decision"]
        if r["q"] is not None:
            qs.setdefault(r["activity"], {})[r["judge"]] = Fraction(r["q"], MICRO)
    agreement = [
        (
            stage["id"],
            sum(1 for unit in decisions.values() if len(unit) >= 2),
            pure.krippendorff_alpha(decisions, "nominal"),
            pure.krippendorff_alpha(qs, "interval"),
        )
        for stage in await stages(competition_id)
        if stage["kind"] == "activity"
    ]
    return judges, agreement


async def _stir(competition_id: int) -> None:
    """What a live season has beside the bench's plain rows: disagreeing panels, annulled reviews,
    superseded versions and reviews without a decision."""
    multi = await Review.raw(
        "SELECT r.activity AS activity FROM review r JOIN activity a ON a.id = r.activity"
        f" WHERE a.competition = {competition_id}"
        " GROUP BY r.activity HAVING COUNT(*) >= 2 ORDER BY r.activity"
    )
    ids = [r["activity"] for r in multi]
    assert len(ids) >= 40, "the bench season has panels of several judges"
    async with write_transaction():
        for n, activity in enumerate(ids[:40]):
            first = (
                await Review.select(Review.id).where(Review.activity == activity).order_by(Review.id).first()
            )
            if n % 4 == 0:
                await Review.update({Review.decision: "rejected"}).where(Review.id == first["id"])
            elif n % 4 == 1:
                await Review.raw(
                    f"UPDATE review SET annulled_at = CURRENT_TIMESTAMP WHERE id = {first['id']}"
                )
            elif n % 4 == 2:
                await Review.update({Review.is_current: False}).where(Review.id == first["id"])
            else:
                await Review.update({Review.decision: "needs_info"}).where(Review.id == first["id"])


async def test_the_jury_console_counts_by_the_database_what_it_counted_in_python(app: Litestar) -> None:
    await wipe()
    set_locale("id")
    built = await bench.build(2500, 4)
    await _stir(built.competition_id)
    judges, agreement = await jury_reads.console(built.competition_id)
    former_judges, former_agreement = await _former_console(built.competition_id)
    now = {
        j["id"]: (j["reviews"], j["open"], j["mean_q"], j["rejection_rate"], j["disagreement_rate"])
        for j in judges
        if j["reviews"] or j["open"]
    }
    assert now == former_judges
    assert any(row[4] for row in now.values()), "some judge disagrees with the panel"
    assert [
        (a["stage"]["id"], a["units"], a["nominal"], a["interval"])
        for a in agreement
        if a["stage"]["kind"] == "activity"  # the team stages' agreement is read as before
    ] == former_agreement
    assert former_agreement and all(a[2] is not None and a[3] is not None for a in former_agreement)
    # Each part alone (the page reads the scored reviews once for both) answers the same.
    assert await jury_reads.judge_table(built.competition_id) == judges
    assert await jury_reads.agreement(built.competition_id) == agreement


async def test_the_what_if_preview_from_the_kept_facts_equals_reading_them_again(app: Litestar) -> None:
    await wipe()
    set_locale("id")
    built = await bench.build(2500, 4)
    info = await competition_by_id(built.competition_id)
    assert info is not None
    _, current = await ruleset_in_force(info.id)
    candidate = msgspec.structs.replace(current, rules=current.rules[:-1])

    async def former() -> list[tuple[Any, ...]]:
        facts = await load_facts(info)
        return [
            (c.team_code, c.rank_a, c.score_a, c.rank_b, c.score_b)
            for c in compare(current, candidate, facts)
        ]

    def rows(preview: list[rulesets.PreviewRow]) -> list[tuple[Any, ...]]:
        return [(r.team_code, r.rank_now, r.score_now, r.rank_draft, r.score_draft) for r in preview]

    first = rows(await rulesets.preview(info, candidate))
    assert first == await former()
    assert any(r[2] != r[4] for r in first), "the candidate changes the points"
    # A judge's verdict changes the facts: the preview follows (the kept facts take the change).
    activity_id, judge = await _open_assignment(info.id)
    await reviews.decide(info, judge, activity_id, "verified", "")
    second = rows(await rulesets.preview(info, candidate))
    assert second == await former()
    assert second != first


def _ids(text: str, marker: str) -> list[int]:
    return [int(found) for found in re.findall(marker, text)]


async def _walk(client: Any, first: str, marker: str) -> tuple[list[list[int]], str]:
    """Every page from `first` by its "Next" links, then back to the first by the "Previous" links."""
    pages: list[list[int]] = []
    response = await client.get(first)
    assert response.status_code == 200, response.text
    while True:
        pages.append(_ids(response.text, marker))
        found = re.search(r'href="([^"]+)" rel="next"', response.text)
        if not found:
            break
        response = await client.get(html.unescape(found.group(1)))
        assert response.status_code == 200
    back: list[list[int]] = [pages[-1]]
    while True:
        found = re.search(r'href="([^"]+)" rel="prev"', response.text)
        if not found:
            break
        link = html.unescape(found.group(1))
        response = await client.get(link)
        back.append(_ids(response.text, marker))
    assert back[::-1] == pages, "back by the Previous links, the same pages"
    return pages, link if len(pages) > 1 else ""


async def test_the_long_lists_page_by_keyset_with_the_rows_of_the_numbered_pages(
    app: Litestar, browser_factory: Any
) -> None:
    await wipe()
    set_locale("id")
    built = await bench.build(2500, 4)
    async with write_transaction():
        await Account.insert(
            Account(username="panitia", password_hash=HASH, full_name="Panitia", role="organiser")
        )
        for n in range(130):
            await audit.record(
                actor_id=None,
                actor_name="uji",
                action="uji.langkah",
                object_type="uji",
                object_id=n,
                competition_id=built.competition_id,
            )
    organiser = await browser_factory("panitia")
    row = r'data-testid="assignment-row" data-id="(\d+)"'
    pages, last_prev = await _walk(organiser, "/panitia/juri/tugas", row)
    assert len(pages) >= 3 and "sebelum=" in last_prev
    # The same rows as the numbered pages read by offset, in the same order (ties of created_at by id).
    by_offset = [
        [
            r["id"]
            for r in (
                await jury_reads.open_assignment_list(
                    built.competition_id, judge_id=None, team_code="", flag="", number=n
                )
            )[0]
        ]
        for n in range(1, len(pages) + 1)
    ]
    assert pages == by_offset
    flat = [i for p in pages for i in p]
    assert (
        len(flat)
        == len(set(flat))
        == await Assignment.count().where(
            (Assignment.competition == built.competition_id) & (Assignment.status == "open")
        )
    )
    second = await organiser.get("/panitia/juri/tugas?halaman=2")
    assert "setelah=" in second.text and _ids(second.text, row) == pages[1]

    event = r'<p class="audit-head"><span class="muted">#(\d+)</span>'
    events, _ = await _walk(organiser, "/panitia/audit?tindakan=uji", event)
    assert len(events) >= 3
    flat = [i for p in events for i in p]
    assert len(flat) == 130 and flat == sorted(flat, reverse=True)
    # A cursor that names no row of the list reads an empty page, not an error.
    assert (await organiser.get("/panitia/audit?setelah=abc")).status_code == 200
    assert (await organiser.get("/panitia/juri/tugas?setelah=999999999&halaman=2")).status_code == 200

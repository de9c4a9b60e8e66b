"""The demo season: 38 teams, the catalogue, an account for every role and a few hundred activities.

A tool above every context (like the CLI): it seeds through each context's services and writes its history
straight into the tables, so it may import any of them."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio.to_thread

from app import demo_photos, regions, subscribers
from app.accounts.officers import OfficerFields
from app.accounts.services import create_account
from app.audit import services as audit
from app.competitions.catalogue import DEFAULT_CATALOGUE
from app.competitions.services import competition_by_slug, create_competition, ruleset_in_force, save_ruleset
from app.competitions.stages import ensure_default_stages
from app.db import write_transaction
from app.judging.assignment import ensure_assignments
from app.leaderboard.services import recompute
from app.leaderboard.views import keep_week_baseline
from app.tables import Activity, ActivityType, Attestation, Review, RubricCriterion, Team
from scoring.ruleset import Ruleset

DEMO_SLUG = "lomba-sinergitas-2024"
DEMO_NAME = "Lomba Sinergitas Senkom – Bhabinkamtibmas 2024"
DEMO_PASSWORD = "sinergi2024"  # noqa: S105 - the demo's published password
WIB = ZoneInfo("Asia/Jakarta")
RECENT_DAYS = 10  # activities of the last days are verified after the others (this week's movement)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    full_name: str
    team: str | None = None
    region: str | None = None
    nrp: str | None = None  # an officer's


# The demo officer (Bhabinkamtibmas of a Surabaya kelurahan): named by some of Surabaya's activities, which
# they have confirmed (the verified ones) or are asked to confirm (the waiting ones).
DEMO_OFFICER = OfficerFields(
    nrp="85020001", rank="Bripka", polres="Polrestabes Surabaya", village_code="35.78.01.1001"
)
DEMO_ACCOUNTS = (
    DemoAccount("panitia", "organiser", "Panitia Ditbinmas Polda Jatim"),
    DemoAccount("juri1", "judge", "AKBP Hendra Wijaya (Polri)", region="35.78"),
    DemoAccount("juri2", "judge", "Letkol Inf. Bambang Sutrisno (TNI)", region="35.07"),
    DemoAccount("juri3", "judge", "Dra. Sri Rahayu (BPBD Jatim)"),
    DemoAccount("peserta.surabaya", "participant", "Senkom Kota Surabaya", team="35.78"),
    DemoAccount("peserta.malang", "participant", "Senkom Kabupaten Malang", team="35.07"),
    DemoAccount("peserta.banyuwangi", "participant", "Senkom Kabupaten Banyuwangi", team="35.10"),
    DemoAccount("petugas.surabaya", "officer", "Budi Prasetyo", nrp=DEMO_OFFICER.nrp),
)

FIRST = (
    "Ahmad",
    "Budi",
    "Siti",
    "Dewi",
    "Agus",
    "Rina",
    "Hadi",
    "Sri",
    "Joko",
    "Wahyu",
    "Nur",
    "Eko",
    "Yuli",
)
LAST = ("Santoso", "Wibowo", "Lestari", "Hidayat", "Rahmawati", "Prasetyo", "Susanto", "Kurniawan", "Maulana")
RANKS = ("Bripka", "Aipda", "Aiptu", "Brigpol", "Briptu")
TITLES = {
    "DDS": "Sambang warga dan sosialisasi pemilu damai",
    "DETEKSI_DINI": "Laporan deteksi dini situasi menjelang pemungutan suara",
    "PROBLEM_SOLVING": "Mediasi perselisihan batas lahan antarwarga",
    "BINLUH": "Penyuluhan bahaya hoaks dan politik uang",
    "FKPM": "Rapat Forum Kemitraan Polisi dan Masyarakat",
    "SISKAMLING": "Menghidupkan kembali pos kamling dan jadwal ronda",
    "PENGAMANAN": "Pengamanan kampanye dan TPS",
    "BENCANA": "Simulasi evakuasi banjir bersama warga",
    "BELA_NEGARA": "Pendidikan bela negara untuk pemuda karang taruna",
}


# The team-level rubric of the field assessment (stage "lapangan"): code, names, weight, levels 1–5.
TEAM_RUBRIC = (
    (
        "dampak",
        "Dampak di lapangan",
        "Impact in the field",
        "3",
        (
            ("Belum terlihat perubahan di lingkungan.", "No change visible in the neighbourhood yet."),
            ("Perubahan kecil, sesaat.", "Small, short-lived changes."),
            ("Perubahan nyata di beberapa RW.", "Real changes in some neighbourhoods (RW)."),
            ("Gangguan kamtibmas turun di sebagian besar wilayah.", "Fewer incidents in most of the area."),
            (
                "Warga merasakan lingkungan lebih aman dan tertib.",
                "Residents feel the area is safer and orderly.",
            ),
        ),
    ),
    (
        "keberlanjutan",
        "Keberlanjutan",
        "Sustainability",
        "2",
        (
            ("Kegiatan sekali jalan.", "One-off activities."),
            ("Kegiatan berulang tanpa jadwal.", "Repeated activities without a schedule."),
            ("Jadwal rutin berjalan.", "A regular schedule is kept."),
            ("Rutin dan dicatat, ada penanggung jawab.", "Regular and recorded, with people in charge."),
            (
                "Berjalan sendiri oleh warga, dengan dana dan kader.",
                "Run by the residents, with funds and cadres.",
            ),
        ),
    ),
    (
        "kemitraan",
        "Kemitraan",
        "Partnership",
        "2",
        (
            (
                "Senkom dan Bhabinkamtibmas bergerak sendiri-sendiri.",
                "Senkom and the officer work separately.",
            ),
            ("Bertemu sesekali.", "They meet now and then."),
            ("Merencanakan dan melaksanakan bersama.", "They plan and act together."),
            (
                "Melibatkan tokoh masyarakat dan perangkat desa.",
                "Community leaders and village staff take part.",
            ),
            ("Forum kemitraan aktif lintas lembaga.", "An active partnership forum across agencies."),
        ),
    ),
)
# The activity-level rubric the judges score during verification: code, names, weight, levels 1–5.
ACTIVITY_RUBRIC = (
    (
        "bukti",
        "Kelengkapan bukti",
        "Evidence",
        "1",
        (
            ("Foto tidak menunjukkan kegiatan.", "The photos do not show the activity."),
            ("Foto kurang jelas, data minim.", "Unclear photos, little data."),
            ("Foto dan data cukup.", "Enough photos and data."),
            ("Foto jelas, kedua mitra terlihat.", "Clear photos, both partners visible."),
            (
                "Foto, data warga, dan waktu lengkap dan konsisten.",
                "Photos, residents and time complete and consistent.",
            ),
        ),
    ),
    (
        "sinergi",
        "Keterlibatan kedua mitra",
        "Both partners involved",
        "1",
        (
            ("Hanya satu pihak yang hadir.", "Only one partner was there."),
            ("Pihak lain hadir sebagai tamu.", "The other partner attended as a guest."),
            ("Keduanya hadir dan berbagi peran.", "Both were there and shared roles."),
            ("Direncanakan dan dilaksanakan bersama.", "Planned and carried out together."),
            ("Bersama, melibatkan tokoh dan warga.", "Together, with community leaders and residents."),
        ),
    ),
)
# Weights of the final ranking (Penetapan): 70 % activity verification, 30 % field assessment.
DEMO_STAGE_WEIGHTS = {"verifikasi": "0.7", "lapangan": "0.3"}


async def seed_jury_setup(competition_id: int) -> None:
    """The demo's stages, activity- and team-level rubrics and stage weights; each part only when missing
    (idempotent).
    Runs inside a write transaction."""
    await ensure_default_stages(competition_id)
    for scope, rubric, offset in (("activity", ACTIVITY_RUBRIC, 0), ("team", TEAM_RUBRIC, 100)):
        if await RubricCriterion.exists().where(
            (RubricCriterion.competition == competition_id) & (RubricCriterion.scope == scope)
        ):
            continue
        await RubricCriterion.insert(
            *[
                RubricCriterion(
                    competition=competition_id,
                    code=code,
                    name=name,
                    name_en=name_en,
                    weight=weight,
                    min="1",
                    max="5",
                    position=offset + i,
                    scope=scope,
                    levels=json.dumps(
                        [
                            {"score": str(n), "id": text_id, "en": text_en}
                            for n, (text_id, text_en) in enumerate(levels, start=1)
                        ],
                        ensure_ascii=False,
                    ),
                )
                for i, (code, name, name_en, weight, levels) in enumerate(rubric)
            ]
        )
    _, ruleset = await ruleset_in_force(competition_id)
    if not ruleset.stages:
        weights = {code: Decimal(value) for code, value in DEMO_STAGE_WEIGHTS.items()}
        await save_ruleset(
            competition_id,
            Ruleset(ruleset.rules, ruleset.tie_break, weights),
            actor_id=None,
            actor_name="system",
            note="demo: bobot tahap",
        )


def demo_dates(today: date) -> tuple[date, date]:
    """The season runs around today, so that a visitor can record an activity dated now."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=8)
    return start, today + timedelta(weeks=12)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


async def _seed_attestations(
    rows: list[Activity], finals: list[str], ids: list[int], named: set[int], officer_id: int
) -> None:
    """The demo officer's answers: confirmed (two hours after sending) where the activity was verified, one
    refusal among the rejected, asked where it still waits."""
    attestations = []
    declined = False
    for i in sorted(named):
        row = rows[i]
        state = {"verified": "confirmed", "submitted": "pending"}.get(finals[i])
        reason = ""
        if state is None:
            if declined:
                continue
            state, reason, declined = "declined", "Saya tidak hadir pada kegiatan ini.", True
        attestations.append(
            Attestation(
                activity=ids[i],
                officer=officer_id,
                nrp=DEMO_OFFICER.nrp,
                officer_name="Budi Prasetyo",
                state=state,
                reason=reason,
                created_at=row.submitted_at,
                decided_at=None if state == "pending" else row.submitted_at + timedelta(hours=2),
                lat="-7.330000" if state == "confirmed" else None,
                lon="112.700000" if state == "confirmed" else None,
                accuracy="25.0" if state == "confirmed" else None,
            )
        )
    if attestations:
        await Attestation.insert(*attestations)


async def seed_demo(var_dir: Path, activities: int = 320, seed: int = 2024) -> bool:
    """Returns False when the demo season exists already: running twice seeds nothing twice. The
    activities' photos are stored under var_dir, as uploads are."""
    subscribers.wire()  # called outside the application too (`sinergi seed-demo`, test helpers)
    if await competition_by_slug(DEMO_SLUG) is not None:
        return False
    rng = random.Random(seed)
    today = datetime.now(WIB).date()
    starts_on, ends_on = demo_dates(today)
    async with write_transaction(lock="demo"):
        competition = await create_competition(
            slug=DEMO_SLUG, name=DEMO_NAME, starts_on=starts_on, ends_on=ends_on, is_current=True
        )
        await seed_jury_setup(competition.id)
    team_ids = {
        t["code"]: t["id"]
        for t in await Team.select(Team.id, Team.code).where(Team.competition == competition.id)
    }
    account_ids: dict[str, int] = {}
    for a in DEMO_ACCOUNTS:
        account_ids[a.username] = await create_account(
            username=a.username,
            password=DEMO_PASSWORD,
            role=a.role,
            full_name=a.full_name,
            team_id=team_ids[a.team] if a.team else None,
            region_code=a.region,
            officer=DEMO_OFFICER if a.role == "officer" else None,
        )
    type_ids = {
        t["code"]: t["id"]
        for t in await ActivityType.select(ActivityType.id, ActivityType.code).where(
            ActivityType.competition == competition.id
        )
    }
    judges = [a for a in DEMO_ACCOUNTS if a.role == "judge"]
    members = {a.team: account_ids[a.username] for a in DEMO_ACCOUNTS if a.role == "participant"}
    codes = list(team_ids)
    weights = [3 if c in ("35.78", "35.07", "35.10") else 1 + (int(c[-2:]) % 4) for c in codes]
    now = datetime.now(UTC)
    rows: list[Activity] = []
    seeded: list[demo_photos.DemoActivity] = []
    decisions: list[tuple[int, str, str, str]] = []
    # Verified in the last days: judged after the rest, so the leaderboard shows who moved this week.
    recent: set[int] = set()
    # Which activities name the demo officer (a generator of its own: the season's draw stays as it was).
    named_rng = random.Random(seed + 1)
    named: set[int] = set()
    finals: list[str] = []  # each activity's status once the demo's history is written
    for i in range(activities):
        code = rng.choices(codes, weights)[0]
        entry = rng.choice(DEFAULT_CATALOGUE)
        day = starts_on + timedelta(days=rng.randrange(max(1, (today - starts_on).days)))
        occurred = datetime.combine(day, time(rng.randrange(6, 22), rng.choice((0, 15, 30, 45))), WIB)
        district = rng.choice(regions.districts_of(code))
        village = rng.choice(regions.villages_of(district.code))
        senkom = [{"name": _name(rng)} for _ in range(rng.randint(1, 4))]
        officers = [
            {
                "name": _name(rng),
                "rank": rng.choice(RANKS),
                "nrp": str(rng.randrange(70_000_000, 99_999_999)),
                "polres": next((p.name for p in regions.polres_list() if p.main_regency_code == code), ""),
            }
            for _ in range(rng.choice((0, 1, 1, 1, 2)))
        ]
        if code == "35.78" and officers and named_rng.random() < 0.6:
            officers[0] = {**officers[0], "name": "Budi Prasetyo", "rank": "Bripka", "nrp": DEMO_OFFICER.nrp}
            named.add(i)
        roll = rng.random()
        status = "verified" if roll < 0.55 else "rejected" if roll < 0.7 else "submitted"
        finals.append(status)
        if status == "verified" and (today - day).days < RECENT_DAYS:
            recent.add(i)
        rows.append(
            Activity(
                competition=competition.id,
                team=team_ids[code],
                activity_type=type_ids[entry.code],
                occurred_at=occurred.astimezone(UTC),
                district_code=district.code,
                village_code=village.code,
                rw=f"RW {rng.randint(1, 12):02d}",
                title=f"{TITLES[entry.code]} di {village.name}",
                description="Kegiatan bersama Senkom Mitra Polri dan Bhabinkamtibmas.",
                senkom_members=json.dumps(senkom),
                officers=json.dumps(officers),
                senkom_count=len(senkom),
                officer_count=len(officers),
                residents_reached=rng.choice((0, 10, 25, 40, 60, 120)),
                preemptive=rng.random() < 0.7,
                status="submitted" if i in recent else status,
                submitted_by=members.get(code),
                submitted_at=min(now, occurred.astimezone(UTC) + timedelta(hours=rng.randint(1, 30))),
                idempotency_key=f"demo-{i}",
                request_hash="demo",
                officer_confirmed=i in named and status == "verified",
            )
        )
        seeded.append(demo_photos.DemoActivity(code, occurred, village.name, status))
        if status != "submitted":
            judge = rng.choice([j for j in judges if j.region != code])
            reason = "" if status == "verified" else "Foto kegiatan tidak menunjukkan kehadiran petugas."
            decisions.append((i, judge.username, status, reason))
    plans = demo_photos.plan_photos(seeded, seed, avoid={j.region for j in judges if j.region})
    photos = await anyio.to_thread.run_sync(demo_photos.make_photos, plans)
    async with write_transaction(lock=f"competition:{competition.id}"):
        inserted = await Activity.insert(*rows).returning(Activity.id)
        ids = [r["id"] for r in inserted]
        uploaded_by = [members.get(a.team_code) for a in seeded]
        stored = await demo_photos.store_photos(var_dir, competition.id, ids, plans, photos, uploaded_by)
        await _seed_attestations(rows, finals, ids, named, account_ids["petugas.surabaya"])
        if decisions:
            await Review.insert(
                *[
                    Review(activity=ids[i], judge=account_ids[judge], decision=status, reason=reason)
                    for i, judge, status, reason in decisions
                    if i not in recent
                ]
            )
        await audit.record(
            actor_id=None,
            actor_name="system",
            action="demo.seed",
            object_type="competition",
            object_id=competition.id,
            after={"activities": activities, "reviews": len(decisions), "photos": stored},
            competition_id=competition.id,
        )
        await recompute(competition)
        if recent:
            # The standings before this week's verifications are the week's movement baseline.
            await keep_week_baseline(competition)
            await Review.insert(
                *[
                    Review(activity=ids[i], judge=account_ids[judge], decision=status, reason=reason)
                    for i, judge, status, reason in decisions
                    if i in recent
                ]
            )
            await Activity.update({Activity.status: "verified"}).where(
                Activity.id.is_in([ids[i] for i in sorted(recent)])
            )
            await recompute(competition)

    # The activities still waiting get their judges, as if they had been submitted one by one.
    await ensure_assignments(competition)
    return True

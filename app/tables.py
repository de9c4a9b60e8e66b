"""Piccolo tables of Sinergi, in one module so migrations and foreign keys see one schema."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ROLES = ("organiser", "judge", "participant", "officer")
# What an officer's attestation of an activity may be (app.activities.attestation).
ATTESTATION_STATES = ("pending", "confirmed", "declined", "withdrawn")
CLUSTERS = ("kamtibmas", "bencana", "bela_negara")
STATUSES = ("submitted", "verified", "rejected")


class Competition(Table):
    slug = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    starts_on = Date()
    ends_on = Date()
    timezone = Varchar(length=64, default="Asia/Jakarta")
    is_current = Boolean(default=False)
    is_private = Boolean(default=False)
    reviews_required = Integer(default=1)
    ruleset_version = Integer(default=0)
    standings_version = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    # Leaderboard freeze: from `frozen_at` the public sees the snapshot of standings version
    # `frozen_version` (StandingSnapshot label "frozen"); organisers and judges keep the live standings.
    frozen_at = Timestamptz(null=True, default=None)
    frozen_version = Integer(default=0)
    # When the stored standings were last computed, and when the ones that became this week's movement
    # baseline (StandingSnapshot "mv:YYYY-Www") were: the computed views compare with their standings
    # over the activities verified before that moment.
    standings_at = Timestamptz(null=True, default=None)
    movement_since = Timestamptz(null=True, default=None)
    # The jury: team identity hidden from judges; when the judges' q spread more than `q_tolerance`
    # (0..1) one more judge is added ("extra_judge") or the head judge decides ("head_judge");
    # optional per-judge normalisation of rubric scores; the place written on the Berita Acara.
    blind_judging = Boolean(default=False)
    q_tolerance = Varchar(length=32, default="0.3")
    tolerance_action = Varchar(length=16, default="extra_judge")
    head_judge = ForeignKey(references="Account", null=True, default=None)
    judge_normalisation = Boolean(default=False)
    place = Varchar(length=200, default="Surabaya")


class Team(Table):
    competition = ForeignKey(references=Competition, index=True)
    code = Varchar(length=16)
    name = Varchar(length=200)


class Account(Table):
    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=255)
    full_name = Varchar(length=200, default="")
    role = Varchar(length=16)
    team = ForeignKey(references=Team, null=True, default=None)
    region_code = Varchar(length=16, null=True, default=None)
    is_active = Boolean(default=True)
    locale = Varchar(length=8, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AuthSession(Table, tablename="auth_session"):
    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(references=Account, index=True)
    kind = Varchar(length=8, default="web")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class ActivityType(Table, tablename="activity_type"):
    competition = ForeignKey(references=Competition, index=True)
    code = Varchar(length=32)
    name = Varchar(length=200)
    name_en = Varchar(length=200)
    cluster = Varchar(length=16)


class Activity(Table):
    competition = ForeignKey(references=Competition, index=True)
    team = ForeignKey(references=Team, index=True)
    activity_type = ForeignKey(references=ActivityType)
    occurred_at = Timestamptz()
    district_code = Varchar(length=16, null=True, default=None)
    village_code = Varchar(length=16, null=True, default=None)
    rw = Varchar(length=32, default="")
    title = Varchar(length=200)
    description = Text(default="")
    senkom_members = JSON(default=[])
    officers = JSON(default=[])
    senkom_count = Integer(default=0)
    officer_count = Integer(default=0)
    residents_reached = Integer(default=0)
    preemptive = Boolean(default=False)
    # True exactly when the activity's current officer attestation is confirmed (the officers' attestation
    # service keeps it so); the scoring rule `joint_only` can require it.
    officer_confirmed = Boolean(default=False)
    status = Varchar(length=16, default="submitted", index=True)
    submitted_by = ForeignKey(references=Account, null=True, default=None)
    submitted_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    idempotency_key = Varchar(length=64, null=True, default=None)
    request_hash = Varchar(length=64, null=True, default=None)
    # "" or why the jury needs more: "tie" (one more judge), "spread" (scores beyond the tolerance,
    # one more judge), "head" (the head judge decides).
    jury_flag = Varchar(length=16, default="")


class Review(Table):
    activity = ForeignKey(references=Activity, index=True)
    judge = ForeignKey(references=Account)
    decision = Varchar(length=16)
    reason = Text(default="")
    scores = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    # Every version of a judge's review is kept; only the current one, if not annulled, counts.
    version = Integer(default=1)
    is_current = Boolean(default=True)
    is_head = Boolean(default=False)
    annulled_at = Timestamptz(null=True, default=None)
    annulled_by = ForeignKey(references="Account", null=True, default=None)
    annul_reason = Text(default="")


class RulesetVersion(Table, tablename="ruleset_version"):
    competition = ForeignKey(references=Competition, index=True)
    version = Integer()
    body = JSON()
    note = Varchar(length=200, default="")
    created_by = ForeignKey(references=Account, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Adjustment(Table):
    competition = ForeignKey(references=Competition, index=True)
    team = ForeignKey(references=Team)
    points = Varchar(length=32)
    reason = Text()
    created_by = ForeignKey(references=Account, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Standing(Table):
    competition = ForeignKey(references=Competition, index=True)
    team = ForeignKey(references=Team)
    period = Varchar(length=16, default="season")
    view = Varchar(length=48, default="overall")
    rank = Integer()
    score = Varchar(length=32)
    counted = Integer(default=0)
    subtotals = JSON(default={})
    lines = JSON(default=[])
    quality = Varchar(length=32, null=True, default=None)
    coverage = Varchar(length=32, default="0")
    last_activity_at = Timestamptz(null=True, default=None)
    ruleset_version = Integer(default=0)
    data_version = Integer(default=0)


class AuditEvent(Table, tablename="audit_event"):
    competition_id = Integer(null=True, default=None)
    actor = ForeignKey(references=Account, null=True, default=None)
    actor_name = Varchar(length=64, default="")
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=32)
    object_id = Varchar(length=64, default="")
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class AuditHead(Table, tablename="audit_head"):
    """The audit chain's signed head (one row, id 1): how many events, the last one's id and link, and up
    to which id the events carry the plain links of versions before the key (app.audit.chain)."""

    count = Integer(default=0)
    last_id = Integer(default=0)
    last_link = Varchar(length=64, default="")
    legacy_through = Integer(default=0)
    mac = Varchar(length=64, default="")


class RubricCriterion(Table, tablename="rubric_criterion"):
    """One weighted criterion of a competition's rubric; decimals are kept as exact text."""

    competition = ForeignKey(references=Competition, index=True)
    code = Varchar(length=32)
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    weight = Varchar(length=32)
    min = Varchar(length=32)
    max = Varchar(length=32)
    position = Integer(default=0)
    # "activity" (judges score each activity) or "team" (a team-level stage such as Penilaian lapangan);
    # `levels` is JSON text: [{"score": "1", "id": "...", "en": "..."}, ...], shown beside the form.
    scope = Varchar(length=16, default="activity")
    description = Text(default="")
    levels = Text(default="[]")


class Photo(Table):
    """Photo evidence of an activity: the stored copy (EXIF removed) under the var directory."""

    activity = ForeignKey(references=Activity, index=True)
    path = Varchar(length=255)
    sha256 = Varchar(length=64)
    content_type = Varchar(length=32)
    width = Integer()
    height = Integer()
    size = Integer()
    uploaded_by = ForeignKey(references=Account, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # For the judges only (the stored copy has no EXIF): a 64-bit difference hash, the thumbnail,
    # and the capture time and GPS position read from the original's EXIF.
    phash = Varchar(length=16, default="")
    thumb_path = Varchar(length=255, default="")
    taken_at = Timestamptz(null=True, default=None)
    gps_lat = Varchar(length=32, null=True, default=None)
    gps_lon = Varchar(length=32, null=True, default=None)


class ActivityDraft(Table, tablename="activity_draft"):
    """What a participant has typed into the capture form so far, kept per account and form key."""

    account = ForeignKey(references=Account, index=True)
    form_key = Varchar(length=64)
    fields = Text(default="{}")
    updated_at = Timestamptz(default=TimestamptzNow())


class RulesetDraft(Table, tablename="ruleset_draft"):
    """The organisers' working draft of a competition's ruleset (JSON text), before it is published."""

    competition = ForeignKey(references=Competition, index=True)
    body = Text(default="")
    based_on = Integer(default=0)
    updated_by = ForeignKey(references=Account, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class StandingSnapshot(Table, tablename="standing_snapshot"):
    """A copy of the overall season standings: label "frozen" (what the public sees of a frozen
    leaderboard) or "mv:YYYY-Www" (the ranks when that week began, for the movement arrows)."""

    competition = ForeignKey(references=Competition, index=True)
    team = ForeignKey(references=Team)
    label = Varchar(length=16)
    rank = Integer(default=0)
    score = Varchar(length=32, default="0")
    counted = Integer(default=0)
    subtotals = Text(default="{}")
    lines = Text(default="[]")
    ruleset_version = Integer(default=0)
    data_version = Integer(default=0)


class FrozenActivity(Table, tablename="frozen_activity"):
    """The verified activities as they stood at a leaderboard freeze: what the public's team pages list
    until the unfreeze, so that nothing decided, revised, annulled or corrected after the freeze shows
    there. Copied by `leaderboard.views.freeze`, removed at the unfreeze."""

    competition = ForeignKey(references=Competition, index=True)
    team = ForeignKey(references=Team, index=True)
    activity = Integer(default=0)  # no foreign key: the listing outlives whatever happens to the row
    title = Varchar(length=200, default="")
    occurred_at = Timestamptz()
    type_code = Varchar(length=32, default="")
    # The activity's people as they stood at the freeze: the public's frozen team page lists them.
    senkom_members = JSON(default=[])
    officers = JSON(default=[])
    officer_confirmed = Boolean(default=False)


class FinalResult(Table, tablename="final_result"):
    """The final results as published by the organisers: a copy of the standings that never changes."""

    competition = ForeignKey(references=Competition, index=True)
    standings = Text(default="[]")
    ruleset_version = Integer(default=0)
    note = Varchar(length=200, default="")
    published_by = ForeignKey(references=Account, null=True, default=None)
    published_at = Timestamptz(default=TimestamptzNow())


STAGE_KINDS = ("activity", "team", "final")


class Stage(Table):
    """A stage of the season: "activity" (verify activities), "team" (a team-level rubric for the top N
    teams of the stage before), "final" (the ranking that combines the stages by the ruleset's weights)."""

    competition = ForeignKey(references=Competition, index=True)
    position = Integer(default=0)
    code = Varchar(length=32)
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    kind = Varchar(length=16, default="activity")
    top_n = Integer(default=0)
    status = Varchar(length=16, default="open")
    closed_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(references=Account, null=True, default=None)


class Assignment(Table):
    """A judge asked to review an activity (or, in a team-level stage, a team).

    status: "open", "done", "moved" (given to another judge), "cancelled"; origin: "auto", "override",
    "tie", "spread", "head", "annul", "takeover"."""

    competition = ForeignKey(references=Competition, index=True)
    stage = ForeignKey(references=Stage, null=True, default=None)
    activity = ForeignKey(references=Activity, null=True, default=None)
    team = ForeignKey(references=Team, null=True, default=None)
    judge = ForeignKey(references=Account)
    status = Varchar(length=16, default="open")
    origin = Varchar(length=16, default="auto")
    skipped = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    done_at = Timestamptz(null=True, default=None)


class ConflictOfInterest(Table, tablename="conflict_of_interest"):
    judge = ForeignKey(references=Account)
    team = ForeignKey(references=Team)
    reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class TeamReview(Table, tablename="team_review"):
    """A judge's rubric scores of a whole team in a team-level stage; versions kept like Review."""

    stage = ForeignKey(references=Stage)
    team = ForeignKey(references=Team)
    judge = ForeignKey(references=Account)
    scores = Text(default="{}")
    note = Text(default="")
    version = Integer(default=1)
    is_current = Boolean(default=True)
    annulled_at = Timestamptz(null=True, default=None)
    annulled_by = ForeignKey(references=Account, null=True, default=None)
    annul_reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class BeritaAcara(Table, tablename="berita_acara"):
    """The signed record of a closed stage: the PDF exactly as produced, and its SHA-256."""

    competition = ForeignKey(references=Competition, index=True)
    stage = ForeignKey(references=Stage)
    content = Bytea()
    sha256 = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(references=Account, null=True, default=None)


class OfficerProfile(Table, tablename="officer_profile"):
    """What makes an account (role "officer") a Bhabinkamtibmas / Polisi RW officer: NRP, rank, Polres and
    the desa/kelurahan of duty. The NRP is how an activity's named officer is matched to the account."""

    account = ForeignKey(references=Account, unique=True)
    nrp = Varchar(length=18, unique=True)
    rank = Varchar(length=40, default="")
    polres = Varchar(length=80, default="")
    village_code = Varchar(length=16, null=True, default=None)


class Attestation(Table):
    """A named officer asked to confirm an activity, and their answer. Every version is kept: an edit by
    the team withdraws the current one (state "withdrawn", `is_current` false) and asks again."""

    activity = ForeignKey(references=Activity, index=True)
    officer = ForeignKey(references=Account, index=True)
    nrp = Varchar(length=18)
    officer_name = Varchar(length=120, default="")
    state = Varchar(length=16, default="pending")
    reason = Text(default="")
    is_current = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    lat = Varchar(length=32, null=True, default=None)
    lon = Varchar(length=32, null=True, default=None)
    accuracy = Varchar(length=32, null=True, default=None)


class OfficerInvite(Table, tablename="officer_invite"):
    """A one-time link for an officer named without an account: only the SHA-256 of its token is kept;
    used once (`used_at`), until `expires_at`."""

    activity = ForeignKey(references=Activity, index=True)
    nrp = Varchar(length=18)
    officer_name = Varchar(length=120, default="")
    token_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(references=Account, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    account = ForeignKey(references=Account, null=True, default=None)


class WebhookEndpoint(Table, tablename="webhook_endpoint"):
    """An organiser's receiver of a competition's events (app.webhooks). The secret signs every delivery,
    so it is kept readable; pages and the API show only its first characters after creation."""

    competition = ForeignKey(references=Competition, index=True)
    url = Varchar(length=2000)
    description = Varchar(length=200, default="")
    events = Text(default="[]")  # JSON list of event types
    secret = Varchar(length=128)
    trusted = Boolean(default=False)  # receives a private board's events
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(references=Account, null=True, default=None)


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """One event for one endpoint: the outbox row, written in the transaction of the change. `uuid` is the
    idempotency id (header Sinergi-Delivery); `body` is the JSON exactly as signed and sent."""

    endpoint = ForeignKey(references=WebhookEndpoint, index=True)
    uuid = Varchar(length=36, unique=True)
    event_id = Varchar(length=36)
    event_type = Varchar(length=40)
    body = Text(default="{}")
    state = Varchar(length=12, default="pending")  # pending, delivered, failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    lease_token = Varchar(length=36, null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    last_status = Integer(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)


class WebhookAttempt(Table, tablename="webhook_attempt"):
    """One POST of a delivery: when, the receiver's status (None: no answer), the error, how long."""

    delivery = ForeignKey(references=WebhookDelivery, index=True)
    attempted_at = Timestamptz(default=TimestamptzNow())
    status_code = Integer(null=True, default=None)
    error = Text(default="")
    duration_ms = Integer(default=0)


ALL_TABLES: tuple[type[Table], ...] = (
    Competition,
    Team,
    Account,
    AuthSession,
    ActivityType,
    Activity,
    Review,
    RulesetVersion,
    Adjustment,
    Standing,
    AuditEvent,
    AuditHead,
    RubricCriterion,
    Photo,
    ActivityDraft,
    RulesetDraft,
    StandingSnapshot,
    FrozenActivity,
    FinalResult,
    Stage,
    Assignment,
    ConflictOfInterest,
    TeamReview,
    BeritaAcara,
    OfficerProfile,
    Attestation,
    OfficerInvite,
    WebhookEndpoint,
    WebhookDelivery,
    WebhookAttempt,
)

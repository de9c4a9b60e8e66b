"""The audit chain's cryptography and its check, free of any database: keyed links, the signed head, the
head's copy in the var directory, and the walk that finds the first broken event or a truncation.

Each event's link is HMAC-SHA256, under a key that is not in the database (`app.security.derive_key` of
SINERGI_AUDIT_KEY or SECRET_KEY), over the previous link and the event's canonical fields: an event cannot
be changed, nor the chain recomputed, without the key. The head (how many events, the last one's id and
link, up to which id the events carry the plain SHA-256 links of versions before the key) is signed under
the same key and kept in the database; every commit also writes it to a copy in the var directory, which
only ever moves forward. The threat model is in docs/reliability.md ("The audit chain").
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.i18n import _, ngettext
from app.security import AUDIT_CHAIN_KEY, derive_key, sign
from app.settings import Settings

GENESIS = "0" * 64
HEAD_COPY = "audit-head.json"


def chain_key(settings: Settings) -> bytes:
    return derive_key(settings.signing_secret, AUDIT_CHAIN_KEY)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def canonical_fields(
    *,
    competition_id: int | None,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: Any,
    after: Any,
    at: datetime,
) -> dict[str, Any]:
    """The fields an event's link covers: recording and checking both build them here (no drift)."""
    return {
        "competition_id": competition_id,
        "actor": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": before,
        "after": after,
        "at": at.astimezone(UTC).isoformat(),
    }


def keyed_link(key: bytes, prev_link: str, fields: dict[str, Any]) -> str:
    return sign(key, (prev_link + canonical(fields)).encode())


def plain_link(prev_link: str, fields: dict[str, Any]) -> str:
    """The unkeyed link of versions before the key; still checked for the events recorded then."""
    return hashlib.sha256((prev_link + canonical(fields)).encode()).hexdigest()


def loaded(value: Any) -> Any:
    """A stored before/after value as the data it was (JSON text on SQLite and PostgreSQL alike)."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def fields_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical fields of a stored `audit_event` row (as Piccolo or sqlite3 returns it)."""
    at = row["at"]
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return canonical_fields(
        competition_id=row["competition_id"],
        actor_id=row["actor"],
        actor_name=row["actor_name"],
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        before=loaded(row["before"]),
        after=loaded(row["after"]),
        at=at,
    )


@dataclass(frozen=True, slots=True)
class Head:
    """What the chain holds as of its last event. `legacy_through`: events up to this id carry plain links."""

    count: int
    last_id: int
    last_link: str
    legacy_through: int = 0

    def mac(self, key: bytes) -> str:
        return sign(key, canonical({"v": 1, **asdict(self)}).encode())


def head_from(row: Mapping[str, Any] | None, key: bytes) -> tuple[Head | None, bool]:
    """The head stored in `row` (an `audit_head` row or the copy's JSON) and whether its signature holds."""
    if row is None:
        return None, True
    try:
        head = Head(
            count=int(row["count"]),
            last_id=int(row["last_id"]),
            last_link=str(row["last_link"]),
            legacy_through=int(row["legacy_through"]),
        )
    except (KeyError, TypeError, ValueError):
        return None, False
    return head, hmac.compare_digest(head.mac(key), str(row.get("mac", "")))


# ------------------------------------------------------------------------------------ the head's copy


def copy_path(settings: Settings) -> Path:
    return settings.var_dir / HEAD_COPY


def read_copy(settings: Settings) -> dict[str, Any] | None:
    """The copy's stored fields; `{}` when it cannot be read as one (it is then reported as forged)."""
    try:
        raw = json.loads(copy_path(settings).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def write_copy(settings: Settings, head: Head, key: bytes, *, force: bool = False) -> None:
    """Writes the copy when `head` is ahead of it (several processes and late commits race here: the copy
    never moves back), or in any case with `force` (a restore replaces the database on purpose)."""
    path = copy_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(HEAD_COPY + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not force:
            stored = read_copy(settings)
            current, valid = head_from(stored, key)
            # A copy that is ahead stays; one that is not validly signed is evidence, left for
            # `audit verify` to report (a restore, with `force`, is the one way to replace it).
            if stored is not None and (not valid or (current is not None and current.count >= head.count)):
                return
        body = json.dumps({**asdict(head), "mac": head.mac(key)}, sort_keys=True)
        handle, temporary = tempfile.mkstemp(prefix=".audit-head-", dir=path.parent)
        try:
            with os.fdopen(handle, "w") as out:
                out.write(body)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def forget_copy(settings: Settings) -> None:
    """After restoring a database that has no keyed chain yet (`sinergi migrate` will seal it)."""
    copy_path(settings).unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------- the check

# What `ChainReport.problem` may say; `describe` puts each into words.
BROKEN_LINK = "link"
ALTERED_EVENT = "event"
HEAD_MISSING = "head_missing"
HEAD_FORGED = "head_forged"
TRUNCATED = "truncated"
BEYOND_HEAD = "beyond_head"
COPY_FORGED = "copy_forged"
COPY_AHEAD = "copy_ahead"


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of a check: how many events were walked, and what is wrong (nothing when `ok`)."""

    count: int
    problem: str = ""
    broken_id: int | None = None
    expected: int = 0
    expected_last_id: int = 0
    legacy: int = 0

    @property
    def ok(self) -> bool:
        return not self.problem


class ChainCheck:
    """Walks the events in id order (`feed`), then compares the end with the head and its copy (`report`).

    `head_row` is the stored head (None when there is none), `copy_row` the var directory's copy (None
    when there is none; a copy is a lower bound: the chain must reach it and agree with it there)."""

    def __init__(
        self, key: bytes, head_row: Mapping[str, Any] | None, copy_row: Mapping[str, Any] | None = None
    ) -> None:
        self.key = key
        self.head, self.head_valid = head_from(head_row, key)
        self.head_present = head_row is not None
        self.copy, self.copy_valid = head_from(copy_row, key)
        self.copy_present = copy_row is not None
        self.count = 0
        self.legacy = 0
        self.previous = GENESIS
        self.last_id = 0
        self.at_copy: tuple[int, str] | None = None
        self.failure: ChainReport | None = None
        if self.head_present and not self.head_valid:
            self.failure = ChainReport(0, HEAD_FORGED)

    @property
    def legacy_through(self) -> int:
        return self.head.legacy_through if self.head is not None else 0

    def feed(self, rows: Iterable[Mapping[str, Any]]) -> bool:
        """Checks the next rows; False once the chain is found broken (the rest need not be read)."""
        if self.failure is not None:
            return False
        for row in rows:
            self.count += 1
            event_id = int(row["id"])
            if row["prev_hash"] != self.previous:
                return self._fail(BROKEN_LINK, event_id)
            fields = fields_of(row)
            if event_id <= self.legacy_through:
                expected = plain_link(self.previous, fields)
                self.legacy += 1
            else:
                expected = keyed_link(self.key, self.previous, fields)
            if not hmac.compare_digest(expected, str(row["hash"])):
                return self._fail(ALTERED_EVENT, event_id)
            if self.head is not None and self.count > self.head.count:
                return self._fail(BEYOND_HEAD, event_id)
            self.previous = expected
            self.last_id = event_id
            if self.copy is not None and self.count == self.copy.count:
                self.at_copy = (event_id, expected)
        return True

    def _fail(self, problem: str, event_id: int) -> bool:
        self.failure = ChainReport(self.count, problem, event_id, legacy=self.legacy)
        return False

    def report(self) -> ChainReport:
        count, legacy = self.count, self.legacy
        if not self.head_present and count:
            # Without its head nothing says which links are plain ones or where the chain ended.
            return ChainReport(count, HEAD_MISSING, legacy=legacy)
        if self.failure is not None:
            return self.failure
        head, copy = self.head, self.copy
        if head is not None and (count, self.last_id, self.previous) != (
            head.count,
            head.last_id,
            head.last_link,
        ):
            return ChainReport(
                count, TRUNCATED, expected=head.count, expected_last_id=head.last_id, legacy=legacy
            )
        if self.copy_present and not self.copy_valid:
            return ChainReport(count, COPY_FORGED, legacy=legacy)
        if copy is not None and copy.count and self.at_copy != (copy.last_id, copy.last_link):
            return ChainReport(
                count, COPY_AHEAD, expected=copy.count, expected_last_id=copy.last_id, legacy=legacy
            )
        return ChainReport(count, legacy=legacy)


def describe(report: ChainReport) -> str:
    """The check's verdict in the user's language, for the page and the command line."""
    if report.ok:
        text = ngettext(
            "The audit chain is intact: %(num)s event checked, and its signed head agrees.",
            "The audit chain is intact: %(num)s events checked, and its signed head agrees.",
            report.count,
        )
        if report.legacy:
            text += " " + ngettext(
                "The first %(num)s event is from before the chain was keyed; the keyed events after it "
                "seal it.",
                "The first %(num)s events are from before the chain was keyed; the keyed events after "
                "them seal them.",
                report.legacy,
            )
        return text
    messages = {
        BROKEN_LINK: _(
            "The chain is broken at event %(id)s: the event before it was deleted or changed outside the "
            "application.",
            id=report.broken_id,
        ),
        ALTERED_EVENT: _(
            "The chain is broken at event %(id)s: its contents were changed outside the application, or it "
            "was written without the audit key.",
            id=report.broken_id,
        ),
        BEYOND_HEAD: _(
            "The chain is broken at event %(id)s: it comes after the last event its signed head records.",
            id=report.broken_id,
        ),
        HEAD_MISSING: _(
            "The chain is truncated: its signed head is missing, so events may have been deleted at its end."
        ),
        HEAD_FORGED: _(
            "The chain is truncated: its head was changed without the audit key, so events may have been "
            "deleted at its end."
        ),
        TRUNCATED: _(
            "The chain is truncated: its signed head records %(expected)s events, the last one %(last)s, but "
            "%(count)s remain.",
            expected=report.expected,
            last=report.expected_last_id,
            count=report.count,
        ),
        COPY_FORGED: _(
            "The chain is truncated: the copy of its head in the var directory does not carry a valid "
            "signature."
        ),
        COPY_AHEAD: _(
            "The chain is truncated: the copy of its head in the var directory records %(expected)s events, "
            "the last one %(last)s, which the database no longer holds as they were (%(count)s remain).",
            expected=report.expected,
            last=report.expected_last_id,
            count=report.count,
        ),
    }
    return messages[report.problem]

"""Page objects for the browser tests: one class per screen, found by data-testid (wording is translated).

Where a template gives an element no data-testid, the locator uses a stable attribute (name=, rel=, data-*).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from PIL import Image
from playwright.sync_api import BrowserContext, Locator, Page, expect

# The `new_context` fixture: each call opens a separate browser (own cookies); phone=True is 360×740.
NewContext = Callable[..., BrowserContext]


def parse_number(text: str) -> Decimal:
    """Reads a number written the Indonesian way ("1.234,5") or the English way ("1,234.5")."""
    text = text.strip()
    if re.fullmatch(r"-?[\d.]*(,\d+)?", text):
        return Decimal(text.replace(".", "").replace(",", "."))
    return Decimal(text.replace(",", ""))


def follow(link: Locator) -> None:
    """Clicks a link and waits until the browser has arrived where it points."""
    href = link.get_attribute("href") or ""
    link.click()
    link.page.wait_for_url(lambda url: url.endswith(href))


class LoginPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.username = page.get_by_test_id("username")
        self.password = page.get_by_test_id("password")
        self.submit = page.get_by_test_id("login-submit")
        self.whoami = page.get_by_test_id("whoami")

    def goto(self) -> LoginPage:
        self.page.goto("/masuk")
        return self

    def sign_in(self, username: str, password: str) -> None:
        self.username.fill(username)
        self.password.fill(password)
        self.submit.click()
        self.page.wait_for_url(lambda url: "/masuk" not in url)
        expect(self.whoami).to_be_visible()


class LeaderboardPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.board = page.get_by_test_id("leaderboard")

    def goto(self) -> LeaderboardPage:
        self.page.goto("/")
        expect(self.board).to_be_visible()
        return self

    def row(self, team_code: str) -> Locator:
        return self.board.get_by_test_id("board-row").and_(self.page.locator(f'[data-team="{team_code}"]'))

    def score_cell(self, team_code: str) -> Locator:
        return self.row(team_code).get_by_test_id("score")

    def counted_cell(self, team_code: str) -> Locator:
        return self.row(team_code).get_by_test_id("counted")

    def score(self, team_code: str) -> Decimal:
        return parse_number(self.score_cell(team_code).inner_text())

    def counted(self, team_code: str) -> int:
        return int(self.counted_cell(team_code).inner_text().strip())

    def version(self) -> str:
        return self.board.get_attribute("data-version") or ""


class TeamPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.score = page.get_by_test_id("team-score")
        self.counted = page.get_by_test_id("team-counted")
        self.explanation_lines = page.get_by_test_id("explanation").locator("li")

    def goto(self, team_code: str) -> TeamPage:
        self.page.goto(f"/tim/{team_code}")
        return self

    def lines_about(self, activity_id: int) -> Locator:
        return self.explanation_lines.filter(has_text=re.compile(rf"#{activity_id}\b"))


@dataclass
class ActivityDraft:
    """What a participant types into the form; an empty value leaves the field as it is."""

    title: str
    type_code: str = "DDS"
    village_code: str = ""
    description: str = "Sambang warga bersama Bhabinkamtibmas, menyampaikan pesan kamtibmas."
    senkom_members: list[str] = field(default_factory=lambda: ["Ahmad Santoso", "Siti Lestari"])
    officer_name: str = "Budi Prasetyo"
    residents_reached: int = 30
    preemptive: bool = True
    photos: int = 1  # how many small JPEGs fill() attaches; 0 leaves the photo input alone


def small_jpeg(seed: int) -> bytes:
    image = Image.new("RGB", (40, 30), (seed * 53 % 256, seed * 29 % 256, 120))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


class ActivityFormPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.get_by_test_id("activity-form")
        self.activity_type = page.get_by_test_id("activity_type")
        self.occurred_at = page.get_by_test_id("occurred_at")
        self.village = page.get_by_test_id("village_code")
        self.title = page.get_by_test_id("title")
        self.description = page.get_by_test_id("description")
        self.senkom_members = page.get_by_test_id("senkom_members")
        # The officer inputs carry no data-testid: their name= is the stable handle.
        self.first_officer_name = page.get_by_test_id("officer").first.locator('input[name="officer_name"]')
        self.residents_reached = page.get_by_test_id("residents_reached")
        self.preemptive = page.get_by_test_id("preemptive")
        self.submit = page.get_by_test_id("submit")
        self.idempotency_key = self.form.locator('input[name="idempotency_key"]')
        self.form_errors = page.get_by_test_id("form-errors")
        self.sent_notice = page.get_by_test_id("sent-notice")

    def goto(self) -> ActivityFormPage:
        self.page.goto("/kegiatan/baru")
        expect(self.form).to_be_visible()
        return self

    def field_error(self, name: str) -> Locator:
        return self.page.get_by_test_id(f"error-{name}")

    def village_codes(self) -> list[str]:
        return [v for v in self.village.locator("option").evaluate_all("os => os.map(o => o.value)") if v]

    def fill(self, draft: ActivityDraft) -> None:
        self.activity_type.select_option(draft.type_code)
        if draft.village_code:
            self.village.select_option(draft.village_code)
        self.title.fill(draft.title)
        self.description.fill(draft.description)
        self.senkom_members.fill("\n".join(draft.senkom_members))
        self.first_officer_name.fill(draft.officer_name)
        self.residents_reached.fill(str(draft.residents_reached))
        self.preemptive.set_checked(draft.preemptive)
        self.attach_photos(draft)

    def attach_photos(self, draft: ActivityDraft) -> None:
        """Chooses the draft's photos (the same pictures for the same title, as a user picks them again)."""
        if draft.photos:
            seed = sum(map(ord, draft.title))
            self.page.get_by_test_id("photos").set_input_files(
                [
                    {"name": f"foto-{i}.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg(seed + i)}
                    for i in range(draft.photos)
                ]
            )

    def send(self) -> int:
        """Sends the form and returns the id of the activity the server redirected to."""
        self.submit.click()
        return self.wait_for_sent()

    def wait_for_sent(self) -> int:
        self.page.wait_for_url(re.compile(r"/kegiatan/\d+\?terkirim=1$"))
        expect(self.sent_notice).to_be_visible()
        match = re.search(r"/kegiatan/(\d+)", self.page.url)
        assert match is not None
        return int(match.group(1))


class ActivityListPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.list = page.get_by_test_id("activity-list")
        self.items = self.list.get_by_test_id("activity-item")
        self.next_link = page.locator('nav.pager a[rel="next"]')

    def goto(self) -> ActivityListPage:
        self.page.goto("/kegiatan")
        expect(self.list).to_be_visible()
        return self

    def items_titled(self, title: str) -> Locator:
        return self.items.filter(has=self.page.get_by_role("link", name=title, exact=True))

    def item_for(self, activity_id: int) -> Locator:
        return self.items.filter(has=self.page.locator(f'a[href="/kegiatan/{activity_id}"]'))

    def count_titled(self, title: str) -> int:
        """Counts the team's activities with this title over every page of the list."""
        total = self.items_titled(title).count()
        while self.next_link.count():
            follow(self.next_link)
            total += self.items_titled(title).count()
        return total


class JudgeQueuePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.items = page.get_by_test_id("queue-item")
        self.count = page.get_by_test_id("queue-count")
        self.decided_notice = page.get_by_test_id("decided-notice")
        # The pager has no data-testid; rel="next" is its stable handle.
        self.next_link = page.locator('nav.pager a[rel="next"]')

    def goto(self) -> JudgeQueuePage:
        # /juri shows one assignment at a time; the list of every waiting activity is /juri/daftar.
        self.page.goto("/juri/daftar")
        expect(self.count).to_be_visible()
        return self

    def _titled(self, title: str) -> Locator:
        return self.items.filter(has=self.page.get_by_role("link", name=title, exact=True))

    def find(self, title: str) -> Locator | None:
        """The queue item with this title, following the pager's next links; None when no page has it."""
        if "/juri/daftar" not in self.page.url:
            self.goto()
        while True:
            item = self._titled(title)
            if item.count():
                return item
            if not self.next_link.count():
                return None
            follow(self.next_link)

    def verify(self, item: Locator) -> None:
        item.get_by_test_id("verify").click()
        expect(self.decided_notice).to_be_visible()


def give_to_judge(organiser: Page, activity_id: int, judge_name: str) -> None:
    """The organisers' reassignment, the only way work moves between judges (only the assigned judges review):
    the activity's open assignment goes to the judge whose full name is `judge_name`, unless it is theirs."""
    organiser.goto(f"/panitia/kegiatan/{activity_id}")
    open_rows = organiser.locator('[data-testid=activity-assignment][data-status="open"]')
    expect(open_rows.first).to_be_visible()
    if open_rows.filter(has_text=judge_name).count():
        return
    follow(open_rows.first.locator('a[href^="/panitia/juri/alihkan"]'))
    option = organiser.locator("select#judge option").filter(has_text=judge_name)
    organiser.locator("select#judge").select_option(option.get_attribute("value"))
    organiser.get_by_test_id("override-confirm").check()
    organiser.get_by_test_id("override-submit").click()
    expect(organiser.get_by_test_id("override-done")).to_be_visible()


class CaptureFormPage(ActivityFormPage):
    """The capture form's parts beyond the plain fields: photos, kecamatan, draft and connection notices."""

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.district = page.get_by_test_id("district_code")
        self.photos = page.get_by_test_id("photos")
        self.net_error = page.get_by_test_id("net-error")
        self.draft_restored = page.get_by_test_id("draft-restored")
        self.discard_draft = page.get_by_test_id("discard-draft")

    def goto(self) -> CaptureFormPage:
        super().goto()
        return self


class ActivityDetailPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.photos = page.get_by_test_id("photo")

    def photo_urls(self) -> list[str]:
        return [a.get_attribute("href") or "" for a in self.photos.all()]


class MapPage:
    """The tile map of East Java (/peta): one tile per regency, labelled with its rank."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.map = page.get_by_test_id("map")

    def goto(self) -> MapPage:
        self.page.goto("/peta")
        expect(self.map).to_be_visible()
        return self

    def tile(self, team_code: str) -> Locator:
        return self.map.get_by_test_id("map-tile").and_(self.page.locator(f'[data-team="{team_code}"]'))

    def version(self) -> str:
        return self.map.get_attribute("data-version") or ""


class RevealPage:
    """Award night (/panitia/pengumuman): the places uncovered one key press at a time."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.list = page.get_by_test_id("reveal")
        self.rows = page.get_by_test_id("reveal-row")
        self.done = page.get_by_test_id("reveal-done")

    def goto(self) -> RevealPage:
        self.page.goto("/panitia/pengumuman")
        expect(self.list).to_be_attached()  # empty (and so of no height) until the first place
        return self

    def step(self) -> int:
        return int(self.list.get_attribute("data-step") or "0")

    def total(self) -> int:
        return int(self.list.get_attribute("data-total") or "0")


class RulesEditorPage:
    """/panitia/aturan: the draft's rules, the add/remove/reorder forms (htmx-enhanced) and the versions."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.rules = page.get_by_test_id("draft-rule")
        self.add_select = page.get_by_test_id("add-rule-select")
        self.add_button = page.get_by_test_id("add-rule")
        self.clear_button = page.get_by_test_id("clear-draft")
        self.preview_link = page.get_by_test_id("preview")
        self.publish_link = page.get_by_test_id("publish")
        self.versions = page.get_by_test_id("version-row")

    def goto(self) -> RulesEditorPage:
        self.page.goto("/panitia/aturan")
        expect(self.page.get_by_test_id("draft-rules")).to_be_attached()
        return self

    def rule(self, rule_id: str) -> Locator:
        return self.page.locator(f'[data-testid="draft-rule"][data-rule="{rule_id}"]')

    def clear(self) -> None:
        self.clear_button.click()
        expect(self.page.get_by_test_id("draft-empty")).to_be_visible()

    def add(self, rule_id: str) -> None:
        count = self.rules.count()
        self.add_select.select_option(rule_id)
        self.add_button.click()
        expect(self.rules).to_have_count(count + 1)
        expect(self.rule(rule_id)).to_be_visible()

    def set_param(self, rule_id: str, name: str, value: str) -> None:
        self.rule(rule_id).get_by_test_id(f"param-{name}").fill(value)

    def save_params(self, rule_id: str) -> None:
        self.rule(rule_id).get_by_test_id("params-save").click()

    def in_force_version(self) -> int:
        row = self.page.locator('[data-testid="version-row"]:has([data-testid="in-force-badge"])')
        return int(row.get_attribute("data-version") or 0)

"""Share cards: a team's rank drawn with Pillow as the 1200×630 Open Graph image that WhatsApp and others
show under a link, once per (team, standings version, language) and kept as bytes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import anyio
from PIL import Image, ImageDraw, ImageFont

from app import i18n
from app.brand import AMBER, NAVY, WHITE, draw_icon, png
from app.leaderboard import caches

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
SOFT = (205, 220, 238)  # light text on navy
# DejaVu ships with most Linux servers; Pillow's own font stands in where it does not.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")


@dataclass(frozen=True, slots=True)
class TeamCard:
    team_name: str
    competition_name: str
    rank: int | None
    teams: int
    shared: bool
    score: Decimal
    move: int | None
    frozen: bool


@cache
def _font_file(bold: bool) -> str | None:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for directory in FONT_DIRS:
        if (Path(directory) / name).exists():
            return str(Path(directory) / name)
    return None


@cache
def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_file(bold)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, size: int, smallest: int = 28) -> tuple[str, int]:
    """The text at the largest size (down to `smallest`) that fits `width`; cut with "…" if none does."""
    while size > smallest and draw.textlength(text, font=font(size)) > width:
        size -= 4
    while draw.textlength(text, font=font(size)) > width and len(text) > 2:
        text = text[:-2].rstrip() + "…"
    return text, size


def draw_team_card(card: TeamCard) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), NAVY)
    draw = ImageDraw.Draw(image)
    # A band of the brand's amber along the bottom, and the mark with the wordmark at the top.
    draw.rectangle((0, HEIGHT - 18, WIDTH, HEIGHT), fill=AMBER)
    mark = draw_icon(96)
    draw.rounded_rectangle((MARGIN - 5, 47, MARGIN + 100, 152), radius=26, fill=WHITE)  # the mark's edge
    image.paste(mark, (MARGIN, 52), mark)
    draw.text((MARGIN + 120, 66), "Sinergi", font=font(56), fill=WHITE)
    competition, size = _fit(draw, card.competition_name, WIDTH - 2 * MARGIN, 30, 22)
    draw.text((MARGIN, 170), competition, font=font(size, bold=False), fill=SOFT)
    name, size = _fit(draw, card.team_name, WIDTH - 2 * MARGIN, 76, 40)
    draw.text((MARGIN, 222), name, font=font(size), fill=WHITE)
    if card.rank is None:
        draw.text((MARGIN, 360), i18n._("No scores yet."), font=font(56), fill=WHITE)
    else:
        rank = f"#{card.rank}" + ("=" if card.shared else "")
        draw.text((MARGIN, 330), rank, font=font(150), fill=AMBER)
        left = MARGIN + draw.textlength(rank, font=font(150)) + 40
        draw.text((left, 360), i18n._("rank of %(n)s", n=card.teams), font=font(40, bold=False), fill=SOFT)
        points = i18n._("%(score)s points", score=i18n.format_score(card.score))
        draw.text((left, 416), points, font=font(56), fill=WHITE)
        if card.move:
            arrow = f"▲{card.move}" if card.move > 0 else f"▼{-card.move}"
            draw.text((MARGIN, 520), f"{arrow} {i18n._('since this week began')}", font=font(34), fill=SOFT)
        elif card.frozen:
            draw.text((MARGIN, 520), i18n._("Leaderboard frozen"), font=font(34), fill=SOFT)
    return png(image)


async def team_card_png(key: tuple[object, ...], card: TeamCard) -> bytes:
    """The card's PNG, drawn once per key (competition, audience's standings version, team, language),
    in a worker thread (drawing takes tens of milliseconds)."""
    cards = caches.current().cards
    cached = cards.get(key)
    if cached is None:
        locale = i18n.get_locale()

        def drawn() -> bytes:
            token = i18n.set_locale(locale)
            try:
                return draw_team_card(card)
            finally:
                i18n.reset_locale(token)

        cached = await anyio.to_thread.run_sync(drawn)
        cards.put(key, cached)
    return cached
